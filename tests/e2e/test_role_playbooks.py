"""The shipped playbooks, batches and the role's cost per host, through ansible-playbook.

One simulated fleet for the module (reset before each test): a MultiPoint 2012 lab with 3 user
sessions, a 2016 lab with 30, a plain RDS host, a 2016 lab with a teacher and an administrator,
and a host that is down. Covers playbooks/end_of_day.yml, rehearse.yml and large_fleet.yml,
``serial``, and the number of commands per host.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml
from wmssim.fleet.running import event_time

REPO = Path(__file__).resolve().parents[2]

ROLE = "multipoint.wms.end_of_day : "
DISCONNECT = ROLE + "Disconnect every selected session on this host"
GRACE = ROLE + "Give them time to save their work"
FAIL = ROLE + "Fail the hosts that failed or were unreachable, now that the report has them"  # report entry point

BIG_STATES = ["Active", "Idle", "Connected"]
SCENARIO = {
    "description": "end_of_day playbooks e2e: small and large labs, RDS, a teacher, an admin, a down host",
    "defaults": {"generation": "2016", "auth": "basic", "powershell_startup_ms": 0, "latency_ms": 0},
    "hosts": [
        {"name": "lab-small", "generation": "2012", "sessions": [
            {"id": 2, "user": "alice", "domain": "LAB", "station": 1, "state": "Active"},
            {"id": 3, "user": "bob", "domain": "LAB", "station": 2, "state": "Idle"},
            {"id": 4, "user": "teacher01", "domain": "LAB", "station": 3, "state": "Active"},
        ]},
        {"name": "lab-big", "sessions": [
            {"id": i, "user": f"pupil{i:02d}", "domain": "LAB", "station": i - 1, "state": BIG_STATES[i % 3]}
            for i in range(2, 32)
        ]},
        {"name": "lab-down", "faults": {"down": True}},
        {"name": "rds-01", "generation": "none", "auth": "ntlm", "sessions": [
            {"id": 2, "user": "grace", "domain": "LAB", "client": "PC-101", "state": "Active"},
            {"id": 3, "user": "heidi", "domain": "LAB", "client": "PC-102", "state": "Disconnected"},
        ]},
        {"name": "lab-staff", "sessions": [
            {"id": 2, "user": "teacher02", "domain": "LAB", "station": 1, "state": "Active"},
            {"id": 3, "user": "itadmin", "domain": "LAB", "station": 0, "client": "IT-01", "admin": True,
             "state": "Active"},
            {"id": 4, "user": "judy", "domain": "LAB", "station": 2, "state": "Idle"},
        ]},
    ],
}
HOSTS = [h["name"] for h in SCENARIO["hosts"]]
HEALTHY = [h for h in HOSTS if h != "lab-down"]

ROLE_PLAY = """
- name: End of day
  hosts: wms
  gather_facts: false
  roles:
    - role: multipoint.wms.end_of_day
