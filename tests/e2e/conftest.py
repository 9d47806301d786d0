"""End-to-end tests: ansible-playbook -> winrm -> pywinrm -> HTTP(S) -> wmssim."""

from __future__ import annotations

import pytest

from .simfleet import SimFleet


@pytest.fixture(scope="module")
def fleet(request, tmp_path_factory) -> SimFleet:
    """One fleet for the test module, from its ``SCENARIO``; stopped by its pid at the end."""
    name = request.module.__name__.rpartition(".")[2]
    started = SimFleet(tmp_path_factory.mktemp(name), request.module.SCENARIO).start()
    yield started
    started.stop()


@pytest.fixture
def sim(fleet: SimFleet) -> SimFleet:
    """The module's fleet, every host back as the scenario describes it."""
    fleet.reset()
    return fleet


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
