"""What starts when a WinRS command arrives: cmd.exe's line limit, powershell.exe's arguments,
start-up costs, termination, and PowerShell errors as CLIXML on stderr."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest
from ansible.plugins.shell.powershell import _parse_clixml, _replace_stderr_clixml

from wmssim.host import clixml, powershell
from wmssim.host.errors import PSError
from wmssim.spec import Faults, HostSpec, SessionSpec
from wmssim.host.model import Host

# The Arguments of a real ansible exec_command capture: Write-Output 'hi' (UTF-16LE, base64).
CAPTURED_ARGUMENTS = ("-NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
                      "VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIAAnAGgAaQAnAA==")


def make_host(**kwargs) -> Host:
    kwargs.setdefault("powershell_startup_ms", 0)
    return Host(HostSpec(name="mps-01", sessions=[SessionSpec(2, "alice", "LAB", 1)], **kwargs))


def run(host: Host, command: str, arguments: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes, float]:
    async def go():
        started = time.monotonic()
        process = powershell.start_process(host, command, arguments, console_stdin=stdin is None)
        rc, out, err = await powershell.run_to_end(process, stdin, timeout=30)
        return rc, out, err, time.monotonic() - started

    return asyncio.run(go())


def encoded(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def test_the_captured_ansible_command():
    rc, out, err, _ = run(make_host(), "PowerShell", CAPTURED_ARGUMENTS)
    assert (rc, out, err) == (0, b"hi\r\n", b"")


def test_a_powershell_command_line_inside_the_encoded_script_starts_a_second_powershell():
    """ansible-core 2.18 and earlier wrap their command once more: the encoded script is itself a
    powershell.exe command line. It runs, and the start-up is paid twice."""
    inner = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand " + encoded(
        "Write-Output 'hi'")
    rc, out, err, seconds = run(make_host(powershell_startup_ms=200), "PowerShell",
                                f"-NoProfile -EncodedCommand {encoded(inner)}")
    assert (rc, out, err) == (0, b"hi\r\n", b"") and seconds >= 0.4
    rc, _, err, _ = run(make_host(), "PowerShell", f"-EncodedCommand {encoded('PowerShell -EncodedCommand !!')}")
    assert rc != 0 and b"not properly" in err


def test_cmd_line_limit_is_8191_characters():
    host = make_host()
    head = "PowerShell -NoProfile -Command Write-Output 'x' #"
    padding = "y" * (8191 - len(head))
    rc, out, err, _ = run(host, "PowerShell", head[len("PowerShell "):] + padding)
    assert len(head + padding) == 8191 and (rc, out, err) == (0, b"x\r\n", b"")
    rc, out, err, _ = run(host, "PowerShell", head[len("PowerShell "):] + padding + "y")
    assert (rc, out, err) == (1, b"", b"The command line is too long.\r\n")


def test_long_encoded_commands_hit_the_limit_before_powershell_starts():
    host = make_host(powershell_startup_ms=2000)
    rc, _, err, seconds = run(host, "PowerShell", "-EncodedCommand " + encoded("Write-Output '" + "x" * 4000 + "'"))
    assert rc == 1 and err == b"The command line is too long.\r\n" and seconds < 0.5


def test_only_powershell_is_simulated():
    rc, out, err, _ = run(make_host(), "ipconfig", "/all")
    assert rc == 9009 and out == b""
    assert err == (b"'ipconfig' is not recognized as an internal or external command,\r\n"
                   b"operable program or batch file.\r\n")


@pytest.mark.parametrize("arguments", [
    "-enc " + encoded("Write-Output 'ok'"),
    "-ec " + encoded("Write-Output 'ok'"),
    "-nop -noni -ep Bypass -e " + encoded("Write-Output 'ok'"),
    "-NonInteractive -ExecutionPolicy RemoteSigned -c Write-Output 'ok'",
    "Write-Output 'ok'",
    '-Command "Write-Output \'ok\'"',
])
def test_powershell_arguments(arguments):
    rc, out, err, _ = run(make_host(), "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", arguments)
    assert (rc, out, err) == (0, b"ok\r\n", b"")


@pytest.mark.parametrize(("line", "argv"), [
    ("PowerShell -NoProfile  -EncodedCommand\tAbC=", ["PowerShell", "-NoProfile", "-EncodedCommand", "AbC="]),
    ("  powershell.exe   -c  x ", ["powershell.exe", "-c", "x"]),
    ('powershell -Command "a b"  c', ["powershell", "-Command", "a b", "c"]),
    ('powershell -Command \\"a b', ["powershell", "-Command", '"a', "b"]),
])
def test_command_lines_split_as_windows_splits_them(line, argv):
    # Lines without quotes take a fast path; both paths split on spaces and tabs only.
    assert powershell.split_command_line(line) == argv


@pytest.mark.parametrize(("arguments", "message"), [
    ("-EncodedCommand !!!notbase64", b"is not properly encoded"),
    ("-NoProfile -Command", b"A command must follow -Command"),
    ("-File script.ps1", b"does not simulate"),
    ("-ExecutionPolicy Sometimes -Command Write-Output 1", b"Invalid argument"),
])
def test_bad_powershell_arguments(arguments, message):
    rc, out, err, _ = run(make_host(), "PowerShell", arguments)
    assert rc == powershell.EXIT_BAD_ARGUMENTS and out == b"" and message in err


def test_command_from_stdin():
    stdin = b"Write-Output 'a'\r\nWrite-Output 'b'\r\n"
    rc, out, _, _ = run(make_host(), "PowerShell", "-NoProfile -Command -", stdin)
    assert (rc, out) == (0, b"a\r\nb\r\n")


def test_start_up_costs():
    host = make_host(powershell_startup_ms=300, faults=Faults(slow_ms=200))
    rc, _, _, seconds = run(host, "PowerShell", CAPTURED_ARGUMENTS)
    assert rc == 0 and 0.5 <= seconds < 1.5


def test_many_hosts_start_up_concurrently():
    hosts = [make_host(powershell_startup_ms=300) for _ in range(50)]

    async def go():
        started = time.monotonic()
        processes = [powershell.start_process(h, "PowerShell", CAPTURED_ARGUMENTS, console_stdin=True) for h in hosts]
        results = await asyncio.gather(*(powershell.run_to_end(p) for p in processes))
        return results, time.monotonic() - started

    results, seconds = asyncio.run(go())
    assert all(r == (0, b"hi\r\n", b"") for r in results) and seconds < 1.5


def test_terminate_stops_the_start_up():
    async def go():
        process = powershell.start_process(make_host(powershell_startup_ms=5000), "PowerShell", CAPTURED_ARGUMENTS,
                                           console_stdin=True)
        await asyncio.sleep(0.05)
        process.terminate()
        await asyncio.sleep(0.05)
        return process.take_output(), process._task.done()

    (out, err, done, rc), task_done = asyncio.run(go())
    assert (out, err, done, rc, task_done) == (b"", b"", True, -1073741510, True)


def test_garbage_stdout_on_one_liners():
    rc, out, _, _ = run(make_host(faults=Faults(garbage_stdout="prefix")), "PowerShell", CAPTURED_ARGUMENTS)
    assert rc == 0 and out.startswith(b"Windows PowerShell\r\n") and out.endswith(b"\r\nhi\r\n")
    rc, out, _, _ = run(make_host(faults=Faults(garbage_stdout="replace")), "PowerShell", CAPTURED_ARGUMENTS)
    assert rc == 0 and out.startswith(b"Windows PowerShell\r\n") and b"\r\nhi\r\n" not in out


# --- CLIXML ------------------------------------------------------------------------------------


def test_clixml_shape_matches_the_windows_recording():
    """The recording in pywinrm's test_decode_clixml_error, without its progress records."""
    error = PSError("System.Management.Automation.CommandNotFoundException",
                    "The term 'fake' is not recognized as the name of a cmdlet, function, script file, or operable "
                    "program. Check the spelling of the name, or if a path was included, verify that the path is "
                    "correct and try again.", "ObjectNotFound", "CommandNotFoundException", target="fake")
    view = clixml.error_view(error, clixml.Position(1, 1, "fake cmdlet", 4), "fake")
    assert clixml.encode_errors([view]) == (
        b'#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        b"<S S=\"Error\">fake : The term 'fake' is not recognized as the name of a cmdlet, function, script file, "
        b"or operable program. Check _x000D__x000A_</S><S S=\"Error\">the spelling of the name, or if a path was "
        b"included, verify that the path is correct and try again._x000D__x000A_</S><S S=\"Error\">At line:1 "
        b"char:1_x000D__x000A_</S><S S=\"Error\">+ fake cmdlet_x000D__x000A_</S><S S=\"Error\">+ ~~~~_x000D__x000A_"
        b"</S><S S=\"Error\">    + CategoryInfo          : ObjectNotFound: (fake:String) [], "
        b"CommandNotFoundException_x000D__x000A_</S><S S=\"Error\">    + FullyQualifiedErrorId : "
        b"CommandNotFoundException_x000D__x000A_</S><S S=\"Error\"> _x000D__x000A_</S></Objs>"
    )


