"""What runs when a WinRS command starts on a simulated host.

``start_process`` is the seam between the wire (``shells``) and the host. On Windows a WinRS
command runs through cmd.exe (``WINRS_SKIP_CMD_SHELL=FALSE``), which refuses lines longer than
8,191 characters; the line must start ``powershell.exe`` (anything else is not simulated).
PowerShell's own arguments are parsed as Windows PowerShell 5.1 does (``-NoProfile``,
``-NonInteractive``, ``-ExecutionPolicy``, ``-EncodedCommand`` base64 of UTF-16LE, ``-Command``,
unique prefixes such as ``-enc``). Start-up costs ``powershell_startup_ms`` + ``Faults.slow_ms``.
ansible-core 2.18 and earlier send an encoded script that is itself a ``powershell.exe`` command
line; it starts a second powershell.exe (same stdin, start-up paid again), as on Windows.

Then one of two things runs:

- the agent (``agent.run_agent`` answers with one JSON line): the decoded script reads stdin
  (``$input``) and stdin holds the request line, then a script whose first line carries the
  agent's marker (``# multipoint.wms agent``). When the fleet is given the agent's files
  (``KnownAgent``: ``wmssim serve --agent-bootstrap/--agent-script``), the bootstrap (after
  ansible's normalisation) and the script must be exactly those, so a stale copy is caught;
- otherwise the one-liner interpreter (``oneliner``).

PowerShell errors go to stderr as CLIXML (``clixml``); output is written as it is produced.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from dataclasses import dataclass

from ..process import Process
from . import agent, clixml, cmdlets, oneliner
from .agent import AGENT_MARKER
from .cmdlets import Runspace
from .errors import PSError
from .model import Host

CMD_LINE_LIMIT = 8191  # cmd.exe's maximum command line length
EXIT_BAD_ARGUMENTS = -196608  # powershell.exe's exit code for command line errors (0xFFFD0000)
EXIT_NOT_RECOGNIZED = 9009  # cmd.exe: not an internal or external command
# Faults.garbage_stdout: what a noisy host writes to stdout (a banner, a JSON object that is not
# the agent's document, a line that only looks like JSON).
NOISE_LINES = (
    "Windows PowerShell",
    "Copyright (C) 2016 Microsoft Corporation. All rights reserved.",
    "",
    '{"agent": "something-else", "note": "not the multipoint.wms agent"}',
    "{ this line is not JSON",
)
# powershell.exe parameters (Windows PowerShell 5.1): name, shortest accepted prefix, takes a value.
_PS_PARAMETERS = (
    ("psconsolefile", "psconsolefile", True),
    ("version", "v", True),
    ("nologo", "nol", False),
    ("noexit", "noe", False),
    ("noprofile", "nop", False),
    ("noninteractive", "noni", False),
    ("configurationname", "config", True),
    ("command", "c", None),  # the rest of the line
    ("windowstyle", "w", True),
    ("file", "f", True),
    ("outputformat", "o", True),
    ("inputformat", "i", True),
    ("executionpolicy", "ex", True),
    ("ep", "ep", True),
    ("encodedcommand", "e", True),
    ("ec", "ec", True),
    ("sta", "s", False),
    ("mta", "mta", False),
)


class UsageError(Exception):
    """powershell.exe refused its command line."""


@dataclass
class Invocation:
    """What powershell.exe was asked to run."""

    script: str | None  # None: read the commands from stdin (-Command -)
    encoded: bool  # the script came from -EncodedCommand
    non_interactive: bool


def normalise_script(text: str) -> str:
    """A script as ansible's PowerShell shell plugin sends it: lines stripped, blank ones dropped."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def split_command_line(line: str) -> list[str]:
    """Split a command line into arguments the way Windows programs do (double quotes group)."""
    if '"' not in line:  # the usual case (ansible's -EncodedCommand lines): spaces and tabs only
        return [arg for arg in re.split(r"[ \t]+", line) if arg]
    args: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and line.startswith('\\"', i):
            current.append('"')
            started = True
            i += 2
            continue
        if char == '"':
            quoted = not quoted
            started = True
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


def is_powershell(program: str) -> bool:
    name = re.split(r"[\\/]", program)[-1].lower()
    return name in ("powershell", "powershell.exe")


