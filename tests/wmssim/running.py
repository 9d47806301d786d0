"""A fleet served by ``python -m wmssim serve`` in a child process.

The one way the end-to-end tests, ``make demo`` and ``make bench`` start a simulated fleet, wait
for its inventory, read or reset its hosts through the control endpoint, and stop it by its own
process id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


class FleetError(RuntimeError):
    """The simulator did not start, or its control endpoint did not answer."""


class RunningFleet:
    """One ``wmssim serve`` in ``workdir``: scenario.yml, inventory.yml, state/, wmssim.out."""

    def __init__(self, workdir: Path, scenario: dict | str | Path, *, log_level: str | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if isinstance(scenario, Path):
            self.scenario_path = scenario
        else:
            self.scenario_path = self.workdir / "scenario.yml"
            text = scenario if isinstance(scenario, str) else yaml.safe_dump(scenario, sort_keys=False)
            self.scenario_path.write_text(text)
        self.inventory = self.workdir / "inventory.yml"
        self.state_dir = self.workdir / "state"
        self.output = self.workdir / "wmssim.out"
        self.log_level = log_level
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
        begin = time.monotonic()
        with open(self.output, "w") as out:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
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
