"""Bad input to the end_of_day role fails on the controller, before any host is contacted.

One small simulated fleet (MultiPoint 2012, 2016 and a plain RDS host), reset before each case;
the simulator's counters of WS-Man messages and commands must stay at 0, in check mode too, no
report may be written, and the error must name the variable that is wrong.
"""

from __future__ import annotations

import json

import pytest

SCENARIO = """
description: end_of_day bad input - nothing may reach these hosts
defaults: {generation: "2016", auth: basic, powershell_startup_ms: 0, latency_ms: 0}
hosts:
  - name: mps-2012
    generation: "2012"
    sessions:
      - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
  - name: mps-2016
    auth: ntlm
    sessions:
      - {id: 2, user: bob, domain: LAB, station: 1, state: Active}
  - name: rds-01
    generation: "none"
    sessions:
      - {id: 2, user: carol, domain: LAB, client: PC-01, state: Active}
"""
HOSTS = ["mps-2012", "mps-2016", "rds-01"]

PLAY = """
- name: End of day
  hosts: wms
  gather_facts: false
  roles:
    - role: multipoint.wms.end_of_day
"""

# (the bad value, run with --check, text the message must hold besides the variable's name)
BAD_INPUT = [
    ({"end_of_day_timeout": 0}, False, "1 to 3600"),
    ({"end_of_day_timeout": 0}, True, "1 to 3600"),
    ({"end_of_day_grace_seconds": -1}, False, "0 to 86400"),
    ({"end_of_day_users": ["LAB\\alice", "a\\b\\c"]}, False, "'a\\b\\c' has more than one backslash"),
    ({"end_of_day_exclude_users": ["LAB\\"]}, True, "both sides"),
    ({"end_of_day_states": ["Bogus"]}, True, "Bogus"),
    ({"end_of_day_states": []}, False, "empty"),
    ({"end_of_day_run_id": "../evil"}, True, "letters, digits"),
    # A string where a list belongs: ansible's own check lets it through.
    ({"end_of_day_exclude_users": "LAB\\teacher"}, False, "give a list, for example"),
    # Exclusions that could never match protect nobody: a TAB from YAML's "\t", a DNS domain.
    ({"end_of_day_exclude_users": ["LAB\teacher01"]}, False, "control character (TAB)"),
    ({"end_of_day_exclude_users": ["teacher@lab.example.com"]}, True, "DNS domain"),
    # A warning the module would refuse must stop the run, not skip the warning.
    ({"end_of_day_warning_text": ["a", "b"]}, False, "got a list; give a string"),
    ({"end_of_day_warning_text": "   "}, False, "blank"),
    ({"end_of_day_warning_text": "x" * 10001}, False, "10001 characters"),
    ({"end_of_day_warning_title": "t" * 300}, True, "300 characters"),
    ({"end_of_day_unwarned": "panic"}, False, "disconnect, leave"),
    ({"end_of_day_fail_hosts": [True]}, False, "got a list; give true or false"),
    ({"end_of_day_exclude_admins": {"yes": 1}}, True, "got a dictionary; give true or false"),
]



@pytest.mark.parametrize(("bad", "check", "says"), BAD_INPUT, ids=[
    f"{next(iter(b))}={str(next(iter(b.values())))[:20]!r}{'-check' if c else ''}" for b, c, _ in BAD_INPUT])
def test_bad_input_fails_before_any_host_is_contacted(fleet, tmp_path, bad, check, says):
    fleet.reset()
    report_dir = tmp_path / "reports"
    values = {"end_of_day_report_dir": str(report_dir), "end_of_day_warning_text": "Closing",
              "end_of_day_grace_seconds": 1, **bad}
    run = fleet.playbook(PLAY, check=check, extra_vars=values)
    assert run.rc == 2, run.stdout[-3000:]
    state = fleet.state()
    for name in HOSTS:
        assert state[name]["messages"] == 0 and state[name]["commands"] == 0, name
        assert state[name]["events"] == []
    assert not report_dir.exists() or list(report_dir.iterdir()) == []
    assert [r for r in run.results if r["action"].startswith("multipoint.wms.session_")] == []
    failed = [r for r in run.results if r["status"] == "failed"]
    assert failed, run.stdout[-3000:]
    key = next(iter(bad))
    assert all(key in r["result"]["msg"] and says in r["result"]["msg"] for r in failed), \
        f"the error should name {key} and say {says!r}: {[r['result']['msg'] for r in failed]}"
    assert "_AnsibleTagged" not in run.stdout and "<class" not in run.stdout


def test_an_unwritable_report_folder_stops_the_run_before_any_host_is_contacted(fleet, tmp_path):
    fleet.reset()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the report folder should be")
    run = fleet.playbook(PLAY, extra_vars={"end_of_day_report_dir": str(blocked / "reports"),
                                           "end_of_day_warning_text": "Closing", "end_of_day_grace_seconds": 1})
    assert run.rc == 2, run.stdout[-3000:]
    assert all(state["commands"] == 0 for state in fleet.state().values())
    (failed,) = [r for r in run.results if r["status"] == "failed"]
    assert "end_of_day_report_dir: cannot write the report" in failed["result"]["msg"]
    assert "nothing has been sent or disconnected yet" in failed["result"]["msg"]


def test_good_input_reaches_every_host(fleet, tmp_path):
    """The counterpart: the same play with valid values does reach the hosts (the counters work)."""
    fleet.reset()
    run = fleet.playbook(PLAY, check=True, extra_vars={
        "end_of_day_report_dir": str(tmp_path), "end_of_day_users": ["LAB\\*"], "end_of_day_timeout": 1})
    assert run.rc == 0, run.stdout[-3000:]
    state = fleet.state()
    assert all(state[name]["commands"] > 0 for name in HOSTS)
    report = json.loads(next(tmp_path.glob("*-check.json")).read_text())
    assert sorted(report["hosts"]) == HOSTS and report["summary"]["sessions_disconnected"] == 3
