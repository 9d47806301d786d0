"""multipoint.wms.session_info and session_message end to end, on MultiPoint 2012, 2016 and RDS.

session_info is checked field by field against the simulator's sessions; session_message
against the message boxes the simulator recorded in each session (title, text and display time,
byte for byte) and its event log. The last test sends a request big enough that ansible's winrm
plugin cuts its stdin into several WS-Man Send messages.
"""

from __future__ import annotations

import json

import pytest
from wmssim.fleet.playbooks import PlaybookRun

SCENARIO = """
defaults:
  auth: basic
  sessions:
    - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
    - {id: 3, user: Bob, domain: LAB, station: 0, client: PC-03, state: Idle}
    - {id: 4, user: carol, domain: LAB, station: 2, state: Disconnected}
    - {id: 5, user: teacher, domain: LAB, station: 3, admin: true, state: Active}
    - {id: 6, user: student01, domain: OTHER, station: 0, client: PC-06, state: Connected}
    - {id: 7, user: "", domain: "", station: 4, state: Connected}
hosts:
  - {name: mp2012, generation: "2012"}
  - {name: mp2016, generation: "2016", auth: ntlm}
  - {name: rds, generation: "none"}
"""
HOSTS = ("mp2012", "mp2016", "rds")
USER_IDS = [2, 3, 4, 5, 6]

# Everything PowerShell or a shell could read as code, and text no code page holds.
TEXT = (
    'He said "stop" & it\'s “quoted” ’n’ done; $(Get-Date) `n `$x ${env:USERNAME} @(1) '
    "%PATH% \\\\srv\\share; exit 1\n"
    "Line 2:\tcafé, naïve, 東京, 😀\r\n"
    "Last line <b>&amp;</b> '; Remove-Item C:\\ -Recurse #"
)
TITLE = 'Notice “$(whoami)” ’ é 😀 `t "x"'


def by_id(items: list[dict]) -> dict[int, dict]:
    return {item["id"]: item for item in items}


def ok(run: PlaybookRun, name: str, host: str) -> dict:
    found = run.one(name, host)
    assert found["status"] == "ok", found["result"].get("msg")
    return found["result"]


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar holding exactly ``value`` (JSON strings are YAML)."""
    return json.dumps(value, ensure_ascii=False)


# --- session_info ----------------------------------------------------------------------------------

INFO_PLAY = """
- hosts: wms
  gather_facts: false
  tasks:
    - name: default
      multipoint.wms.session_info:
    - name: users
      multipoint.wms.session_info:
        users: ['lab\\B*', 'STUDENT??']
        states: [Idle, Connected, Active]
    - name: excludes
      multipoint.wms.session_info:
        exclude_users: [ALICE]
        exclude_admins: true
        states: [Active, Disconnected]
    - name: system
      multipoint.wms.session_info:
        include_system: true
    - name: by id
      multipoint.wms.session_info:
        session_id: [2, 4, 99]
    - name: wts
      multipoint.wms.session_info:
        backend: wts
    - name: default (check)
      multipoint.wms.session_info:
      check_mode: true
