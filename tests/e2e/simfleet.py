"""A simulated fleet for end-to-end tests: wmssim as a subprocess, ansible-playbook against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


@dataclass
class PlaybookRun:
    """What one ansible-playbook run printed and returned, with every task result."""

    rc: int
    stdout: str
    stderr: str
    results: list[dict]

    def of(self, task: str, host: str | None = None) -> list[dict]:
        """Results of the task with this name (optionally for one host)."""
        return [r for r in self.results if r["task"] == task and (host is None or r["host"] == host)]

    def one(self, task: str, host: str) -> dict:
        found = self.of(task, host)
        assert len(found) == 1, f"{task!r} on {host}: {len(found)} results\n{self.stdout[-3000:]}"
        return found[0]


class SimFleet:
    """``python -m wmssim serve`` for one test, stopped by its own process id."""

    def __init__(self, workdir: Path, scenario: dict | str) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.scenario_path = workdir / "scenario.yml"
        if isinstance(scenario, dict):
            # Tests run without the PowerShell start-up cost of real Windows unless they ask for it.
            scenario = dict(scenario, defaults={"powershell_startup_ms": 0, **scenario.get("defaults", {})})
        text = scenario if isinstance(scenario, str) else yaml.safe_dump(scenario, sort_keys=False)
        self.scenario_path.write_text(text)
        self.inventory = workdir / "inventory.yml"
        self.process: subprocess.Popen | None = None
        self.runs = 0

    def start(self, timeout: float = 120) -> SimFleet:
        log = open(self.workdir / "wmssim.out", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wmssim", "serve", "--scenario", str(self.scenario_path),
             "--inventory", str(self.inventory), "--state-dir", str(self.workdir / "state")],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )
        deadline = time.monotonic() + timeout
        while not self.inventory.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"wmssim exited: {(self.workdir / 'wmssim.out').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("wmssim did not write its inventory in time")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def reset(self) -> None:
        """Put every host back as the scenario describes it (sessions, events, counters)."""
        subprocess.run([sys.executable, "-m", "wmssim", "reset", "--inventory", str(self.inventory)],
                       check=True, capture_output=True, cwd=REPO)

    def state(self) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "wmssim", "state", "--inventory", str(self.inventory)],
            capture_output=True, text=True, check=True, cwd=REPO,
        )
        return json.loads(out.stdout)["hosts"]

    def playbook(self, text: str, *, check: bool = False, diff: bool = False, extra_vars: dict | None = None,
                 args: list[str] | None = None, timeout: float = 600) -> PlaybookRun:
        self.runs += 1
        book = self.workdir / f"playbook-{self.runs}.yml"
        book.write_text(text)
        record = self.workdir / f"results-{self.runs}.jsonl"
        cmd = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), str(book)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += args or []
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_CALLBACKS_ENABLED": "record_results",
            "RECORD_RESULTS_FILE": str(record),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-tmp"),
            "ANSIBLE_HOME": str(self.workdir / "ansible-home"),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        })
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)
        results = []
        if record.exists():
            results = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)
