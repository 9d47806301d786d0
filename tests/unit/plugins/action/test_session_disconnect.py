"""session_disconnect's decisions, from scripted agent replies (every reply checked against the schema)."""

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
    session,
)

DISCONNECTABLE = ["Active", "Connected", "ConnectQuery", "Shadow", "Idle"]


def by_id(sessions: list[dict], sid: int) -> dict:
    return next(s for s in sessions if s["id"] == sid)


def with_state(sid: int, state: str) -> dict:
    return dict(by_id(HOST, sid), connect_state=state)


def outcomes(res: dict) -> dict[int, str]:
    return {s["id"]: s["outcome"] for s in res["sessions"]}


def test_explicit_ids_one_command_and_honest_outcomes():
    def answer(req):
        assert req["action"] == "disconnect"
        return reply("disconnect", HOST, results=[
            result(2), result(3, "skipped", reason="state"), result(9, "skipped", reason="absent"),
        ], after=[with_state(2, "Disconnected")])

    conn = ScriptedConnection(answer)
    res = run_action("session_disconnect", {"session_id": [2, 3, 9, 2]}, conn)
    assert len(conn.requests) == 1
    req = conn.requests[0]
    assert req["ids"] == [2, 3, 9] and req["what_if"] is False and req["timeout"] == 30
    assert req["act_states"] == DISCONNECTABLE and req["backend"] == "auto"
    assert outcomes(res) == {2: "disconnected", 3: "already_disconnected", 9: "not_found"}
    assert res["changed"] is True and res["failed"] is False
    assert res["disconnected"] == [2] and res["unchanged"] == [3, 9] and res["failed_ids"] == []
    assert any("9" in w and "missing=ignore" in w for w in res["warnings"])
    alice = res["sessions"][0]
    assert (alice["state_before"], alice["state_after"], alice["account"]) == ("Active", "Disconnected", "LAB\\alice")
    assert res["agent_commands"] == 1


def test_missing_fail_fails_the_task_but_keeps_every_outcome():
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[
        result(2), result(9, "skipped", reason="absent")], after=[with_state(2, "Disconnected")]))
    res = run_action("session_disconnect", {"session_id": [2, 9], "missing": "fail"}, conn)
    assert res["failed"] is True and res["failed_ids"] == [9]
    assert outcomes(res) == {2: "disconnected", 9: "not_found"}
    assert "Failed to disconnect 1 of 2" in res["msg"]


def test_already_disconnected_only_is_unchanged():
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(3, "skipped", reason="state")]))
    res = run_action("session_disconnect", {"session_id": 3}, conn)
    assert res["changed"] is False and res["failed"] is False
    assert res["unchanged"] == [3] and outcomes(res) == {3: "already_disconnected"}


def test_check_mode_asks_for_whatif_and_predicts():
    def answer(req):
        assert req["what_if"] is True
        return reply("disconnect", HOST, results=[result(2, what_if=True), result(3, "skipped", reason="state")],
                     after=[by_id(HOST, 2)])

    conn = ScriptedConnection(answer)
    res = run_action("session_disconnect", {"session_id": [2, 3]}, conn, check_mode=True, diff=True)
    assert outcomes(res) == {2: "would_disconnect", 3: "already_disconnected"}
    assert res["changed"] is True and res["disconnected"] == [2]
    assert res["sessions"][0]["state_after"] == "Disconnected"
    assert "session 2 LAB\\alice (station 1): Active" in res["diff"]["before"]
    assert "session 2 LAB\\alice (station 1): Disconnected" in res["diff"]["after"]
    assert "predicted" in res["diff"]["after_header"]


def test_check_mode_warns_if_state_changed_anyway():
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(2, what_if=True)],
                                                after=[with_state(2, "Disconnected")]))
    res = run_action("session_disconnect", {"session_id": 2}, conn, check_mode=True)
    assert any("during the check-mode run" in w for w in res["warnings"])