def parse_powershell_arguments(args: list[str]) -> Invocation:
    """powershell.exe's parameters; the first argument that is none of them starts the command."""
    script: str | None = ""
    encoded = False
    non_interactive = False
    i = 0
    while i < len(args):
        arg = args[i]
        key = arg[1:].lower() if arg[:1] in ("-", "/") and len(arg) > 1 else ""
        match = next((p for p in _PS_PARAMETERS if key and p[0].startswith(key) and key.startswith(p[1])), None)
        if match is None:
            rest = args[i:]
            return Invocation(None if rest == ["-"] else " ".join(rest), False, non_interactive)
        name, _, takes_value = match
        if takes_value is None:  # -Command: the rest of the line is the command
            rest = args[i + 1:]
            if not rest:
                raise UsageError("Cannot process the command because of a missing parameter. A command "
                                 "must follow -Command.")
            return Invocation(None if rest == ["-"] else " ".join(rest), encoded, non_interactive)
        value = None
        if takes_value:
            if i + 1 >= len(args):
                raise UsageError(f"Missing argument for parameter -{name}.")
            value = args[i + 1]
            i += 1
        i += 1
        if name in ("encodedcommand", "ec"):
            script = _decode(value or "")
            encoded = True
        elif name == "noninteractive":
            non_interactive = True
        elif name in ("executionpolicy", "ep"):
            if value.lower() not in ("unrestricted", "remotesigned", "allsigned", "restricted", "bypass",
                                     "undefined", "default"):
                raise UsageError(f"Invalid argument '{value}' for parameter -ExecutionPolicy.")
        elif name in ("inputformat", "outputformat"):
            if value.lower() != "text":
                raise UsageError(f"wmssim does not simulate -{name} {value}.")
        elif name in ("psconsolefile", "version", "noexit", "configurationname", "file"):
            raise UsageError(f"wmssim does not simulate powershell.exe -{name}.")
    return Invocation(script if encoded else None, encoded, non_interactive)


def nested_command_line(script: str | None) -> list[str] | None:
    """The arguments of a script that is only a ``powershell.exe`` command line (one line), else None."""
    if script is None or "\n" in script.strip():
        return None
    argv = split_command_line(script.strip())
    return argv if argv and is_powershell(argv[0]) else None


