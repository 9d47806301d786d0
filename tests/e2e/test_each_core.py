"""The subset `make test` runs on every supported ansible-core (2.16 to 2.19), each in its own venv.

Each module once, the role on a small mixed fleet with one fault, and one bad input: enough to see
that each version's winrm connection (2.18 and earlier wrap the command line once more), its
argument validation and its task results work with the collection. The full suite runs on 2.19.
"""

from __future__ import annotations

import json
from pathlib import Path

from ansible.release import __version__ as ANSIBLE_VERSION

SCENARIO = r"""
description: the same small mixed fleet for every ansible-core version
defaults:
  auth: basic
  sessions:
    - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
    - {id: 3, user: bob, domain: LAB, station: 2, state: Idle}
    - {id: 4, user: teacher, domain: LAB, station: 3, admin: true, state: Active}
    - {id: 5, user: carol, domain: LAB, station: 4, state: Disconnected}
hosts:
  - {name: mp2012, generation: "2012", auth: ntlm}
  - {name: mp2016, generation: "2016"}
  - {name: rds, generation: "none"}
  - {name: broken, generation: "2016", faults: {http_500: Create}}
"""
WORKING = ("mp2012", "mp2016", "rds")


def _state(sim, host: str, sid: int) -> str:
    return next(s["state"] for s in sim.state()[host]["sessions"] if s["id"] == sid)


def test_session_info_lists_every_user_session(sim):
    run = sim.playbook("""
- hosts: mp2012,mp2016,rds
  gather_facts: false
  tasks:
    - name: info
      multipoint.wms.session_info:
""")
    assert run.rc == 0, run.stdout[-3000:]
    for host in WORKING:
        result = run.one("info", host)["result"]
        assert [s["id"] for s in result["sessions"]] == [2, 3, 4, 5], ANSIBLE_VERSION
        assert result["generation"] == {"mp2012": "2012", "mp2016": "2016", "rds": "none"}[host]


def test_session_message_reaches_the_selected_sessions(sim):
    run = sim.playbook("""
- hosts: mp2012,mp2016,rds
  gather_facts: false
  tasks:
    - name: warn
      multipoint.wms.session_message:
        all: true
        exclude_admins: true
        text: Please save your work.
""")
    assert run.rc == 0, run.stdout[-3000:]
    for host in WORKING:
        sessions = {s["id"]: s for s in sim.state()[host]["sessions"]}
        assert [m["text"] for m in sessions[2]["messages"]] == ["Please save your work."]
        assert sessions[4]["messages"] == []


def test_session_disconnect_check_mode_then_real_then_unchanged(sim):
    play = """
- hosts: mp2012,mp2016,rds
  gather_facts: false
  tasks:
    - name: disconnect
      multipoint.wms.session_disconnect:
        session_id: [2, 3, 5]
"""
    checked = sim.playbook(play, check=True)
    assert checked.rc == 0, checked.stdout[-3000:]
    assert all(_state(sim, host, 2) == "Active" for host in WORKING)
    first = sim.playbook(play)
    assert first.rc == 0, first.stdout[-3000:]
    again = sim.playbook(play)
    for host in WORKING:
        assert checked.one("disconnect", host)["result"]["changed"] is True
        result = first.one("disconnect", host)["result"]
        assert (result["changed"], result["disconnected"], result["unchanged"]) == (True, [2, 3], [5])
        assert _state(sim, host, 2) == _state(sim, host, 3) == "Disconnected"
        assert again.one("disconnect", host)["result"]["changed"] is False


def test_bad_input_fails_before_any_host_is_contacted(sim):
    run = sim.playbook("""
- hosts: mp2016
  gather_facts: false
  tasks:
    - name: bad
      multipoint.wms.session_disconnect:
        session_id: [0]
        tiemout: 5
""", check=True)
    message = run.one("bad", "mp2016")["result"]["msg"]
    assert run.rc == 2 and "tiemout" in message, message
    assert sim.state()["mp2016"]["commands"] == 0


def test_role_reports_every_host_of_a_mixed_fleet_with_a_fault(sim, tmp_path: Path):
    reports = tmp_path / "reports"
    run = sim.playbook("""
- hosts: wms
  gather_facts: false
  roles:
    - role: multipoint.wms.end_of_day
""", extra_vars={"end_of_day_report_dir": str(reports), "end_of_day_grace_seconds": 0,
                 "end_of_day_warning_text": "Closing now.", "end_of_day_exclude_users": ["*\\teacher"]})
    assert run.rc == 2, run.stdout[-3000:]  # the broken host fails the play
    (report_file,) = reports.glob("end-of-day-*.json")
    report = json.loads(report_file.read_text())
    statuses = {name: host["status"] for name, host in report["hosts"].items()}
    assert statuses == {"mp2012": "changed", "mp2016": "changed", "rds": "changed", "broken": "unreachable"}
    assert "500" in report["hosts"]["broken"]["reason"]
    for host in WORKING:
        assert _state(sim, host, 2) == "Disconnected" and _state(sim, host, 4) == "Active"