def test_timeout_error_is_timed_out_and_fails():
    err = error("System.TimeoutException", "The operation has timed out.", category="OperationTimeout")
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(2, err=err)],
                                                after=[by_id(HOST, 2)], backend="multipoint-2012", generation="2012"))
    res = run_action("session_disconnect", {"session_id": 2, "timeout": 5}, conn)
    assert outcomes(res) == {2: "timed_out"}
    assert res["failed"] is True and res["failed_ids"] == [2] and res["changed"] is False
    assert "within 5 s" in res["sessions"][0]["message"] and "still Active" in res["sessions"][0]["message"]


def test_success_that_changed_nothing_is_timed_out():
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(2)], after=[by_id(HOST, 2)]))
    res = run_action("session_disconnect", {"session_id": 2, "timeout": 3}, conn)
    assert outcomes(res) == {2: "timed_out"}
    assert "reported success" in res["sessions"][0]["message"]
    assert res["failed"] is True


def test_truth_wins_over_a_reported_error():
    err = error("System.InvalidOperationException", "partial failure")
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(2, err=err)],
                                                after=[with_state(2, "Disconnected")]))
    res = run_action("session_disconnect", {"session_id": 2}, conn)
    assert outcomes(res) == {2: "disconnected"} and res["failed"] is False
    assert "partial failure" in res["sessions"][0]["message"]


def test_per_session_access_denied_says_what_to_do():
    err = error("System.UnauthorizedAccessException", "Access is denied.", category="PermissionDenied")
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(2, err=err)], after=[by_id(HOST, 2)]))
    res = run_action("session_disconnect", {"session_id": 2}, conn)
    assert outcomes(res) == {2: "failed"}
    assert "elevated administrator" in res["sessions"][0]["message"]


def test_request_level_access_denied():
    err = error("System.UnauthorizedAccessException", "Access is denied.", category="PermissionDenied")
    conn = ScriptedConnection(lambda req: reply("disconnect", [], ok=False, err=err, backend=None, generation="2016"))
    res = run_action("session_disconnect", {"session_id": 2}, conn)
    assert res["failed"] is True and res["changed"] is False
    assert res["msg"].startswith("Access denied on mps-01") and "elevated administrator" in res["msg"]


def test_module_missing_with_backend_multipoint():
    err = error("System.Management.Automation.CommandNotFoundException", "Disconnect-WmsSession not found",
                kind="module_missing")
    conn = ScriptedConnection(lambda req: reply("disconnect", [], ok=False, err=err, backend=None, generation="none"))
    res = run_action("session_disconnect", {"session_id": 2, "backend": "multipoint"}, conn)
    assert conn.requests[0]["backend"] == "multipoint"
    assert res["msg"] == ("MultiPoint Services PowerShell module not found on mps-01; use backend=wts for RDS hosts")
    assert res["failed"] is True


def test_listener_is_never_a_user_session():
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[result(65536, "skipped", reason="state")]))
    res = run_action("session_disconnect", {"session_id": 65536}, conn)
    assert outcomes(res) == {65536: "failed"}
    assert "listener" in res["sessions"][0]["message"]


def test_all_with_filters_reads_then_acts_on_exactly_the_selection():
    def answer(req):
        if req["action"] == "inventory":
            return reply("inventory", HOST)
        assert req["ids"] == [2, 5] and req["act_states"] == DISCONNECTABLE
        return reply("disconnect", HOST, results=[result(2), result(5)],
                     after=[with_state(2, "Disconnected"), with_state(5, "Disconnected")])

    conn = ScriptedConnection(answer)
    res = run_action("session_disconnect", {"all": True, "exclude_admins": True}, conn)
    assert [r["action"] for r in conn.requests] == ["inventory", "disconnect"]
    assert outcomes(res) == {3: "already_disconnected", 2: "disconnected", 5: "disconnected"}
    assert [(s["id"], s["reason"]) for s in res["excluded"]] == [(4, "administrator (exclude_admins)")]
    assert res["agent_commands"] == 2


