# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent protocol's one definition: limits, vocabularies, request fields and shapes.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.

Everything else reads these values or is checked against them by a test that fails on drift:
the option checks (``_options``), the request builders below, the JSON schema and the request
table of ``docs/agent-protocol.md`` (both generated from here by ``tools/protocol_docs.py``),
the PowerShell agent (``wms_agent.ps1``), the role's argument specs and the simulator's copy.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOL = 1
AGENT_NAME = "multipoint.wms"
# The agent script's first line starts with this marker; a host can tell the agent by it.
AGENT_MARKER = "# multipoint.wms agent"

ACTIONS = ("inventory", "disconnect", "message")
BACKENDS = ("auto", "multipoint", "wts")
USED_BACKENDS = ("multipoint-2012", "multipoint-2016", "wts")
GENERATIONS = ("2012", "2016", "none")
# WTS_CONNECTSTATE_CLASS values 0..9, by name (section 4).
CONNECT_STATES = (
    "Active", "Connected", "ConnectQuery", "Shadow", "Disconnected", "Idle", "Listen", "Reset", "Down", "Init",
)
RESULT_ACTIONS = ("called", "skipped", "checked")
SKIP_REASONS = ("absent", "state", "user_changed")
ERROR_KINDS = ("module_missing", "unsupported_module", "unsupported_host", "bad_request", "exception")

SESSION_ID_RANGE = (1, 2147483647)
TIMEOUT_RANGE = (1, 3600)
POLL_MS_RANGE = (50, 5000)
DISPLAY_SECONDS_RANGE = (0, 86400)
DEFAULT_POLL_MS = 250


