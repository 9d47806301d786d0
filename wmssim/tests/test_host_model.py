"""The host model: sessions as Windows and MultiPoint see them, the event log, counters, state()."""

from __future__ import annotations

import copy
import json
import tracemalloc

import pytest

from wmssim.spec import Behaviour, Faults, HostSpec, SessionSpec
from wmssim.host.model import LISTENER_ID, Host, Session


def spec(**kwargs) -> HostSpec:
    sessions = [
        SessionSpec(2, "alice", "LAB", 1, state="Active"),
        SessionSpec(3, "bob", "LAB", 0, state="Disconnected", client="PC-03"),
        SessionSpec(4, "teacher", "LAB", 0, admin=True, state="Idle", client="T-PC", win_station="RDP-Tcp#17"),
    ]
    return HostSpec(name="mps-lab-classroom-01", sessions=sessions, **kwargs)


def test_every_host_has_session_zero_and_the_listener():
    host = Host(spec())
    assert [s.id for s in host.ordered_sessions()] == [0, 2, 3, 4, LISTENER_ID]
    services, listener = host.session(0), host.session(LISTENER_ID)
    for session, expected in ((services, ("Services", "Disconnected")), (listener, ("RDP-Tcp", "Listen"))):
        assert (session.win_station, session.state) == expected
        assert session.user == "" and session.system is True
    assert not host.listed_by_multipoint(services) and host.wms_state(listener) is None


def test_win_station_names_and_multipoint_state():
    host = Host(spec())
    alice, bob, teacher = host.session(2), host.session(3), host.session(4)
    assert (alice.win_station, bob.win_station, teacher.win_station) == ("Console", "RDP-Tcp#3", "RDP-Tcp#17")
    assert host.wms_state(alice) == "ConnectedToStation" and host.wms_state(teacher) == "RemoteConnection"
    assert host.wms_state(bob) == "RemoteConnection"  # unchanged by default
    assert host.listed_by_multipoint(bob)
    assert host.computer == "MPS-LAB-CLASSRO"  # NetBIOS: upper case, 15 characters


def test_behaviour_for_disconnected_sessions():
    host = Host(spec(behaviour=Behaviour(disconnected_listed=False, wms_state_when_disconnected="Disconnected")))
    bob = host.session(3)
    assert not host.listed_by_multipoint(bob) and host.wms_state(bob) == "Disconnected"
    assert host.listed_by_multipoint(host.session(2)) and host.wms_state(host.session(2)) == "ConnectedToStation"


def test_no_multipoint_state_without_multipoint():
    host = Host(spec(generation="none"))
    assert host.wms_state(host.session(2)) is None and not host.module_installed
    assert not Host(spec(faults=Faults(module_missing=True))).module_installed
    assert Host(spec(generation="2012")).module_installed


def test_state_changes_logoffs_and_messages_are_events():
    host = Host(spec())
    assert host.set_state(2, "Disconnected", "Disconnect-WmsSession -SessionId 2 (agent)") is True
    assert host.set_state(2, "Disconnected", "again") is False  # no change, no event
    assert host.set_state(99, "Active", "nobody") is False
    assert host.log_off(4, "fault: logoff_race") is True and host.session(4) is None
    assert host.show_message(3, "Hi", "Text\nmore", 10, "WTSSendMessage (agent)") is True
    events = host.state()["events"]
    assert [(e["session"], e["from"], e["to"], e["kind"], e["cause"]) for e in events] == [
        (2, "Active", "Disconnected", "state", "Disconnect-WmsSession -SessionId 2 (agent)"),
        (4, "Idle", None, "logoff", "fault: logoff_race"),
        (3, "Disconnected", "Disconnected", "message", "WTSSendMessage (agent)"),
    ]
    assert all(e["time"].endswith("Z") and "T" in e["time"] for e in events)
    with pytest.raises(ValueError):
        host.set_state(2, "Sleeping", "nonsense")


def test_state_shape():
    host = Host(spec(generation="2012"))
    host.count_message("Create")
    host.count_message("Receive")
    host.count_message("Receive")
    host.count_command()
    host.record_agent_request("disconnect", True, [3])
    host.show_message(2, "T", "x", 0, "WTSSendMessage (agent)")
    state = host.state()
    assert json.loads(json.dumps(state)) == state
    assert set(state) == {"generation", "computer", "sessions", "events", "messages", "messages_by_action",
                          "commands", "agent_requests"}
    assert state["generation"] == "2012" and state["computer"] == "MPS-LAB-CLASSRO"
    assert state["messages"] == 3 and state["messages_by_action"] == {"Create": 1, "Receive": 2}
    assert state["commands"] == 1
    assert state["agent_requests"] == [{"action": "disconnect", "what_if": True, "ids": [3]}]
    alice = next(s for s in state["sessions"] if s["id"] == 2)
    assert alice == {"id": 2, "user": "alice", "domain": "LAB", "station": 1, "client": "", "admin": False,
                     "state": "Active", "wms_state": "ConnectedToStation", "win_station": "Console",
                     "messages": [{"title": "T", "text": "x", "display_seconds": 0}]}


def test_logoff_race_happens_once():
    host = Host(spec(faults=Faults(logoff_race=[3, 4, 42])))
    assert host.after_agent_inventory() == [3, 4]
    assert host.after_agent_inventory() == []
    assert [e.cause for e in host.events] == ["fault: logoff_race"] * 2


def test_the_spec_is_not_changed_and_hosts_are_independent():
    original = spec()
    before = copy.deepcopy(original)
    first, second = Host(original), Host(original)
    first.set_state(2, "Disconnected", "test")
    first.log_off(3, "test")
    assert original == before
    assert second.session(2).state == "Active" and second.session(3) is not None


def test_bad_specs():
    with pytest.raises(ValueError, match="declared twice"):
        Host(HostSpec(name="x", sessions=[SessionSpec(2), SessionSpec(2)]))
    with pytest.raises(ValueError, match="unknown state"):
        Host(HostSpec(name="x", sessions=[SessionSpec(2, state="Sleeping")]))


def test_sessions_are_small():
    assert not hasattr(Session(2, "u", "d", 0, "", False, "Active", "Console"), "__dict__")
    specs = [
        HostSpec(name=f"h{i}", sessions=[SessionSpec(j, f"user{j:04d}", "LAB", j % 5) for j in range(2, 27)])
        for i in range(500)
    ]
    tracemalloc.start()
    try:
        hosts = [Host(s) for s in specs]
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(hosts) == 500 and used < 8_000_000  # 500 hosts x 27 sessions
