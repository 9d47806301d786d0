"""User patterns and session selection."""

from __future__ import annotations

import pytest
from ansible_collections.multipoint.wms.plugins.plugin_utils._selection import (
    PatternError,
    UserFilter,
    UserPattern,
    select,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import (
    DISCONNECTABLE_STATES,
    Session,
)
from ansible_collections.multipoint.wms.tests.unit.replies import session


def mk(*args, **kwargs) -> Session:
    return Session.from_agent(session(*args, **kwargs))


@pytest.mark.parametrize("pattern,user,domain,expected", [
    ("alice", "Alice", "LAB", True),
    ("ALICE", "alice", "", True),
    ("lab\\alice", "alice", "LAB", True),
    ("OTHER\\alice", "alice", "LAB", False),
    ("student*", "Student042", "LAB", True),
    ("lab\\stud?nt1", "student1", "lab", True),
    ("*\\bob", "bob", "ANY", True),
    ("bob", "bobby", "LAB", False),
    ("b[o]b", "b[o]b", "LAB", True),
    ("b[o]b", "bob", "LAB", False),
])
def test_user_pattern(pattern, user, domain, expected):
    s = Session.from_agent(session(5, user, domain=domain))
    assert UserPattern.parse(pattern).matches(s) is expected


def test_pattern_never_matches_a_session_without_user():
    assert not UserPattern.parse("*").matches(mk(6, ""))


@pytest.mark.parametrize("bad", ["", "  ", "a\\b\\c", "\\bob", "LAB\\"])
def test_bad_patterns(bad):
    with pytest.raises(PatternError):
        UserPattern.parse(bad)


def test_select_leaves_system_sessions_out_and_explains_skips():
    sessions = [
        mk(0, "", "Disconnected", win_station="Services"), mk(65536, "", "Listen"), mk(1, "", "Connected"),
        mk(2, "alice"), mk(3, "bob", "Disconnected"), mk(4, "eve", admin=True), mk(5, "mallory", "Shadow"),
        mk(8, "zed", "Idle", admin=None),
    ]
    flt = UserFilter(exclude_users=(UserPattern.parse("mallory"),), exclude_admins=True)
    sel = select(sessions, flt, ("Active",), keep_disconnected=True)
    assert [s.id for s in sel.targets] == [2, 3]
    assert [s.id for s in sel.system] == [0, 1, 65536]
    assert {k.session.id: k.reason for k in sel.skipped} == {
        4: "administrator (exclude_admins)",
        5: "excluded by exclude_users (mallory)",
        8: "administrator status unknown on this host (exclude_admins)",
    }


def test_select_without_keep_disconnected_skips_disconnected():
    sel = select([mk(3, "bob", "Disconnected")], UserFilter(), DISCONNECTABLE_STATES)
    assert sel.targets == [] and sel.skipped[0].reason == "state Disconnected not in states"