@dataclass(frozen=True)
class Field:
    """One key of a request: its JSON type, its limits, which actions use it and what it means."""

    name: str
    kind: str  # "const", "choice", "integer", "boolean", "string", "ids", "states", "accounts"
    actions: tuple[str, ...]
    required: bool
    doc: str
    bounds: tuple[int, int] | None = None
    choices: tuple[str, ...] | None = None

    def schema(self) -> dict:
        """The field's JSON schema."""
        if self.kind == "const":
            return {"const": self.bounds[0]}
        if self.kind == "choice":
            return {"enum": list(self.choices)}
        if self.kind == "integer":
            return {"type": "integer", "minimum": self.bounds[0], "maximum": self.bounds[1]}
        if self.kind == "ids":
            low, high = self.bounds
            return {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": low, "maximum": high}}
        if self.kind == "states":
            return {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/state"}}
        if self.kind == "accounts":
            return {"type": "array", "minItems": 1, "items": {"type": "string"}}
        return {"type": self.kind}

    def type_text(self) -> str:
        """The type and limits as the protocol document states them."""
        if self.kind == "const":
            return f"`{self.bounds[0]}`"
        if self.kind == "choice":
            return ", ".join(f'`"{c}"`' for c in self.choices)
        if self.kind == "integer":
            return f"integer, {self.bounds[0]} to {self.bounds[1]}"
        if self.kind == "ids":
            return f"array of integers, {self.bounds[0]} to {self.bounds[1]}, at least one"
        if self.kind == "states":
            return "array of connect state names (section 4), at least one"
        if self.kind == "accounts":
            return "array of strings, one per id"
        return self.kind


REQUEST_FIELDS = (
    Field("protocol", "const", ACTIONS, True, "protocol version; anything else is `bad_request`",
          bounds=(PROTOCOL, PROTOCOL)),
    Field("action", "choice", ACTIONS, True, "what to do", choices=ACTIONS),
    Field("backend", "choice", ACTIONS, True,
          "`auto`: MultiPoint cmdlets when the module is present, else the WTS API; `multipoint`: error "
          "`module_missing` when absent; `wts`: never touch the MultiPoint module", choices=BACKENDS),
    Field("ids", "ids", ("disconnect", "message"), True,
          "the sessions to act on, in the order to report them", bounds=SESSION_ID_RANGE),
    Field("accounts", "accounts", ("disconnect", "message"), False,
          "the account (`DOMAIN\\user`, or `user` when the domain is empty) each id belonged to when the "
          "controller selected it; an id whose account, read just before acting, differs (case-insensitive) "
          "is `skipped` with reason `user_changed`: a user who logged off leaves the id to the next one"),
    Field("act_states", "states", ("disconnect", "message"), True,
          "act on an id only if its connect state, read just before acting, is one of these (a "
          "precondition the controller states; the agent only evaluates it)"),
    Field("timeout", "integer", ("disconnect",), True,
          "seconds: `-TimeoutInSecond` on MultiPoint 2012, and the deadline for the wait until the sessions "
          "are Disconnected", bounds=TIMEOUT_RANGE),
    Field("what_if", "boolean", ("disconnect",), True, "`true`: call the cmdlet with `-WhatIf`; nothing may change"),
    Field("diagnose", "boolean", ("inventory",), False,
          "`true`: also answer with `diagnostics` (what the host runs, how the MultiPoint module was found, the "
          "shape of `Get-WmsSession`'s output, timings); reads only, like every inventory"),
    Field("poll_ms", "integer", ("disconnect",), False,
          f"how often to re-read connect states while waiting (default {DEFAULT_POLL_MS})", bounds=POLL_MS_RANGE),
    Field("title", "string", ("message",), True, "message box title"),
    Field("text", "string", ("message",), True, "message box text (may hold any character, newlines included)"),
    Field("display_seconds", "integer", ("message",), True,
          "how long the box stays; 0 = until the user closes it", bounds=DISPLAY_SECONDS_RANGE),
)
FIELDS_BY_NAME = {f.name: f for f in REQUEST_FIELDS}


def request(action: str, backend: str, **values: object) -> dict:
    """A request for ``action``; ValueError names a key the action does not use or lacks.

    A value of None leaves an optional key out.
    """
    doc: dict = {"protocol": PROTOCOL, "action": action, "backend": backend}
    for name, value in values.items():
        if value is None:
            continue
        field = FIELDS_BY_NAME.get(name)
        if field is None or action not in field.actions:
            raise ValueError(f"request key {name!r} is not used by action {action!r}")
        doc[name] = list(value) if field.kind in ("ids", "states", "accounts") else value
    missing = [f.name for f in REQUEST_FIELDS if f.required and action in f.actions and f.name not in doc]
    if missing:
        raise ValueError(f"action {action!r} needs request keys {', '.join(missing)}")
    if "accounts" in doc and len(doc["accounts"]) != len(doc["ids"]):
        raise ValueError("request key 'accounts' needs one account per id")
    return doc


def inventory_request(backend: str, diagnose: bool = False) -> dict:
    """Read every session (and, with ``diagnose``, describe the host)."""
    return request("inventory", backend, diagnose=True if diagnose else None)


def disconnect_request(backend: str, ids: list[int], act_states: tuple[str, ...], timeout: int,
                       what_if: bool, accounts: list[str] | None = None) -> dict:
    """Disconnect ``ids`` that are in one of ``act_states`` (and still ``accounts``') when the agent acts."""
    return request("disconnect", backend, ids=ids, accounts=accounts, act_states=act_states, timeout=timeout,
                   what_if=what_if, poll_ms=DEFAULT_POLL_MS)


def message_request(backend: str, ids: list[int], act_states: tuple[str, ...], title: str, text: str,
                    display_seconds: int, accounts: list[str] | None = None) -> dict:
    """Show a message box in ``ids`` that are in one of ``act_states`` (and still ``accounts``')."""
    return request("message", backend, ids=ids, accounts=accounts, act_states=act_states, title=title, text=text,
                   display_seconds=display_seconds)


# --- the JSON schema of requests and responses (docs/agent-protocol.schema.json) --------------

def _obj(properties: dict) -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(properties),
            "properties": properties}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _request_schema() -> dict:
    rules = []
    for action in ACTIONS:
        required = [f.name for f in REQUEST_FIELDS if action in f.actions and f.required
                    and f.name not in ("protocol", "action", "backend")]
        unused = [f.name for f in REQUEST_FIELDS if action not in f.actions]
        then: dict = {}
        if required:
            then["required"] = required
        if unused:
            then["not"] = {"anyOf": [{"required": [name]} for name in unused]}
        rules.append({"if": {"properties": {"action": {"const": action}}}, "then": then})
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["protocol", "action", "backend"],
        "properties": {f.name: f.schema() for f in REQUEST_FIELDS},
        "allOf": rules,
    }


