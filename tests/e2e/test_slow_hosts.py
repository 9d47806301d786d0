"""A slow host through the whole ansible stack: several Receives, each one a w:TimedOut, then the answer."""

from __future__ import annotations

import time

SCENARIO = {
    "defaults": {"generation": "2016", "auth": "ntlm"},
    "hosts": [
        {"name": "slow-2016", "faults": {"slow_ms": 2600},
         "sessions": [{"id": 2, "user": "alice", "domain": "LAB", "station": 1, "state": "Active"}]},
        {"name": "fast-2012", "generation": "2012",
         "sessions": [{"id": 2, "user": "bob", "domain": "LAB", "station": 1, "state": "Active"}]},
    ],
}

PLAY = """
- name: Read and disconnect on a slow and a fast host
  hosts: wms
  gather_facts: false
  vars:
    # The client gives up each Receive after 1 s and asks again, as ansible does on a w:TimedOut.
    ansible_winrm_operation_timeout_sec: 1
    ansible_winrm_read_timeout_sec: 3
  tasks:
    - name: Read sessions
      multipoint.wms.session_info:
    - name: Disconnect session 2
      multipoint.wms.session_disconnect:
        session_id: 2
"""


def test_slow_host_answers_across_several_receives(sim_fleet):
    fleet = sim_fleet(SCENARIO)
    started = time.monotonic()
    run = fleet.playbook(PLAY)
    elapsed = time.monotonic() - started
    assert run.rc == 0, run.stdout[-3000:]
    state = fleet.state()
    slow, fast = state["slow-2016"], state["fast-2012"]
    # Two commands; each took 2.6 s against a 1 s operation timeout: at least 3 Receives each.
    assert slow["commands"] == 2 and slow["messages_by_action"]["Receive"] >= 6
    assert fast["messages_by_action"]["Receive"] == 2
    assert run.one("Read sessions", "slow-2016")["result"]["sessions"][0]["user"] == "alice"
    assert run.one("Disconnect session 2", "slow-2016")["result"]["disconnected"] == [2]
    assert [s["state"] for s in slow["sessions"] if s["id"] == 2] == ["Disconnected"]
    assert elapsed >= 5.2
