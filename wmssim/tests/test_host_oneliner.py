"""One-line cmdlet calls (what ansible.builtin.raw sends) on simulated hosts of both generations
and without MultiPoint, through ``powershell.start_process`` as ansible's winrm plugin runs them."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from ansible.plugins.shell.powershell import ShellModule, _parse_clixml

from wmssim.host import powershell
from wmssim.spec import Behaviour, Faults, HostSpec, SessionSpec
from wmssim.host.model import Host

DISCONNECT_CLASS = "Microsoft.WindowsServerSolutions.MultipointServer.PowerShell.Commands.DisconnectWmsSessionCommand"


def make_host(generation: str = "2016", *, behaviour: Behaviour | None = None, faults: Faults | None = None) -> Host:
    return Host(HostSpec(
        name="mps-01", generation=generation, powershell_startup_ms=0,
        sessions=[
            SessionSpec(2, "Test", "TestDomain", 0, admin=True, state="Active", client="Test2"),
            SessionSpec(3, "Administrator", "TestDomain", 1, admin=True, state="Active"),
            SessionSpec(4, "carol", "LAB", 2, state="Disconnected"),
        ],
        behaviour=behaviour or Behaviour(), faults=faults or Faults(),
    ))


class Ran:
    def __init__(self, rc: int, out: bytes, err: bytes, seconds: float) -> None:
        self.rc, self.seconds = rc, seconds
        self.out = out.decode("utf-8")
        self.raw_err = err
        self.err = _parse_clixml(err).decode("utf-8") if err.startswith(b"#< CLIXML") else err.decode()

    @property
    def err_text(self) -> str:
        """stderr without the console's line wrapping."""
        return self.err.replace("\r\n", "")


def raw(host: Host, script: str) -> Ran:
    """Run ``script`` as ansible.builtin.raw does over winrm (_encode_script, no wrappers)."""
    parts = ShellModule()._encode_script(script, as_list=True, strict_mode=False, preserve_rc=False)

    async def go():
        started = time.monotonic()
        process = powershell.start_process(host, parts[0], " ".join(parts[1:]), console_stdin=True)
        rc, out, err = await powershell.run_to_end(process, None, timeout=30)
        return Ran(rc, out, err, time.monotonic() - started)

    return asyncio.run(go())


def states(host: Host) -> dict[int, str]:
    return {s.id: s.state for s in host.ordered_sessions()}


# --- Disconnect-WmsSession -------------------------------------------------------------------


@pytest.mark.parametrize(("generation", "script"), [
    ("2012", "Disconnect-WmsSession -SessionId 3"),
    ("2012", "Disconnect-WmsSession -SessionId 3 -TimeoutInSecond 10"),
    ("2012", "Disconnect-WmsSession -SessionId 3 -Confirm:$false"),
    ("2012", "disconnect-wmssession -sess 3 -timeout 10"),
    ("2016", "Disconnect-WmsSession -SessionId 3"),
    ("2016", "Disconnect-WmsSession 3"),
    ("2016", "Disconnect-WmsSession -SessionId 3 -Confirm:$false -Server localhost"),
    ("2016", "Import-Module MultiPoint; Disconnect-WmsSession -SessionId 3"),
])
def test_disconnect_one_session(generation, script):
    host = make_host(generation)
    ran = raw(host, script)
    assert (ran.rc, ran.out, ran.err) == (0, "", "")
    assert states(host)[3] == "Disconnected" and states(host)[2] == "Active"
    events = host.state()["events"]
    assert len(events) == 1 and events[0]["session"] == 3
    assert events[0]["cause"] == "one-liner: " + script.split("; ")[-1]


def test_2016_disconnects_a_list_and_all():
    host = make_host("2016")
    assert raw(host, "Disconnect-WmsSession -SessionId 2, 3").rc == 0
    assert states(host)[2] == states(host)[3] == "Disconnected"
    host = make_host("2016")
    assert raw(host, "Disconnect-WmsSession -All").rc == 0
    assert [s for s, v in states(host).items() if v == "Disconnected"] == [0, 2, 3, 4]


@pytest.mark.parametrize("generation", ["2012", "2016"])
def test_what_if_writes_host_text_and_changes_nothing(generation):
    host = make_host(generation)
    ran = raw(host, "Disconnect-WmsSession -SessionId 3 -WhatIf")
    assert ran.rc == 0 and ran.err == ""
    assert ran.out == 'What if: Performing the operation "Disconnect-WmsSession" on target "3".\r\n'
    assert host.events == [] and states(host)[3] == "Active"


