"""The benchmark's measurements: each runs a fleet, takes its figures and checks them.

- ``capacity``: the simulator alone (tools/fleet_capacity.py, run as is);
- ``cost``: agent commands and WS-Man messages per host, 5 against 50 sessions per host;
- ``grace``: the role with a grace period: what deciding to wait costs beyond the wait itself;
- ``scale``: on one fleet, over the first N hosts for each size: Ansible's floor (one and two
  ``ansible.builtin.raw`` tasks per host), session_disconnect with filters, the end_of_day role,
  and the naive loop (one raw command per session).

Every measurement returns a ``CaseResult``: figures (plain JSON values) and ``Check``s, each a
figure compared with its target. Targets live in ``bench_targets``; sizes in ``Profile``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from bench_fleet import REPO, BenchError, BenchFleet, MeasuredRun, run_playbook
from bench_targets import Target

END_OF_DAY = REPO / "playbooks" / "end_of_day.yml"
CAPACITY_TOOL = REPO / "tools" / "fleet_capacity.py"
PASSWORD = "Bench-Pass-2026"
GENERATIONS = ("2012", "2016", "none")


@dataclass
class Check:
    """One figure against its target."""

    name: str
    value: float | int | None
    unit: str
    target: str  # e.g. "<= 360", "== 2"; "" when the figure is only reported
    passed: bool | None  # None: no target at this size
    why: str = ""


@dataclass
class CaseResult:
    """What one measurement found."""

    case: str
    figures: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def check(self, name: str, value, unit: str, target: Target | None) -> None:
        if target is None or value is None:
            self.checks.append(Check(name, value, unit, target.text() if target else "",
                                     False if target and value is None else None,
                                     target.why if target else ""))
            return
        self.checks.append(Check(name, value, unit, target.text(), target.met(value), target.why))

    def report(self, name: str, value, unit: str) -> None:
        """A figure shown in the table without a target."""
        self.checks.append(Check(name, value, unit, "", None))

    def as_dict(self) -> dict:
        return {"case": self.case, "figures": self.figures,
                "checks": [asdict(c) for c in self.checks]}


@dataclass
class Profile:
    """How big each measurement is."""

    name: str
    capacity_hosts: int = 500
    capacity_sessions: int = 25
    capacity_sample: int = 40
    forks: int = 50
    startup_ms: int = 500
    latency_ms: int = 3
    cost_sessions: tuple[int, int] = (5, 50)
    cost_ways: tuple[str, ...] = ()  # labels of ``cost``'s runs to do; () = all of them
    grace_sizes: tuple[int, ...] = (50, 100)
    scale_sizes: tuple[int, ...] = (50, 100, 200, 500)
    scale_sessions: int = 25
    naive_sizes: tuple[int, ...] = (50, 100, 200, 500)  # the naive loop is slow: where it runs
    sample_interval: float = 1.0
    timing_targets: bool = True


PROFILES = {
    "full": Profile("full"),
    "quick": Profile("quick", scale_sizes=(50, 100), naive_sizes=(50,), grace_sizes=(50,)),
    # A few seconds of every code path, for tests/test_bench_smoke.py: no timing targets.
    "smoke": Profile("smoke", capacity_hosts=3, capacity_sessions=5, capacity_sample=3,
                     forks=5, startup_ms=0, latency_ms=0, cost_sessions=(2, 6),
                     cost_ways=("session_disconnect session_id", "end_of_day role, warning"),
                     scale_sizes=(2, 3), scale_sessions=4, naive_sizes=(3,), grace_sizes=(3,),
                     sample_interval=0.2, timing_targets=False),
}


# --- helpers -------------------------------------------------------------------------------


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _r(value: float, digits: int = 1) -> float:
    return round(value, digits)


def _per_host(state: dict[str, dict], key: str) -> dict[str, int]:
    return {host: data[key] for host, data in state.items()}


def _undisconnected(state: dict[str, dict], *, exclude_admins: bool = True) -> int:
    """User sessions the run should have disconnected that are not Disconnected."""
    return sum(
        1 for data in state.values() for s in data["sessions"]
        if s["user"] and not (exclude_admins and s["admin"]) and s["state"] != "Disconnected"
    )


def _user_sessions(state: dict[str, dict]) -> int:
    return sum(1 for data in state.values() for s in data["sessions"] if s["user"])


AGENT_ACTIONS = ("session_disconnect", "session_message", "session_info")


def _is_agent_task(task: dict) -> bool:
    return task["action"].rsplit(".", 1)[-1] in AGENT_ACTIONS


def _is_per_host(task: dict) -> bool:
    return not task["run_once"] and task["action"].rsplit(".", 1)[-1] != "pause"


def task_breakdown(tasks: list[dict]) -> dict:
    """Where the wall time of a play went: agent tasks, other per-host tasks, once-only tasks."""
    agent = [t for t in tasks if _is_agent_task(t)]
    per_host = [t for t in tasks if not _is_agent_task(t) and _is_per_host(t)]
    once = [t for t in tasks if not _is_agent_task(t) and not _is_per_host(t)]
    return {
        "agent_task_seconds": _r(sum(t["seconds"] for t in agent)),
        "other_per_host_task_seconds": _r(sum(t["seconds"] for t in per_host)),
        "other_per_host_tasks": len(per_host),
        "once_task_seconds": _r(sum(t["seconds"] for t in once)),
        "tasks": [{"task": t["task"], "action": t["action"], "seconds": _r(t["seconds"], 2),
                   "results": t["results"]} for t in tasks],
    }


def _between(tasks: list[dict], first: str, last: str) -> list[dict]:
    """The tasks after the first task of action ``first`` and before the next of ``last``."""
    names = [t["action"].rsplit(".", 1)[-1] for t in tasks]
    if first not in names or last not in names[names.index(first):]:
        return []
    start = names.index(first)
    end = names.index(last, start)
    return tasks[start + 1:end]


def _run_figures(run: MeasuredRun, hosts: int) -> dict:
    return {
        "rc": run.rc,
        "wall_seconds": _r(run.wall_seconds, 2),
        "hosts_per_minute": _r(hosts / run.wall_seconds * 60),
        "controller_cpu_seconds": _r(run.cpu_seconds),
        "controller_main_process_cpu_seconds": _r(run.main_cpu_seconds),
        "controller_cpu_ms_per_host": round(run.cpu_seconds / hosts * 1000),
        "controller_peak_pss_mib": _r(run.peak_tree_pss_mib),
        "controller_peak_rss_sum_mib": _r(run.peak_tree_rss_mib),
        "controller_max_process_rss_mib": _r(run.max_process_rss_mib),
        "controller_peak_processes": run.peak_processes,
        "machine_cpu_seconds": _r(run.machine_cpu_seconds),
    }


def _require(run: MeasuredRun, what: str, rc_ok: tuple[int, ...] = (0,)) -> None:
    if run.rc not in rc_ok:
        raise BenchError(f"{what}: ansible-playbook exited {run.rc}\n{run.tail()}")


def _playbook(workdir: Path, name: str, text: str) -> Path:
    path = workdir / f"{name}.yml"
    path.write_text(text)
    return path


def _sessions(count: int, first_admin: bool = True) -> list[dict]:
    """``count`` Active user sessions with ids 2.., the first one a teacher (administrator)."""
    sessions = []
    for index in range(count):
        teacher = first_admin and index == 0
        sessions.append({
            "id": index + 2,
            "user": "teacher01" if teacher else f"student{index:03d}",
            "domain": "LAB",
            "station": index + 1,
            "admin": teacher,
            "state": "Active",
        })
    return sessions


# --- 1. capacity ---------------------------------------------------------------------------


def capacity(profile: Profile, work: Path, targets) -> CaseResult:
    """tools/fleet_capacity.py as its author wrote it: start-up, RSS, a sample of pywinrm probes."""
    result = CaseResult("capacity")
    _fresh(work)
    cmd = [sys.executable, str(CAPACITY_TOOL), "--hosts", str(profile.capacity_hosts),
           "--sessions", str(profile.capacity_sessions), "--sample", str(profile.capacity_sample)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=900)
    (work / "fleet_capacity.out").write_text(done.stdout + done.stderr)
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise BenchError(f"fleet_capacity.py printed no JSON (exit {done.returncode}):\n"
                         f"{done.stderr[-2000:]}") from None
    result.figures = {"exit_code": done.returncode, **data}
    size = f"{profile.capacity_hosts}x{profile.capacity_sessions}"
    t = targets.capacity(profile)
    result.check(f"capacity {size}: start-up until inventory", data["startup_seconds_until_inventory"],
                 "s", t["startup"])
    result.check(f"capacity {size}: simulator RSS after start", data["rss_mib_after_start"], "MiB",
                 t["rss"])
    result.check(f"capacity {size}: simulator RSS after {data['probes']} probes",
                 data["rss_mib_after_probes"], "MiB", t["rss"])
    result.check(f"capacity {size}: probes answered", data["probes_ok"], "",
                 targets.equal(data["probes"], "every probe of the sample gets its sessions"))
    result.report(f"capacity {size}: probe median ({data['probe_parallel']} at once)",
                  data["probe_seconds_median"], "s")
    return result


# --- the mixed fleet of an evening ---------------------------------------------------------


def _mixed_scenario(profile: Profile, hosts: int, startup_ms: int) -> dict:
    """Generated hosts of every generation and authentication, as a site has them."""
    return {
        "description": f"bench: {hosts} mixed hosts",
        "defaults": {"username": "admin", "password": PASSWORD, "latency_ms": profile.latency_ms,
                     "powershell_startup_ms": startup_ms},
        "generate": {"count": hosts, "sessions_per_host": profile.scale_sessions, "seed": 2026,
                     "generations": {"2012": 0.3, "2016": 0.6, "none": 0.1},
                     "auths": {"ntlm": 0.7, "basic": 0.2, "https": 0.1}},
    }


# --- 3. cost per host ----------------------------------------------------------------------

EXPLICIT_IDS = """\
- name: Disconnect explicit ids
  hosts: wms
  gather_facts: false
  tasks:
    - name: Disconnect the ids given
      multipoint.wms.session_disconnect:
        session_id: "{{ bench_ids[inventory_hostname] }}"
        timeout: 10
