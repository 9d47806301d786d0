"""The ansible-test integration targets (tests/integration/targets) against simulated hosts.

The targets are written for a real Windows host (``ansible-test windows-integration``); running
them here too, on every MultiPoint generation, keeps them from rotting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "tests" / "integration" / "targets"
SCENARIO = {
    "defaults": {"auth": "ntlm", "sessions": [
        {"id": 2, "user": "alice", "domain": "LAB", "station": 1, "state": "Active"},
        {"id": 3, "user": "itadmin", "domain": "LAB", "station": 0, "client": "IT-01", "admin": True,
         "state": "Active"}]},
    "hosts": [{"name": "win-2012", "generation": "2012"}, {"name": "win-2016", "generation": "2016"},
              {"name": "win-rds", "generation": "none"}],
}


@pytest.mark.parametrize("target", sorted(p.name for p in TARGETS.iterdir()))
def test_integration_target_passes_on_every_generation(sim, target):
    assert (TARGETS / target / "aliases").read_text().splitlines()[0] == "windows"
    run = sim.playbook(f"- hosts: wms\n  gather_facts: false\n  roles:\n    - role: {target}\n",
                       env={"ANSIBLE_ROLES_PATH": str(TARGETS)})
    assert run.rc == 0, run.stdout[-4000:]
    recap = run.recap()
    assert sorted(recap) == ["win-2012", "win-2016", "win-rds"]
    assert all(counts["failed"] == 0 and counts["unreachable"] == 0 for counts in recap.values()), recap
    # The targets disconnect nobody and send no message to anybody, on any host.
    state = sim.state()
    assert all(host["events"] == [] for host in state.values()), {n: h["events"] for n, h in state.items()}
