"""`make bench`: speed, memory and cost of the collection against a simulated fleet.

Runs, on this machine:
  1. capacity  the simulator alone, 500 hosts x 25 sessions (tools/fleet_capacity.py);
  2. cost      agent commands and WS-Man messages per host, 5 against 50 sessions per host;
  3. grace     the role with a 1 s grace period on 50 and 100 hosts: what deciding to wait
               costs on top of the wait;
  4. scale     one fleet of 500 MultiPoint 2016 hosts x 25 sessions (PowerShell start-up 500 ms,
               forks 50); over its first 50, 100, 200 and 500 hosts: Ansible's floor (one and two
               raw tasks per host), session_disconnect with filters, the end_of_day role
               (playbooks/end_of_day.yml, warning, grace 0, report) and the naive loop (one raw
               Disconnect-WmsSession per session).
Prints a table, writes every figure to .bench/results.json, draws docs/benchmarks.png (wall time
against fleet size) and exits 1 when a target is missed (2 when a measurement could not be
taken). Targets and their reasons: docs/benchmarks.md.

    .venv/bin/python tools/bench.py            # everything: about 15 minutes on 2 cores
    .venv/bin/python tools/bench.py --quick    # scale on 50 and 100 hosts: 3-4 minutes
    .venv/bin/python tools/bench.py --only scale --sizes 200
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

CASES = ("capacity", "cost", "grace", "scale")
DEFAULT_WORK = REPO / ".bench"
PLOT = REPO / "docs" / "benchmarks.png"


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
    if "cost" in only:
        plan.append(("cost", lambda: bench_cases.cost(profile, work / "cost", targets)))
    if "grace" in only:
        for hosts in profile.grace_sizes:
            plan.append((f"grace_{hosts}", lambda hosts=hosts: bench_cases.grace(
                profile, work / f"grace_{hosts}", targets, hosts)))
    if "scale" in only:
        plan.append(("scale", lambda: bench_cases.scale(profile, work / "scale", targets)))

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
    """Wall time of every way at every size, as a multiple of Ansible's floor; the grace decision's growth."""
    by_case = {r.case: r.figures for r in results if "error" not in r.figures}
    out: dict[str, dict] = {}
    for size, ways in (by_case.get("scale", {}).get("sizes") or {}).items():
        floor2 = ways["floor_two_raw"]["wall_seconds"]
        out[f"scale_{size}"] = {
            "wall_seconds": {way: data["wall_seconds"] for way, data in ways.items()},
            "times_floor_of_two_raw": {way: round(data["wall_seconds"] / floor2, 2) for way, data in ways.items()},
            "role_task_seconds": {t["task"]: t["seconds"] for t in ways["end_of_day_role"].get("tasks", [])},
        }
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
        ratios = ", ".join(f"{way} {ratio}x" for way, ratio in a["times_floor_of_two_raw"].items())
        lines.append(f"  {case}, wall time as a multiple of two raw tasks per host: {ratios}")
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
                        help="smaller run: scale on 50 and 100 hosts, grace on 50")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="sizes to use (default: full)")
    parser.add_argument("--only", action="append", choices=CASES,
                        help="run only this measurement (repeat for more)")
    parser.add_argument("--forks", type=int, help="ansible forks (default 50; targets assume 50)")
    parser.add_argument("--sizes", type=int, action="append", metavar="N",
                        help="scale over the first N hosts instead of the profile's sizes (repeat)")
    parser.add_argument("--plot", type=Path, default=PLOT,
                        help="where to draw wall time against fleet size (default: docs/benchmarks.png)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help="folder for fleets, logs and reports (default: .bench)")
    parser.add_argument("--out", type=Path, help="results file (default: <work>/results.json)")
    args = parser.parse_args(argv)

    profile = PROFILES[args.profile or ("quick" if args.quick else "full")]
    if args.forks:
        profile = dataclasses.replace(profile, forks=args.forks)
    if args.sizes:
        profile = dataclasses.replace(profile, scale_sizes=tuple(args.sizes), naive_sizes=tuple(args.sizes))
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

    if any(r.case == "scale" and "error" not in r.figures for r in results) and profile.name == "full":
        try:
            import bench_plot
        except ImportError as err:  # matplotlib: make bench installs requirements-bench.txt
            print(f"no plot: {err}")
        else:
            print(f"plot: {bench_plot.draw(document, args.plot)}")

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
