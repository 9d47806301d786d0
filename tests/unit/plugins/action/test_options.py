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
]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
@pytest.mark.parametrize("args,expected", DISCONNECT_BAD, ids=[repr(a) for a, _ in DISCONNECT_BAD])
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
]


@pytest.mark.parametrize("args,expected", MESSAGE_BAD, ids=[repr(a)[:60] for a, _ in MESSAGE_BAD])
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


@pytest.mark.parametrize("args,expected", INFO_BAD, ids=[repr(a) for a, _ in INFO_BAD])
def test_session_info_rejects(args, expected):
    conn = ScriptedConnection(_never_called)
    with pytest.raises(AnsibleActionFail) as info:
        run_action("session_info", args, conn)
    for part in expected:
        assert part in str(info.value)
    assert conn.requests == []
