"""Requests with tens of thousands of ids are judged in linear time, with the right outcomes."""

from __future__ import annotations

import time

from ansible_collections.multipoint.wms.tests.unit.harness import (
    ScriptedConnection,
    run_action,
)
from ansible_collections.multipoint.wms.tests.unit.replies import reply, result, session

HOST = [session(2, "alice", "Active", station=1), session(3, "bob", "Active", station=2)]
ABSENT = list(range(100000, 140000))  # 40,000 ids the host does not have
IDS = [2] + ABSENT + [3]
LIMIT_S = 10  # the quadratic lookups this guards against took about 90 s


class TimedConnection(ScriptedConnection):
    """A scripted host that also counts the time spent playing the host (schema checks included)."""

    host_seconds = 0.0

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True):
        started = time.monotonic()
        try:
            return super().exec_command(cmd, in_data, sudoable)
        finally:
            self.host_seconds += time.monotonic() - started


def _answer(action: str):
    def answer(req):
        after = [dict(s, connect_state="Disconnected") for s in HOST] if action == "disconnect" else []
        doc = reply(action, HOST, results=[result(2), result(3)], after=after)  # schema-checked shape
        doc["results"] = [result(i) if i in (2, 3) else result(i, "skipped", reason="absent") for i in req["ids"]]
        return doc
    return answer


def _controller_seconds(conn: TimedConnection, started: float) -> float:
    return time.monotonic() - started - conn.host_seconds


def test_message_to_40000_ids_mostly_absent():
    conn = TimedConnection(_answer("message"))
    started = time.monotonic()
    res = run_action("session_message", {"session_id": IDS + [2], "text": "hello"}, conn)
    assert _controller_seconds(conn, started) < LIMIT_S
    assert conn.requests[0]["ids"] == IDS  # the duplicate 2 is dropped, the order kept
    assert res["sent"] == [2, 3] and res["failed"] is False
    assert [s["id"] for s in res["sessions"]] == IDS
    assert {s["outcome"] for s in res["sessions"][1:-1]} == {"not_found"}


def test_disconnect_of_40000_ids_mostly_absent_fails_with_every_id_in_order():
    conn = TimedConnection(_answer("disconnect"))
    started = time.monotonic()
    res = run_action("session_disconnect", {"session_id": IDS, "missing": "fail"}, conn)
    assert _controller_seconds(conn, started) < LIMIT_S
    assert res["disconnected"] == [2, 3]
    assert res["failed_ids"] == ABSENT and res["unchanged"] == []
    assert res["failed"] is True
