"""A simulated fleet for end-to-end tests (wmssim.running) and ansible-playbook against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wmssim.running import REPO, RunningFleet

BIN = Path(sys.executable).parent
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


def stamp(event: dict) -> float:
    """The time of a simulator event (``wmssim state``), in seconds since the epoch."""
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()


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


class SimFleet(RunningFleet):
    """``python -m wmssim serve`` for one test (stopped by its own process id), and ansible-playbook."""

    def __init__(self, workdir: Path, scenario: dict | str) -> None:
        if isinstance(scenario, dict):
            # Tests run without the PowerShell start-up cost of real Windows unless they ask for it.
            scenario = dict(scenario, defaults={"powershell_startup_ms": 0, **scenario.get("defaults", {})})
        super().__init__(workdir, scenario)
        self.runs = 0

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
