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
OPTIONAL_KEYS = {"inventory": ("diagnose",), "disconnect": ("accounts", "poll_ms"), "message": ("accounts",)}
KNOWN_KEYS = ("protocol", "action", "backend", "ids", "accounts", "act_states", "timeout", "what_if", "diagnose",
              "poll_ms", "title", "text", "display_seconds")
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
    for key in ("what_if", "diagnose"):
        if key in parsed:
            if not isinstance(parsed[key], bool):
                raise BadRequest(f"{key} must be true or false", action)
            values[key] = parsed[key]
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


def _session_id(obj: cmdlets.PSObject, id_key: str) -> int:
    """The id of a Get-WmsSession object: Int32, UInt32 or a number written as text."""
    value = obj.properties.get(id_key)
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RequestFailed(error_object(
            "exception", errors.INVALID_OPERATION,
            f"Get-WmsSession returned an object without an integer {id_key} property; its properties: "
            + ", ".join(obj.properties), "InvalidOperation"))
    return value


@dataclass
class _Run:
    """One request being answered."""

    rs: Runspace
    request: dict
    backend: str  # multipoint-2012, multipoint-2016 or wts
    generation: str | None
    shape: dict | None = None  # how Get-WmsSession wrote its objects (for diagnostics)
    objects: list | None = None
    wms_read_ms: int = 0
    found: Found | None = None

    @property
    def host(self):
        return self.rs.host

    async def read_sessions(self) -> list[dict]:
        """WTSEnumerateSessions joined by id with Get-WmsSession (2012: no arguments; 2016: -All).

        As the script's Read-Sessions: a collection written whole is taken apart, an id written
        as text is read as a number, and for every joined session the MultiPoint user must be the
        WTS one (else the request fails: the join cannot be trusted).
        """
        host = self.host
        listed: dict[int, cmdlets.PSObject] = {}
        began = time.monotonic()
        if self.backend != "wts":
            id_key = "Id" if self.generation == "2012" else "SessionId"
            written = await cmdlets.get_wms_session(self.rs, None)
            objects = cmdlets.unroll(written)
            self.shape = {"container": "collection" if len(written) != len(objects) or any(
                isinstance(w, cmdlets.PSCollection) for w in written) else "per_session",
                "collection_type": next((w.type_name for w in written if isinstance(w, cmdlets.PSCollection)), None)}
            self.objects = objects
            for obj in objects:
                listed[_session_id(obj, id_key)] = obj
        self.wms_read_ms = int((time.monotonic() - began) * 1000)
        sessions = []
        for session_id, win_station, state in cmdlets.wts_enumerate(host):
            obj = listed.get(session_id)
            if obj is not None:
                props = obj.properties
                record = {
                    "id": session_id, "user": str(props["UserName"]), "domain": str(props["DomainName"]),
                    "station": int(props["StationId"]), "client": str(props["ClientName"]),
                    "is_admin": bool(props["IsAdmin"]), "connect_state": state,
                    "wms_state": str(props["State"]), "wms_listed": True, "win_station": win_station,
                }
                self.same_user(record)
                sessions.append(record)
                continue
            try:
                user, domain, client = (cmdlets.wts_query(host, session_id, info)
                                        for info in ("WTSUserName", "WTSDomainName", "WTSClientName"))
            except PSError:
                if host.session(session_id) is None:
                    continue  # the session logged off between enumerating and querying: gone
                if state not in cmdlets.NON_USER_STATES:
                    raise
                user, domain, client = "", "", ""  # a listener or a window station: no user
            sessions.append({
                "id": session_id, "user": user, "domain": domain, "station": None, "client": client,
                "is_admin": cmdlets.local_admin_member(host, session_id) if self.backend == "wts" else None,
                "connect_state": state, "wms_state": None, "wms_listed": False, "win_station": win_station,
            })
        return sessions

    def same_user(self, record: dict) -> None:
        """The script's Assert-SameUser: MultiPoint's user (its user part) must be WTS's."""
        try:
            wts_user = cmdlets.wts_query(self.host, record["id"], "WTSUserName")
        except PSError:
            if self.host.session(record["id"]) is None:
                return
            raise
        wms_user = record["user"]
        if wms_user.rsplit("\\", 1)[-1].lower() != wts_user.lower():
            raise RequestFailed(error_object(
                "exception", errors.INVALID_OPERATION,
                f"Get-WmsSession and the WTS API name different users for session {record['id']}: MultiPoint says "
                f"'{wms_user}', WTS says '{wts_user}'; the agent will not act on a host whose sessions it cannot "
                "match", "InvalidOperation"))

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

    async def disconnect(self, targets: list[int], results: dict[int, dict], began: float,
                         listed: set[int]) -> None:
        """Step 2: act on the targets with the backend's calls; ``began`` starts the deadline.

        A MultiPoint cmdlet only gets ids Get-WmsSession listed (``listed``); the others go to
        WTSDisconnectSession, as in the script's Invoke-DisconnectAction.
        """
        wts_targets = targets if self.backend == "wts" else [t for t in targets if t not in listed]
        targets = [t for t in targets if t not in wts_targets]
        self.disconnect_wts(wts_targets, results)
        timeout = self.request["timeout"]
        what_if = self.request["what_if"]
        if not targets:
            return
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

    def disconnect_wts(self, targets: list[int], results: dict[int, dict]) -> None:
        """WTSDisconnectSession for each target; with what_if nothing is invoked (``checked``)."""
        for session_id in targets:
            if self.request["what_if"]:
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


