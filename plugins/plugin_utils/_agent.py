# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the PowerShell agent on a host and reading its answer (docs/agent-protocol.md).

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ansible.errors import AnsibleConnectionFailure
from ansible.utils.display import Display

from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    AGENT_NAME,
    PROTOCOL,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import Session

_HERE = Path(__file__).resolve().parent
_HEAD_CHARS = 300
_STDERR_CHARS = 2000
_TRACE_CHARS = 4000
display = Display()


class TransportError(Exception):
    """The agent could not be run, or did not answer with its JSON document."""


class HostUnreachable(Exception):
    """The connection to the host failed (ansible's "unreachable"); the message holds no secret."""


WINRM_HINT = (
    "check the WinRM service on the host: that it runs (Get-Service WinRM), its event log "
    "(Applications and Services Logs > Microsoft > Windows > Windows Remote Management), its quotas "
    "(winrm get winrm/config/winrs: MaxShellsPerUser, MaxMemoryPerShellMB) and that "
    "'powershell.exe -NoProfile' starts there"
)
BASIC_LATIN1 = (
    "the password or user name holds a character that HTTP Basic authentication cannot carry (Basic "
    "sends Latin-1 only); use NTLM (ansible_winrm_transport: ntlm), or HTTPS with NTLM"
)
# What pywinrm and ansible's winrm plugin say, and the stage each message belongs to.
_STAGES = (
    ("winrm send_input failed", "sending the agent on stdin (a WS-Man Send)"),
    ("Bad HTTP response returned from server. Code 500", "running the agent (WS-Man Command or Receive)"),
)


def transport_message(error: BaseException, host: str, secrets: tuple[str, ...] = ()) -> str:
    """What went wrong between the controller and ``host``, in words an admin can act on.

    It never holds a secret: a Basic-auth encoding error names no character or position, and any
    secret that a library put into its text is cut out.
    """
    text = str(error)
    if "codec can't encode" in text and "latin-1" in text:
        return f"{host}: {BASIC_LATIN1}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    for marker, stage in _STAGES:
        if marker in text:
            said = text.split("(extended fault data", 1)[0].strip()
            if marker == _STAGES[0][0]:
                said = "the request was refused"
            code = "HTTP 500 (an internal error of the WinRM service)" if ("Code 500" in text or marker == _STAGES[0][0]) \
                else "an error"
            return f"the WinRM service on {host} answered {code} while {stage}: {said}; {WINRM_HINT}"
    return f"{host}: {text}"


@cache
def bootstrap_script() -> str:
    """The fixed PowerShell command line that runs the agent from stdin."""
    return (_HERE / "wms_bootstrap.ps1").read_text(encoding="ascii")


@cache
def agent_script() -> str:
    """The agent, with ``\\n`` line ends, as it travels on stdin."""
    text = (_HERE / "wms_agent.ps1").read_text(encoding="ascii")
    return text.replace("\r\n", "\n")


def build_stdin(request: dict) -> bytes:
    """The request on one ASCII line, then the agent script."""
    line = json.dumps(request, ensure_ascii=True, separators=(",", ":"))
    return (line + "\n" + agent_script().rstrip("\n") + "\n").encode("ascii")


@dataclass(frozen=True)
class AgentError:
    """An error the agent reports, for the whole request or for one id."""

    kind: str
    type: str
    message: str
    category: str | None = None
    fqid: str | None = None
    win32: int | None = None

    @classmethod
    def from_agent(cls, data: dict | None) -> AgentError | None:
        if not data:
            return None
        return cls(
            kind=str(data.get("kind") or "exception"),
            type=str(data.get("type") or ""),
            message=str(data.get("message") or ""),
            category=data.get("category"),
            fqid=data.get("fqid"),
            win32=data.get("win32"),
        )

    def describe(self) -> str:
        """``Type: message`` as users read it."""
        short = self.type.rsplit(".", 1)[-1] if self.type else self.kind
        return f"{short}: {self.message}" if self.message else short


@dataclass(frozen=True)
class AgentResult:
    """What the agent did for one requested id."""

    id: int
    action: str
    reason: str | None
    what_if: bool
    error: AgentError | None
    response: int | None

    @classmethod
    def from_agent(cls, data: dict) -> AgentResult:
        return cls(
            id=int(data["id"]),
            action=str(data["action"]),
            reason=data.get("reason"),
            what_if=bool(data.get("what_if")),
            error=AgentError.from_agent(data.get("error")),
            response=data.get("response"),
        )