def test_confirm_cannot_prompt():
    host = make_host("2016")
    ran = raw(host, "Disconnect-WmsSession -SessionId 3 -Confirm")
    assert ran.rc == 1 and "NonInteractive mode" in ran.err_text and host.events == []


@pytest.mark.parametrize(("generation", "script", "parameter", "cls"), [
    ("2016", "Disconnect-WmsSession -SessionId 3 -TimeoutInSecond 10", "TimeoutInSecond", "DisconnectWmsSession"),
    ("2012", "Disconnect-WmsSession -All", "All", "DisconnectWmsSession"),
    ("2012", "Get-WmsSession -All", "All", "GetWmsSession"),
    ("2016", "Get-WmsSession -Id 2", "Id", "GetWmsSession"),
    ("2016", "Get-WmsSession -SerializeString", "SerializeString", "GetWmsSession"),
    ("2012", "Get-WmsSession -Server localhost", "Server", "GetWmsSession"),
])
def test_a_parameter_of_the_other_generation_is_not_found(generation, script, parameter, cls):
    host = make_host(generation)
    ran = raw(host, script)
    assert ran.rc == 1 and ran.out == "" and host.events == []
    lines = ran.err.split("\r\n")
    command = script.split()[0]
    assert lines[0] == f"{command} : A parameter cannot be found that matches parameter name '{parameter}'."
    column = script.index("-" + parameter) + 1
    assert lines[1] == f"At line:1 char:{column}"
    assert lines[2] == "+ " + script
    assert lines[3] == "+ " + " " * (column - 1) + "~" * (len(parameter) + 1)
    assert lines[4] == f"    + CategoryInfo          : InvalidArgument: (:) [{command}], ParameterBindingException"
    fqid = f"NamedParameterNotFound,Microsoft.WindowsServerSolutions.MultipointServer.PowerShell.Commands.{cls}Command"
    assert f"    + FullyQualifiedErrorId : {fqid}" in ran.err_text


def test_binding_errors():
    host = make_host("2012")
    ran = raw(host, "Disconnect-WmsSession 3")
    assert ran.rc == 1 and "A positional parameter cannot be found that accepts argument '3'." in ran.err_text
    assert "PositionalParameterNotFound," in ran.err_text
    ran = raw(host, "Disconnect-WmsSession -SessionId 2,3")
    assert "Cannot convert the \"System.Object[]\" value" in ran.err_text
    ran = raw(host, "Disconnect-WmsSession -SessionId abc")
    assert 'Cannot convert value "abc" to type "System.Int32"' in ran.err_text
    assert "CannotConvertArgumentNoMessage," in ran.err_text
    ran = raw(host, "Disconnect-WmsSession")
    assert "missing mandatory parameters: SessionId." in ran.err_text
    ran = raw(host, "Disconnect-WmsSession -SessionId")
    assert "Missing an argument for parameter 'SessionId'" in ran.err_text
    ran = raw(host, "Disconnect-WmsSession -SessionId 3 -SessionId 3")
    assert "ParameterAlreadyBound," in ran.err_text
    host16 = make_host("2016")
    ran = raw(host16, "Disconnect-WmsSession -S 3")
    assert "is ambiguous. Possible matches include: -SessionId -Server." in ran.err_text
    ran = raw(host16, "Disconnect-WmsSession -SessionId -1")
    assert "Value was either too large or too small for a UInt32." in ran.err_text
    ran = raw(host16, "Disconnect-WmsSession -SessionId 3 -All")
    assert "Parameter set cannot be resolved" in ran.err_text
    assert host.events == [] and host16.events == []


@pytest.mark.parametrize(("setting", "rc"), [("error", 1), ("silent", 0)])
def test_unknown_id(setting, rc):
    host = make_host("2016", behaviour=Behaviour(unknown_id=setting))
    ran = raw(host, "Disconnect-WmsSession -SessionId 99")
    assert ran.rc == rc
    if setting == "error":
        assert ran.err.startswith("Disconnect-WmsSession : Session 99 was not found.")
        assert "ObjectNotFound: (99:Int32) [Disconnect-WmsSession], ItemNotFoundException" in ran.err_text
        assert f"System.Management.Automation.ItemNotFoundException,{DISCONNECT_CLASS}" in ran.err_text
    else:
        assert ran.err == ""