def schema() -> dict:
    """The JSON schema (draft 2020-12) of requests (``$defs/request``) and responses (``$defs/response``)."""
    error = _obj({
        "kind": {"enum": list(ERROR_KINDS)},
        "type": {"type": "string"},
        "message": {"type": "string"},
        "category": {"type": ["string", "null"]},
        "fqid": {"type": ["string", "null"]},
        "win32": {"type": ["integer", "null"]},
    })
    session = _obj({
        "id": {"type": "integer", "minimum": 0},
        "user": {"type": "string"},
        "domain": {"type": "string"},
        "station": {"type": ["integer", "null"], "minimum": 0},
        "client": {"type": "string"},
        "is_admin": {"type": ["boolean", "null"]},
        "connect_state": {"$ref": "#/$defs/state"},
        "wms_state": {"type": ["string", "null"]},
        "wms_listed": {"type": "boolean"},
        "win_station": {"type": "string"},
    })
    result = _obj({
        "id": {"type": "integer"},
        "action": {"enum": list(RESULT_ACTIONS)},
        "reason": {"enum": [*SKIP_REASONS, None]},
        "what_if": {"type": "boolean"},
        "error": _nullable({"$ref": "#/$defs/error"}),
        "response": {"type": ["integer", "null"]},
    })
    response = _obj({
        "agent": {"const": AGENT_NAME},
        "protocol": {"const": PROTOCOL},
        "action": {"enum": [*ACTIONS, None]},
        "ok": {"type": "boolean"},
        "error": _nullable({"$ref": "#/$defs/error"}),
        "host": _obj({
            "computer": {"type": "string"},
            "ps_version": {"type": "string"},
            "os_version": {"type": "string"},
            "elevated": {"type": ["boolean", "null"]},
        }),
        "generation": {"enum": [*GENERATIONS, None]},
        "module": _nullable(_obj({"name": {"type": "string"}, "version": {"type": "string"}})),
        "backend": {"enum": [*USED_BACKENDS, None]},
        "sessions": {"type": "array", "items": {"$ref": "#/$defs/session"}},
        "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
        "after": {"type": "array", "items": {"$ref": "#/$defs/session"}},
        "diagnostics": _nullable({"$ref": "#/$defs/diagnostics"}),
        "elapsed_ms": {"type": "integer", "minimum": 0},
    })
    strings = {"type": "array", "items": {"type": "string"}}
    diagnostics = _obj({
        "powershell_version": {"type": "string"},
        "clr_version": {"type": "string"},
        "language_mode": {"type": "string"},
        "os_version": {"type": "string"},
        "elevated": {"type": ["boolean", "null"]},
        "module": _nullable(_obj({
            "name": {"type": "string"}, "version": {"type": "string"}, "path": {"type": ["string", "null"]},
            "found_by": {"type": "string"},
        })),
        "generation": {"enum": [*GENERATIONS, "unsupported", None]},
        "evidence": _obj({"get_wmssession": _nullable(strings), "disconnect_wmssession": _nullable(strings)}),
        "wms_session_properties": _nullable(_obj({
            "container": {"enum": ["per_session", "collection"]},
            "collection_type": {"type": ["string", "null"]},
            "count": {"type": "integer", "minimum": 0},
            "properties": {"type": "array", "items": _obj({"name": {"type": "string"}, "type": {"type": "string"}})},
        })),
        "wts": _obj({"available": {"type": "boolean"}, "sessions": {"type": ["integer", "null"]},
                     "error": {"type": ["string", "null"]}}),
        "administrators": _obj({"readable": {"type": "boolean"}, "complete": {"type": ["boolean", "null"]},
                                "members": {"type": ["integer", "null"]}}),
        "timings": _obj({"detect_ms": {"type": "integer"}, "wms_read_ms": {"type": "integer"},
                         "wts_ms": {"type": "integer"}}),
    })
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"multipoint.wms/agent-protocol/{PROTOCOL}",
        "title": f"multipoint.wms agent protocol, version {PROTOCOL} (see agent-protocol.md)",
        "$defs": {
            "state": {"enum": list(CONNECT_STATES)},
            "error": error,
            "session": session,
            "result": result,
            "request": _request_schema(),
            "response": response,
            "diagnostics": diagnostics,
        },
    }


def request_table() -> str:
    """Section 2's table of request keys, as docs/agent-protocol.md shows it."""
    lines = ["| key | type | used by | meaning |", "| --- | --- | --- | --- |"]
    for f in REQUEST_FIELDS:
        used = "all" if f.actions == ACTIONS else ", ".join(f.actions)
        optional = "" if f.required else " (optional)"
        lines.append(f"| `{f.name}` | {f.type_text()} | {used}{optional} | {f.doc} |")
    return "\n".join(lines)
