"""End-to-end tests: ansible-playbook -> winrm -> pywinrm -> HTTP(S) -> wmssim.

Every fleet runs the collection's own bootstrap and agent (wmssim is given their files, so a
stale copy is refused) and every playbook runs from the repository with its ansible.cfg.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from wmssim.fleet.running import RunningFleet

REPO = Path(__file__).resolve().parents[2]
AGENT_DIR = REPO / "plugins" / "plugin_utils"


def new_fleet(workdir: Path, scenario: dict | str) -> RunningFleet:
    """A fleet for one test; without a cost of its own, a command starts at once (0 ms)."""
    if isinstance(scenario, dict):
        scenario = dict(scenario, defaults={"powershell_startup_ms": 0, **scenario.get("defaults", {})})
    return RunningFleet(workdir, scenario, agent_bootstrap=AGENT_DIR / "wms_bootstrap.ps1",
                        agent_script=AGENT_DIR / "wms_agent.ps1", ansible_config=REPO / "ansible.cfg",
                        playbook_cwd=REPO)


@pytest.fixture(scope="module")
def fleet(request, tmp_path_factory) -> RunningFleet:
    """One fleet for the test module, from its ``SCENARIO``; stopped by its pid at the end."""
    name = request.module.__name__.rpartition(".")[2]
    started = new_fleet(tmp_path_factory.mktemp(name), request.module.SCENARIO).start()
    yield started
    started.stop()


@pytest.fixture
def sim(fleet: RunningFleet) -> RunningFleet:
    """The module's fleet, every host back as the scenario describes it."""
    fleet.reset()
    return fleet


@pytest.fixture
def sim_fleet(tmp_path):
    """Start a fleet from a scenario (dict or YAML text); every fleet is stopped at the end."""
    fleets: list[RunningFleet] = []

    def start(scenario, name: str = "fleet") -> RunningFleet:
        fleet = new_fleet(tmp_path / name, scenario).start()
        fleets.append(fleet)
        return fleet

    yield start
    for fleet in fleets:
        fleet.stop()
