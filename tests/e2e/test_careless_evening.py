"""Nothing surprising on a careless or unlucky evening (issue 11), through ansible-playbook.

Each test is one way a school admin could be surprised: a session id taken over by an
administrator between the read and the act, a warning that cannot be sent, an exclusion with a
typo, a MultiPoint 2012 server whose disconnects hang, check mode on a host that will deny access,
WinRM failing mid-way, a Basic-auth password with a typographic apostrophe, a missing module, a
null option. The simulator's own state proves what happened on each host.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

PASSWORD_WITH_APOSTROPHE = "Teacher\u2019s-Pass9"
STUDENTS = [
    {"id": 2, "user": "alice", "domain": "LAB", "station": 1, "state": "Active"},
    {"id": 3, "user": "bob", "domain": "LAB", "station": 2, "state": "Active"},
]
ADMIN_TAKES_3 = {"id_reuse": [{"id": 3, "user": "itadmin", "domain": "LAB", "admin": True}]}
SCENARIO = {
    "defaults": {"generation": "2016", "auth": "basic", "sessions": STUDENTS},
    "hosts": [
        {"name": "reuse-2016", "faults": ADMIN_TAKES_3},
        {"name": "reuse-2012", "generation": "2012", "faults": ADMIN_TAKES_3},
        {"name": "reuse-rds", "generation": "none", "faults": ADMIN_TAKES_3},
        {"name": "nomsg-01", "faults": {"message_denied": True}},
        {"name": "hang-2012", "generation": "2012", "faults": {"disconnect_hangs": True}, "sessions": [
            {"id": i, "user": f"pupil{i:02d}", "domain": "LAB", "station": 0, "client": f"PC-{i}", "state": "Active"}
            for i in range(2, 22)]},
        {"name": "rds-ok", "generation": "none"},
        {"name": "rds-denied", "generation": "none", "faults": {"access_denied": True}},
        {"name": "basic-apostrophe", "password": PASSWORD_WITH_APOSTROPHE},
        {"name": "http500-send", "faults": {"http_500": "Send"}},
        {"name": "http500-command", "faults": {"http_500": "Command"}},
        {"name": "http500-receive", "faults": {"http_500": "Receive"}},
        {"name": "nomodule-2016", "faults": {"module_missing": True}},
    ],
}


def _play(hosts: str, task: str, check: bool = False) -> str:
    return (f"- hosts: {hosts}\n  gather_facts: false\n" + ("  check_mode: true\n" if check else "")
            + "  tasks:\n" + task)


def _role(hosts: str) -> str:
    return f"- hosts: {hosts}\n  gather_facts: false\n  roles:\n    - role: multipoint.wms.end_of_day\n"


def _session(state: dict, sid: int) -> dict:
    return next(s for s in state["sessions"] if s["id"] == sid)


def _report(folder: Path) -> dict:
    (path,) = [p for p in folder.glob("*.json")]
    return json.loads(path.read_text())


def test_a_session_taken_over_by_another_user_is_left_alone(sim):
    """The read selects bob (3); he logs off and the administrator logs on as 3 before the act."""
    task = ("    - name: disconnect\n      multipoint.wms.session_disconnect: {all: true, exclude_admins: true}\n"
            "      register: done\n")
    run = sim.playbook(_play("reuse-2016:reuse-2012:reuse-rds", task))
    assert run.rc == 0, run.stdout[-3000:]
    state = sim.state()
    for host in ("reuse-2016", "reuse-2012", "reuse-rds"):
        result = run.one("disconnect", host)["result"]
        by_id = {s["id"]: s for s in result["sessions"]}
        assert by_id[2]["outcome"] == "disconnected"
        assert by_id[3]["outcome"] == "user_changed" and by_id[3]["account"] == "LAB\\bob"
        assert "now belongs to LAB\\itadmin, not to LAB\\bob" in by_id[3]["message"]
        assert any("LAB\\itadmin" in w for w in result["warnings"])
        assert 3 in result["unchanged"] and result["failed_ids"] == []
        admin = _session(state[host], 3)
        assert admin["user"] == "itadmin" and admin["state"] == "Active", host
        assert [r["action"] for r in state[host]["agent_requests"]] == ["inventory", "disconnect"]


def test_a_warning_goes_only_to_the_user_that_was_selected(sim):
    task = ("    - name: warn\n      multipoint.wms.session_message: {all: true, text: Closing, title: null}\n")
    run = sim.playbook(_play("reuse-2016", task))
    assert run.rc == 0, run.stdout[-3000:]
    result = run.one("warn", "reuse-2016")["result"]
    assert result["sent_accounts"] == ["LAB\\alice"]
    assert {s["id"]: s["outcome"] for s in result["sessions"]} == {2: "sent", 3: "user_changed"}
    state = sim.state()["reuse-2016"]
    assert _session(state, 3)["messages"] == []
    # title: null means the default title.
    assert _session(state, 2)["messages"] == [
        {"title": "Message from your administrator", "text": "Closing", "display_seconds": 60}]


def test_a_warning_that_fails_at_run_time_is_named_and_the_policy_decides(sim, tmp_path):
    extra = {"end_of_day_warning_text": "Closing", "end_of_day_grace_seconds": 1, "end_of_day_timeout": 2}
    run = sim.playbook(_role("nomsg-01:rds-ok"), extra_vars=dict(extra, end_of_day_report_dir=str(tmp_path / "a")))
    assert run.rc == 0, run.stdout[-3000:]
    report = _report(tmp_path / "a")
    entry = report["hosts"]["nomsg-01"]
    assert entry["status"] == "changed" and len(entry["disconnected"]) == 2
    assert entry["warning"].startswith("disconnected without warning: Failed to send the message")
    assert "WARNING nomsg-01: disconnected without warning" in run.stdout
    assert report["hosts_with_warning_problems"] == ["nomsg-01"]
    assert report["hosts"]["rds-ok"]["warned"] == ["LAB\\alice", "LAB\\bob"]

    sim.reset()
    run = sim.playbook(_role("nomsg-01:rds-ok"), extra_vars=dict(
        extra, end_of_day_unwarned="leave", end_of_day_report_dir=str(tmp_path / "b")))
    assert run.rc == 2, run.stdout[-3000:]
    state = sim.state()
    assert all(_session(state["nomsg-01"], i)["state"] == "Active" for i in (2, 3)), "left alone"
    assert all(_session(state["rds-ok"], i)["state"] == "Disconnected" for i in (2, 3))
    entry = _report(tmp_path / "b")["hosts"]["nomsg-01"]
    assert entry["status"] == "failed" and entry["reason"].startswith("left alone: the warning could not be sent")
    assert run.recap()["nomsg-01"]["failed"] == 1 and run.recap()["rds-ok"]["failed"] == 0


def test_an_exclusion_that_matches_nobody_anywhere_is_reported_and_warned_about(sim, tmp_path):
    run = sim.playbook(_role("rds-ok:reuse-2016"), check=True, extra_vars={
        "end_of_day_report_dir": str(tmp_path), "end_of_day_exclude_users": ["LAB\\teachr01", "alice"]})
    assert run.rc == 0, run.stdout[-3000:]
    report = _report(tmp_path)
    assert report["exclusions_matched_nowhere"] == ["LAB\\teachr01"]
    summary = run.one("multipoint.wms.end_of_day : Show the summary", "rds-ok")["result"]["msg"]
    assert "Exclusions that matched no session on any host (a typo protects nobody): LAB\\teachr01" in summary
    (write,) = [r for r in run.results if r["action"] == "multipoint.wms.fleet_report"]
    assert any("LAB\\teachr01" in w and "matched no session" in w for w in write["result"]["warnings"])
    assert "teachr01" in (tmp_path / next(p.name for p in tmp_path.glob("*.md"))).read_text()


def test_hanging_2012_disconnects_end_within_the_timeout(sim):
    """20 sessions whose disconnect hangs, timeout 3: one deadline for all, not 20 x (3 + 5) s."""
    task = ("    - name: disconnect\n      multipoint.wms.session_disconnect: {all: true, timeout: 3}\n"
            "      ignore_errors: true\n")
    started = time.monotonic()
    run = sim.playbook(_play("hang-2012", task))
    elapsed = time.monotonic() - started
    result = run.one("disconnect", "hang-2012")["result"]
    assert elapsed < 3 + 2 + 8, f"{elapsed:.1f} s"  # the timeout, the abandon grace, ansible's own time
    assert sorted(result["failed_ids"]) == list(range(2, 22))
    messages = [s["message"] for s in result["sessions"]]
    assert all(s["outcome"] == "timed_out" for s in result["sessions"])
    assert sum("not reached" in m for m in messages) >= 18, messages[:3]
    assert all(s["state"] == "Active" for s in sim.state()["hang-2012"]["sessions"] if s["user"])


def test_check_mode_on_the_wts_api_says_what_it_could_not_verify(sim):
    task = ("    - name: disconnect\n      multipoint.wms.session_disconnect: {all: true}\n"
            "      ignore_errors: true\n")
    run = sim.playbook(_play("rds-ok:rds-denied", task), check=True)
    ok = run.one("disconnect", "rds-ok")["result"]
    assert ok["verified"] is False and ok["disconnected"] == [2, 3]
    assert all("unverified: the WTS API has no what-if" in s["message"] for s in ok["sessions"])
    denied = run.one("disconnect", "rds-denied")
    assert denied["status"] == "failed", "check mode must not predict success on a host that will deny it"
    assert {s["outcome"] for s in denied["result"]["sessions"]} == {"failed"}
    assert all(s["message"].startswith("would fail: the account is not an elevated administrator")
               for s in denied["result"]["sessions"])
    assert all(state["events"] == [] for state in sim.state().values())


def test_transport_errors_say_what_failed_and_never_show_a_secret(sim):
    task = ("    - name: info\n      multipoint.wms.session_info:\n      ignore_unreachable: true\n"
            "    - name: info or fail\n      multipoint.wms.session_info: {on_unreachable: fail}\n"
            "      ignore_errors: true\n")
    hosts = "basic-apostrophe:http500-send:http500-command:http500-receive"
    run = sim.playbook(_play(hosts, task))
    basic = run.one("info", "basic-apostrophe")
    assert basic["status"] == "unreachable"
    msg = basic["result"]["msg"]
    assert "HTTP Basic authentication cannot carry" in msg and "use NTLM" in msg
    assert "position" not in msg and "\u2019" not in msg and "\\u2019" not in msg
    failed = run.one("info or fail", "basic-apostrophe")
    assert failed["status"] == "failed" and failed["result"]["unreachable_host"] is True
    for host, stage in (("http500-send", "stdin"), ("http500-command", "running the agent"),
                        ("http500-receive", "running the agent")):
        result = run.one("info", host)["result"]
        assert "answered HTTP 500" in result["msg"] and stage in result["msg"], (host, result["msg"])
        assert "winrm get winrm/config/winrs" in result["msg"]
        assert "send_input failed" not in result["msg"]
    # Nothing of the password anywhere: output, results, the simulator's log.
    text = run.stdout + run.stderr + json.dumps(run.results)
    assert PASSWORD_WITH_APOSTROPHE not in text and "Teacher" not in text
    for fragment in ("\u2019s-Pass", "Pass9"):
        assert fragment not in text


def test_a_multipoint_host_that_lost_its_module_says_it_fell_back_to_the_wts_api(sim):
    task = "    - name: info\n      multipoint.wms.session_info:\n"
    run = sim.playbook(_play("nomodule-2016:reuse-2016", task))
    assert run.rc == 0, run.stdout[-3000:]
    notes = run.one("info", "nomodule-2016")["result"]["notes"]
    assert len(notes) == 1 and notes[0].startswith("no MultiPoint module was found")
    assert run.one("info", "reuse-2016")["result"]["notes"] == []