"""


def expected_alice(host: str) -> dict:
    multipoint = host != "rds"
    return {
        "id": 2, "user": "alice", "domain": "LAB", "account": "LAB\\alice",
        "station": 1 if multipoint else None,
        # MultiPoint shows the computer's own name as the client of a station session.
        "client": host.upper() if multipoint else "",
        "is_admin": False, "state": "Active",
        "wms_state": "ConnectedToStation" if multipoint else None,
        "win_station": "Console", "wms_listed": multipoint, "system": None,
    }


def test_session_info_reports_the_sessions_as_the_host_has_them(sim):
    run = sim.playbook(INFO_PLAY)
    assert run.rc == 0, run.stdout[-3000:]
    state = sim.state()
    for host in HOSTS:
        multipoint = host != "rds"
        default = ok(run, "default", host)
        assert default["changed"] is False
        assert default["generation"] == {"mp2012": "2012", "mp2016": "2016", "rds": "none"}[host]
        assert default["backend"] == {"mp2012": "multipoint-2012", "mp2016": "multipoint-2016", "rds": "wts"}[host]
        assert (default["module"] or {}).get("name") == ("MultiPoint" if multipoint else None)
        assert default["host"]["computer"] == host.upper()
        sessions = by_id(default["sessions"])
        assert list(sessions) == USER_IDS and default["count"] == 5
        assert default["states"] == {"Active": 2, "Idle": 1, "Disconnected": 1, "Connected": 1}
        assert sessions[2] == expected_alice(host)
        # Every field agrees with the simulator's own record of the session.
        for sim_session in state[host]["sessions"]:
            if sim_session["id"] in sessions:
                got = sessions[sim_session["id"]]
                assert (got["user"], got["domain"], got["state"]) == (
                    sim_session["user"], sim_session["domain"], sim_session["state"])
                assert got["win_station"] == sim_session["win_station"]
                assert got["wms_state"] == sim_session["wms_state"]
                assert got["is_admin"] == sim_session["admin"]
                assert got["station"] == (sim_session["station"] if multipoint else None)
        assert sessions[6]["client"] == "PC-06" and sessions[5]["is_admin"] is True
        assert [s["id"] for s in ok(run, "users", host)["sessions"]] == [3, 6]
        assert [s["id"] for s in ok(run, "excludes", host)["sessions"]] == [4]
        system = by_id(ok(run, "system", host)["sessions"])
        assert list(system) == [0, 2, 3, 4, 5, 6, 7, 65536]
        assert (system[0]["system"], system[7]["system"], system[65536]["system"]) == (
            "services session", "no user logged on", "listener")
        assert system[2]["system"] is None
        by_ids = ok(run, "by id", host)
        assert [s["id"] for s in by_ids["sessions"]] == [2, 4]
        assert by_ids["warnings"] == [f"session_id 99 not found on {host}"]
        wts = ok(run, "wts", host)
        assert wts["backend"] == "wts" and wts["generation"] is None and wts["module"] is None
        assert list(by_id(wts["sessions"])) == USER_IDS
        assert all(s["station"] is None and s["wms_listed"] is False for s in wts["sessions"])
        # Check mode reads the same way.
        checked = ok(run, "default (check)", host)
        assert checked["sessions"] == default["sessions"] and checked["changed"] is False
        # Read only: one command per task, nothing changed, no disconnect or message asked.
        assert state[host]["events"] == [] and state[host]["commands"] == 7
        assert {r["action"] for r in state[host]["agent_requests"]} == {"inventory"}


# --- session_message -------------------------------------------------------------------------------

def message_tasks(suffix: str = "", check: bool = False) -> str:
    """Three session_message tasks: by id with the hard text, to students, to everyone."""
    mode = "      check_mode: true\n" if check else ""
    return f"""
    - name: by id{suffix}
      multipoint.wms.session_message:
        session_id: [2, 3, 4]
        title: {yaml_text(TITLE)}
        text: {yaml_text(TEXT)}
{mode}    - name: all students{suffix}
      multipoint.wms.session_message:
        all: true
        users: ['student*']
        text: Plain text.
        display_seconds: 5
        states: [Connected]
{mode}    - name: everyone{suffix}
      multipoint.wms.session_message:
        all: true
        exclude_admins: true
        text: To all.
        display_seconds: 0
{mode}"""


# The rehearsal (check mode) runs first: whatever it sent would show up in the sessions below.
MESSAGE_PLAY = f"""
- name: rehearse
  hosts: wms
  gather_facts: false
  tasks:{message_tasks(" (check)", check=True)}
- name: send
  hosts: wms
  gather_facts: false
  tasks:{message_tasks()}
