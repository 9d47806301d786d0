"""What the benchmark drives and measures: a simulated fleet and timed ansible-playbook runs.

``BenchFleet`` runs ``wmssim serve`` for one measurement (stopped by its own process id), reads
and resets the hosts' counters, and reads the simulator's memory and CPU time from /proc.
``run_playbook`` runs ansible-playbook against it through wmssim's playbook harness (which records
every task's time) and measures the controller: wall time,
CPU time of ansible-playbook and all its forks (``os.wait4``), the peak RSS of its largest process
(``ru_maxrss``) and, sampled from /proc, the peak memory of the whole process tree (sum of RSS and
sum of PSS, the fair share of pages the forks share with their parent).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from wmssim.fleet.playbooks import Playbook
from wmssim.fleet.running import FleetError, RunningFleet

REPO = Path(__file__).resolve().parent.parent
AGENT_DIR = REPO / "plugins" / "plugin_utils"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A measurement could not be taken (the fleet did not start, a playbook went wrong, ...)."""


# --- /proc ---------------------------------------------------------------------------------


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB: its memory now and its peak."""
    values = {"VmRSS": 0, "VmHWM": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in values:
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a running process has used so far."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def machine_cpu_seconds() -> float:
    """CPU time every process of the machine has used since boot (all cores, /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        parent = int(text[text.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children = _children_map()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _tree_memory_kib(pids: list[int]) -> tuple[int, int]:
    """Sum of RSS and sum of PSS over these processes (those that still exist)."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:  # the process ended between listing and reading
            continue
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the memory of a process tree every ``interval`` seconds until stopped."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.peak_processes = 0
        self.root_cpu_seconds = 0.0  # the root process alone (ansible's strategy loop)
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            pids = process_tree(self.root)
            rss, pss = _tree_memory_kib(pids)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.peak_processes = max(self.peak_processes, len(pids))
            try:
                self.root_cpu_seconds = cpu_seconds(self.root)
            except (OSError, ValueError):  # it just ended (or is a zombie already reaped)
                pass
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


# --- the fleet -----------------------------------------------------------------------------


class BenchFleet(RunningFleet):
    """``wmssim serve`` with one scenario, in its own work folder, running the shipped agent, measured."""

    def __init__(self, workdir: Path, scenario: dict) -> None:
        super().__init__(workdir, scenario, log_level="warning", agent_bootstrap=AGENT_DIR / "wms_bootstrap.ps1",
                         agent_script=AGENT_DIR / "wms_agent.ps1", ansible_config=REPO / "ansible.cfg",
                         playbook_cwd=REPO)

    def start(self, timeout: float = 300) -> BenchFleet:
        try:
            super().start(timeout)
        except FleetError as err:
            raise BenchError(str(err)) from None
        return self

    def memory_mib(self) -> tuple[float, float]:
        """The simulator's RSS now and its peak RSS, in MiB."""
        rss, peak = rss_kib(self.pid)
        return rss / 1024, peak / 1024

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


# --- ansible-playbook ----------------------------------------------------------------------


@dataclass
class MeasuredRun:
    """One timed ansible-playbook run and what the controller used."""

    rc: int
    wall_seconds: float
    cpu_seconds: float  # ansible-playbook and every fork it waited for, user + system
    main_cpu_seconds: float  # ansible-playbook's own process (sampled, so slightly low)
    max_process_rss_mib: float  # the largest single process of the tree (ru_maxrss)
    peak_tree_rss_mib: float  # sampled: sum of RSS over the tree (counts shared pages per process)
    peak_tree_pss_mib: float  # sampled: sum of PSS over the tree (shared pages split fairly)
    peak_processes: int
    machine_cpu_seconds: float  # every process of the machine during the run (/proc/stat)
    stdout_path: Path
    recap: dict[str, dict[str, int]] = field(default_factory=dict)
    tasks: list[dict] = field(default_factory=list)  # the harness's task records: name, action, seconds

    def tail(self, chars: int = 3000) -> str:
        return self.stdout_path.read_text(errors="replace")[-chars:]


def run_playbook(fleet: BenchFleet, playbook: Path, *, name: str, forks: int,
                 extra_vars: dict | None = None, args: list[str] | None = None, timeout: float = 1800,
                 sample_interval: float = 0.5) -> MeasuredRun:
    """Run ansible-playbook against the fleet's inventory and measure the controller."""
    book = Playbook(fleet.inventory, playbook, fleet.workdir, name=name, config=fleet.ansible_config,
                    forks=forks, extra_vars=extra_vars, args=list(args or []), record_results=False)
    book.prepare()
    out_path = fleet.workdir / f"{name}.out"
    with open(out_path, "w") as out:
        machine_begin = machine_cpu_seconds()
        begin = time.monotonic()
        process = subprocess.Popen(book.command, stdout=out, stderr=subprocess.STDOUT, env=book.environment(),
                                   cwd=REPO)
    sampler = TreeSampler(process.pid, sample_interval)
    sampler.start()
    killer = threading.Timer(timeout, lambda: os.kill(process.pid, signal.SIGKILL))
    killer.start()
    try:
        # wait4 (not Popen.wait) returns the resource usage of the child and of every process it
        # waited for: ansible-playbook and all its forks.
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
        sampler.stop()
    wall = time.monotonic() - begin
    machine = machine_cpu_seconds() - machine_begin
    process.returncode = os.waitstatus_to_exitcode(status)
    recorded = book.collect(process.returncode, out_path.read_text(errors="replace"))
    return MeasuredRun(
        rc=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        main_cpu_seconds=sampler.root_cpu_seconds,
        max_process_rss_mib=usage.ru_maxrss / 1024,
        peak_tree_rss_mib=sampler.peak_rss_kib / 1024,
        peak_tree_pss_mib=sampler.peak_pss_kib / 1024,
        peak_processes=sampler.peak_processes,
        machine_cpu_seconds=machine,
        stdout_path=out_path,
        recap=recorded.recap(),
        tasks=recorded.tasks,
    )