def _decode(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise UsageError(
            "Cannot process the command because the value specified with -EncodedCommand is not properly "
            "encoded. The value must be Base64 encoded."
        ) from None


@dataclass(frozen=True)
class KnownAgent:
    """The agent's bootstrap and script as shipped, when the fleet was given them."""

    bootstrap: str | None = None
    script: str | None = None


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


def reads_stdin(script: str) -> bool:
    """Whether a script reads the command's stdin, as the agent's bootstrap does."""
    return "$input" in script.lower()


def is_bootstrap(script: str, known: KnownAgent | None) -> bool:
    """An encoded script that starts the agent: the given bootstrap, or any script reading stdin."""
    if known is not None and known.bootstrap is not None:
        return normalise_script(script) == normalise_script(known.bootstrap)
    return reads_stdin(script)


def agent_script_problem(script: str, known: KnownAgent | None) -> str | None:
    """Why the script on stdin is not the agent (or not the one given), or None when it is."""
    given = _lines(script)
    if not given:
        return "stdin holds no agent script"
    if known is None or known.script is None:
        if given.split("\n", 1)[0].startswith(AGENT_MARKER):
            return None
        return f"the script on stdin does not start with the agent's marker line ({AGENT_MARKER} ...)"
    expected = _lines(known.script)
    if given == expected:
        return None
    sent, lines = given.split("\n"), expected.split("\n")
    first_difference = (n for n, (a, b) in enumerate(zip(sent, lines), 1) if a != b)
    line = next(first_difference, min(len(sent), len(lines)) + 1)
    return f"the script on stdin differs from the agent wmssim was given at line {line}"


class PowerShellProcess(Process):
    """cmd.exe starting powershell.exe with a script, run as a task on the event loop."""

    def __init__(self, host: Host, command: str, arguments: str, console_stdin: bool,
                 known: KnownAgent | None) -> None:
        super().__init__()
        self.host = host
        self.known = known
        self.command = command
        self.arguments = arguments
        self.console_stdin = console_stdin
        self._replace_stdout = False
        self._bom_written = False
        self._task = asyncio.get_running_loop().create_task(self._main())

    def terminate(self) -> None:
        super().terminate()
        self._task.cancel()

    # --- output --------------------------------------------------------------------------------
    def out(self, text: str) -> None:
        """Write text to stdout now (unless garbage_stdout replaces it); Faults.stdout_bom puts a
        UTF-8 byte-order mark before the first text."""
        if not self._replace_stdout:
            if self.host.faults.stdout_bom and not self._bom_written:
                self._bom_written = True
                text = "\ufeff" + text
            self.write("stdout", text.encode("utf-8"))

    def out_line(self, text: str) -> None:
        self.out(text + "\r\n")

    def errors(self, views: list[list[str]]) -> None:
        """Write PowerShell errors to stderr as one CLIXML document."""
        if views:
            self.write("stderr", clixml.encode_errors(views))

    def error(self, err: PSError) -> None:
        self.errors([clixml.error_view(err)])

    # --- running -------------------------------------------------------------------------------
    async def _main(self) -> None:
        try:
            code = await self._run()
        except asyncio.CancelledError:
            return
        except Exception as exc:  # a simulator bug: show it like a PowerShell error, never hang
            self.error(PSError("System.Management.Automation.RuntimeException",
                               f"wmssim internal error: {exc!r}", "NotSpecified", "WmssimInternalError"))
            code = 1
        self.finish(code)

    async def _run(self) -> int:
        line = f"{self.command} {self.arguments}" if self.arguments else self.command
        if len(line) > CMD_LINE_LIMIT:
            self.write("stderr", b"The command line is too long.\r\n")
            return 1
        argv = split_command_line(line)
        if not argv or not is_powershell(argv[0]):
            program = argv[0] if argv else ""
            self.write("stderr", f"'{program}' is not recognized as an internal or external command,\r\n"
                                 "operable program or batch file.\r\n".encode("utf-8"))
            return EXIT_NOT_RECOGNIZED
        try:
            invocation = parse_powershell_arguments(argv[1:])
        except UsageError as err:
            self.write("stderr", f"{err}\r\n".encode("utf-8"))
            return EXIT_BAD_ARGUMENTS
        cost_ms = self.host.spec.powershell_startup_ms + self.host.faults.slow_ms
        if cost_ms > 0:
            await asyncio.sleep(cost_ms / 1000)
        garbage = self.host.faults.garbage_stdout
        if garbage in ("prefix", "replace"):
            self.out("".join(line + "\r\n" for line in NOISE_LINES))
            self._replace_stdout = garbage == "replace"
        script = invocation.script
        child = nested_command_line(script) if invocation.encoded else None
        if child is not None:
            # ansible-core 2.18 and earlier wrap their command once more: the encoded script is itself a
            # powershell.exe command line, so a second powershell.exe starts (same stdin, same cost again).
            try:
                invocation = parse_powershell_arguments(child[1:])
            except UsageError as err:
                self.error(PSError("System.Management.Automation.RemoteException", str(err), "NotSpecified",
                                   "NativeCommandError"))
                return EXIT_BAD_ARGUMENTS
            if cost_ms > 0:
                await asyncio.sleep(cost_ms / 1000)
            script = invocation.script
        if script is None:
            script = (await self._stdin_text()) if not self.console_stdin else ""
        if invocation.encoded and is_bootstrap(script, self.known):
            return await self._run_agent()
        runspace = Runspace(self.host, "one-liner", self.out_line)
        ok, views = await oneliner.run_script(runspace, script)
        self.errors(views)
        return 0 if ok else 1

    async def _stdin_text(self) -> str:
        return (await self.read_stdin()).decode("utf-8", errors="replace")

    async def _run_agent(self) -> int:
        """The bootstrap: ``$input`` lines; the first is the request, the rest the agent script."""
        text = "" if self.console_stdin else await self._stdin_text()
        # Line ends as .NET's ReadLine reads them: CR LF, LF or CR (and nothing else).
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        problem = agent_script_problem("\n".join(lines[1:]), self.known)
        if problem is not None:
            self.error(PSError(
                "System.Management.Automation.RuntimeException",
                f"wmssim runs only the multipoint.wms agent: {problem}.", "NotImplemented", "WmssimUnknownAgent",
            ))
            return 1
        problem = unsupported_host(self.host)
        if problem is not None:
            # The bootstrap's own check, before it runs the agent at all.
            self.out_line(json.dumps(agent.unsupported_host_response(self.host, problem), separators=(",", ":")))
            return 0
        # The agent runs the MultiPoint cmdlets in a runspace of their own without a host, so
        # what they write to the host (-WhatIf's "What if:" lines) never reaches stdout.
        runspace = Runspace(self.host, "agent")
        response = await agent.run_agent(runspace, lines[0] if lines else None)
        # Like the agent: every character outside printable ASCII as \uXXXX.
        line = json.dumps(response, ensure_ascii=True, separators=(",", ":")).replace("\x7f", "\\u007f")
        self.out_line(line)
        return 0


def unsupported_host(host: Host) -> str | None:
    """What the bootstrap says before it runs the agent: PowerShell 2.0, or a constrained language."""
    version = cmdlets.ps_version(host)
    if version.startswith("2."):
        return f"Windows PowerShell {version} (3.0 or later is needed)"
    if host.spec.language_mode != "FullLanguage":
        return f"PowerShell in {host.spec.language_mode} mode (FullLanguage is needed)"
    return None


def start_process(host: Host, command: str, arguments: str, *, console_stdin: bool,
                  known: KnownAgent | None = None) -> Process:
    """Start a WinRS command on ``host``; its work is already scheduled on the running loop."""
    return PowerShellProcess(host, command, arguments, console_stdin, known)


async def run_to_end(
    process: Process, stdin: bytes | None = None, timeout: float = 60.0
) -> tuple[int, bytes, bytes]:
    """Drive a process as the wire does: Send ``stdin`` (End=true), Receive until it is done.

    Returns (exit code, stdout, stderr); raises TimeoutError after ``timeout`` seconds.
    """
    if stdin is not None:
        process.feed_stdin(stdin, True)
    out, err = bytearray(), bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"the command did not finish within {timeout} s")
        await process.wait_output(min(remaining, 5.0))
        chunk_out, chunk_err, done, code = process.take_output()
        out += chunk_out
        err += chunk_err
        if done:
            return int(code), bytes(out), bytes(err)