@dataclass
class AgentReply:
    """The agent's answer to one request."""

    action: str | None
    ok: bool
    error: AgentError | None
    host: dict
    generation: str | None
    module: dict | None
    backend: str | None
    sessions: list[Session]
    results: list[AgentResult]
    after: list[Session]
    elapsed_ms: int
    noise: list[str] = field(default_factory=list)
    diagnostics: dict | None = None
    # Indexes by id, so that a request with tens of thousands of ids is judged in linear time.
    _by_id: dict[int, Session] = field(init=False, repr=False, compare=False)
    _after_by_id: dict[int, Session] = field(init=False, repr=False, compare=False)
    _results_by_id: dict[int, AgentResult] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The first entry for an id wins, as a scan from the start would find it.
        self._by_id = {}
        for item in self.sessions:
            self._by_id.setdefault(item.id, item)
        self._after_by_id = {}
        for item in self.after:
            self._after_by_id.setdefault(item.id, item)
        self._results_by_id = {}
        for res in self.results:
            self._results_by_id.setdefault(res.id, res)

    @classmethod
    def from_document(cls, doc: dict, noise: list[str]) -> AgentReply:
        try:
            return cls(
                action=doc["action"],
                ok=bool(doc["ok"]),
                error=AgentError.from_agent(doc["error"]),
                host=dict(doc["host"] or {}),
                generation=doc["generation"],
                module=doc["module"],
                backend=doc["backend"],
                sessions=[Session.from_agent(s) for s in doc["sessions"]],
                results=[AgentResult.from_agent(r) for r in doc["results"]],
                after=[Session.from_agent(s) for s in doc["after"]],
                elapsed_ms=int(doc["elapsed_ms"]),
                noise=noise,
                diagnostics=doc.get("diagnostics"),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise TransportError(f"the agent's answer does not follow protocol {PROTOCOL}: {err!r}") from None

    def session(self, session_id: int) -> Session | None:
        return self._by_id.get(session_id)

    def fallback_note(self, asked: str) -> str | None:
        """A note when ``asked`` was backend=auto and the host had no MultiPoint module (WTS API used)."""
        if asked != "auto" or self.generation != "none":
            return None
        return ("no MultiPoint module was found (tried MultiPoint, WmsCmdlets, WmsCmdlets3), so the WTS API was "
                "used: right for an RDS host, but on a MultiPoint server its module is missing or broken")

    def after_session(self, session_id: int) -> Session | None:
        return self._after_by_id.get(session_id)

    def result(self, session_id: int) -> AgentResult | None:
        return self._results_by_id.get(session_id)


def _head(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "..."


def parse_output(rc: int, stdout: str, stderr: str, host: str) -> AgentReply:
    """Find the agent's document in stdout (its last line that is one), or explain what came back.

    A byte-order mark (which some consoles put before the first output) is not part of any line.
    """
    lines = [line.lstrip("\ufeff") for line in stdout.splitlines()]
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if not line.startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("agent") == AGENT_NAME:
            if doc.get("protocol") != PROTOCOL:
                raise TransportError(
                    f"the agent on {host} speaks protocol {doc.get('protocol')!r}, this collection "
                    f"speaks {PROTOCOL}"
                )
            noise = [x for i, x in enumerate(lines) if i != index and x.strip()]
            return AgentReply.from_document(doc, noise)
    what = (
        f"did not run to its end (exit code {rc})"
        if rc != 0
        else "answered with output that is not the agent's JSON document"
    )
    details = [f"first bytes of stdout: {_head(stdout, _HEAD_CHARS)!r}"]
    if stderr.strip():
        details.append(f"stderr: {_head(stderr, _STDERR_CHARS)}")
    raise TransportError(f"The multipoint.wms agent on {host} {what}; " + "; ".join(details))


Runner = Callable[[dict], AgentReply]
"""Sends one request to the host's agent and returns its reply (raises TransportError)."""


def connection_runner(action_plugin, host: str) -> Runner:
    """A Runner that uses the task's own connection, as any action plugin's command does."""
    shell = action_plugin._connection._shell
    if not getattr(shell, "_IS_WINDOWS", False) or not hasattr(shell, "_encode_script"):
        raise TransportError(
            f"{host} is not reached through a PowerShell shell (shell type "
            f"{getattr(shell, 'SHELL_FAMILY', '?')}); use ansible_connection=winrm or psrp, or ssh "
            "with ansible_shell_type=powershell"
        )
    try:
        command = shell._encode_script(bootstrap_script(), strict_mode=False, preserve_rc=False)
        agent_script()
    except OSError as err:
        raise TransportError(f"the collection's agent files cannot be read ({err}); reinstall multipoint.wms") from None

    secrets = tuple(str(s) for s in (getattr(action_plugin._play_context, "password", None),) if s)

    def run(request: dict) -> AgentReply:
        started = time.monotonic()
        display.vvvv(f"multipoint.wms agent request: {trace_request(request)}", host=host)
        try:
            res = action_plugin._low_level_execute_command(command, in_data=build_stdin(request), sudoable=False)
        except AnsibleConnectionFailure as err:
            raise HostUnreachable(transport_message(err, host, secrets)) from None
        except Exception as err:  # pywinrm's and the connection plugin's errors: a failed request
            raise TransportError(transport_message(err, host, secrets)) from None
        display.vvvv(f"multipoint.wms agent answer (rc {res['rc']}): {_head(res['stdout'], _TRACE_CHARS)}"
                     + (f" | stderr: {_head(res['stderr'], _TRACE_CHARS)}" if res["stderr"].strip() else ""),
                     host=host)
        reply = parse_output(res["rc"], res["stdout"], res["stderr"], host)
        display.vvv(trace_call(request, reply, time.monotonic() - started), host=host)
        return reply

    return run


def trace_call(request: dict, reply: AgentReply, seconds: float) -> str:
    """One line per agent call for -vvv: action, backend asked and used, generation, time, ids."""
    ids = request.get("ids") or []
    shown = id_text(ids)
    outcome = "ok" if reply.ok else f"failed ({reply.error.kind if reply.error else '?'})"
    return (f"multipoint.wms agent {request['action']}: backend {request['backend']} -> {reply.backend}, "
            f"generation {reply.generation}, {outcome}, {seconds * 1000:.0f} ms round trip "
            f"({reply.elapsed_ms} ms in the agent), {len(reply.sessions)} sessions read"
            + (f", ids {shown}" if ids else ""))


def trace_request(request: dict) -> str:
    """The request for -vvvv: as sent, with message texts cut short (they may be long)."""
    shown = dict(request)
    for key in ("title", "text"):
        if isinstance(shown.get(key), str) and len(shown[key]) > 40:
            shown[key] = shown[key][:40] + f"... ({len(request[key])} characters)"
    if len(shown.get("ids") or []) > 20:
        shown["ids"] = id_text(shown["ids"])
        shown.pop("accounts", None)
    return json.dumps(shown, ensure_ascii=False)


def id_text(ids: list[int], shown: int = 20) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")
