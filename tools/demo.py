"""`make demo`: rehearse and run the end-of-day playbook against a simulated fleet.

1. start wmssim with wmssim/scenarios/demo.yml (36 hosts, both MultiPoint generations, one RDS
   host, three hosts in trouble) and wait for its inventory;
2. run playbooks/end_of_day.yml with --check (nothing changes), then for real;
3. print where the reports are and what the simulator saw;
4. stop the simulator (by its own process id), whatever happened.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from wmssim.fleet.running import FleetError, RunningFleet

REPO = Path(__file__).resolve().parent.parent
AGENT_DIR = REPO / "plugins" / "plugin_utils"
WORK = REPO / ".demo"
SCENARIO = REPO / "wmssim" / "scenarios" / "demo.yml"
PLAYBOOK = REPO / "playbooks" / "end_of_day.yml"
FORKS = 40
# The playbook says 300 s of grace and 60 s of timeout; the demo does not make you wait that long.
DEMO_VARS = {"end_of_day_grace_seconds": 5, "end_of_day_timeout": 10}


def playbook(fleet: RunningFleet, *, check: bool = False) -> int:
    """Run the end-of-day playbook against the fleet, its output on the terminal; its exit code."""
    extra_vars = {"end_of_day_report_dir": str(WORK / "reports"), **DEMO_VARS}
    print(f"\n$ ansible-playbook -i {fleet.inventory.relative_to(REPO)} {PLAYBOOK.relative_to(REPO)} -f {FORKS}"
          f"{' --check' if check else ''} -e '{json.dumps(extra_vars)}'", flush=True)
    started = time.monotonic()
    rc = fleet.playbook(PLAYBOOK, check=check, forks=FORKS, extra_vars=extra_vars, echo=True).rc
    print(f"(ansible-playbook exit code {rc}, {time.monotonic() - started:.1f} s)", flush=True)
    return rc


def disconnected_count(state: dict) -> int:
    return sum(1 for host in state.values() for s in host.get("sessions", []) if s.get("state") == "Disconnected")


def main() -> int:
    WORK.mkdir(exist_ok=True)
    print("Starting a simulated fleet of MultiPoint servers (wmssim/scenarios/demo.yml) ...", flush=True)
    fleet = RunningFleet(WORK / "wmssim", SCENARIO, agent_bootstrap=AGENT_DIR / "wms_bootstrap.ps1",
                         agent_script=AGENT_DIR / "wms_agent.ps1", ansible_config=REPO / "ansible.cfg",
                         playbook_cwd=REPO)
    try:
        fleet.start(timeout=60)
    except FleetError as err:
        raise SystemExit(f"the simulated fleet did not start: {err}") from None
    try:
        before = fleet.state()
        print(f"{len(before)} hosts listening on 127.0.0.1; {disconnected_count(before)} sessions disconnected so far.")
        print("\n=== 1. Rehearsal: --check (nothing is sent, nothing is disconnected) ===")
        playbook(fleet, check=True)
        after_check = fleet.state()
        changed = [h for h in before if before[h].get("sessions") != after_check[h].get("sessions")]
        print(f"Simulator: sessions changed by the rehearsal on {len(changed)} hosts (expected 0).")
        print("\n=== 2. The real run ===")
        rc = playbook(fleet)
        after = fleet.state()
        print(f"\nSimulator: {disconnected_count(after) - disconnected_count(before)} sessions disconnected by the run.")
        reports = sorted((WORK / "reports").glob("end-of-day-*"), key=lambda p: p.stat().st_mtime)
        print("Reports (JSON for machines, Markdown for people):")
        for path in reports[-4:]:
            print(f"  {path.relative_to(REPO)}")
        if rc not in (0, 2):
            print(f"ansible-playbook failed unexpectedly (exit code {rc})")
            return 1
        if rc == 2:
            print("Exit code 2 is expected: mps-down, mps-denied and mps-stuck are broken on purpose and the report says why.")
        return 0
    finally:
        fleet.stop()
        print("Simulated fleet stopped.")


if __name__ == "__main__":
    raise SystemExit(main())
