"""First contact with a real server (issue 7): every way a real host may differ from the simulator's
defaults, each wmssim setting in both of its variants, through ansible-playbook.

Administrators through groups, Get-WmsSession's output shapes and id types, a user name that
MultiPoint and WTS disagree on, sessions MultiPoint does not list under a cmdlet that fails a whole
call for an unknown id, snap-ins, PowerShell 2.0 and ConstrainedLanguage, WTS refusing to describe
a window station, a byte-order mark, the verbose traces, the diagnostics and playbooks/first_contact.yml.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "First-Contact-Pass7"
ALICE = {"id": 2, "user": "alice", "domain": "LAB", "station": 1, "state": "Active"}
BOB = {"id": 3, "user": "bob", "domain": "LAB", "station": 2, "state": "Active"}
ADMINS = [
    ALICE,
    {"id": 3, "user": "teacher", "domain": "LAB", "station": 2, "admin": "group", "state": "Active"},
    {"id": 4, "user": "itadmin", "domain": "LAB", "station": 3, "admin": True, "state": "Active"},
]
UNRESOLVABLE = [ALICE, {"id": 3, "user": "principal", "domain": "LAB", "station": 2, "admin": "unresolvable",
                        "state": "Active"}]
DOWN = {"id": 5, "user": "", "domain": "", "station": 0, "state": "Down", "win_station": "RDP-Tcp#5"}
SCENARIO = {
    "defaults": {"generation": "2016", "auth": "ntlm", "password": PASSWORD, "sessions": [ALICE, BOB]},
    "hosts": [
        {"name": "rds-group", "generation": "none", "sessions": ADMINS},
        {"name": "rds-unresolvable", "generation": "none", "sessions": UNRESOLVABLE},
        {"name": "mp2016-group", "sessions": ADMINS},
        {"name": "mp2016-unresolvable", "sessions": UNRESOLVABLE},
        {"name": "mp2012-group", "generation": "2012", "sessions": ADMINS},
        {"name": "unlisted-terminating", "behaviour": {"unknown_id": "terminating", "wms_unlisted": [3]}},
        {"name": "unlisted-error", "behaviour": {"wms_unlisted": [3]}},
        {"name": "collection-string", "behaviour": {"wms_output": "collection", "wms_id_type": "string"}},
        {"name": "per-session-uint32", "generation": "2012", "behaviour": {"wms_output": "per_session",
                                                                           "wms_id_type": "uint32"}},
        {"name": "user-mismatch", "behaviour": {"wms_user_mismatch": [3]}},
        {"name": "snapin-2012", "generation": "2012",
         "behaviour": {"module_kind": "snapin", "module_name": "WmsCmdlets"}},
        {"name": "ps-2", "generation": "2012", "powershell_version": "2.0"},
        {"name": "ps-4", "generation": "2012", "powershell_version": "4.0"},
        {"name": "constrained", "language_mode": "ConstrainedLanguage"},
        {"name": "nonuser-error", "generation": "none", "sessions": [ALICE, DOWN],
         "behaviour": {"wts_query_non_user": "error"}},
        {"name": "nonuser-ok", "generation": "none", "sessions": [ALICE, DOWN]},
        {"name": "bom", "faults": {"stdout_bom": True}},
        {"name": "plain"},
    ],
}


def _play(hosts: str, task: str) -> str:
    return f"- hosts: {hosts}\n  gather_facts: false\n  tasks:\n{task}"


def _state(sim, host: str, sid: int) -> str:
    return next(s["state"] for s in sim.state()[host]["sessions"] if s["id"] == sid)


def test_exclude_admins_never_disconnects_an_administrator_through_a_group_on_any_backend(sim):
    task = ("    - name: disconnect\n      multipoint.wms.session_disconnect: {all: true, exclude_admins: true}\n"
            "    - name: disconnect through wts\n      multipoint.wms.session_disconnect:\n"
            "        {all: true, exclude_admins: true, backend: wts}\n      when: inventory_hostname == 'mp2016-group'\n")
    hosts = "rds-group:rds-unresolvable:mp2016-group:mp2016-unresolvable:mp2012-group"
    run = sim.playbook(_play(hosts, task))
    assert run.rc == 0, run.stdout[-3000:]
    for host in hosts.split(":"):
        result = run.one("disconnect", host)["result"]
        excluded = {s["id"]: s["reason"] for s in result["excluded"]}
        admins = {3, 4} if "group" in host else {3}
        assert admins <= set(excluded), (host, excluded)
        for sid in admins:
            assert _state(sim, host, sid) == "Active", f"{host}: administrator {sid} was disconnected"
    # Through a group the agent can expand: an administrator. Through one it cannot: unknown,
    # and then nobody's status can be ruled out on that host (WTS API); MultiPoint knows from the logon.
    assert run.one("disconnect", "rds-group")["result"]["disconnected"] == [2]
    unresolvable = run.one("disconnect", "rds-unresolvable")["result"]
    assert unresolvable["disconnected"] == []
    assert {s["reason"] for s in unresolvable["excluded"]} == {"administrator status unknown on this host (exclude_admins)"}
    assert run.one("disconnect", "mp2016-unresolvable")["result"]["disconnected"] == [2]
    assert {s["id"]: s["reason"] for s in run.one("disconnect", "mp2016-unresolvable")["result"]["excluded"]} == {
        3: "administrator (exclude_admins)"}
    wts = run.one("disconnect through wts", "mp2016-group")["result"]
    assert wts["backend"] == "wts" and {3, 4} <= {s["id"] for s in wts["excluded"]}


def test_multipoint_gets_only_the_ids_it_listed_whatever_it_does_with_others(sim):
    task = "    - name: disconnect\n      multipoint.wms.session_disconnect: {session_id: [2, 3]}\n"
    run = sim.playbook(_play("unlisted-terminating:unlisted-error", task))
    assert run.rc == 0, run.stdout[-3000:]
    for host in ("unlisted-terminating", "unlisted-error"):
        result = run.one("disconnect", host)["result"]
        assert result["disconnected"] == [2, 3] and result["failed_ids"] == [], (host, result["msg"])
        causes = {e["session"]: e["cause"] for e in sim.state()[host]["events"] if e["kind"] == "state"}
        assert causes[2].startswith("Disconnect-WmsSession -SessionId 2 ") and "3" not in causes[2].split("(")[0]
        assert causes[3] == "WTSDisconnectSession (agent)", causes


def test_every_shape_of_get_wmssession_output_is_read(sim):
    task = "    - name: info\n      multipoint.wms.session_info:\n"
    run = sim.playbook(_play("collection-string:per-session-uint32:plain", task))
    assert run.rc == 0, run.stdout[-3000:]
    for host in ("collection-string", "per-session-uint32", "plain"):
        sessions = run.one("info", host)["result"]["sessions"]
        assert [(s["id"], s["account"], s["wms_listed"]) for s in sessions] == [
            (2, "LAB\\alice", True), (3, "LAB\\bob", True)], host


def test_a_user_that_multipoint_and_wts_disagree_on_stops_the_host_before_it_acts(sim):
    task = ("    - name: disconnect\n      multipoint.wms.session_disconnect: {all: true}\n"
            "      ignore_errors: true\n")
    run = sim.playbook(_play("user-mismatch:plain", task))
    failed = run.one("disconnect", "user-mismatch")
    assert failed["status"] == "failed"
    msg = failed["result"]["msg"]
    assert "session 3" in msg and "'bob-elsewhere'" in msg and "'bob'" in msg and "will not act" in msg
    assert sim.state()["user-mismatch"]["events"] == []
    assert run.one("disconnect", "plain")["result"]["disconnected"] == [2, 3]


def test_cmdlets_from_a_snap_in_work(sim):
    task = ("    - name: info\n      multipoint.wms.session_info: {diagnose: true}\n"
            "    - name: disconnect\n      multipoint.wms.session_disconnect: {session_id: 2}\n")
    run = sim.playbook(_play("snapin-2012:plain", task))
    assert run.rc == 0, run.stdout[-3000:]
    module = run.one("info", "snapin-2012")["result"]["diagnostics"]["module"]
    assert module["found_by"] == "snap-in WmsCmdlets" and module["path"] is None
    assert run.one("info", "plain")["result"]["diagnostics"]["module"]["path"].endswith("MultiPoint.psd1")
    assert run.one("disconnect", "snapin-2012")["result"]["disconnected"] == [2]


def test_hosts_the_agent_cannot_run_on_say_so_plainly_and_the_report_has_it(sim, tmp_path):
    run = sim.playbook("- hosts: ps-2:ps-4:constrained\n  gather_facts: false\n  roles:\n"
                       "    - role: multipoint.wms.end_of_day\n", extra_vars={"end_of_day_report_dir": str(tmp_path)})
    assert run.rc == 2, run.stdout[-3000:]
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    ps2, clm = report["hosts"]["ps-2"], report["hosts"]["constrained"]
    assert ps2["status"] == "failed" and "Windows PowerShell 2.0 (3.0 or later is needed)" in ps2["reason"]
    assert "install WMF 3.0" in ps2["reason"]
    assert clm["status"] == "failed" and "ConstrainedLanguage mode (FullLanguage is needed)" in clm["reason"]
    assert report["hosts"]["ps-4"]["status"] == "changed"
    for host in ("ps-2", "constrained"):
        assert "CLIXML" not in report["hosts"][host]["reason"] and sim.state()[host]["events"] == []


def test_a_window_station_wts_will_not_describe_is_listed_without_a_user(sim):
    task = "    - name: info\n      multipoint.wms.session_info: {include_system: true}\n"
    run = sim.playbook(_play("nonuser-error:nonuser-ok", task))
    assert run.rc == 0, run.stdout[-3000:]
    for host in ("nonuser-error", "nonuser-ok"):
        down = next(s for s in run.one("info", host)["result"]["sessions"] if s["id"] == 5)
        assert down["user"] == "" and down["state"] == "Down" and down["system"], host


def test_a_byte_order_mark_before_the_answer_is_not_a_problem(sim):
    task = "    - name: disconnect\n      multipoint.wms.session_disconnect: {session_id: 2}\n"
    run = sim.playbook(_play("bom:plain", task))
    assert run.rc == 0, run.stdout[-3000:]
    assert run.one("disconnect", "bom")["result"]["disconnected"] == [2]


def test_verbose_levels_trace_each_agent_call_without_secrets(sim):
    task = ("    - name: disconnect\n      multipoint.wms.session_disconnect: {all: true}\n"
            "    - name: warn\n      multipoint.wms.session_message:\n"
            "        {session_id: 2, text: \"{{ 'a long message ' * 10 }}\"}\n")
    three = sim.playbook(_play("plain", task), args=["-vvv"])
    assert three.rc == 0, three.stdout[-3000:]
    assert "multipoint.wms agent inventory: backend auto -> multipoint-2016, generation 2016, ok," in three.stdout
    assert "multipoint.wms agent disconnect: backend auto -> multipoint-2016" in three.stdout
    assert "ids 2, 3" in three.stdout and "ms in the agent" in three.stdout
    assert "multipoint.wms agent request:" not in three.stdout
    sim.reset()
    four = sim.playbook(_play("plain", task), args=["-vvvv"])
    assert '"action": "disconnect"' in four.stdout and '"accounts": ["LAB\\\\alice", "LAB\\\\bob"]' in four.stdout
    assert "multipoint.wms agent answer (rc 0)" in four.stdout
    assert '"text": "a long message a long message a long mes... (150 characters)"' in four.stdout
    for run in (three, four):
        assert PASSWORD not in run.stdout + run.stderr


def test_diagnose_changes_nothing_and_first_contact_writes_its_files(sim, tmp_path):
    run = sim.playbook(REPO / "playbooks" / "first_contact.yml",
                       extra_vars={"first_contact_report_dir": str(tmp_path)})
    assert run.rc == 0, run.stdout[-3000:]
    state = sim.state()
    for host, host_state in state.items():
        assert host_state["events"] == [], host
        assert {r["action"] for r in host_state["agent_requests"]} <= {"inventory"}, host
    (json_file,) = tmp_path.glob("first-contact-*.json")
    (md_file,) = tmp_path.glob("first-contact-*.md")
    found = json.loads(json_file.read_text())["hosts"]
    assert sorted(found) == sorted(h["name"] for h in SCENARIO["hosts"])
    for host, generation in (("plain", "2016"), ("mp2012-group", "2012"), ("rds-group", "none")):
        diagnostics = found[host]["diagnostics"]
        assert diagnostics["generation"] == generation and diagnostics["wts"]["available"], host
        assert diagnostics["language_mode"] == "FullLanguage" and diagnostics["elevated"] is True
    assert found["plain"]["diagnostics"]["evidence"]["disconnect_wmssession"][:3] == ["SessionId", "All", "Server"]
    assert found["collection-string"]["diagnostics"]["wms_session_properties"]["container"] == "collection"
    assert {"name": "SessionId", "type": "System.String"} in \
        found["collection-string"]["diagnostics"]["wms_session_properties"]["properties"]
    assert found["ps-2"]["failed"] and "PowerShell 2.0" in found["ps-2"]["msg"]
    text = md_file.read_text()
    assert "| plain | ok | 5.1.14393.0 | FullLanguage |" in text and "## ps-2" in text
    # No user names, but for the one host whose failure is about a user name (it is the evidence).
    assert "'bob-elsewhere', WTS says 'bob'" in found["user-mismatch"]["msg"]
    del found["user-mismatch"]
    shown = json.dumps(found) + "".join(part for part in text.split("\n## ") if not part.startswith("user-mismatch"))
    shown = "\n".join(line for line in shown.splitlines() if not line.startswith("| user-mismatch |"))
    for user in ("alice", "bob", "teacher", "itadmin", "principal"):
        assert user not in shown, f"the files must not name users ({user})"