"""

ALL_SESSIONS = """\
- name: Disconnect every user session
  hosts: wms
  gather_facts: false
  tasks:
    - name: Disconnect all but administrators
      multipoint.wms.session_disconnect:
        all: true
        exclude_admins: true
        timeout: 10
"""


def _cost_scenario(profile: Profile) -> tuple[dict, dict[str, list[int]]]:
    hosts, ids = [], {}
    for count in profile.cost_sessions:
        for generation in GENERATIONS:
            name = f"cost-{generation}-s{count}"
            sessions = _sessions(count)
            hosts.append({"name": name, "generation": generation, "sessions": sessions})
            ids[name] = [s["id"] for s in sessions if not s["admin"]]
    scenario = {"description": "bench: cost per host",
                # Counts do not depend on time: no PowerShell start-up, so the runs are quick.
                "defaults": {"username": "admin", "password": PASSWORD, "auth": "ntlm",
                             "powershell_startup_ms": 0},
                "hosts": hosts}
    return scenario, ids


def cost(profile: Profile, work: Path, targets) -> CaseResult:
    """Commands and WS-Man messages per host, for each way of disconnecting, small and big hosts."""
    result = CaseResult("cost")
    _fresh(work)
    scenario, ids = _cost_scenario(profile)
    few, many = profile.cost_sessions
    runs = {
        "session_disconnect session_id": (_playbook(work, "explicit", EXPLICIT_IDS),
                                          {"bench_ids": ids}, 1),
        "session_disconnect all=true": (_playbook(work, "all", ALL_SESSIONS), {}, 2),
        "end_of_day role, no warning": (END_OF_DAY, {"end_of_day_warning_text": ""}, 2),
        "end_of_day role, warning": (END_OF_DAY, {}, 4),
    }
    if profile.cost_ways:
        runs = {label: runs[label] for label in profile.cost_ways}
    figures: dict[str, dict] = {}
    with BenchFleet(work, scenario) as fleet:
        for index, (label, (book, extra, expected)) in enumerate(runs.items()):
            if index:
                fleet.reset()
            extra = {**extra, "end_of_day_grace_seconds": 0,
                     "end_of_day_report_dir": str(work / "reports")}
            run = run_playbook(fleet, book, name=f"cost-{index}", forks=profile.forks,
                               sample_interval=profile.sample_interval, extra_vars=extra)
            _require(run, f"cost: {label}")
            state = fleet.state()
            rows = {
                host: {"commands": data["commands"], "messages": data["messages"],
                       "messages_by_action": data["messages_by_action"]}
                for host, data in state.items()
            }
            figures[label] = {"wall_seconds": _r(run.wall_seconds, 2), "hosts": rows,
                              "left_connected": _undisconnected(state)}
            commands = {row["commands"] for row in rows.values()}
            result.check(f"cost: {label}: agent commands per host", max(commands), "",
                         targets.equal(expected, f"the same on every host ({sorted(commands)})"
                                       if len(commands) == 1 else
                                       f"differs between hosts: {sorted(commands)}"))
            if len(commands) != 1:
                result.checks[-1].passed = False
            result.check(f"cost: {label}: sessions left connected", figures[label]["left_connected"],
                         "", targets.equal(0, "every targeted session is disconnected"))
            growth = {
                generation: (rows[f"cost-{generation}-s{few}"]["messages"],
                             rows[f"cost-{generation}-s{many}"]["messages"])
                for generation in GENERATIONS
            }
            worst = max(b - a for a, b in growth.values())
            shown = ", ".join(f"{g}: {a}->{b}" for g, (a, b) in growth.items())
            result.check(f"cost: {label}: extra WS-Man messages per host, {few} -> {many} sessions",
                         worst, "", targets.equal(0, f"constant in sessions ({shown})"))
    result.figures = {"sessions_per_host": [few, many], "runs": figures}
    return result


# --- 4. the grace period ------------------------------------------------------------------

GRACE_SECONDS = 1
WAIT_ACTIONS = ("pause", "wait_for")


def grace(profile: Profile, work: Path, targets, hosts: int) -> CaseResult:
    """The role with a 1 s grace period: time between the warning and the disconnect, minus 1 s.

    The main end-of-day runs use grace 0, which skips the decision whether to wait; a real
    evening has a grace period, so this measures that decision on its own.
    """
    label = f"grace {hosts}x{profile.scale_sessions}"
    result = CaseResult(f"grace_{hosts}")
    _fresh(work)
    with BenchFleet(work, _mixed_scenario(profile, hosts, startup_ms=0)) as fleet:
        run = run_playbook(fleet, END_OF_DAY, name="grace", forks=profile.forks,
                           sample_interval=profile.sample_interval,
                           extra_vars={"end_of_day_grace_seconds": GRACE_SECONDS,
                                       "end_of_day_report_dir": str(work / "reports"),
                                       "end_of_day_run_id": f"bench-grace-{hosts}"})
        state = fleet.state()
    _require(run, label)
    between = _between(run.tasks, "session_message", "session_disconnect")
    # The wait: ansible.builtin.pause, or a controller-side ansible.builtin.wait_for.
    paused = [t for t in between if t["action"].rsplit(".", 1)[-1] in WAIT_ACTIONS]
    waiting = sum(t["seconds"] for t in between)
    result.figures = {
        "hosts": hosts, "grace_seconds": GRACE_SECONDS, "forks": profile.forks,
        **_run_figures(run, hosts),
        "left_connected": _undisconnected(state),
        "paused": sum(t["results"].get("ok", 0) for t in paused) == 1,
        "between_warning_and_disconnect_seconds": _r(waiting, 2),
        "decision_seconds": _r(max(0.0, waiting - GRACE_SECONDS), 2),
        "tasks_between": [{"task": t["task"], "seconds": _r(t["seconds"], 2)} for t in between],
        **task_breakdown(run.tasks),
    }
    f = result.figures
    result.check(f"{label}: sessions left connected", f["left_connected"], "",
                 targets.equal(0, "the run must do the work it is timed for"))
    result.check(f"{label}: paused once", int(f["paused"]), "",
                 targets.equal(1, "the wait ran once (somebody was warned)"))
    result.check(f"{label}: deciding to wait (beyond the {GRACE_SECONDS} s wait)",
                 f["decision_seconds"], "s", targets.grace(profile, hosts))
    result.report(f"{label}: wall time", f["wall_seconds"], "s")
    return result


# --- 5. scale: the role and the module against Ansible's floor, and the naive loop ---------

FLOOR_ONE = """\
- name: Ansible's floor, one command per host
  hosts: wms
  gather_facts: false
  tasks:
    - name: One raw command
      ansible.builtin.raw: Write-Output ok
      changed_when: false
