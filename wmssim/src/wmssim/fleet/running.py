"""A fleet served by ``wmssim serve`` in a child process.

The one way to start a simulated fleet from Python (tests, demos, benchmarks), wait for its
inventory, read or reset its hosts through the control endpoint, and stop it by its own process
id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import yaml

from .playbooks import Playbook, PlaybookRun


class FleetError(RuntimeError):
    """The simulator did not start, or its control endpoint did not answer."""


class RunningFleet:
    """One ``wmssim serve`` in ``workdir``: scenario.yml, inventory.yml, state/, wmssim.out."""

    def __init__(self, workdir: Path, scenario: dict | str | Path, *, log_level: str | None = None,
                 agent_bootstrap: Path | None = None, agent_script: Path | None = None,
                 ansible_config: Path | None = None, playbook_cwd: Path | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if isinstance(scenario, Path):
            self.scenario_path = scenario.resolve()
        else:
            self.scenario_path = self.workdir / "scenario.yml"
            text = scenario if isinstance(scenario, str) else yaml.safe_dump(scenario, sort_keys=False)
            self.scenario_path.write_text(text)
        self.inventory = self.workdir / "inventory.yml"
        self.state_dir = self.workdir / "state"
        self.output = self.workdir / "wmssim.out"
        self.log_level = log_level
        self.agent_bootstrap = Path(agent_bootstrap).resolve() if agent_bootstrap else None
        self.agent_script = Path(agent_script).resolve() if agent_script else None
        self.ansible_config = ansible_config
        self.playbook_cwd = playbook_cwd
        self.runs = 0
        self.process: subprocess.Popen | None = None
        self.startup_seconds = 0.0
        self.control = ""
        self.hostvars: dict[str, dict] = {}

    def start(self, timeout: float = 120) -> RunningFleet:
        """Start serving and return once the inventory is written (every host listens)."""
        self.inventory.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "wmssim", "serve", "--scenario", str(self.scenario_path),
               "--inventory", str(self.inventory), "--state-dir", str(self.state_dir)]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        if self.agent_bootstrap:
            cmd += ["--agent-bootstrap", str(self.agent_bootstrap)]
        if self.agent_script:
            cmd += ["--agent-script", str(self.agent_script)]
        begin = time.monotonic()
        with open(self.output, "w") as out:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir)
        while not self.inventory.exists():
            if self.process.poll() is not None:
                raise FleetError(f"wmssim serve exited with {self.process.returncode}: {self.output_tail()}")
            if time.monotonic() - begin > timeout:
                self.stop()
                raise FleetError(f"wmssim serve wrote no inventory within {timeout} s")
            time.sleep(0.02)
        self.startup_seconds = time.monotonic() - begin
        data = yaml.safe_load(self.inventory.read_text())
        self.control = data["all"]["vars"]["wmssim_control"]
        self.hostvars = data["all"]["children"]["wms"]["hosts"]
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM to our own child (SIGKILL if it does not stop); its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode

    def __enter__(self) -> RunningFleet:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _control(self, action: str, method: str = "GET") -> dict:
        request = urllib.request.Request(f"{self.control}/{action}", method=method,
                                         data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.loads(response.read())
        except OSError as err:
            raise FleetError(f"the control endpoint did not answer {action}: {err}") from None

    def state(self) -> dict[str, dict]:
        """``{host: Host.state()}`` for every host (what ``wmssim state`` prints under "hosts")."""
        return self._control("state")["hosts"]

    def reset(self) -> None:
        """Every host back as the scenario describes it: sessions, events, counters."""
        self._control("reset", method="POST")

    def output_tail(self, chars: int = 3000) -> str:
        return self.output.read_text(errors="replace")[-chars:] if self.output.exists() else ""

    def playbook(self, playbook: str | Path, *, check: bool = False, diff: bool = False,
                 extra_vars: dict | None = None, args: list[str] | None = None, forks: int | None = None,
                 env: dict[str, str] | None = None, timeout: float = 600, echo: bool = False) -> PlaybookRun:
        """Run a playbook (a file, or its YAML text) against this fleet; every result is recorded."""
        self.runs += 1
        book = playbook if isinstance(playbook, Path) else self.workdir / f"playbook-{self.runs}.yml"
        if not isinstance(playbook, Path):
            book.write_text(playbook)
        run = Playbook(self.inventory, book, self.workdir, name=f"run-{self.runs}", config=self.ansible_config,
                       check=check, diff=diff, forks=forks, extra_vars=extra_vars, args=list(args or []),
                       env=dict(env or {}))
        return run.run(cwd=self.playbook_cwd, timeout=timeout, echo=echo)


def event_time(event: dict) -> float:
    """The time of a host event (``state()["<host>"]["events"]``), in seconds since the epoch."""
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
