"""ansible-playbook with the real winrm connection against a small simulated fleet.

Basic over HTTP, NTLM with message encryption over HTTP, HTTPS with CA validation, and a host
that is down: the down host is UNREACHABLE while the others run their raw one-liners, and
``wmssim state`` afterwards shows what the one-liners did.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wmssim.fleet.playbooks import Playbook
from wmssim.fleet.running import RunningFleet

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
PASSWORD = "Ansible-Fleet-9"

SCENARIO = f"""
defaults:
  username: admin
  password: "{PASSWORD}"
  generation: "2016"
hosts:
  - name: basic-2016
    auth: basic
    sessions:
      - {{id: 2, user: alice, domain: LAB, station: 1, state: Active}}
      - {{id: 3, user: bob, domain: LAB, station: 2, state: Active}}
  - name: ntlm-2012
    generation: "2012"
    auth: ntlm
    sessions:
      - {{id: 2, user: carol, domain: LAB, station: 1, state: Active}}
      - {{id: 3, user: dave, domain: LAB, station: 2, state: Active}}
  - name: https-2016
    auth: https
    https_auth: ntlm
    sessions:
      - {{id: 2, user: erin, domain: LAB, station: 1, state: Active}}
      - {{id: 5, user: frank, domain: LAB, station: 0, client: PC-05, state: Idle}}
  - name: down-01
    faults: {{down: true}}
"""

PLAYBOOK = """
- name: one-liners against the simulated fleet
  hosts: wms
  gather_facts: false
  vars:
    expected:
      basic-2016: {ids: [2, 3], users: [alice, bob]}
      https-2016: {ids: [2, 5], users: [erin, frank]}
  tasks:
    - name: list sessions on a 2016 host
      ansible.builtin.raw: Get-WmsSession -All | ConvertTo-Json
      register: listed
      when: wmssim_generation == "2016"

    - name: the sessions come back as JSON
      ansible.builtin.assert:
        that:
          - listed.rc == 0
          - (listed.stdout | from_json | map(attribute="SessionId") | list) == expected[inventory_hostname].ids
          - (listed.stdout | from_json | map(attribute="UserName") | list) == expected[inventory_hostname].users
      when: wmssim_generation == "2016"

    - name: disconnect session 3 on the 2012 host
      ansible.builtin.raw: Disconnect-WmsSession -SessionId 3
      register: disconnected
      when: wmssim_generation == "2012"

    - name: the disconnect succeeded
      ansible.builtin.assert:
        that:
          - disconnected.rc == 0
      when: wmssim_generation == "2012"
"""


def wmssim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wmssim", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def fleet(tmp_path):
    """A running ``wmssim serve``; stopped with SIGTERM by its own process id."""
    running = RunningFleet(tmp_path, SCENARIO)
    try:
        yield running.start(timeout=60).inventory
    finally:
        assert running.stop(timeout=20) == 0
        assert PASSWORD not in running.output.read_text()
        assert PASSWORD not in (running.state_dir / "wmssim.log").read_text()


def test_ansible_playbook_over_winrm(fleet, tmp_path):
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK)
    run = Playbook(fleet, playbook, tmp_path, forks=4).run(timeout=300)
    output = run.stdout + run.stderr
    stats = run.recap()
    assert set(stats) == {"basic-2016", "ntlm-2012", "https-2016", "down-01"}, output
    assert stats["down-01"]["unreachable"] == 1, output
    for name in ("basic-2016", "ntlm-2012", "https-2016"):
        assert stats[name]["unreachable"] == 0 and stats[name]["failed"] == 0, output
        assert stats[name]["ok"] == 2 and stats[name]["skipped"] == 2, output
    assert run.rc == 4, output  # 4: some host was unreachable, none failed
    assert PASSWORD not in output
    # The harness recorded every result and every task.
    assert {r["host"] for r in run.of("disconnect session 3 on the 2012 host")} == {
        "basic-2016", "ntlm-2012", "https-2016"}
    assert run.one("list sessions on a 2016 host", "down-01")["status"] == "unreachable"
    assert [t["task"] for t in run.tasks] == [
        "list sessions on a 2016 host", "the sessions come back as JSON",
        "disconnect session 3 on the 2012 host", "the disconnect succeeded"]

    result = wmssim("state", "--inventory", str(fleet))
    assert result.returncode == 0, result.stderr
    hosts = json.loads(result.stdout)["hosts"]
    def user_sessions(name: str) -> dict[int, str]:
        return {s["id"]: s["state"] for s in hosts[name]["sessions"] if s["user"]}

    assert user_sessions("ntlm-2012") == {2: "Active", 3: "Disconnected"}
    changes = [(e["session"], e["from"], e["to"]) for e in hosts["ntlm-2012"]["events"]]
    assert changes == [(3, "Active", "Disconnected")]
    assert hosts["ntlm-2012"]["commands"] == 1
    # Listing changed nothing.
    assert user_sessions("basic-2016") == {2: "Active", 3: "Active"}
    assert user_sessions("https-2016") == {2: "Active", 5: "Idle"}
    for name in ("basic-2016", "https-2016", "ntlm-2012"):
        assert hosts[name]["commands"] == 1
        assert hosts[name]["messages"] >= 5  # Create, Command, Receive (1 or more), Signal, Delete
    for name in ("basic-2016", "https-2016"):
        assert hosts[name]["events"] == []
    assert hosts["down-01"]["down"] is True
    assert hosts["down-01"]["messages"] == 0


def test_inventory_is_what_ansible_reads(fleet):
    """ansible-inventory sees every host in group wms with the winrm variables."""
    run = subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(fleet), "--list"], capture_output=True,
                         text=True, timeout=120, cwd=fleet.parent, env=dict(os.environ))
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert sorted(data["wms"]["hosts"]) == ["basic-2016", "down-01", "https-2016", "ntlm-2012"]
    hostvars = data["_meta"]["hostvars"]
    assert hostvars["https-2016"]["ansible_winrm_scheme"] == "https"
    assert hostvars["ntlm-2012"]["wmssim_control"].startswith("http://127.0.0.1:")
    assert yaml.safe_load(fleet.read_text())["all"]["vars"]["wmssim_pid"] > 0
