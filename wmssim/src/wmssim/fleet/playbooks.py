"""``ansible-playbook`` against a simulated fleet, with every task result and task time recorded.

The one harness that tests, demos and benchmarks use to run a playbook against the inventory
``wmssim serve`` wrote. ``Playbook`` builds the command line and environment (ansible's own
files go into a work folder, the ``wmssim_record`` callback writes results and task times);
``Playbook.run()`` runs it and returns a ``PlaybookRun``. A caller that measures the process
itself (a benchmark) starts ``command``/``env`` its own way and then calls ``collect``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
BIN = Path(sys.executable).parent


@dataclass
class PlaybookRun:
    """What one ansible-playbook run printed and returned, with every result and task time."""

    rc: int
    stdout: str
    stderr: str
    results: list[dict] = field(default_factory=list)  # {"host", "task", "action", "status", "result"}
    tasks: list[dict] = field(default_factory=list)  # {"task", "action", "run_once", "seconds", "results"}

    def of(self, task: str, host: str | None = None) -> list[dict]:
        """Results of the task with this name (optionally for one host)."""
        return [r for r in self.results if r["task"] == task and (host is None or r["host"] == host)]

    def one(self, task: str, host: str) -> dict:
        """The one result of this task on this host (AssertionError otherwise)."""
        found = self.of(task, host)
        assert len(found) == 1, f"{task!r} on {host}: {len(found)} results\n{self.stdout[-3000:]}"
        return found[0]

    def recap(self) -> dict[str, dict[str, int]]:
        """The PLAY RECAP lines as {host: {ok: .., changed: .., unreachable: .., failed: ..}}."""
        recap: dict[str, dict[str, int]] = {}
        lines = self.stdout.splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("PLAY RECAP")]
        for line in lines[starts[-1] + 1:] if starts else []:
            host, sep, rest = line.partition(":")
            if sep and "=" in rest:
                recap[host.strip()] = {k: int(v) for k, v in (item.split("=") for item in rest.split())}
        return recap


@dataclass
class Playbook:
    """One ansible-playbook command against ``inventory``; its own files go into ``workdir``."""

    inventory: Path
    playbook: Path
    workdir: Path
    name: str = "run"
    config: Path | None = None  # ANSIBLE_CONFIG
    check: bool = False
    diff: bool = False
    forks: int | None = None
    extra_vars: dict | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # added to (and overriding) the environment
    record_results: bool = True  # False: task times only (a benchmark's thousands of results)

    @property
    def record_file(self) -> Path:
        return Path(self.workdir) / f"{self.name}.record.jsonl"

    @property
    def command(self) -> list[str]:
        cmd = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), str(self.playbook)]
        if self.check:
            cmd.append("--check")
        if self.diff:
            cmd.append("--diff")
        if self.forks:
            cmd += ["-f", str(self.forks)]
        if self.extra_vars:
            cmd += ["-e", json.dumps(self.extra_vars)]
        return cmd + list(self.args)

    def environment(self) -> dict[str, str]:
        """The environment of the run: ansible's files in the work folder, the recorder on."""
        work = Path(self.workdir)
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_CALLBACKS_ENABLED": "wmssim_record",
            "WMSSIM_RECORD_FILE": str(self.record_file),
            "WMSSIM_RECORD_RESULTS": "1" if self.record_results else "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(work / "ansible-tmp"),
            "ANSIBLE_HOME": str(work / "ansible-home"),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        })
        if self.config is not None:
            env["ANSIBLE_CONFIG"] = str(self.config)
        env.update(self.env)
        return env

    def prepare(self) -> None:
        """Make the work folder and forget the records of an earlier run of the same name."""
        Path(self.workdir).mkdir(parents=True, exist_ok=True)
        self.record_file.unlink(missing_ok=True)

    def collect(self, rc: int, stdout: str, stderr: str = "") -> PlaybookRun:
        """The run's result from its exit code, its output and the recorder's file."""
        results, tasks = [], []
        if self.record_file.exists():
            for line in self.record_file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    (results if record.pop("kind") == "result" else tasks).append(record)
        return PlaybookRun(rc, stdout, stderr, results, tasks)

    def run(self, *, cwd: Path | None = None, timeout: float = 600, echo: bool = False) -> PlaybookRun:
        """Run it to the end and return what happened; ``echo`` shows its output as it runs
        (then ``stdout`` and ``stderr`` of the result are empty)."""
        self.prepare()
        proc = subprocess.run(self.command, capture_output=not echo, text=True, env=self.environment(),
                              cwd=cwd or self.workdir, timeout=timeout)
        return self.collect(proc.returncode, proc.stdout or "", proc.stderr or "")