def test_2016_list_with_an_unknown_id_still_disconnects_the_others():
    host = make_host("2016")
    ran = raw(host, "Disconnect-WmsSession -SessionId 99,3")
    assert ran.rc == 1 and "Session 99 was not found." in ran.err
    assert states(host)[3] == "Disconnected"


def test_access_denied():
    host = make_host("2016", faults=Faults(access_denied=True))
    ran = raw(host, "Disconnect-WmsSession -SessionId 3")
    assert ran.rc == 1 and host.events == []
    assert ran.err.startswith("Disconnect-WmsSession : Attempted to perform an unauthorized operation.")
    assert "PermissionDenied: (:) [Disconnect-WmsSession], UnauthorizedAccessException" in ran.err_text


def test_2012_timeout_in_second_on_a_hanging_disconnect():
    host = make_host("2012", faults=Faults(disconnect_hangs=True))
    ran = raw(host, "Disconnect-WmsSession -SessionId 3 -TimeoutInSecond 1")
    assert ran.rc == 1 and 0.9 <= ran.seconds < 2.0
    assert "The operation has timed out." in ran.err
    assert "OperationTimeout: (:) [Disconnect-WmsSession], TimeoutException" in ran.err_text
    assert states(host)[3] == "Active"


def test_a_hanging_disconnect_without_timeout_runs_until_terminated():
    host = make_host("2016", faults=Faults(disconnect_hangs=True))
    parts = ShellModule()._encode_script("Disconnect-WmsSession -SessionId 3", as_list=True,
                                         strict_mode=False, preserve_rc=False)

    async def go():
        process = powershell.start_process(host, parts[0], " ".join(parts[1:]), console_stdin=True)
        assert await process.wait_output(0.3) is False
        process.terminate()
        return process.take_output()

    out, err, done, rc = asyncio.run(go())
    assert (out, err, done, rc) == (b"", b"", True, -1073741510)
    assert states(host)[3] == "Active"


def test_slow_disconnect_takes_its_time():
    host = make_host("2016", behaviour=Behaviour(disconnect_ms=400))
    ran = raw(host, "Disconnect-WmsSession -SessionId 3")
    assert ran.rc == 0 and ran.seconds >= 0.4 and states(host)[3] == "Disconnected"


@pytest.mark.parametrize(("setting", "rc"), [("noop", 0), ("error", 1)])
def test_already_disconnected(setting, rc):
    host = make_host("2016", behaviour=Behaviour(already_disconnected=setting))
    ran = raw(host, "Disconnect-WmsSession -SessionId 4")
    assert ran.rc == rc and host.events == []


def test_disconnect_noop_fault():
    host = make_host("2012", faults=Faults(disconnect_noop=True))
    ran = raw(host, "Disconnect-WmsSession -SessionId 3 -TimeoutInSecond 5")
    assert (ran.rc, ran.err) == (0, "") and states(host)[3] == "Active"


# --- Get-WmsSession ----------------------------------------------------------------------------


def test_2016_get_all_as_a_list_like_the_documentation():
    host = make_host("2016")
    ran = raw(host, "Get-WmsSession -All")
    assert ran.rc == 0
    expected_first = (
        "SessionId        : 2\r\n"
        "State            : RemoteConnection\r\n"
        "IsOrchestratable : False\r\n"
        "IsAdmin          : True\r\n"
        "IsMOGUser        : False\r\n"
        "UserName         : Test\r\n"
        "StationId        : 0\r\n"
        "ComputerName     : MPS-01\r\n"
        "ClientName       : Test2\r\n"
        "DomainName       : TestDomain\r\n"
        "IsRail           : False\r\n"
    )
    assert ran.out.startswith("\r\n" + expected_first + "\r\nSessionId        : 3\r\n")
    assert "State            : ConnectedToStation\r\n" in ran.out
    assert "ClientName       : MPS-01\r\n" in ran.out  # a station session shows the computer's name
    assert ran.out.count("SessionId ") == 3 and ran.out.endswith("IsRail           : False\r\n\r\n\r\n")


def test_2016_get_without_all_is_a_missing_mandatory_parameter():
    ran = raw(make_host("2016"), "Get-WmsSession")
    assert ran.rc == 1 and "missing mandatory parameters: SessionId." in ran.err_text


def test_2012_get_without_arguments_lists_all_with_id():
    ran = raw(make_host("2012"), "Get-WmsSession")
    assert ran.rc == 0
    assert ran.out.startswith("\r\nId           : 2\r\nState        : RemoteConnection\r\nIsAdmin      : True\r\n")
    assert "IsOrchestratable" not in ran.out and "IsMOGUser" not in ran.out and "SessionId" not in ran.out


