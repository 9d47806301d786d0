"""Measure what a big simulated fleet costs: start-up time, memory, and a sample of real clients.

Starts ``wmssim serve`` with a generated scenario (default 500 hosts x 25 sessions),
times how long until the inventory is written, reads the process's memory from /proc, runs
``Get-WmsSession`` with pywinrm on a sample of hosts (some at once, as ansible's forks would),
reads ``wmssim state`` once, stops the fleet with SIGTERM and prints the numbers as JSON.

    .venv/bin/python tools/fleet_capacity.py [--hosts 500] [--sessions 25] [--sample 40]

Not part of the test suite: it takes a while and measures this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import winrm

from wmssim.fleet.running import FleetError, RunningFleet

PASSWORD = "Capacity-Pass-1"

SCENARIO = """\
description: fleet capacity run
defaults: {{username: admin, password: "{password}"}}
generate:
  count: {hosts}
  sessions_per_host: {sessions}
  seed: 7
  generations: {{"2012": 0.3, "2016": 0.6, "none": 0.1}}
  auths: {{ntlm: 0.7, basic: 0.2, https: 0.1}}
  faults: [{{share: 0.01, down: true}}]
"""


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) in KiB, thread count, and open descriptors of a process."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            values[key] = int(rest.split()[0])
    values["open_fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return values


def session_for(host_vars: dict) -> winrm.Session:
    scheme = host_vars["ansible_winrm_scheme"]
    options = {}
    if scheme == "https":
        options = {"server_cert_validation": "validate",
                   "ca_trust_path": host_vars["ansible_winrm_ca_trust_path"]}
    return winrm.Session(
        f"{scheme}://127.0.0.1:{host_vars['ansible_port']}/wsman",
        auth=(host_vars["ansible_user"], host_vars["ansible_password"]),
        transport=host_vars["ansible_winrm_transport"],
        **options,
    )


def probe(name: str, host_vars: dict) -> dict:
    """One Get-WmsSession through pywinrm: its time, exit code and how many sessions came back."""
    script = ("Get-WmsSession | ConvertTo-Json" if host_vars["wmssim_generation"] == "2012"
              else "Get-WmsSession -All | ConvertTo-Json")
    begin = time.monotonic()
    try:
        result = session_for(host_vars).run_ps(script)
    except Exception as exc:  # report, do not stop the measurement
        return {"host": name, "error": f"{type(exc).__name__}: {exc}"[:300],
                "seconds": round(time.monotonic() - begin, 4)}
    seconds = time.monotonic() - begin
    listed = None
    if result.status_code == 0 and result.std_out.strip():
        data = json.loads(result.std_out)
        listed = len(data) if isinstance(data, list) else 1
    return {"host": name, "generation": host_vars["wmssim_generation"],
            "transport": f"{host_vars['ansible_winrm_scheme']}/"
                         f"{host_vars['ansible_winrm_transport']}",
            "rc": result.status_code, "sessions_listed": listed, "seconds": round(seconds, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--sample", type=int, default=40, help="hosts to probe with pywinrm")
    parser.add_argument("--parallel", type=int, default=8, help="probes at once (like forks)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wmssim-capacity-") as temp:
        work = Path(temp)
        scenario = work / "scenario.yml"
        scenario.write_text(SCENARIO.format(hosts=args.hosts, sessions=args.sessions,
                                            password=PASSWORD))
        fleet = RunningFleet(work, scenario)
        try:
            fleet.start(timeout=600)
        except FleetError as err:
            print(err, file=sys.stderr)
            return 1
        try:
            startup = fleet.startup_seconds
            idle = proc_status(fleet.pid)
            hosts = fleet.hostvars
            up = [(name, v) for name, v in hosts.items() if not v.get("wmssim_down")]
            # Get-WmsSession needs the MultiPoint module: probe MultiPoint hosts only.
            multipoint = [(name, v) for name, v in up if v["wmssim_generation"] != "none"]
            step = max(1, len(multipoint) // max(1, args.sample))
            sample = multipoint[::step][: args.sample]
            probe_begin = time.monotonic()
            with ThreadPoolExecutor(args.parallel) as pool:
                results = list(pool.map(lambda item: probe(*item), sample))
            probe_wall = time.monotonic() - probe_begin
            after_probes = proc_status(fleet.pid)

            state_begin = time.monotonic()
            state = fleet.state()
            state_seconds = time.monotonic() - state_begin
            state_bytes = json.dumps({"hosts": state}).encode()
        finally:
            stop_begin = time.monotonic()
            rc = fleet.stop(timeout=120)
            stop_seconds = time.monotonic() - stop_begin

    ok = [r for r in results if r.get("rc") == 0]
    times = sorted(r["seconds"] for r in results if "seconds" in r)
    by_transport: dict[str, list[float]] = {}
    for r in ok:
        by_transport.setdefault(r["transport"], []).append(r["seconds"])
    report = {
        "hosts": len(hosts),
        "hosts_down": len(hosts) - len(up),
        "user_sessions": sum(1 for h in state.values() for s in h["sessions"] if s["user"]),
        "cpus": os.cpu_count(),
        "startup_seconds_until_inventory": round(startup, 3),
        "rss_mib_after_start": round(idle["VmRSS"] / 1024, 1),
        "rss_mib_after_probes": round(after_probes["VmRSS"] / 1024, 1),
        "rss_peak_mib": round(after_probes["VmHWM"] / 1024, 1),
        "threads": after_probes["Threads"],
        "open_fds_after_start": idle["open_fds"],
        "probes": len(results),
        "probes_ok": len(ok),
        "probe_parallel": args.parallel,
        "probe_wall_seconds": round(probe_wall, 3),
        "probe_seconds_median": times[len(times) // 2] if times else None,
        "probe_seconds_max": times[-1] if times else None,
        "probe_seconds_median_by_transport": {
            key: sorted(values)[len(values) // 2] for key, values in sorted(by_transport.items())
        },
        "probe_sessions_listed": sorted({r["sessions_listed"] for r in ok}, key=str),
        "probe_failures": [r for r in results if r.get("rc") != 0][:5],
        "state_seconds": round(state_seconds, 3),
        "state_bytes": len(state_bytes),
        "messages_served": sum(h.get("messages", 0) for h in state.values()),
        "stop_seconds": round(stop_seconds, 3),
        "exit_code": rc,
    }
    print(json.dumps(report, indent=2))
    return 0 if rc == 0 and len(ok) == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
