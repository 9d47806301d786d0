"""session_info and session_message decisions, from scripted agent replies."""

from __future__ import annotations

from ansible_collections.multipoint.wms.tests.unit.harness import (
    ScriptedConnection,
    run_action,
)
from ansible_collections.multipoint.wms.tests.unit.replies import (
    HOST,
    error,
    reply,
    result,
)


def test_info_lists_user_sessions_with_one_command():
    conn = ScriptedConnection(lambda req: reply("inventory", HOST))
    res = run_action("session_info", {}, conn, check_mode=True)
    assert [s["id"] for s in res["sessions"]] == [2, 3, 4, 5]
    assert res["changed"] is False and res["count"] == 4
    assert res["states"] == {"Active": 2, "Disconnected": 1, "Idle": 1}
    assert res["generation"] == "2016" and res["backend"] == "multipoint-2016"
    assert len(conn.requests) == 1 and conn.requests[0] == {"protocol": 1, "action": "inventory", "backend": "auto"}


def test_info_filters_and_system_sessions():
    conn = ScriptedConnection(lambda req: reply("inventory", HOST))
    res = run_action("session_info", {"include_system": True, "states": ["Disconnected", "Listen"]}, conn)
    assert [(s["id"], s["system"]) for s in res["sessions"]] == [
        (0, "services session"), (3, None), (65536, "listener")]
    res = run_action("session_info", {"users": ["LAB\\a*", "carol"], "exclude_admins": True}, conn)
    assert [s["id"] for s in res["sessions"]] == [2, 5]
    res = run_action("session_info", {"session_id": [2, 99]}, conn)
    assert [s["id"] for s in res["sessions"]] == [2]
    assert any("99" in w for w in res["warnings"])


def test_info_failure_is_reported():
    err = error("System.UnauthorizedAccessException", "Access is denied.", category="PermissionDenied")
    conn = ScriptedConnection(lambda req: reply("inventory", [], ok=False, err=err, backend=None))
    res = run_action("session_info", {}, conn)
    assert res["failed"] is True and "Access denied" in res["msg"]


def test_message_check_mode_sends_nothing():
    conn = ScriptedConnection(lambda req: reply("inventory", HOST))
    res = run_action("session_message", {"all": True, "text": "bye"}, conn, check_mode=True)
    assert [r["action"] for r in conn.requests] == ["inventory"]
    assert res["sent"] == [2, 4, 5] and res["changed"] is True
    assert {s["id"]: s["outcome"] for s in res["sessions"]} == {2: "would_send", 4: "would_send", 5: "would_send"}
    assert [s["id"] for s in res["excluded"]] == [3]


def test_message_explicit_ids_one_command_text_as_data():
    text = "Lab closes \u201cnow\u201d\n$(Remove-Item C:\\ -Recurse) `n 'quote'"

    def answer(req):
        assert req["action"] == "message" and req["text"] == text and req["title"] == "Bye"
        assert req["display_seconds"] == 0 and req["ids"] == [2, 3, 77]
        return reply("message", HOST, results=[
            result(2, response=32001), result(3, "skipped", reason="state"), result(77, "skipped", reason="absent")])

    conn = ScriptedConnection(answer)
    res = run_action("session_message", {"session_id": [2, 3, 77], "text": text, "title": "Bye",
                                         "display_seconds": 0}, conn)
    assert len(conn.requests) == 1
    assert {s["id"]: s["outcome"] for s in res["sessions"]} == {2: "sent", 77: "not_found"}
    assert res["excluded"][0]["id"] == 3 and "nobody can read" in res["excluded"][0]["reason"]
    assert res["sent"] == [2] and res["failed"] is False


def test_message_failure_per_session():
    err = error("System.ComponentModel.Win32Exception", "Access is denied", win32=5)
    conn = ScriptedConnection(lambda req: reply("message", HOST, results=[result(2, err=err)]))
    res = run_action("session_message", {"session_id": 2, "text": "x"}, conn)
    assert res["failed"] is True and res["failed_ids"] == [2]
    assert "elevated administrator" in res["sessions"][0]["message"]


def _noisy(doc: dict) -> tuple[int, bytes, bytes]:
    import json

    return 0, b"Loading profile...\r\n" + json.dumps(doc).encode() + b"\r\n", b""


def test_info_and_message_warn_about_unexpected_output_and_still_work():
    conn = ScriptedConnection(lambda req: _noisy(reply("inventory", HOST)))
    info = run_action("session_info", {}, conn)
    assert info["count"] == 4 and any("Loading profile..." in w for w in info["warnings"])
    message = run_action("session_message", {"all": True, "text": "x"}, conn, check_mode=True)
    assert message["sent"] == [2, 4, 5] and any("Loading profile..." in w for w in message["warnings"])
