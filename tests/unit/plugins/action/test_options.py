"""Bad input fails with a message naming the option and what is accepted, before any host is contacted."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.multipoint.wms.tests.unit.harness import (
    ScriptedConnection,
    run_action,
)


def _never_called(request: dict) -> dict:
    raise AssertionError(f"the host was contacted: {request}")


DISCONNECT_BAD = [
    ({}, ["session_id", "all=true"]),
    ({"session_id": 3, "all": True}, ["session_id", "all=true", "mutually exclusive"]),
    ({"session_id": True}, ["session_id", "boolean", "1 to 2147483647"]),
    ({"session_id": [4, False]}, ["session_id", "boolean"]),
    ({"session_id": "abc"}, ["session_id", "int"]),
    ({"session_id": 3.5}, ["session_id", "int"]),
    ({"session_id": 0}, ["session_id", "out of range", "1 to 2147483647"]),
    ({"session_id": -4}, ["session_id", "out of range"]),
    ({"session_id": 2147483648}, ["session_id", "out of range"]),
    ({"session_id": []}, ["session_id", "empty"]),
    ({"session_id": [[1]]}, ["session_id", "list"]),
    ({"session_id": {"a": 1}}, ["session_id", "dict"]),
    ({"session_id": 3, "users": ["bob"]}, ["users", "all=true", "session_id"]),
    ({"session_id": 3, "states": ["Idle"]}, ["states", "all=true"]),
    ({"all": "maybe"}, ["all", "boolean"]),
    ({"all": True, "timeout": 0}, ["timeout", "1 to 3600"]),
    ({"all": True, "timeout": 3601}, ["timeout", "1 to 3600"]),
    ({"all": True, "timeout": "soon"}, ["timeout", "int"]),
    ({"all": True, "timeout": True}, ["timeout", "boolean"]),
    ({"all": True, "missing": "maybe"}, ["missing", "ignore, fail"]),
    ({"all": True, "backend": "rdp"}, ["backend", "auto, multipoint, wts"]),
    ({"all": True, "states": ["Disconnected"]}, ["states", "Active"]),
    ({"all": True, "states": []}, ["states", "empty"]),
    ({"all": True, "users": []}, ["users", "empty"]),
    ({"all": True, "users": [""]}, ["users", "empty user name", "DOMAIN\\user"]),
    ({"all": True, "users": ["A\\b\\c"]}, ["users", "more than one backslash", "DOMAIN\\user"]),
    ({"all": True, "exclude_users": ["\\bob"]}, ["exclude_users", "both sides", "DOMAIN\\user"]),
    ({"all": True, "users": [["x"]]}, ["users", "string"]),
    ({"all": True, "users": [None]}, ["users", "string"]),
    ({"all": True, "exclude_admins": "sometimes"}, ["exclude_admins", "boolean"]),
    ({"all": True, "bogus": 1}, ["bogus", "Unsupported parameters"]),
    # Values ansible would quietly turn into something else, named with plain type names.
    ({"all": True, "exclude_users": {"LAB": "teacher"}}, ["exclude_users", "got a dictionary", "list"]),
    ({"all": True, "exclude_users": [{"u": 1}]}, ["exclude_users", "got a dictionary inside the list", "a string"]),
    ({"all": True, "timeout": [30]}, ["timeout", "got a list", "whole number"]),
    ({"all": True, "timeout": 2.5}, ["timeout", "2.5 is not a whole number"]),
    ({"all": True, "backend": ["wts"]}, ["backend", "got a list", "a string"]),
    ({"all": True, "missing": True}, ["missing", "the boolean true", "a string"]),
    ({"all": True, "exclude_admins": ["yes"]}, ["exclude_admins", "got a list", "true or false"]),
    # An exclusion that could never match protects nobody.
    ({"all": True, "exclude_users": ["LAB\teacher01".replace("\\t", "\t")]},
     ["exclude_users", "control character (TAB)", "single quotes"]),
    ({"all": True, "exclude_users": ["alice@lab.example.com"]}, ["exclude_users", "DNS domain", "LAB\\alice"]),
    ({"all": True, "users": ["LAB\\alice@LAB"]}, ["users", "mixes forms"]),
]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
@pytest.mark.parametrize("args,expected", DISCONNECT_BAD, ids=[repr(case[0]) for case in DISCONNECT_BAD])
def test_session_disconnect_rejects(args, expected, check_mode):
    conn = ScriptedConnection(_never_called)
    with pytest.raises(AnsibleActionFail) as info:
        run_action("session_disconnect", args, conn, check_mode=check_mode)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert conn.requests == []


MESSAGE_BAD = [
    ({"all": True}, ["text"]),
    ({"all": True, "text": "   "}, ["text", "empty"]),
    ({"all": True, "text": "x" * 10001}, ["text", "10000"]),
    ({"all": True, "text": "hi", "title": "t" * 257}, ["title", "256"]),
    ({"all": True, "text": "a\x00b"}, ["text", "NUL"]),
    ({"all": True, "text": "hi", "display_seconds": -1}, ["display_seconds", "0 to 86400"]),
    ({"all": True, "text": "hi", "display_seconds": False}, ["display_seconds", "boolean"]),
    ({"all": True, "text": "hi", "states": ["Disconnected"]}, ["states"]),
    ({"session_id": 2, "text": "hi", "exclude_admins": True}, ["exclude_admins", "session_id"]),
    ({"text": "hi"}, ["session_id", "all=true"]),
    ({"all": True, "text": ["a", "b"]}, ["text", "got a list", "a string"]),
    ({"all": True, "text": {"en": "hi"}}, ["text", "got a dictionary"]),
    ({"all": True, "text": None}, ["text", "got null"]),
    ({"all": True, "text": "hi", "title": ["x"]}, ["title", "got a list"]),
    ({"all": True, "text": "hi", "title": "  "}, ["title", "blank", "Message from your administrator"]),
]


@pytest.mark.parametrize("args,expected", MESSAGE_BAD, ids=[repr(case[0])[:60] for case in MESSAGE_BAD])
def test_session_message_rejects(args, expected):
    conn = ScriptedConnection(_never_called)
    with pytest.raises(AnsibleActionFail) as info:
        run_action("session_message", args, conn, check_mode=True)
    for part in expected:
        assert part in str(info.value)
    assert conn.requests == []


INFO_BAD = [
    ({"states": ["Sleeping"]}, ["states", "Disconnected"]),
    ({"session_id": 0}, ["session_id", "out of range"]),
    ({"users": ["a\\b\\c"]}, ["users", "backslash"]),
    ({"include_system": "often"}, ["include_system", "boolean"]),
    ({"all": True}, ["all", "Unsupported parameters"]),
]


@pytest.mark.parametrize("args,expected", INFO_BAD, ids=[repr(case[0]) for case in INFO_BAD])
def test_session_info_rejects(args, expected):
    conn = ScriptedConnection(_never_called)
    with pytest.raises(AnsibleActionFail) as info:
        run_action("session_info", args, conn)
    for part in expected:
        assert part in str(info.value)
    assert conn.requests == []


def test_null_means_the_default():
    """``title: null`` shows the default title, ``timeout: null`` waits the default time."""
    seen = []

    def answer(request):
        seen.append(request)
        from ansible_collections.multipoint.wms.tests.unit.replies import reply, result, session

        sessions = [session(2, "alice")]
        if request["action"] == "inventory":
            return reply("inventory", sessions)
        results = [result(i) for i in request["ids"]]
        return reply(request["action"], sessions, results=results, after=sessions)

    run_action("session_message", {"all": True, "text": "hi", "title": None, "missing": None}, ScriptedConnection(answer))
    assert seen[-1]["title"] == "Message from your administrator"
    run_action("session_disconnect", {"session_id": 2, "timeout": None, "backend": None}, ScriptedConnection(answer),
               check_mode=True)
    assert seen[-1]["timeout"] == 30 and seen[-1]["backend"] == "auto"