"""


@pytest.fixture(scope="module")
def messages(fleet) -> tuple[PlaybookRun, dict]:
    fleet.reset()
    run = fleet.playbook(MESSAGE_PLAY)
    assert run.rc == 0, run.stdout[-3000:]
    return run, fleet.state()


def test_session_message_delivers_the_text_byte_for_byte(messages):
    run, state = messages
    for host in HOSTS:
        by_ids = ok(run, "by id", host)
        assert by_ids["changed"] is True and by_ids["sent"] == [2, 3]
        assert {s["id"]: s["outcome"] for s in by_ids["sessions"]} == {2: "sent", 3: "sent"}
        assert [(x["id"], x["reason"]) for x in by_ids["excluded"]] == [
            (4, "state Disconnected: nobody can read a message there now")]
        assert by_ids["agent_commands"] == 1
        students = ok(run, "all students", host)
        assert students["sent"] == [6] and students["agent_commands"] == 2
        everyone = ok(run, "everyone", host)
        assert everyone["sent"] == [2, 3, 6]  # not the teacher, not the disconnected carol
        assert {x["id"]: x["reason"] for x in everyone["excluded"]} == {
            4: "state Disconnected not in states", 5: "administrator (exclude_admins)"}
        sessions = by_id(state[host]["sessions"])
        first = {"title": TITLE, "text": TEXT, "display_seconds": 60}
        assert sessions[2]["messages"] == [first, {"title": "Message from your administrator",
                                                   "text": "To all.", "display_seconds": 0}]
        assert sessions[3]["messages"] == [first, sessions[2]["messages"][1]]
        assert [m["text"] for m in sessions[6]["messages"]] == ["Plain text.", "To all."]
        assert sessions[6]["messages"][0]["display_seconds"] == 5
        assert sessions[4]["messages"] == [] and sessions[5]["messages"] == []
        events = state[host]["events"]
        assert all(e["kind"] == "message" and e["cause"] == "WTSSendMessage (agent)" for e in events)
        assert [e["session"] for e in events] == [2, 3, 6, 2, 3, 6]
        assert all(e["from"] == e["to"] for e in events)  # a message changes no state


def test_session_message_in_check_mode_sends_nothing(messages):
    run, state = messages
    for host in HOSTS:
        by_ids = ok(run, "by id (check)", host)
        assert by_ids["changed"] is True and by_ids["sent"] == [2, 3]
        assert {s["id"]: s["outcome"] for s in by_ids["sessions"]} == {2: "would_send", 3: "would_send"}
        assert [x["id"] for x in by_ids["excluded"]] == [4]
        assert ok(run, "all students (check)", host)["sent"] == [6]
        assert ok(run, "everyone (check)", host)["sent"] == [2, 3, 6]
        # Check mode only read (one inventory per task); the messages and events the other test
        # checks are exactly those of the real run.
        requests = [r["action"] for r in state[host]["agent_requests"]]
        assert requests == ["inventory"] * 3 + ["message", "inventory", "message", "inventory", "message"]


# --- stdin in several Send messages ----------------------------------------------------------------

SEND_LIMIT = 200_000  # ansible's winrm plugin cuts stdin into Sends of at most this many bytes
MANY_IDS = range(2_000_000_000, 2_000_020_000)  # 20,000 absent ids of 10 digits (220,000 bytes)

CHUNKED_PLAY = f"""
- hosts: mp2016
  gather_facts: false
  tasks:
    - name: many ids
      multipoint.wms.session_message:
        session_id: "{{{{ [2] + range({MANY_IDS.start}, {MANY_IDS.stop}) | list + [3] }}}}"
        title: {yaml_text(TITLE)}
        text: {yaml_text(TEXT)}
"""


def test_a_request_cut_into_several_send_messages_arrives_whole(sim):
    ids_bytes = len(json.dumps([2, *MANY_IDS, 3], separators=(",", ":")))
    assert ids_bytes > SEND_LIMIT  # the request line alone needs two Sends
    run = sim.playbook(CHUNKED_PLAY)
    assert run.rc == 0, run.stdout[-3000:]
    host = sim.state()["mp2016"]
    assert host["messages_by_action"]["Send"] >= 2 and host["commands"] == 1
    result = ok(run, "many ids", "mp2016")
    assert result["sent"] == [2, 3] and result["failed_ids"] == []
    assert len(result["sessions"]) == len(MANY_IDS) + 2
    assert {s["outcome"] for s in result["sessions"][1:-1]} == {"not_found"}
    assert host["agent_requests"] == [{"action": "message", "what_if": False, "ids": [2, *MANY_IDS, 3]}]
    sessions = by_id(host["sessions"])
    expected = [{"title": TITLE, "text": TEXT, "display_seconds": 60}]
    assert sessions[2]["messages"] == expected and sessions[3]["messages"] == expected
    assert [e["session"] for e in host["events"]] == [2, 3]