def test_all_with_user_patterns_and_states():
    def answer(req):
        if req["action"] == "inventory":
            return reply("inventory", HOST)
        assert req["ids"] == [5] and req["act_states"] == ["Idle"]
        return reply("disconnect", HOST, results=[result(5)], after=[with_state(5, "Disconnected")])

    conn = ScriptedConnection(answer)
    res = run_action("session_disconnect", {"all": True, "users": ["lab\\CAR*", "ALICE"], "states": ["Idle"]}, conn)
    assert outcomes(res) == {5: "disconnected"}
    skipped = {s["id"]: s["reason"] for s in res["excluded"]}
    assert skipped == {2: "state Active not in states", 3: "not matched by users", 4: "not matched by users"}


def test_all_with_nothing_to_do_runs_one_command():
    conn = ScriptedConnection(lambda req: reply("inventory", HOST))
    res = run_action("session_disconnect", {"all": True, "users": ["bob"]}, conn)
    assert len(conn.requests) == 1
    assert res["changed"] is False and outcomes(res) == {3: "already_disconnected"}


def test_all_race_session_logged_off_before_acting():
    def answer(req):
        if req["action"] == "inventory":
            return reply("inventory", HOST)
        remaining = [s for s in HOST if s["id"] != 5]
        return reply("disconnect", remaining, results=[result(2), result(4), result(5, "skipped", reason="absent")],
                     after=[with_state(2, "Disconnected"), with_state(4, "Disconnected")])

    conn = ScriptedConnection(answer)
    res = run_action("session_disconnect", {"all": True}, conn)
    assert outcomes(res)[5] == "not_found" and res["failed"] is False
    assert "ended before it could be disconnected" in by_id(res["sessions"], 5)["message"]


def test_unknown_admin_status_is_excluded_with_reason():
    host = [session(7, "dave", "Active", station=None, admin=None, listed=False)]
    conn = ScriptedConnection(lambda req: reply("inventory", host, backend="wts", generation="none"))
    res = run_action("session_disconnect", {"all": True, "exclude_admins": True}, conn)
    assert res["excluded"][0]["reason"].startswith("administrator status unknown")
    assert len(conn.requests) == 1


def test_output_that_is_not_json_fails_with_what_came_back():
    conn = ScriptedConnection(lambda req: (1, b"Cannot load stuff\r\n", b"#< CLIXML\r\nsomething broke"))
    res = run_action("session_disconnect", {"session_id": 2}, conn)
    assert res["failed"] is True
    assert "did not run to its end (exit code 1)" in res["msg"]
    assert "Cannot load stuff" in res["msg"] and "something broke" in res["msg"]


def test_noise_before_the_answer_is_ignored_with_a_warning():
    import json

    doc = reply("disconnect", HOST, results=[result(3, "skipped", reason="state")])
    conn = ScriptedConnection(lambda req: (0, b"What if: something\r\n" + json.dumps(doc).encode() + b"\r\n", b""))
    res = run_action("session_disconnect", {"session_id": 3}, conn)
    assert res["failed"] is False and outcomes(res) == {3: "already_disconnected"}
    assert any("What if: something" in w for w in res["warnings"])


def test_many_missing_ids_make_one_warning():
    conn = ScriptedConnection(lambda req: reply("disconnect", HOST, results=[
        result(2)] + [result(i, "skipped", reason="absent") for i in range(100, 130)],
        after=[with_state(2, "Disconnected")]))
    res = run_action("session_disconnect", {"session_id": [2] + list(range(100, 130))}, conn)
    assert len(res["warnings"]) == 1
    assert res["warnings"][0].startswith("30 sessions not found on mps-01 (100, 101,")
    assert "and 10 more" in res["warnings"][0]
    assert res["unchanged"] == list(range(100, 130))


def test_all_mode_reports_sessions_by_id():
    def answer(req):
        if req["action"] == "inventory":
            return reply("inventory", HOST)
        return reply("disconnect", HOST, results=[result(2), result(5)],
                     after=[with_state(2, "Disconnected"), with_state(5, "Disconnected")])

    res = run_action("session_disconnect", {"all": True, "exclude_admins": True}, ScriptedConnection(answer))
    assert [s["id"] for s in res["sessions"]] == [2, 3, 5]