def test_clixml_escapes_and_ansible_decodes_it():
    text = "a & b <c> _x0041_ tab\there caf\u00e9 \U0001F600"
    data = clixml.encode_errors([[text]])
    assert b"&amp;" in data and b"&lt;c&gt;" in data and b"_x005F_x0041_" in data and b"_x0009_" in data
    assert b"_xD83D__xDE00_" in data
    assert _parse_clixml(data).decode("utf-8", "surrogatepass") == text + "\r\n"
    assert _replace_stderr_clixml(data) == (text + "\r\n").encode("utf-8")


def test_clixml_wraps_at_the_console_width():
    assert clixml.wrap("x" * 119) == ["x" * 119]
    assert clixml.wrap("x" * 120) == ["x" * 119, "x"]
    assert clixml.wrap("ab " * 50) == ["ab " * 39, "ab " * 11]  # 117 characters: one more word is 120
    assert clixml.wrap("key : " + "z" * 130) == ["key : " + "z" * 113, "z" * 17]


def test_powershell_errors_are_clixml_with_rc_1():
    rc, out, err, _ = run(make_host(), "PowerShell", "-EncodedCommand " + encoded("Get-Foo -Bar"))
    assert rc == 1 and out == b""
    assert err.startswith(b'#< CLIXML\r\n<Objs Version="1.1.0.1" '
                          b'xmlns="http://schemas.microsoft.com/powershell/2004/04">')
    assert err.endswith(b"</Objs>")
    text = _parse_clixml(err).decode()
    assert text.startswith("Get-Foo : The term 'Get-Foo' is not recognized")
    assert "+ Get-Foo -Bar\r\n+ ~~~~~~~\r\n" in text


def test_powershell_start_up_costs_half_a_second_by_default_as_on_windows():
    host = Host(HostSpec(name="mps-01", sessions=[SessionSpec(2, "alice", "LAB", 1)]))
    assert host.spec.powershell_startup_ms == 500
    rc, out, _, seconds = run(host, "PowerShell", "-EncodedCommand " + encoded("Write-Output 'x'"))
    assert (rc, out) == (0, b"x\r\n") and seconds >= 0.5