"""



def reports(report_dir: Path) -> list[dict]:
    """Every JSON report in the folder."""
    if not report_dir.exists():
        return []
    return [json.loads(p.read_text()) for p in sorted(report_dir.glob("*.json"))]


def only_report(report_dir: Path) -> dict:
    found = reports(report_dir)
    assert len(found) == 1, sorted(p.name for p in report_dir.iterdir())
    assert len(list(report_dir.glob("*.md"))) == 1
    return found[0]


def user_sessions(host_state: dict) -> dict[int, dict]:
    return {s["id"]: s for s in host_state["sessions"] if s["id"] not in (0, 65536)}


def disconnected_by_events(host_state: dict) -> list[int]:
    return sorted(e["session"] for e in host_state["events"] if e["kind"] == "state" and e["to"] == "Disconnected")


def ids(lines: list[dict]) -> list[int]:
    return sorted(line["id"] for line in lines)


def check_accounts_for_every_host(report: dict, state: dict) -> None:
    """Every host once, no host left 'not run', each disconnect backed by the simulator."""
    assert sorted(report["hosts"]) == sorted(HOSTS)
    for name, entry in report["hosts"].items():
        if name == "lab-down":
            assert entry["status"] == "unreachable" and entry["reason"]
            continue
        assert entry["status"] in ("changed", "unchanged"), (name, entry)
        assert ids(entry["disconnected"]) == disconnected_by_events(state[name]), name
        for line in entry["disconnected"]:
            assert user_sessions(state[name])[line["id"]]["state"] == "Disconnected"
    summary = report["summary"]
    assert summary["hosts"] == len(HOSTS) and summary["not_run"] == 0 and summary["unreachable"] == 1
    assert summary["sessions_disconnected"] == sum(len(h["disconnected"]) for h in report["hosts"].values())


# --- cost per host -----------------------------------------------------------------------------
def test_one_disconnect_task_per_host_whatever_the_number_of_sessions(fleet, tmp_path):
    fleet.reset()
    run = fleet.playbook(ROLE_PLAY, extra_vars={
        "end_of_day_report_dir": str(tmp_path), "end_of_day_warning_text": "Closing", "end_of_day_grace_seconds": 1,
        "end_of_day_timeout": 2, "end_of_day_fail_hosts": False, "end_of_day_exclude_users": ["teacher*"]})
    assert run.rc == 0, run.stdout[-3000:]
    state = fleet.state()
    small, big = state["lab-small"], state["lab-big"]
    assert len(user_sessions(big)) == 30 and len(user_sessions(small)) == 3
    assert disconnected_by_events(big) == list(range(2, 32))
    assert disconnected_by_events(small) == [2, 3]
    # Read + warn, read + disconnect: the same on a host with 3 sessions and one with 30.
    assert small["commands"] == big["commands"] == 4
    assert small["messages"] == big["messages"], (small["messages_by_action"], big["messages_by_action"])
    for host in (small, big):
        assert [r["action"] for r in host["agent_requests"]] == ["inventory", "message", "inventory", "disconnect"]
    assert big["agent_requests"][3]["ids"] == list(range(2, 32))
    assert len(run.of(DISCONNECT)) == len(HOSTS)
    assert len(run.one(DISCONNECT, "lab-big")["result"]["sessions"]) == 30


def test_states_limit_the_warning_to_the_sessions_that_will_be_disconnected(fleet, tmp_path):
    fleet.reset()
    before = fleet.state()
    run = fleet.playbook(ROLE_PLAY, extra_vars={
        "end_of_day_report_dir": str(tmp_path), "end_of_day_warning_text": "Idle sessions close now",
        "end_of_day_grace_seconds": 1, "end_of_day_states": ["Idle"], "end_of_day_fail_hosts": False})
    assert run.rc == 0, run.stdout[-3000:]
    state = fleet.state()
    report = only_report(tmp_path)
    for name in HEALTHY:
        idle = sorted(i for i, s in user_sessions(before[name]).items() if s["state"] == "Idle")
        warned = sorted(i for i, s in user_sessions(state[name]).items() if s["messages"])
        assert warned == idle == disconnected_by_events(state[name]), name
        accounts = sorted(f"LAB\\{user_sessions(before[name])[i]['user']}" for i in idle)
        assert ids(report["hosts"][name]["disconnected"]) == idle, name
        assert sorted(report["hosts"][name]["warned"]) == accounts, name
    assert ids(report["hosts"]["lab-small"]["disconnected"]) == [3]
    assert user_sessions(state["lab-small"])[2]["state"] == "Active"


# --- the shipped playbooks ---------------------------------------------------------------------
def test_rehearse_then_end_of_day_playbooks(fleet, tmp_path):
    fleet.reset()
    overrides = {"end_of_day_report_dir": str(tmp_path), "end_of_day_timeout": 2}
    # The rehearsal keeps the role's grace period (300 s): check mode must not wait it.
    started = time.monotonic()
    rehearsal = fleet.playbook(REPO / "playbooks" / "rehearse.yml", extra_vars=overrides)
    assert time.monotonic() - started < 250
    assert rehearsal.rc == 2, rehearsal.stdout[-3000:]  # the down host fails the rehearsal too
    assert {r["status"] for r in rehearsal.of(GRACE)} == {"skipped"}
    assert sorted(rehearsal.one(ROLE + "Warn the users who are still working", "lab-small")["result"]["sent"]) == [2, 3]
    untouched = fleet.state()
    for name in HEALTHY:
        assert untouched[name]["events"] == [], name
        assert {r["action"] for r in untouched[name]["agent_requests"]} <= {"inventory", "disconnect"}
    rehearsed = only_report(tmp_path)
    assert rehearsed["mode"] == "check"
    assert len(list(tmp_path.glob("*-check.json"))) == len(list(tmp_path.glob("*-check.md"))) == 1

    started = time.monotonic()
    real = fleet.playbook(REPO / "playbooks" / "end_of_day.yml",
                          extra_vars=dict(overrides, end_of_day_grace_seconds=1))
    elapsed = time.monotonic() - started
    assert real.rc == 2, real.stdout[-3000:]
    assert elapsed < 60, "the grace period of the playbook (300 s) is overridden"
    state = fleet.state()
    done = [json.loads(p.read_text()) for p in tmp_path.glob("*.json") if not p.name.endswith("-check.json")]
    assert len(done) == 1 and done[0]["mode"] == "run"
    report = done[0]
    check_accounts_for_every_host(report, state)
    # The rehearsal predicted exactly what the real run did.
    for name in HEALTHY:
        assert ids(rehearsed["hosts"][name]["disconnected"]) == ids(report["hosts"][name]["disconnected"]), name
        assert ids(rehearsed["hosts"][name]["skipped"]) == ids(report["hosts"][name]["skipped"]), name
    assert rehearsed["hosts"]["lab-down"]["status"] == "unreachable"
    # The playbook's own choices: teachers and administrators stay, everyone else was warned first.
    assert ids(report["hosts"]["lab-staff"]["skipped"]) == [2, 3]
    assert ids(report["hosts"]["lab-small"]["skipped"]) == [4]
    text = yaml.safe_load((REPO / "playbooks" / "vars" / "end_of_day.yml").read_text())["end_of_day_warning_text"]
    for name in HEALTHY:
        for sid, session in user_sessions(state[name]).items():
            expected = [text] if sid in ids(report["hosts"][name]["disconnected"]) else []
            assert [m["text"] for m in session["messages"]] == expected, f"{name}/{sid}"


def test_serial_batches_write_one_report_for_the_whole_run(fleet, tmp_path):
    fleet.reset()
    play = ROLE_PLAY.replace("  gather_facts: false\n", "  gather_facts: false\n  serial: 2\n")
    run = fleet.playbook(play, extra_vars={"end_of_day_report_dir": str(tmp_path), "end_of_day_timeout": 2})
    assert run.rc == 2, run.stdout[-3000:]
    assert run.stdout.count("PLAY [End of day]") == 3  # batches of 2, 2 and 1 hosts
    report = only_report(tmp_path)  # every batch rewrote the same run's files
    check_accounts_for_every_host(report, fleet.state())
    assert run.recap()["lab-down"]["failed"] == 1
    assert len(run.of(ROLE + "Write the fleet report (every host of the play, on the controller)")) == 3


def test_a_batch_that_fails_entirely_stops_the_play_but_the_report_keeps_the_rest(fleet, tmp_path):
    """Ansible ends a serial play when every host of a batch failed; the report must say who was
    never worked on (lab-down is third, so with serial 1 its batch fails whole)."""
    fleet.reset()
    play = ROLE_PLAY.replace("  gather_facts: false\n", "  gather_facts: false\n  serial: 1\n")
    run = fleet.playbook(play, extra_vars={"end_of_day_report_dir": str(tmp_path), "end_of_day_timeout": 2})
    assert run.rc == 2, run.stdout[-3000:]
    report = only_report(tmp_path)
    state = fleet.state()
    statuses = {name: entry["status"] for name, entry in report["hosts"].items()}
    assert statuses == {"lab-small": "changed", "lab-big": "changed", "lab-down": "unreachable",
                        "rds-01": "not_run", "lab-staff": "not_run"}
    for name in ("rds-01", "lab-staff"):
        assert state[name]["commands"] == 0 and "did not run" in report["hosts"][name]["reason"]
    assert report["summary"]["not_run"] == 2
    assert "NOT_RUN rds-01" in run.stdout


def test_large_fleet_playbook_free_strategy_then_one_report(fleet, tmp_path):
    fleet.reset()
    run = fleet.playbook(REPO / "playbooks" / "large_fleet.yml", extra_vars={
        "end_of_day_report_dir": str(tmp_path), "end_of_day_timeout": 2})
    assert run.rc == 2, run.stdout[-3000:]
    report = only_report(tmp_path)
    state = fleet.state()
    check_accounts_for_every_host(report, state)
    assert [r["host"] for r in run.of(FAIL) if r["status"] == "failed"] == ["lab-down"]
    # The playbook protects whom end_of_day.yml protects (the same vars/end_of_day.yml: teachers and
    # administrators) and sends no warning.
    assert ids(report["hosts"]["lab-staff"]["skipped"]) == [2, 3]
    assert ids(report["hosts"]["lab-small"]["skipped"]) == [4]
    assert all(not s["messages"] for name in HEALTHY for s in state[name]["sessions"])
    assert report["summary"]["sessions_disconnected"] == 2 + 30 + 1 + 1


def test_two_plays_of_one_run_lose_no_host(fleet, tmp_path):
    """Two end_of_day plays in one playbook (for example other exclusions per group) share the
    run's name, so the second play rewrites the run's files: they must still hold the first
    play's hosts."""
    fleet.reset()
    book = """
- name: End of day in the labs
  hosts: lab-small:lab-big
  gather_facts: false
  roles:
    - role: multipoint.wms.end_of_day
      vars:
        end_of_day_exclude_users: ['teacher*']

- name: End of day for the staff and the RDS host
  hosts: rds-01:lab-staff
  gather_facts: false
  roles:
    - role: multipoint.wms.end_of_day
"""
    run = fleet.playbook(book, extra_vars={"end_of_day_report_dir": str(tmp_path)})
    assert run.rc == 0, run.stdout[-3000:]
    state = fleet.state()
    report = only_report(tmp_path)
    found = report["hosts"]
    assert sorted(found) == sorted(HEALTHY)
    assert report["summary"]["hosts"] == 4 and report["summary"]["changed"] == 4
    for name, entry in found.items():
        assert entry["status"] == "changed", (name, entry)
        assert ids(entry["disconnected"]) == disconnected_by_events(state[name]), name
    assert ids(found["lab-small"]["skipped"]) == [4] and ids(found["lab-staff"]["skipped"]) == [3]