def test_get_by_id():
    ran = raw(make_host("2012"), "Get-WmsSession -Id 3")
    assert ran.out.count("Id           : ") == 1 and "Administrator" in ran.out
    ran = raw(make_host("2016"), "Get-WmsSession -SessionId 2,3")
    assert ran.out.count("SessionId        : ") == 2


def test_disconnected_listed_false():
    host = make_host("2016", behaviour=Behaviour(disconnected_listed=False))
    ran = raw(host, "Get-WmsSession -All | ConvertTo-Json -Compress")
    assert [s["SessionId"] for s in json.loads(ran.out)] == [2, 3]


def test_convert_to_json_like_windows_powershell_5_1():
    host = make_host("2016")
    ran = raw(host, "Get-WmsSession -SessionId 2 | ConvertTo-Json")
    assert ran.rc == 0
    assert ran.out.startswith('{\r\n    "SessionId":  2,\r\n    "State":  1,\r\n    "IsOrchestratable":  false,\r\n')
    assert ran.out.endswith('    "IsRail":  false\r\n}\r\n')
    single = json.loads(ran.out)
    assert single["UserName"] == "Test" and single["State"] == 1  # one object, not wrapped; enum as number
    ran = raw(host, "Get-WmsSession -All | ConvertTo-Json -Compress -Depth 3")
    assert ran.out.startswith('[{"SessionId":2,"State":1,') and "\r\n" not in ran.out.rstrip("\r\n")
    assert [s["StationId"] for s in json.loads(ran.out)] == [0, 1, 2]
    ran = raw(host, "Get-WmsSession -All | ConvertTo-Json")
    assert ran.out.startswith("[\r\n    {\r\n        \"SessionId\":  2,\r\n")


def test_convert_to_json_5_1_has_no_as_array():
    ran = raw(make_host("2016"), "Get-WmsSession -All | ConvertTo-Json -AsArray")
    assert ran.rc == 1 and "matches parameter name 'AsArray'" in ran.err_text


def test_convert_to_json_escapes_like_5_1():
    ran = raw(make_host("2016"), "Write-Output 'it''s <b> & \"x\"' | ConvertTo-Json")
    assert ran.out == '"it\\u0027s \\u003cb\\u003e \\u0026 \\"x\\""\r\n'


# --- modules, other commands, errors ---------------------------------------------------------


def test_without_autoload_the_cmdlets_need_import_module():
    host = make_host("2016", behaviour=Behaviour(module_autoload=False))
    ran = raw(host, "Disconnect-WmsSession -SessionId 3")
    assert ran.rc == 1 and host.events == []
    assert ran.err.startswith("Disconnect-WmsSession : The term 'Disconnect-WmsSession' is not recognized")
    assert "CommandNotFoundException" in ran.err_text
    ran = raw(host, "Import-Module MultiPoint; Disconnect-WmsSession -SessionId 3")
    assert ran.rc == 0 and states(host)[3] == "Disconnected"


def test_import_module_with_the_wrong_name():
    host = make_host("2012", behaviour=Behaviour(module_name="WmsCmdlets", module_autoload=False))
    ran = raw(host, "Import-Module MultiPoint; Get-WmsSession")
    assert ran.rc == 1
    assert ran.err_text.startswith("Import-Module : The specified module 'MultiPoint' was not loaded because no valid "
                              "module file was found in any module directory.")
    assert "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand" in ran.err_text
    assert "The term 'Get-WmsSession' is not recognized" in ran.err_text
    ran = raw(host, "Import-Module WmsCmdlets; Get-WmsSession")
    assert ran.rc == 0 and "Id           : 2" in ran.out


@pytest.mark.parametrize("faults", [Faults(module_missing=True), Faults()])
def test_hosts_without_the_module_do_not_know_the_cmdlets(faults):
    host = make_host("2016" if faults.module_missing else "none", faults=faults)
    ran = raw(host, "Disconnect-WmsSession -SessionId 3")
    assert ran.rc == 1 and "The term 'Disconnect-WmsSession' is not recognized" in ran.err_text
    assert raw(host, "Import-Module MultiPoint").rc == 1
    assert host.events == []


