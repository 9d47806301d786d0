"""End-to-end tests: ansible-playbook -> winrm -> pywinrm -> HTTP(S) -> wmssim."""

from __future__ import annotations

import pytest

from .simfleet import SimFleet


@pytest.fixture
def sim_fleet(tmp_path):
    """Start a fleet from a scenario (dict or YAML text); every fleet is stopped at the end."""
    fleets: list[SimFleet] = []

    def start(scenario, name: str = "fleet") -> SimFleet:
        fleet = SimFleet(tmp_path / name, scenario).start()
        fleets.append(fleet)
        return fleet

    yield start
    for fleet in fleets:
        fleet.stop()
