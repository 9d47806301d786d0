"""Agent replies for unit tests, built as the agent writes them and checked against the protocol's schema."""

from __future__ import annotations

import jsonschema
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    schema as protocol_schema,
)


def _validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = protocol_schema()
    schema["$ref"] = f"#/$defs/{definition}"
    return jsonschema.Draft202012Validator(schema)


REQUEST = _validator("request")
RESPONSE = _validator("response")


def session(id: int, user: str = "", state: str = "Active", *, domain: str = "LAB", station: int | None = 1,
            admin: bool | None = False, client: str = "", listed: bool = True, win_station: str | None = None) -> dict:
    """One session as the agent reports it."""
    if win_station is None:
        win_station = "Services" if id == 0 else ("RDP-Tcp" if state == "Listen" else f"RDP-Tcp#{id}")
    return {
        "id": id, "user": user, "domain": domain if user else "", "station": station, "client": client,
        "is_admin": admin, "connect_state": state, "wms_state": "ConnectedToStation" if listed else None,
        "wms_listed": listed, "win_station": win_station,
    }


def error(type_: str, message: str, *, kind: str = "exception", category: str | None = None,
          fqid: str | None = None, win32: int | None = None) -> dict:
    return {"kind": kind, "type": type_, "message": message, "category": category, "fqid": fqid, "win32": win32}


def result(id: int, action: str = "called", *, reason: str | None = None, what_if: bool = False,
           err: dict | None = None, response: int | None = None) -> dict:
    return {"id": id, "action": action, "reason": reason, "what_if": what_if, "error": err, "response": response}


def reply(action: str, sessions: list[dict], *, results: list[dict] | None = None, after: list[dict] | None = None,
          backend: str | None = "multipoint-2016", generation: str | None = "2016", ok: bool = True,
          err: dict | None = None, diagnostics: dict | None = None) -> dict:
    """A whole response document, validated against the protocol's schema."""
    doc = {
        "agent": "multipoint.wms", "protocol": 1, "action": action, "ok": ok, "error": err,
        "host": {"computer": "MPS-01", "ps_version": "5.1.14393.0", "os_version": "10.0.14393.0", "elevated": True},
        "generation": generation,
        "module": {"name": "MultiPoint", "version": "1.0.0.0"} if generation in ("2012", "2016") else None,
        "backend": backend, "sessions": sessions, "results": results or [], "after": after or [],
        "diagnostics": diagnostics, "elapsed_ms": 12,
    }
    RESPONSE.validate(doc)
    return doc


# A 2016 host as most unit tests see it: services, listener, users, an admin, an idle remote session.
HOST = [
    session(0, "", "Disconnected", station=None, win_station="Services"),
    session(65536, "", "Listen", station=None),
    session(2, "alice", "Active", station=1),
    session(3, "bob", "Disconnected", station=2),
    session(4, "teacher", "Active", station=3, admin=True),
    session(5, "Carol", "Idle", station=0, client="LAB-PC-05"),
    session(6, "", "Connected", station=4),
]
