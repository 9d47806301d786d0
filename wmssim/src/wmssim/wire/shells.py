"""WinRS shells and commands of one host: Create, Command, Send, Receive, Signal, Delete.

The host side is reached through one seam (the ``StartProcess`` the fleet gives): on Command,
``start_process(host, command, arguments, console_stdin=...)`` returns a ``process.Process``;
Send feeds its stdin, Receive waits for its output, Signal and Delete terminate it.

Receive follows WinRS: it waits until the command has output or is done, for at most the
request's ``w:OperationTimeout``; with nothing by then it is the ``w:TimedOut`` fault (the
client Receives again). Output that is there while the command still runs comes back with
State ``.../Running`` and no ExitCode. A response never holds more output than fits the
request's ``w:MaxEnvelopeSize`` (capped by the host's MaxEnvelopeSizekb, MS-WSMV 3.1.4.1.7):
the rest waits for the next Receive, and Done is only reported with the last of it.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..process import Process
from ..spec import HostSpec
from . import wsman as p
from .logs import get_logger

LOG = get_logger("wmssim.shells")

StartProcess = Callable[..., "Process | Awaitable[Process]"]

SIGNAL_TERMINATE = p.SIGNAL + "terminate"
SIGNAL_CTRL_C = p.SIGNAL + "ctrl_c"
SIGNAL_CTRL_BREAK = p.SIGNAL + "ctrl_break"


class ClientGone(Exception):
    """The client closed the connection while a Receive waited: nothing to answer."""


@dataclass
class RequestContext:
    """What the HTTP layer knows about the request a shell operation answers."""

    user: str
    client_ip: str
    address: str  # this endpoint's URL, as the CreateResponse names it
    alive: Callable[[], bool] = lambda: True


@dataclass
class Command:
    """One command of a shell and the output not yet sent to the client."""

    id: str
    process: Process
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    exit_code: int | None = None
    done: bool = False  # the process has finished (its last output is in the buffers)
    done_reported: bool = False  # the client has been told State=Done
    stdin_ended: bool = False


@dataclass
class Shell:
    """One WinRS shell (``rsp:Shell``)."""

    id: str
    owner: str
    client_ip: str
    codepage: str | None = None
    input_streams: str = "stdin"
    output_streams: str = "stdout stderr"
    created: float = field(default_factory=time.monotonic)
    commands: dict[str, Command] = field(default_factory=dict)


class ShellService:
    """The WinRS cmd shell provider of one host."""

    def __init__(
        self,
        host: Any,
        spec: HostSpec,
        start_process: StartProcess,
    ) -> None:
        self.host = host
        self.spec = spec
        self._start_process = start_process  # the host side, given by the fleet
        self.shells: dict[str, Shell] = {}

    # --- entry point ------------------------------------------------------------------------
    async def handle(self, request: p.Request, ctx: RequestContext) -> str:
        """Answer one parsed request with a response envelope; raise ``p.WSManFault``."""
        name = request.name
        if name == "Create":
            return self._create(request, ctx)
        if name == "Command":
            return await self._command(request)
        if name == "Send":
            return self._send(request)
        if name == "Receive":
            return await self._receive(request, ctx)
        if name == "Signal":
            return self._signal(request)
        if name == "Delete":
            return self._delete(request)
        raise p.action_not_supported(request.action)

    def close(self) -> None:
        """Terminate every command and forget every shell (the server stops)."""
        for shell in self.shells.values():
            for command in shell.commands.values():
                command.process.terminate()
        self.shells.clear()

    # --- helpers ----------------------------------------------------------------------------
    def _shell(self, request: p.Request) -> Shell:
        shell_id = request.selectors.get("ShellId", "")
        if not shell_id:
            raise p.schema_error("The request has no ShellId selector.")
        shell = self.shells.get(shell_id.upper())
        if shell is None:
            raise p.shell_not_found(shell_id)
        return shell

    @staticmethod
    def _command_of(shell: Shell, command_id: str | None) -> Command:
        if not command_id:
            raise p.schema_error("The request has no CommandId.")
        command = shell.commands.get(command_id.upper())
        if command is None:
            raise p.command_not_found()
        return command

    # --- Create -----------------------------------------------------------------------------
    def _create(self, request: p.Request, ctx: RequestContext) -> str:
        if request.selectors.get("ShellId"):
            raise p.schema_error("Create takes no ShellId selector.")
        shell_el = p.find(request.body, p.NS_RSP, "Shell")
        if shell_el is None:
            raise p.schema_error("The Create body has no rsp:Shell.")
        shell = Shell(
            id=p.new_id(),
            owner=ctx.user,
            client_ip=ctx.client_ip,
            codepage=request.option("WINRS_CODEPAGE"),
            input_streams=(shell_el.findtext(f"{{{p.NS_RSP}}}InputStreams") or "stdin").strip(),
            output_streams=(
                shell_el.findtext(f"{{{p.NS_RSP}}}OutputStreams") or "stdout stderr"
            ).strip(),
        )
        self.shells[shell.id] = shell
        LOG.debug("%s: shell %s created (codepage %s)", self.spec.name, shell.id, shell.codepage)
        return p.create_response(
            request, shell.id, address=ctx.address, owner=shell.owner, client_ip=shell.client_ip,
            input_streams=shell.input_streams, output_streams=shell.output_streams,
        )

    # --- Command ----------------------------------------------------------------------------
    async def _command(self, request: p.Request) -> str:
        shell = self._shell(request)
        line = p.find(request.body, p.NS_RSP, "CommandLine")
        if line is None:
            raise p.schema_error("The Command body has no rsp:CommandLine.")
        command_text = (line.findtext(f"{{{p.NS_RSP}}}Command") or "").strip()
        if not command_text:
            raise p.schema_error("The CommandLine has no rsp:Command.")
        arguments = " ".join(
            (arg.text or "") for arg in line.findall(f"{{{p.NS_RSP}}}Arguments")
        )
        console_stdin = (request.option("WINRS_CONSOLEMODE_STDIN", "TRUE") or "").upper() != "FALSE"
        self.host.count_command()
        try:
            start = self._start_process
            process = start(self.host, command_text, arguments, console_stdin=console_stdin)
            if inspect.isawaitable(process):
                process = await process
        except p.WSManFault:
            raise
        except Exception:
            LOG.exception("%s: the host side failed to start a command", self.spec.name)
            raise p.internal_error() from None
        if not isinstance(process, Process):
            LOG.error("%s: start_process returned %r, not a Process", self.spec.name, type(process))
            raise p.internal_error()
        command = Command(id=p.new_id(), process=process)
        shell.commands[command.id] = command
        LOG.debug(
            "%s: command %s in shell %s (%d characters of arguments)",
            self.spec.name, command.id, shell.id, len(arguments),
        )
        return p.command_response(request, command.id)

    # --- Send -------------------------------------------------------------------------------
    def _send(self, request: p.Request) -> str:
        shell = self._shell(request)
        send = p.find(request.body, p.NS_RSP, "Send")
        streams = [] if send is None else send.findall(f"{{{p.NS_RSP}}}Stream")
        if not streams:
            raise p.schema_error("The Send body has no rsp:Stream.")
        for stream in streams:
            if stream.get("Name", "stdin") != "stdin":
                raise p.invalid_parameter()
            command = self._command_of(shell, stream.get("CommandId"))
            data = p.decode_base64(stream.text)
            end = (stream.get("End") or "").strip().lower() == "true"
            if command.stdin_ended:
                raise p.invalid_parameter()  # input after End="true"
            command.process.feed_stdin(data, end)
            command.stdin_ended = end
        return p.send_response(request)

    # --- Receive ----------------------------------------------------------------------------
    def _drain(self, command: Command) -> None:
        out, err, done, exit_code = command.process.take_output()
        command.stdout += out
        command.stderr += err
        if done:
            command.done, command.exit_code = True, exit_code

    async def _receive(self, request: p.Request, ctx: RequestContext) -> str:
        shell = self._shell(request)
        receive = p.find(request.body, p.NS_RSP, "Receive")
        desired = p.find(receive, p.NS_RSP, "DesiredStream")
        if desired is None:
            raise p.schema_error("The Receive body has no rsp:DesiredStream.")
        command = self._command_of(shell, desired.get("CommandId"))
        if command.done_reported:
            raise p.command_not_found()
        if not (command.stdout or command.stderr or command.done):
            ready = await command.process.wait_output(max(request.operation_timeout, 0.0))
            if not ready:
                raise p.timed_out()
            if not ctx.alive():
                raise ClientGone()
        if not command.done:
            self._drain(command)
        limit = self.spec.max_envelope_kb * 1024
        if request.max_envelope_size:
            limit = min(limit, request.max_envelope_size)
        room = max(limit - p.RECEIVE_OVERHEAD, 1024) * 3 // 4  # raw bytes that fit as base64
        stdout = bytes(command.stdout[:room])
        del command.stdout[:room]
        room -= len(stdout)
        stderr = bytes(command.stderr[:room])
        del command.stderr[:room]
        done = command.done and not command.stdout and not command.stderr
        if done:
            command.done_reported = True
        return p.receive_response(request, command.id, stdout, stderr, done, command.exit_code)

    # --- Signal -----------------------------------------------------------------------------
    def _signal(self, request: p.Request) -> str:
        shell = self._shell(request)
        signal = p.find(request.body, p.NS_RSP, "Signal")
        if signal is None:
            raise p.schema_error("The Signal body has no rsp:Signal.")
        command = self._command_of(shell, signal.get("CommandId"))
        code = (signal.findtext(f"{{{p.NS_RSP}}}Code") or "").strip()
        if code == SIGNAL_TERMINATE:
            command.process.terminate()
            del shell.commands[command.id]
        elif code in (SIGNAL_CTRL_C, SIGNAL_CTRL_BREAK):
            command.process.terminate()  # a Receive still reports Done with the rc
        else:
            raise p.invalid_parameter()
        return p.signal_response(request)

    # --- Delete -----------------------------------------------------------------------------
    def _delete(self, request: p.Request) -> str:
        shell = self._shell(request)
        for command in shell.commands.values():
            command.process.terminate()
        del self.shells[shell.id]
        LOG.debug("%s: shell %s deleted", self.spec.name, shell.id)
        return p.delete_response(request)
