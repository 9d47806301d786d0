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
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from . import cmdlets
from .cmdlets import PSError, Runspace

AGENT = "multipoint.wms"
PROTOCOL = 1
ACTIONS = ("inventory", "disconnect", "message")
DEFAULT_POLL_MS = 250
ABANDON_GRACE_2012 = 5  # a 2012 call is abandoned after timeout + 5 s (section 6, step 2)
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "agent-protocol.schema.json"


@cache
def request_validator() -> Draft202012Validator:
    """A validator for requests: the schema's ``$defs/request``."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(dict(schema, **{"$ref": "#/$defs/request"}))


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


def bad_request(message: str) -> RequestFailed:
    return RequestFailed(error_object("bad_request", "System.ArgumentException", message, "InvalidArgument"))


def abandoned(command: str, seconds: int) -> dict:
    """The Error for a call the agent stopped waiting for."""
    return error_object(
        "exception", cmdlets.TIMEOUT, f"{command} did not return within {seconds} s; the call was abandoned",
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
        act_states = set(self.request["act_states"])
        results: dict[int, dict] = {}
        targets: list[int] = []
        for session_id in self.request["ids"]:
            if session_id in results or session_id in targets:
                continue
            if session_id not in states:
                results[session_id] = _result(session_id, "skipped", "absent")
            elif states[session_id] not in act_states:
                results[session_id] = _result(session_id, "skipped", "state")
            else:
                targets.append(session_id)
        return results, targets

    async def disconnect(self, targets: list[int], results: dict[int, dict]) -> None:
        """Step 2: act on the targets with the backend's calls."""
        timeout = self.request["timeout"]
        what_if = self.request["what_if"]
        if self.backend == "multipoint-2012":
            for session_id in targets:
                cause = f"Disconnect-WmsSession -SessionId {session_id} (agent)"
                call = cmdlets.disconnect_wms_session(
                    self.rs, [session_id], timeout=timeout, what_if=what_if, cause=cause
                )
                try:
                    errors = await asyncio.wait_for(call, timeout + ABANDON_GRACE_2012)
                    error = exception_error(errors[0]) if errors else None
                except PSError as err:
                    error = exception_error(err)
                except TimeoutError:
                    error = abandoned("Disconnect-WmsSession", timeout + ABANDON_GRACE_2012)
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


def _parse(request_line: str | None) -> dict:
    if request_line is None or not request_line.strip():
        raise bad_request("no request: the first line of stdin is empty")
    try:
        request = json.loads(request_line)
    except ValueError as err:
        raise bad_request(f"the request is not JSON: {err}") from None
    if not isinstance(request, dict):
        raise bad_request("the request is not a JSON object")
    return request


def _validate(request: dict) -> None:
    errors = sorted(request_validator().iter_errors(request), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.absolute_path)) or "request"
        raise bad_request(f"{where}: {first.message}")


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
    request: dict | None = None
    try:
        request = _parse(request_line)
        action = request.get("action")
        response["action"] = action if isinstance(action, str) and action in ACTIONS else None
        _validate(request)
    finally:
        ids = request.get("ids") if isinstance(request, dict) else None
        host.record_agent_request(
            response["action"],
            bool(request.get("what_if")) if isinstance(request, dict) else False,
            [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else [],
        )

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
        await run.disconnect(targets, results)
        if not request["what_if"]:
            await run.wait_disconnected(targets, results, began)
    else:
        run.message(targets, results)
    response["results"] = [results[i] for i in request["ids"]]
    if request["action"] == "disconnect":
        after = {s["id"]: s for s in await run.read_sessions()}
        response["after"] = [after[i] for i in targets if i in after]
