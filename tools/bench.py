"""`make bench`: speed, memory and cost of the collection against a simulated fleet.

Runs, on this machine:
  1. capacity    the simulator alone, 500 hosts x 25 sessions (tools/fleet_capacity.py);
  2. end_of_day  playbooks/end_of_day.yml (warning, grace 0, disconnect, report) over 100 and 500
                 hosts x 25 sessions, PowerShell start-up 500 ms, forks 50; and 100 hosts with no
                 start-up, to show what ansible itself costs;
  3. cost        agent commands and WS-Man messages per host, 5 against 50 sessions per host;
  4. grace       the role with a 1 s grace period on 50 and 100 hosts: what deciding to wait
                 costs on top of the wait;
  5. naive       raw one-liners (one Disconnect-WmsSession per session) against
                 session_disconnect all=true on 50 hosts x 25 sessions.
Prints a table, writes every figure to .bench/results.json and exits 1 when a target is missed
(2 when a measurement could not be taken). Targets and their reasons: docs/benchmarks.md.

    .venv/bin/python tools/bench.py            # everything: 6-12 minutes on 2 cores
    .venv/bin/python tools/bench.py --quick    # 100-host end of day, smaller runs: 2-3 minutes
    .venv/bin/python tools/bench.py --only cost --only naive
    .venv/bin/python tools/bench.py --only end_of_day --eod-hosts 200 --forks 25   # explore
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

# Run as a script (``python tools/bench.py``): its own folder is first on the import path.
import bench_cases
from bench_cases import PROFILES, CaseResult, Check, Profile
from bench_fleet import REPO, BenchError
from bench_targets import Targets

CASES = ("capacity", "end_of_day", "cost", "grace", "naive")
DEFAULT_WORK = REPO / ".bench"


def machine() -> dict:
    """What the figures were measured on."""
    from ansible.release import __version__ as ansible_version

    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "ansible_core": ansible_version,
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def run_cases(profile: Profile, only: list[str], work: Path, targets: Targets,
              show=print) -> list[CaseResult]:
    """Run the chosen measurements one after the other; a measurement that breaks is a miss."""
    plan = []
    if "capacity" in only:
        plan.append(("capacity", lambda: bench_cases.capacity(profile, work / "capacity", targets)))
    if "end_of_day" in only:
        for hosts in profile.eod_sizes:
            plan.append((f"end_of_day_{hosts}", lambda hosts=hosts: bench_cases.end_of_day(
                profile, work / f"end_of_day_{hosts}", targets, hosts)))
        if profile.eod_floor_size:
            size = profile.eod_floor_size
            plan.append((f"end_of_day_{size}_startup0", lambda: bench_cases.end_of_day(
                profile, work / f"end_of_day_{size}_startup0", targets, size, startup_ms=0,
                label=f"end of day {size}x{profile.eod_sessions}, no PS start-up")))
    if "cost" in only:
        plan.append(("cost", lambda: bench_cases.cost(profile, work / "cost", targets)))
    if "grace" in only:
        for hosts in profile.grace_sizes:
            plan.append((f"grace_{hosts}", lambda hosts=hosts: bench_cases.grace(
                profile, work / f"grace_{hosts}", targets, hosts)))
    if "naive" in only:
        plan.append(("naive", lambda: bench_cases.naive(profile, work / "naive", targets)))

    results = []
    for name, measure in plan:
        show(f"-- {name} ...", flush=True)
        begin = time.monotonic()
        try:
            result = measure()
        except (BenchError, OSError, KeyError, ValueError, subprocess.SubprocessError) as err:
            result = CaseResult(name, figures={"error": str(err)[-4000:]})
            result.checks.append(Check(f"{name}: measurement taken", None, "", "ran", False,
                                       f"{type(err).__name__}: {str(err)[:300]}"))
        result.figures["case_seconds"] = round(time.monotonic() - begin, 1)
        results.append(result)
        show(table(result.checks), flush=True)
    return results


def analysis(results: list[CaseResult]) -> dict:
    """What dominates the end of day, and how the grace decision grows with the fleet."""
    by_case = {r.case: r.figures for r in results if "error" not in r.figures}
    out: dict[str, dict] = {}
    for case, f in by_case.items():
        if not case.startswith("end_of_day_") or case.endswith("_startup0"):
            continue
        entry = {
            "wall_seconds": f["wall_seconds"],
            "agent_task_seconds": f["agent_task_seconds"],
            "startup_floor_seconds": f["startup_floor_seconds"],
            "other_per_host_task_seconds": f["other_per_host_task_seconds"],
            "once_task_seconds": f["once_task_seconds"],
            "startup_floor_share": round(f["startup_floor_seconds"] / f["wall_seconds"], 3),
        }
        floor = by_case.get(f"{case}_startup0")
        if floor:
            entry["wall_seconds_without_startup"] = floor["wall_seconds"]
        out[case] = entry
    grace = sorted((f["hosts"], f["decision_seconds"]) for case, f in by_case.items()
                   if case.startswith("grace_"))
    if len(grace) >= 2 and grace[0][1] > 0:
        (small, t_small), (big, t_big) = grace[0], grace[-1]
        out["grace_decision"] = {
            "hosts": [small, big], "seconds": [t_small, t_big],
            "growth": round(t_big / t_small, 2),
            "growth_if_linear": round(big / small, 2),
            "growth_if_quadratic": round((big / small) ** 2, 2),
        }
    return out


def describe(found: dict) -> list[str]:
    """The analysis in words, for the end of the table."""
    lines = []
    for case, a in found.items():
        if case == "grace_decision":
            lines.append(
                f"  grace decision: {a['seconds'][0]} s at {a['hosts'][0]} hosts, "
                f"{a['seconds'][1]} s at {a['hosts'][1]}: x{a['growth']} "
                f"(linear would be x{a['growth_if_linear']}, quadratic x{a['growth_if_quadratic']})")
            continue
        text = (f"  {case}: {a['wall_seconds']} s; agent tasks {a['agent_task_seconds']} s, of which "
                f"PowerShell start-up at least {a['startup_floor_seconds']} s "
                f"({a['startup_floor_share']:.0%} of the run); other per-host tasks "
                f"{a['other_per_host_task_seconds']} s")
        if "wall_seconds_without_startup" in a:
            text += f"; {a['wall_seconds_without_startup']} s with no start-up at all"
        lines.append(text)
    return lines


def table(checks: list[Check]) -> str:
    rows = [("measurement", "value", "target", "")]
    for c in checks:
        value = "-" if c.value is None else f"{c.value:g}" if isinstance(c.value, float) else str(c.value)
        if c.unit:
            value += f" {c.unit}"
        verdict = {True: "ok", False: "MISS", None: ""}[c.passed]
        rows.append((c.name, value, c.target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"  {a:<{widths[0]}}  {b:>{widths[1]}}  {t:<{widths[2]}}  {v}".rstrip()
                     for a, b, t, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller run: end of day on 100 hosts only, grace on 50, baseline on "
                             "20 hosts")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="sizes to use (default: full)")
    parser.add_argument("--only", action="append", choices=CASES,
                        help="run only this measurement (repeat for more)")
    parser.add_argument("--forks", type=int, help="ansible forks (default 50; targets assume 50)")
    parser.add_argument("--eod-hosts", type=int, action="append", metavar="N",
                        help="end of day over N hosts instead of the profile's sizes (repeat)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help="folder for fleets, logs and reports (default: .bench)")
    parser.add_argument("--out", type=Path, help="results file (default: <work>/results.json)")
    args = parser.parse_args(argv)

    profile = PROFILES[args.profile or ("quick" if args.quick else "full")]
    if args.forks:
        profile = dataclasses.replace(profile, forks=args.forks)
    if args.eod_hosts:
        profile = dataclasses.replace(profile, eod_sizes=tuple(args.eod_hosts), eod_floor_size=0)
    targets = Targets(resource_targets=profile.timing_targets)
    only = args.only or list(CASES)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    out = args.out or work / "results.json"

    started = datetime.now(timezone.utc)
    begin = time.monotonic()
    info = machine()
    print(f"multipoint.wms bench, profile {profile.name}: {info['cpus']} cores, Python "
          f"{info['python']}, ansible-core {info['ansible_core']}, load {info['load_average_at_start']}",
          flush=True)
    results = run_cases(profile, only, work / "runs", targets)
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    checks = [c for r in results for c in r.checks]
    misses = [c for c in checks if c.passed is False]
    broken = [r.case for r in results if "error" in r.figures]
    document = {
        "date": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - begin, 1),
        "machine": info,
        "profile": asdict(profile),
        "passed": not misses,
        "misses": [c.name for c in misses],
        "analysis": analysis(results),
        "cases": [r.as_dict() for r in results],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")

    print("\n== summary ==")
    print(table(checks))
    for line in describe(document["analysis"]):
        print(line)
    print(f"\n{len(checks) - len(misses)} of {len(checks)} rows ok or reported, "
          f"{len(misses)} missed; {document['duration_seconds']} s; results in {out}")
    if broken:
        return 2
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