@dataclass
class Found:
    """What the script's Find-MultiPointModule found (section 5)."""

    generation: str  # "2012", "2016", "none" or "unsupported"
    failures: list[str]
    found_by: str | None = None  # "Get-Command", "Import-Module <name>" or "snap-in <name>"
    disconnect_parameters: list[str] | None = None
    get_parameters: list[str] | None = None


def _detect(rs: Runspace) -> Found:
    """Section 5: generation from Disconnect-WmsSession's parameters, importing if needed, as the
    script does it in its MultiPoint runspace (Get-Command, then Import-Module of each name)."""
    failures: list[str] = []
    command = rs.find_command("Disconnect-WmsSession")
    found_by = "Get-Command"
    if command is None:
        for name in cmdlets.MODULE_NAMES:
            try:
                rs.import_module(name)
                found_by = f"Import-Module {name}"
                break
            except PSError as err:
                failures.append(f"{name}: {err.message}")
        command = rs.find_command("Disconnect-WmsSession")
    if command is None:
        return Found("none", failures)
    if rs.host.behaviour.module_kind == "snapin":
        found_by = f"snap-in {rs.host.behaviour.module_name}"
    names = cmdlets.parameter_names(rs.host, command)
    get_command = rs.find_command("Get-WmsSession")
    found = Found("unsupported", failures, found_by, names,
                  cmdlets.parameter_names(rs.host, get_command) if get_command else None)
    if "TimeoutInSecond" in names:
        found.generation = "2012"
    elif "All" in names or "Server" in names:
        found.generation = "2016"
    return found


def _module_missing(failures: list[str]) -> RequestFailed:
    return RequestFailed(error_object(
        "module_missing", "System.Management.Automation.CommandNotFoundException",
        "Disconnect-WmsSession was not found after Import-Module MultiPoint, WmsCmdlets, WmsCmdlets3. "
        + " | ".join(failures),
        "ObjectNotFound", "CommandNotFoundException",
    ))


