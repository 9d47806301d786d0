"""The host side of the agent protocol (docs/agent-protocol.md, section 6), run against ``cmdlets``.

``powershell`` calls ``run_agent`` when the shipped bootstrap starts the shipped agent script;
this module does what that script does on Windows: read the request, find the MultiPoint
generation, read sessions (WTS joined with Get-WmsSession), act, wait, re-read, and answer
with one response object. It never raises: every failure becomes an Error in the response.
Waits are real ``asyncio.sleep``s, so a hanging disconnect with ``timeout: 2`` takes about 2 s.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass

from ..spec import CONNECT_STATES
from . import cmdlets, errors
from .cmdlets import Runspace
from .errors import PSError


# --- the request, read as the script's Read-AgentRequest reads it ------------------------------
# The simulator's side of the protocol's vocabularies and limits. The collection keeps its own
# definition; the collection's tests compare the two, so a change on one side only fails there.

AGENT = "multipoint.wms"
PROTOCOL = 1
# The agent script's first line starts with this marker and names the protocol: how a host
# recognises the agent on stdin when it is not told which exact script to expect.
AGENT_MARKER = "# multipoint.wms agent"
ACTIONS = ("inventory", "disconnect", "message")
BACKENDS = ("auto", "multipoint", "wts")
ID_RANGE = (1, 2147483647)
TIMEOUT_RANGE = (1, 3600)
POLL_MS_RANGE = (50, 5000)
DISPLAY_SECONDS_RANGE = (0, 86400)
DEFAULT_POLL_MS = 250
COMMON_KEYS = ("protocol", "action", "backend")
REQUIRED_KEYS = {
    "inventory": (),
    "disconnect": ("ids", "act_states", "timeout", "what_if"),
    "message": ("ids", "act_states", "title", "text", "display_seconds"),
}
OPTIONAL_KEYS = {"inventory": (), "disconnect": ("accounts", "poll_ms"), "message": ("accounts",)}
KNOWN_KEYS = ("protocol", "action", "backend", "ids", "accounts", "act_states", "timeout", "what_if", "poll_ms",
              "title", "text", "display_seconds")
# How long after the time left a 2012 call is abandoned (the script's $AbandonGraceMs).
ABANDON_GRACE_MS = 2000


class BadRequest(Exception):
    """The request broke the protocol; ``action`` is the request's action when it was valid."""

    def __init__(self, message: str, action: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action


@dataclass(frozen=True)
class ReadRequest:
    """What reading the request line gave: the action it names (when valid) and its values."""

    action: str | None
    values: dict


def _is_integer(value: object) -> bool:
    # ConvertFrom-Json gives Int32, Int64, Decimal or Double; 5.0 is an integer in JSON.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _integer(value: object, key: str, bounds: tuple[int, int], action: str | None) -> int:
    low, high = bounds
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        raise BadRequest(f"{key} must be an integer", action)
    if not _is_integer(value) or not low <= value <= high:
        raise BadRequest(f"{key} must be an integer from {low} to {high}", action)
    return int(value)


def _choice(value: object, key: str, choices: tuple[str, ...], action: str | None) -> str:
    if not isinstance(value, str) or value not in choices:
        raise BadRequest(f"{key} must be one of: {', '.join(choices)}", action)
    return value


def read_request(line: str | None) -> ReadRequest:
    """The request's checked values, or BadRequest with the agent's message."""
    if line is None or not line.strip():
        raise BadRequest("the request line is empty", None)
    try:
        parsed = json.loads(line)
    except ValueError as err:
        raise BadRequest(f"the request is not valid JSON: {err}", None) from None
    if not isinstance(parsed, dict):
        raise BadRequest("the request is not a JSON object", None)
    action = parsed.get("action") if parsed.get("action") in ACTIONS else None
    unknown = [key for key in parsed if key not in KNOWN_KEYS]
    if unknown:
        raise BadRequest("unknown key: " + ", ".join(unknown), action)
    for key in COMMON_KEYS:
        if key not in parsed:
            raise BadRequest(f"missing key: {key}", action)
    _integer(parsed["protocol"], "protocol", (PROTOCOL, PROTOCOL), action)
    action = _choice(parsed["action"], "action", ACTIONS, action)
    values = {"action": action, "backend": _choice(parsed["backend"], "backend", BACKENDS, action)}
    allowed = COMMON_KEYS + REQUIRED_KEYS[action] + OPTIONAL_KEYS[action]
    for key in parsed:
        if key not in allowed:
            raise BadRequest(f"key {key} is not used by action {action}", action)
    for key in REQUIRED_KEYS[action]:
        if key not in parsed:
            raise BadRequest(f"missing key for action {action}: {key}", action)
    if "ids" in parsed:
        ids = parsed["ids"]
        if not isinstance(ids, list) or not ids:
            raise BadRequest("ids must be a non-empty array of integers", action)
        values["ids"] = [_integer(item, "ids", ID_RANGE, action) for item in ids]
    if "accounts" in parsed:
        accounts = parsed["accounts"]
        if not isinstance(accounts, list) or len(accounts) != len(values["ids"]):
            raise BadRequest("accounts must be an array of strings, one per id", action)
        for item in accounts:
            if not isinstance(item, str):
                raise BadRequest("accounts must be a string", action)
        values["accounts"] = list(accounts)
    if "act_states" in parsed:
        states = parsed["act_states"]
        if not isinstance(states, list) or not states:
            raise BadRequest("act_states must be a non-empty array of connect state names", action)
        values["act_states"] = [_choice(item, "act_states", CONNECT_STATES, action) for item in states]
    if "timeout" in parsed:
        values["timeout"] = _integer(parsed["timeout"], "timeout", TIMEOUT_RANGE, action)
    if "what_if" in parsed:
        if not isinstance(parsed["what_if"], bool):
            raise BadRequest("what_if must be true or false", action)
        values["what_if"] = parsed["what_if"]
    if "poll_ms" in parsed:
        values["poll_ms"] = _integer(parsed["poll_ms"], "poll_ms", POLL_MS_RANGE, action)
    for key in ("title", "text"):
        if key in parsed:
            if not isinstance(parsed[key], str):
                raise BadRequest(f"{key} must be a string", action)
            values[key] = parsed[key]
    if "display_seconds" in parsed:
        values["display_seconds"] = _integer(parsed["display_seconds"], "display_seconds",
                                             DISPLAY_SECONDS_RANGE, action)
    return ReadRequest(action, values)


# --- answering ---------------------------------------------------------------------------------


class RequestFailed(Exception):
    """The request as a whole failed; carries the protocol's Error object."""

    def __init__(self, error: dict) -> None:
        super().__init__(error["message"])
        self.error = error


def error_object(
    kind: str, type_name: str, message: str, category: str | None = None,
    fqid: str | None = None, win32: int | None = None,
) -> dict:
    return {"kind": kind, "type": type_name, "message": message, "category": category,
            "fqid": fqid, "win32": win32}


def exception_error(err: PSError) -> dict:
    """An Error of kind ``exception`` from what a cmdlet or API call raised."""
    return error_object("exception", err.type_name, err.message, err.category, err.fqid, err.win32)


def account(session: dict) -> str:
    """DOMAIN\\user as the controller writes it (the script's Get-SessionAccount)."""
    if not session["user"]:
        return ""
    return f"{session['domain']}\\{session['user']}" if session["domain"] else session["user"]


def abandoned(command: str, seconds: int) -> dict:
    """The Error for a call the agent stopped waiting for."""
    return error_object(
        "exception", errors.TIMEOUT, f"{command} did not return within {seconds} s; the call was abandoned",
        "OperationTimeout",
    )


def _result(session_id: int, action: str, reason: str | None = None, what_if: bool = False,
            error: dict | None = None, response: int | None = None) -> dict:
    return {"id": session_id, "action": action, "reason": reason, "what_if": what_if,
            "error": error, "response": response}


@dataclass
class _Run:
    """One request being answered."""

    rs: Runspace
    request: dict
    backend: str  # multipoint-2012, multipoint-2016 or wts
    generation: str | None

    @property
    def host(self):
        return self.rs.host

    async def read_sessions(self) -> list[dict]:
        """WTSEnumerateSessions joined by id with Get-WmsSession (2012: no arguments; 2016: -All)."""
        host = self.host
        listed: dict[int, cmdlets.PSObject] = {}
        if self.backend != "wts":
            id_key = "Id" if self.generation == "2012" else "SessionId"
            for obj in await cmdlets.get_wms_session(self.rs, None):
                listed[int(obj.properties[id_key])] = obj
        sessions = []
        for session_id, win_station, state in cmdlets.wts_enumerate(host):
            obj = listed.get(session_id)
            if obj is not None:
                props = obj.properties
                sessions.append({
                    "id": session_id, "user": str(props["UserName"]), "domain": str(props["DomainName"]),
                    "station": int(props["StationId"]), "client": str(props["ClientName"]),
                    "is_admin": bool(props["IsAdmin"]), "connect_state": state,
                    "wms_state": str(props["State"]), "wms_listed": True, "win_station": win_station,
                })
                continue
            try:
                user, domain, client = (cmdlets.wts_query(host, session_id, info)
                                        for info in ("WTSUserName", "WTSDomainName", "WTSClientName"))
            except PSError:
                if host.session(session_id) is None:
                    continue  # the session logged off between enumerating and querying: gone
                raise
            sessions.append({
                "id": session_id, "user": user, "domain": domain, "station": None, "client": client,
                "is_admin": cmdlets.local_admin_member(host, session_id) if self.backend == "wts" else None,
                "connect_state": state, "wms_state": None, "wms_listed": False, "win_station": win_station,
            })
        return sessions


    def sort_ids(self, sessions: list[dict]) -> tuple[dict[int, dict], list[int]]:
        """Step 1: a result for each skipped id, and the targets in request order."""
        states = {s["id"]: s["connect_state"] for s in sessions}
        owners = {s["id"]: account(s) for s in sessions}
        act_states = set(self.request["act_states"])
        expected = self.request.get("accounts")
        results: dict[int, dict] = {}
        targets: list[int] = []
        for index, session_id in enumerate(self.request["ids"]):
            if session_id in results or session_id in targets:
                continue
            if session_id not in states:
                results[session_id] = _result(session_id, "skipped", "absent")
            elif states[session_id] not in act_states:
                results[session_id] = _result(session_id, "skipped", "state")
            elif expected is not None and owners[session_id].lower() != expected[index].lower():
                results[session_id] = _result(session_id, "skipped", "user_changed")
            else:
                targets.append(session_id)
        return results, targets

    async def disconnect(self, targets: list[int], results: dict[int, dict], began: float) -> None:
        """Step 2: act on the targets with the backend's calls; ``began`` starts the deadline."""
        timeout = self.request["timeout"]
        what_if = self.request["what_if"]
        if self.backend == "multipoint-2012":
            # One call per target, all within the request's deadline (the script's
            # Invoke-MultiPointDisconnect2012): each gets the seconds left, rounded up.
            for session_id in targets:
                left = began + timeout - time.monotonic()
                if left <= 0:
                    error = error_object(
                        "exception", errors.TIMEOUT,
                        f"not reached: the request's {timeout} s were used up before this session's turn; "
                        "Disconnect-WmsSession was not called for it", "OperationTimeout")
                    results[session_id] = _result(session_id, "called", what_if=what_if, error=error)
                    continue
                limit = left + ABANDON_GRACE_MS / 1000
                cause = f"Disconnect-WmsSession -SessionId {session_id} (agent)"
                call = cmdlets.disconnect_wms_session(
                    self.rs, [session_id], timeout=max(1, math.ceil(left)), what_if=what_if, cause=cause
                )
                try:
                    raised = await asyncio.wait_for(call, limit)
                    error = exception_error(raised[0]) if raised else None
                except PSError as err:
                    error = exception_error(err)
                except TimeoutError:
                    error = abandoned("Disconnect-WmsSession", round(limit))
                results[session_id] = _result(session_id, "called", what_if=what_if, error=error)
        elif self.backend == "multipoint-2016":
            cause = f"Disconnect-WmsSession -SessionId {','.join(map(str, targets))} (agent)"
            call = cmdlets.disconnect_wms_session(self.rs, list(targets), what_if=what_if, cause=cause)
            try:
                raised = [(err.target, exception_error(err)) for err in await asyncio.wait_for(call, timeout)]
            except PSError as err:
                raised = [(None, exception_error(err))]
            except TimeoutError:
                raised = [(None, abandoned("Disconnect-WmsSession", timeout))]
            owned: dict[int, dict] = {}
            for target, error in raised:
                # An error whose target object is one id belongs to it; others to every target.
                for session_id in [target] if target in targets else targets:
                    owned.setdefault(session_id, error)
            for session_id in targets:
                error = owned.get(session_id)
                results[session_id] = _result(session_id, "called", what_if=what_if, error=error)
        else:
            for session_id in targets:
                if what_if:
                    results[session_id] = _result(session_id, "checked", what_if=True)
                    continue
                try:
                    cmdlets.wts_disconnect(self.host, session_id, "WTSDisconnectSession (agent)")
                    error = None
                except PSError as err:
                    error = exception_error(err)
                results[session_id] = _result(session_id, "called", error=error)

    async def wait_disconnected(self, targets: list[int], results: dict[int, dict], began: float) -> None:
        """Step 3: re-read connect states every poll_ms until the called targets are
        Disconnected or gone, or ``timeout`` seconds after acting began."""
        pending = [i for i in targets if results[i]["action"] == "called" and results[i]["error"] is None]
        deadline = began + self.request["timeout"]
        poll = self.request.get("poll_ms", DEFAULT_POLL_MS) / 1000
        while pending:
            states = {sid: state for sid, _, state in cmdlets.wts_enumerate(self.host)}
            pending = [i for i in pending if i in states and states[i] != cmdlets.DISCONNECTED]
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                return
            await asyncio.sleep(min(poll, remaining))

    def message(self, targets: list[int], results: dict[int, dict]) -> None:
        """WTSSendMessage for each target; the text travels as data."""
        req = self.request
        for session_id in targets:
            try:
                response = cmdlets.wts_send_message(
                    self.host, session_id, req["title"], req["text"], req["display_seconds"],
                    "WTSSendMessage (agent)",
                )
                results[session_id] = _result(session_id, "called", response=response)
            except PSError as err:
                results[session_id] = _result(session_id, "called", error=exception_error(err))


def _detect(rs: Runspace) -> tuple[str, list[str]]:
    """Section 5: generation from Disconnect-WmsSession's parameters, importing if needed.
    Returns the generation and why each Import-Module failed."""
    failures: list[str] = []
    command = rs.find_command("Disconnect-WmsSession")
    if command is None:
        for name in cmdlets.MODULE_NAMES:
            try:
                rs.import_module(name)
                break
            except PSError as err:
                failures.append(f"{name}: {err.message}")
        command = rs.find_command("Disconnect-WmsSession")
    if command is None:
        return "none", failures
    names = cmdlets.parameter_names(rs.host, command)
    if "TimeoutInSecond" in names:
        return "2012", failures
    if "All" in names or "Server" in names:
        return "2016", failures
    return "unsupported", failures


def _module_missing(failures: list[str]) -> RequestFailed:
    return RequestFailed(error_object(
        "module_missing", "System.Management.Automation.CommandNotFoundException",
        "Disconnect-WmsSession was not found after Import-Module MultiPoint, WmsCmdlets, WmsCmdlets3. "
        + " | ".join(failures),
        "ObjectNotFound", "CommandNotFoundException",
    ))


async def run_agent(rs: Runspace, request_line: str | None) -> dict:
    """Answer one request line with one response object; never raises (except cancellation)."""
    started = time.monotonic()
    host = rs.host
    response: dict = {
        "agent": AGENT, "protocol": PROTOCOL, "action": None, "ok": True, "error": None,
        "host": {
            "computer": host.computer, "ps_version": cmdlets.ps_version(host),
            "os_version": cmdlets.os_version(host), "elevated": not host.faults.access_denied,
        },
        "generation": None, "module": None, "backend": None,
        "sessions": [], "results": [], "after": [], "elapsed_ms": 0,
    }
    try:
        await _answer(rs, request_line, response)
    except RequestFailed as failed:
        response["ok"] = False
        response["error"] = failed.error
    except PSError as err:
        response["ok"] = False
        response["error"] = exception_error(err)
    except Exception as exc:  # a bug in the simulator: still one response, and say so
        response["ok"] = False
        response["error"] = error_object(
            "exception", "System.Management.Automation.RuntimeException", f"wmssim agent error: {exc!r}"
        )
    response["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return response


async def _answer(rs: Runspace, request_line: str | None, response: dict) -> None:
    host = rs.host
    try:
        read = read_request(request_line)
    except BadRequest as bad:
        response["action"] = bad.action
        host.record_agent_request(bad.action, False, [])
        raise RequestFailed(error_object("bad_request", "System.ArgumentException", bad.message,
                                         "InvalidArgument")) from None
    request = read.values
    response["action"] = read.action
    host.record_agent_request(read.action, bool(request.get("what_if")), list(request.get("ids", [])))

    generation: str | None = None
    if request["backend"] == "wts":
        backend = "wts"
    else:
        generation, failures = _detect(rs)
        response["generation"] = generation if generation != "unsupported" else None
        if generation == "unsupported":
            response["module"] = rs.module_info()  # as the real agent: the module loaded, it just fits no generation
            raise RequestFailed(error_object(
                "unsupported_module", "System.NotSupportedException",
                "Disconnect-WmsSession has neither a TimeoutInSecond nor an All or Server parameter.",
            ))
        if generation == "none":
            if request["backend"] == "multipoint":
                raise _module_missing(failures)
            backend = "wts"
        else:
            response["module"] = rs.module_info()
            backend = f"multipoint-{generation}"
    response["backend"] = backend
    run = _Run(rs, request, backend, generation)

    sessions = await run.read_sessions()
    response["sessions"] = sessions
    host.after_agent_inventory()
    if request["action"] == "inventory":
        return

    results, targets = run.sort_ids(sessions)
    if request["action"] == "disconnect":
        began = time.monotonic()
        await run.disconnect(targets, results, began)
        if not request["what_if"]:
            await run.wait_disconnected(targets, results, began)
    else:
        run.message(targets, results)
    response["results"] = [results[i] for i in request["ids"]]
    if request["action"] == "disconnect":
        after = {s["id"]: s for s in await run.read_sessions()}
        response["after"] = [after[i] for i in targets if i in after]