def test_free_strategy_with_a_warning_waits_per_host_then_reports(fleet, tmp_path):
    fleet.reset()
    play = """
- name: Warn and disconnect at each server's own pace
  hosts: wms
  gather_facts: false
  strategy: ansible.builtin.free
  tasks:
    - name: Warn, wait and disconnect
      ansible.builtin.include_role:
        name: multipoint.wms.end_of_day
        tasks_from: disconnect

- name: Report
  hosts: wms
  gather_facts: false
  tasks:
    - name: Report on every server
      ansible.builtin.include_role:
        name: multipoint.wms.end_of_day
        tasks_from: report
"""
    run = fleet.playbook(play, extra_vars={"end_of_day_report_dir": str(tmp_path), "end_of_day_timeout": 2,
                                           "end_of_day_warning_text": "Closing now", "end_of_day_grace_seconds": 1})
    assert run.rc == 2, run.stdout[-3000:]
    report = only_report(tmp_path)
    state = fleet.state()
    check_accounts_for_every_host(report, state)
    for name in HEALTHY:
        for session in user_sessions(state[name]).values():
            if session["messages"]:
                # Warned before disconnected, never the other way round.
                kinds = [e["kind"] for e in state[name]["events"] if e["session"] == session["id"]]
                assert kinds[0] == "message", (name, kinds)
    assert report["summary"]["sessions_warned"] > 0
    grace = {r["host"]: r["status"] for r in run.of(GRACE)}
    # Every server that warned someone waited its own grace period before it disconnected.
    assert {name: grace.get(name) for name in HEALTHY} == dict.fromkeys(HEALTHY, "ok")
    for name in HEALTHY:
        events = state[name]["events"]
        warned = max(event_time(e) for e in events if e["kind"] == "message")
        acted = min(event_time(e) for e in events if e["kind"] == "state" and e["to"] == "Disconnected")
        assert acted - warned >= 1.0 - 0.1, name  # timestamps are to the millisecond
    # lab-down warned no one. It waits only when another server's warning went out before it got
    # to the wait (the free strategy's order, a race), so both are right.
    assert grace["lab-down"] in {"ok", "skipped"}