def test_close_wms_session_logs_off():
    host = make_host("2016")
    ran = raw(host, "Close-WmsSession -SessionId 3")
    assert ran.rc == 0 and host.session(3) is None
    event = host.state()["events"][0]
    assert (event["session"], event["to"], event["kind"]) == (3, None, "logoff")
    assert event["cause"] == "one-liner: Close-WmsSession -SessionId 3"
    ran = raw(host, "Close-WmsSession -SessionId 3")
    assert ran.rc == 1 and "ItemNotFoundException" in ran.err_text
    host12 = make_host("2012")
    assert raw(host12, "Close-WmsSession -SessionId 2 -WhatIf").out.startswith('What if: Performing the operation '
                                                                              '"Close-WmsSession" on target "2".')
    assert host12.session(2) is not None


def test_pipelines_into_disconnect():
    host = make_host("2016")
    ran = raw(host, "Get-WmsSession -SessionId 2,3 | Disconnect-WmsSession")
    assert ran.rc == 0 and states(host)[2] == states(host)[3] == "Disconnected"
    host = make_host("2012")
    ran = raw(host, "Get-WmsSession -Id 3 | Disconnect-WmsSession")
    assert ran.rc == 1 and "InputObjectNotBound," in ran.err_text and host.events == []


def test_write_output_and_statements():
    host = make_host("2016")
    assert raw(host, "Write-Output 'x'").out == "x\r\n"
    assert raw(host, "echo a b; Write-Output 1,2").out == "a\r\nb\r\n1\r\n2\r\n"
    ran = raw(host, "Get-Foo; Write-Output 'still here'")
    assert ran.rc == 0 and ran.out == "still here\r\n"  # $? of the last statement decides
    assert ran.err.startswith("Get-Foo : The term 'Get-Foo' is not recognized")
    ran = raw(host, "Write-Output 'x'; Get-Foo")
    assert ran.rc == 1 and ran.out == "x\r\n"


def test_error_action():
    host = make_host("2016")
    ran = raw(host, "Disconnect-WmsSession -SessionId 99 -ErrorAction SilentlyContinue")
    assert ran.rc == 1 and ran.err == ""
    ran = raw(host, "Disconnect-WmsSession -SessionId 99 -ea Stop; Write-Output 'not reached'")
    assert ran.rc == 1 and ran.out == "" and "Session 99 was not found." in ran.err


@pytest.mark.parametrize("script", [
    "$x = Get-WmsSession -All",
    "Get-WmsSession -All | ForEach-Object { Disconnect-WmsSession -SessionId $_.SessionId }",
    "Disconnect-WmsSession -SessionId (Get-WmsSession -All).SessionId",
    'Write-Output "session $id"',
    "Disconnect-WmsSession -SessionId 3 || Write-Output x",
    "Get-WmsSession -All > out.txt",
    "Lock-WmsSession -SessionId 3 -Message hi",
    "quser",
    "Get-WmsSession -All -Thumbnail Small",
    "Disconnect-WmsSession -SessionId 3 -Server OTHER-HOST",
])
def test_what_the_interpreter_does_not_understand_fails_and_changes_nothing(script):
    host = make_host("2016")
    ran = raw(host, script)
    assert ran.rc == 1 and ran.out == "" and host.events == []
    assert "wmssim does not" in ran.err_text


def test_parse_errors():
    ran = raw(make_host("2016"), "Write-Output 'x")
    assert ran.rc == 1
    assert ran.err.split("\r\n")[:4] == [
        "At line:1 char:14", "+ Write-Output 'x", "+              ~~", "The string is missing the terminator: '.",
    ]
    assert "TerminatorExpectedAtEndOfString" in ran.err_text
    ran = raw(make_host("2016"), "Get-WmsSession -All |")
    assert ran.rc == 1 and "An empty pipe element is not allowed." in ran.err_text


def test_command_and_pywinrm_forms():
    """``-Command <text>`` and pywinrm's ``run_ps`` (the whole line in rsp:Command) work too."""
    import base64

    host = make_host("2016")

    async def go(command, arguments):
        process = powershell.start_process(host, command, arguments, console_stdin=True)
        return await powershell.run_to_end(process, None, timeout=10)

    rc, out, _ = asyncio.run(go("powershell.exe", "-NoProfile -Command Write-Output 'x'"))
    assert (rc, out) == (0, b"x\r\n")
    encoded = base64.b64encode("Disconnect-WmsSession -SessionId 3".encode("utf-16-le")).decode()
    rc, out, err = asyncio.run(go(f"powershell -encodedcommand {encoded}", ""))
    assert (rc, out, err) == (0, b"", b"") and states(host)[3] == "Disconnected"