def unsupported_host_response(host, problem: str) -> dict:
    """The one response the bootstrap writes on a host the agent cannot run on."""
    return {
        "agent": AGENT, "protocol": PROTOCOL, "action": None, "ok": False,
        "error": error_object("unsupported_host", "System.NotSupportedException", problem),
        "host": {"computer": "", "ps_version": cmdlets.ps_version(host), "os_version": "", "elevated": None},
        "generation": None, "module": None, "backend": None, "sessions": [], "results": [], "after": [],
        "diagnostics": None, "elapsed_ms": 0,
    }


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
        "sessions": [], "results": [], "after": [], "diagnostics": None, "elapsed_ms": 0,
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

    run = _Run(rs, request, "wts", None)
    try:
        await _act(run, response)
    finally:
        # Diagnostics come with a failed request too (the script's Invoke-Agent).
        if request.get("diagnose"):
            response["diagnostics"] = _diagnostics(run)


def _diagnostics(run: _Run) -> dict:
    """The script's Get-AgentDiagnostics."""
    host = run.host
    found = run.found
    module = None
    if found is not None and found.generation != "none":
        module = {**run.rs.module_info(), "path": run.rs.module_path(), "found_by": found.found_by or ""}
    properties = None
    if run.objects is not None:
        first = run.objects[0] if run.objects else None
        properties = {
            "container": run.shape["container"], "collection_type": run.shape["collection_type"],
            "count": len(run.objects),
            "properties": [] if first is None else [
                {"name": name, "type": cmdlets.property_type(first, name)} for name in first.properties],
        }
    spec_sessions = host.spec.sessions
    unexpandable = any(s.admin == "unresolvable" for s in spec_sessions)
    admins = sum(1 for s in spec_sessions if s.admin is True or s.admin == "group")
    return {
        "powershell_version": cmdlets.ps_version(host),
        "clr_version": cmdlets.clr_version(host),
        "language_mode": host.spec.language_mode,
        "os_version": cmdlets.os_version(host),
        "elevated": not host.faults.access_denied,
        "module": module,
        "generation": found.generation if found else None,
        "evidence": {"get_wmssession": found.get_parameters if found else None,
                     "disconnect_wmssession": found.disconnect_parameters if found else None},
        "wms_session_properties": properties,
        "wts": {"available": True, "sessions": len(cmdlets.wts_enumerate(host)), "error": None},
        "administrators": {"readable": True, "complete": not unexpandable, "members": 1 + admins},
        "timings": {"detect_ms": 0, "wms_read_ms": run.wms_read_ms, "wts_ms": 0},
    }


async def _act(run: _Run, response: dict) -> None:
    """Detect, read, act: what the script's Invoke-Agent does after reading the request."""
    rs, request, host = run.rs, run.request, run.host
    if request["backend"] != "wts":
        found = _detect(rs)
        run.found = found
        generation = found.generation
        response["generation"] = generation if generation != "unsupported" else None
        if generation == "unsupported":
            response["module"] = rs.module_info()  # as the real agent: the module loaded, it just fits no generation
            raise RequestFailed(error_object(
                "unsupported_module", "System.NotSupportedException",
                "Disconnect-WmsSession has neither a TimeoutInSecond nor an All or Server parameter.",
            ))
        if generation == "none":
            if request["backend"] == "multipoint":
                raise _module_missing(found.failures)
        else:
            response["module"] = rs.module_info()
            run.backend, run.generation = f"multipoint-{generation}", generation
    response["backend"] = run.backend

    sessions = await run.read_sessions()
    response["sessions"] = sessions
    host.after_agent_inventory()
    if request["action"] == "inventory":
        return

    results, targets = run.sort_ids(sessions)
    if request["action"] == "disconnect":
        began = time.monotonic()
        await run.disconnect(targets, results, began, {s["id"] for s in sessions if s["wms_listed"]})
        if not request["what_if"]:
            await run.wait_disconnected(targets, results, began)
    else:
        run.message(targets, results)
    response["results"] = [results[i] for i in request["ids"]]
    if request["action"] == "disconnect":
        after = {s["id"]: s for s in await run.read_sessions()}
        response["after"] = [after[i] for i in targets if i in after]