"""

RAW_TASK = {"name": "A raw command", "ansible.builtin.raw": "Write-Output ok", "changed_when": False}


def _floor_of_end_of_day(work: Path) -> Path:
    """playbooks/end_of_day.yml with two raw tasks per host in place of the role (Ansible's floor for it)."""
    plays = yaml.safe_load(END_OF_DAY.read_text())
    for play in plays:
        play.pop("roles")
        for task in play.get("pre_tasks", []):
            if "ansible.builtin.include_vars" in task:  # the same settings, read the same way
                task["ansible.builtin.include_vars"] = str(END_OF_DAY.parent / task["ansible.builtin.include_vars"])
        play["tasks"] = [RAW_TASK, RAW_TASK]
    return _playbook(work, "floor2", yaml.safe_dump(plays, sort_keys=False))


def _agent_floor_of_end_of_day(work: Path) -> Path:
    """playbooks/end_of_day.yml with the role's two agent tasks in its place, bare: the settings as
    literal arguments, nothing registered, no check, no report. What the role's own work costs."""
    plays = yaml.safe_load(END_OF_DAY.read_text())
    settings = yaml.safe_load((END_OF_DAY.parent / "vars" / "end_of_day.yml").read_text())
    selection = {"all": True, "exclude_users": settings["end_of_day_exclude_users"],
                 "exclude_admins": settings["end_of_day_exclude_admins"]}
    for play in plays:
        play.pop("roles")
        play.pop("pre_tasks", None)
        play["tasks"] = [
            {"name": "Warn", "multipoint.wms.session_message": {
                **selection, "title": settings["end_of_day_warning_title"],
                "text": settings["end_of_day_warning_text"], "display_seconds": 0}},
            {"name": "Disconnect", "multipoint.wms.session_disconnect": {
                **selection, "timeout": settings["end_of_day_timeout"]}},
        ]
    return _playbook(work, "agent-floor", yaml.safe_dump(plays, sort_keys=False))


NAIVE = """\
- name: End of day with raw one-liners
  hosts: wms
  gather_facts: false
  tasks:
    - name: List the sessions
      ansible.builtin.raw: Get-WmsSession -All | ConvertTo-Json
      register: listing
      changed_when: false
    - name: Disconnect each user session that is not an administrator's
      ansible.builtin.raw: Disconnect-WmsSession -SessionId {{ item.SessionId }}
      loop: "{{ listing.stdout | from_json | selectattr('UserName') | rejectattr('IsAdmin') | list }}"
      loop_control:
        label: "{{ item.SessionId }}"
"""
# Each way: (playbook, what it changes, the agent commands per host it must cost; None: not fixed).
SCALE_WAYS = ("floor_one_raw", "floor_two_raw", "two_agent_tasks", "session_disconnect", "end_of_day_role",
              "naive_loop")


def _scale_scenario(profile: Profile, hosts: int) -> dict:
    return {
        "description": f"bench: scale, {hosts} MultiPoint 2016 hosts of {profile.scale_sessions} Active sessions",
        "defaults": {"username": "admin", "password": PASSWORD, "generation": "2016", "auth": "ntlm",
                     "latency_ms": profile.latency_ms, "powershell_startup_ms": profile.startup_ms},
        # Every session Active, so every way has the same sessions to disconnect.
        "generate": {"count": hosts, "sessions_per_host": profile.scale_sessions, "seed": 2026,
                     "states": {"Active": 1}},
    }


def _state_of(state: dict[str, dict], names: list[str]) -> dict[str, dict]:
    return {name: state[name] for name in names}


def scale(profile: Profile, work: Path, targets) -> CaseResult:
    """Every way over the first N hosts of one fleet, for each size; the fleet is reset between runs."""
    result = CaseResult("scale")
    _fresh(work)
    books = {"floor_one_raw": _playbook(work, "floor1", FLOOR_ONE), "floor_two_raw": _floor_of_end_of_day(work),
             "two_agent_tasks": _agent_floor_of_end_of_day(work),
             "session_disconnect": _playbook(work, "disconnect", ALL_SESSIONS), "end_of_day_role": END_OF_DAY,
             "naive_loop": _playbook(work, "naive", NAIVE)}
    sizes: dict[int, dict] = {}
    with BenchFleet(work, _scale_scenario(profile, max(profile.scale_sizes))) as fleet:
        names = sorted(fleet.state())
        sim_cpu_start = fleet.cpu_seconds()
        for size in profile.scale_sizes:
            hosts = names[:size]
            limit = work / f"hosts-{size}.txt"
            limit.write_text("\n".join(hosts) + "\n")
            ways: dict[str, dict] = {}
            for way in SCALE_WAYS:
                if way == "naive_loop" and size not in profile.naive_sizes:
                    continue
                fleet.reset()
                extra = {"end_of_day_grace_seconds": 0, "end_of_day_report_dir": str(work / "reports"),
                         "end_of_day_run_id": f"bench-{size}"} if way == "end_of_day_role" else None
                run = run_playbook(fleet, books[way], name=f"{way}-{size}", forks=profile.forks,
                                   sample_interval=profile.sample_interval, extra_vars=extra,
                                   args=["--limit", f"@{limit}"])
                _require(run, f"scale {size}: {way}")
                state = _state_of(fleet.state(), hosts)
                ways[way] = {
                    **_run_figures(run, size),
                    "commands_per_host": sorted({d["commands"] for d in state.values()}),
                    "commands": sum(d["commands"] for d in state.values()),
                    "targeted_sessions": sum(1 for d in state.values() for x in d["sessions"]
                                             if x["user"] and not x["admin"]),
                    "messages_per_host": sorted({d["messages"] for d in state.values()}),
                    "left_connected": _undisconnected(state),
                    **({} if way.startswith("floor") else task_breakdown(run.tasks)),
                }
            sizes[size] = ways
            _scale_checks(result, profile, targets, size, ways)
        sim_rss, _ = fleet.memory_mib()
        result.figures = {"sessions_per_host": profile.scale_sessions, "forks": profile.forks,
                          "powershell_startup_ms": profile.startup_ms, "latency_ms": profile.latency_ms,
                          "sizes": {str(size): ways for size, ways in sizes.items()},
                          "simulator_rss_mib_after_runs": _r(sim_rss),
                          "simulator_cpu_seconds": _r(fleet.cpu_seconds() - sim_cpu_start)}
    result.check(f"scale: simulator RSS after every run ({max(profile.scale_sizes)} hosts)",
                 result.figures["simulator_rss_mib_after_runs"], "MiB",
                 targets.scale(profile, max(profile.scale_sizes))["simulator_rss"])
    return result


def _scale_checks(result: CaseResult, profile: Profile, targets, size: int, ways: dict[str, dict]) -> None:
    t = targets.scale(profile, size)
    label = f"scale {size}x{profile.scale_sessions}"
    role, disconnect = ways["end_of_day_role"], ways["session_disconnect"]
    floor1, floor2 = ways["floor_one_raw"], ways["floor_two_raw"]
    for way, data in ways.items():
        result.report(f"{label}: {way}: wall time", data["wall_seconds"], "s")
    result.check(f"{label}: session_disconnect: sessions left connected", disconnect["left_connected"], "",
                 targets.equal(0, "the run must do the work it is timed for"))
    result.check(f"{label}: end_of_day role: sessions left connected", role["left_connected"], "",
                 targets.equal(0, "the run must do the work it is timed for"))
    result.check(f"{label}: session_disconnect: agent commands per host", max(disconnect["commands_per_host"]), "",
                 targets.equal(2, f"read, then act ({disconnect['commands_per_host']})"))
    result.check(f"{label}: end_of_day role: agent commands per host", max(role["commands_per_host"]), "",
                 targets.equal(4, f"warning (2) + disconnect (2) ({role['commands_per_host']})"))
    result.check(f"{label}: role / floor of two raw tasks", _r(role["wall_seconds"] / floor2["wall_seconds"], 2),
                 "x", t["role_vs_floor"])
    agents = ways["two_agent_tasks"]
    result.check(f"{label}: two bare agent tasks: agent commands per host", max(agents["commands_per_host"]), "",
                 targets.equal(4, f"the role's two tasks, bare ({agents['commands_per_host']})"))
    result.report(f"{label}: two bare agent tasks / floor of two raw tasks",
                  _r(agents["wall_seconds"] / floor2["wall_seconds"], 2), "x")
    result.report(f"{label}: role / two bare agent tasks", _r(role["wall_seconds"] / agents["wall_seconds"], 2), "x")
    result.check(f"{label}: session_disconnect / floor of one raw task",
                 _r(disconnect["wall_seconds"] / floor1["wall_seconds"], 2), "x", t["disconnect_vs_floor"])
    if "naive_loop" in ways:
        naive = ways["naive_loop"]
        result.check(f"{label}: naive loop: sessions left connected", naive["left_connected"], "",
                     targets.equal(0, "the same work as session_disconnect"))
        result.check(f"{label}: naive loop / session_disconnect", _r(naive["wall_seconds"] / disconnect["wall_seconds"], 2),
                     "x", t["naive_vs_disconnect"])
    result.check(f"{label}: end_of_day role: controller CPU per host", _r(role["controller_cpu_seconds"] / size, 3),
                 "s", t["role_cpu_per_host"])
    result.check(f"{label}: end_of_day role: controller peak PSS (sum)", role["controller_peak_pss_mib"], "MiB",
                 t["role_pss"])
