"""Each check of pscheck catches what it is there for, and accepts what it should, on small scripts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ansible_collections.multipoint.wms.tests.pscheck.checks import (
    check_commands,
    check_dotnet_versions,
    check_time_limited,
    check_unwrapped_results,
    check_dynamic_code,
    check_json_keys,
    check_output_leaks,
    check_pinvoke,
    check_ps3,
    check_request_reads,
    check_syntax,
    check_variables,
    check_wms_calls,
)
from ansible_collections.multipoint.wms.tests.pscheck.cmdlets import (
    cmdlet_tables,
    find_cmdlet,
)
from ansible_collections.multipoint.wms.tests.pscheck.tree import Script


def problems_of(check: Callable[[Script], list[str]], source: str) -> list[str]:
    return check(Script.parse(source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # -Server is 2016 only.
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -SessionId 3 -Server 'a' -Confirm:$false\n}\n", "no parameter -Server"),
        # -TimeoutInSecond is 2012 only, and the API chain is checked like a command.
        (
            "function Invoke-X2016 {\n    [void]$s.AddCommand('Disconnect-WmsSession').AddParameter('SessionId', $i).AddParameter('TimeoutInSecond', 5)\n}\n",
            "no parameter -TimeoutInSecond",
        ),
        # A parameter added on its own statement belongs to the call built before it.
        (
            "function Invoke-X2016 {\n    [void]$s.AddCommand('Get-WmsSession').AddParameter('All', $true)\n    [void]$s.AddParameter('TimeoutInSecond', 5)\n}\n",
            "no parameter -TimeoutInSecond",
        ),
        # 2016 Get-WmsSession without -All would prompt for -SessionId.
        ("function Read-X2016 {\n    Get-WmsSession\n}\n", "fit no parameter set"),
        ("function Read-X2016 {\n    [void]$s.AddCommand('Get-WmsSession')\n}\n", "fit no parameter set"),
        # -All and -SessionId are in different parameter sets.
        ("function Invoke-X2016 {\n    Disconnect-WmsSession -All -SessionId 3\n}\n", "fit no parameter set"),
        # 2012 Disconnect-WmsSession needs -SessionId.
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -TimeoutInSecond 5\n}\n", "fit no parameter set"),
        # Abbreviated names bind on Windows but are not checkable here.
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -Sess 3\n}\n", "no parameter -Sess"),
        # Get-WmsSession has no -WhatIf/-Confirm in either generation.
        ("function Read-X2016 {\n    Get-WmsSession -All -WhatIf\n}\n", "no parameter -WhatIf"),
        # PS 5.0 common parameter.
        ("function Read-X2016 {\n    Get-WmsSession -All -InformationAction Ignore\n}\n", "no parameter -InformationAction"),
        # Outside a generation function nobody knows which table applies.
        ("function Invoke-Anything {\n    Disconnect-WmsSession -SessionId 3\n}\n", "outside a generation function"),
        ("Get-WmsSession -All\n", "outside a generation function"),
        # Positional, splatted, missing value, unknown cmdlet, computed names.
        ("function Invoke-X2016 {\n    Disconnect-WmsSession 3\n}\n", "positional"),
        ("function Invoke-X2016 {\n    Disconnect-WmsSession @p\n}\n", "splatting"),
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -SessionId\n}\n", "needs a value"),
        ("function Invoke-X2012 {\n    Send-WmsMessage -SessionId 3\n}\n", "no such cmdlet"),
        ("function Invoke-X2016 {\n    [void]$s.AddCommand($name)\n}\n", "literal command name"),
        ("function Invoke-X2016 {\n    [void]$s.AddCommand('Get-WmsSession').AddParameters($p)\n}\n", "splatting"),
    ],
)
def test_wms_checker_catches_wrong_calls(source: str, expected: str) -> None:
    problems = problems_of(check_wms_calls, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "source",
    [
        "function Invoke-X2012 {\n    Disconnect-WmsSession -SessionId 3 -TimeoutInSecond 5 -Confirm:$false -WhatIf\n}\n",
        "function Invoke-X2016 {\n    Disconnect-WmsSession -SessionId 3, 4 -Confirm:$false -ErrorAction Stop\n}\n",
        "function Read-X2012 {\n    Get-WmsSession\n}\n",
        "function Read-X2016 {\n    [void]$s.AddCommand('Get-WmsSession').AddParameter('All')\n}\n",
    ],
)
def test_wms_checker_accepts_documented_calls(source: str) -> None:
    assert problems_of(check_wms_calls, source) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Invoke-Expression $x\n", "not allowed"),
        ("iex $x\n", "not allowed"),
        ("Add-Type -TypeDefinition $code\n", "not allowed"),
        ("& $name -SessionId 3\n", "& or . invocation"),
        (". $path\n", "& or . invocation"),
        ("$b = [ScriptBlock]::Create($text)\n", "only the bootstrap"),
        ("$b = $ExecutionContext.InvokeCommand.NewScriptBlock($text)\n", "not allowed"),
        ("$t = $ExecutionContext.InvokeCommand.ExpandString($text)\n", "not allowed"),
        ("[void]$ps.AddScript($text)\n", "AddScript"),
        ("$m = \"Disconnect-WmsSession -SessionId $id\"\n", "interpolation"),
        ("$x = { Get-WmsSession }\n", "script block literal"),
        ("$o = New-Object -TypeName $typeName\n", "computed type name"),
        ("qwinsta\n", "not allowed"),
    ],
)
def test_dynamic_code_checker_catches_code_from_data(source: str, expected: str) -> None:
    problems = problems_of(check_dynamic_code, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function F {\n    param($A)\n    return $A\n}\n$x = F -B 1\n", "no parameter -B"),
        ("function F {\n    param($A)\n    return $A\n}\n$x = F 1 2\n", "too many positional"),
        ("$x = ConvertTo-Json -InputObject $y -Depth 5\n", "unknown command ConvertTo-Json"),
        ("$x = ConvertFrom-Json -InputObject $y -AsHashtable\n", "no parameter -AsHashtable"),
        ("$x = Get-LocalGroupMember -Name 'Administrators'\n", "unknown command Get-LocalGroupMember"),
        ("Start-Sleep -Duration $d\n", "no parameter -Duration"),
    ],
)
def test_command_checker_catches_unknown_commands_and_parameters(source: str, expected: str) -> None:
    problems = problems_of(check_commands, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function F {\n    param($Name)\n    return $Nmae\n}\n", "$Nmae is never assigned"),
        ("function F {\n    foreach ($input in $list) {\n    }\n}\n", "$input is an automatic variable"),
        ("$host = 'a'\n", "$host is an automatic variable"),
        ("function F {\n    $x = 1\n}\nfunction G {\n    return $x\n}\n", "$x is never assigned in G"),
        ("$y = $z\n", "$z is never assigned"),
    ],
)
def test_variable_checker_catches_typos(source: str, expected: str) -> None:
    problems = problems_of(check_variables, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function F {\n    $d.Remove('x')\n}\n", ".Remove()"),
        ("function F {\n    $b.Append('x')\n}\n", ".Append()"),
        ("function F {\n    return 1\n}\nfunction G {\n    F\n}\n", "the value F returns"),
        ("function F {\n    $x\n}\n", "writes to the output"),
        ("Write-Output 'a'\nWrite-Output 'b'\n", "exactly one line"),
    ],
)
def test_output_checker_catches_stray_output(source: str, expected: str) -> None:
    problems = problems_of(check_output_leaks, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$l = [System.Collections.Generic.List[int]]::new()\n", "::new()"),
        ("class Foo {\n    [int]$A\n}\n", "classes"),
        ("using namespace System.Text\n", "using"),
        ("$x = @(1, 2).Where($f)\n", ".Where()"),
        ("$s = 'caf\u00e9'\n", "non-ASCII"),
    ],
)
def test_ps3_checker_catches_later_constructs(source: str, expected: str) -> None:
    problems = problems_of(check_ps3, source)
    assert any(expected in problem for problem in problems), problems


def test_syntax_checker_catches_broken_source() -> None:
    assert check_syntax(Script.parse("function F {\n    if ($a {\n}\n"))
    assert check_syntax(Script.parse("$x = $a ?? $b\n"))


READER = """\
param([string]$RequestJson)
function Read-AgentRequest {
    param([string]$Json)
    $parsed = ConvertFrom-Json -InputObject $Json
    $raw = @{}
    $request = @{}
    $request['ids'] = Read-JsonIdList -Value $raw['ids']
    return $request
}
$AgentRequest = Read-AgentRequest -Json $RequestJson
"""


def test_request_checker_accepts_the_pattern() -> None:
    assert problems_of(check_request_reads, READER) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("$AgentRequest = Read-AgentRequest -Json $RequestJson", "$AgentRequest = Read-AgentRequest -Json $RequestJson\n$n = $RequestJson.Length"), "only passed"),
        (("    return $request\n}", "    return $request\n}\nfunction G {\n    return $parsed.ids\n}"), "outside Read-AgentRequest"),
        (("Read-JsonIdList -Value $raw['ids']", "$raw['ids']"), "other than a Read-Json"),
        (("    return $request\n", "    $t = $raw['title']\n    return $request\n"), "without a Read-Json"),
        (("    return $request\n", "    return $parsed\n"), "must return only"),
    ],
)
def test_request_checker_catches_unchecked_reads(change: tuple[str, str], expected: str) -> None:
    source = READER.replace(*change)
    assert source != READER
    problems = problems_of(check_request_reads, source)
    assert any(expected in problem for problem in problems), problems


def test_json_key_checker_catches_wrong_keys() -> None:
    shapes = {"error": frozenset({"kind", "type"}), "module": frozenset({"name", "version"})}
    good = "$e = [ordered]@{ kind = 1; type = 2 }\n$m = [ordered]@{ name = 1; 'version' = 2 }\n$e['kind'] = 3\n"
    assert problems_of(lambda s: check_json_keys(s, shapes), good) == []
    typo = "$e = [ordered]@{ kind = 1; typ = 2 }\n$m = [ordered]@{ name = 1; version = 2 }\n"
    assert any("match no object" in p for p in problems_of(lambda s: check_json_keys(s, shapes), typo))
    missing = "$e = [ordered]@{ kind = 1; type = 2 }\n"
    assert any("module object" in p for p in problems_of(lambda s: check_json_keys(s, shapes), missing))
    stray = good + "$e['kinds'] = 4\n"
    assert any("'kinds'" in p for p in problems_of(lambda s: check_json_keys(s, shapes), stray))


def test_pinvoke_checker_catches_arity_and_bookkeeping() -> None:
    source = """\
function Get-X {
    Add-WtsImport -TypeBuilder $t -Name 'WTSFreeMemory' -ReturnType ([void]) -ParameterTypes @([System.IntPtr])
    Add-WtsImport -TypeBuilder $t -Name 'WTSDisconnectSession' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [bool])
    Add-WtsImport -TypeBuilder $t -Name 'WTSQuerySessionInformationW' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [int], $p, $i)
}
function Use-X {
    $ok = $api::WTSDisconnectSession([System.IntPtr]::Zero, 3)
    $ok = $api::WTSQuerySessionInformationW([System.IntPtr]::Zero, 3, 5, [ref]$b, [ref]$n)
    $x = 1
    $api::WTSFreeMemory($b)
}
"""
    problems = problems_of(check_pinvoke, source)
    assert any("takes 3 arguments, called with 2" in p for p in problems), problems
    assert any("not followed at once by Marshal.GetLastWin32Error" in p for p in problems), problems
    assert any("WTSFreeMemory outside a finally block" in p for p in problems), problems


def test_cmdlet_tables_read_the_documented_parameter_sets() -> None:
    tables = cmdlet_tables()
    disconnect_2012 = find_cmdlet(tables["2012"], "Disconnect-WmsSession")
    assert disconnect_2012 is not None and len(disconnect_2012) == 1
    assert set(disconnect_2012[0].parameters) == {"SessionId", "TimeoutInSecond", "WhatIf", "Confirm"}
    assert disconnect_2012[0].mandatory() == {"SessionId"}
    get_2016 = {s.name: s for s in find_cmdlet(tables["2016"], "Get-WmsSession") or []}
    assert get_2016["GetAll"].mandatory() == {"All"}
    assert get_2016["GetById"].mandatory() == {"SessionId"}
    assert len(tables["2012"]) == 28 and len(tables["2016"]) == 47


@pytest.mark.parametrize(("source", "expected"), [
    ("$p = Get-Process\n$n = $p.Count\n", "holds a command's result"),
    ("$n = (Get-ChildItem C:\\).Length\n", "on the result of Get-ChildItem"),
    ("function F {\n    $m = Get-Module -ListAvailable\n    return $m[0]\n}\n", "holds a command's result"),
])
def test_unwrapped_results_checker_catches_count_on_a_command_result(source, expected):
    problems = problems_of(check_unwrapped_results, source)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("source", [
    "$p = @(Get-Process)\n$n = $p.Count\n",
    "$n = @(Get-ChildItem C:\\).Length\n",
    "$l = New-Object -TypeName 'System.Collections.Generic.List[long]'\n$n = $l.Count\n",
    "function Get-L {\n    return ,$x\n}\n$l = Get-L\n$n = $l.Count\n",
])
def test_unwrapped_results_checker_accepts_wrapped_or_typed_results(source):
    assert problems_of(check_unwrapped_results, source) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("Import-Module -Name MultiPoint\n", "called directly"),
    ("$c = Get-Command -Name 'Disconnect-WmsSession'\n", "called directly"),
    ("function Read-X2016 {\n    Get-WmsSession -All\n}\n", "called directly"),
    ("function Read-X {\n    [void]$s.AddCommand('Import-Module').AddParameter('Name', 'x')\n    $s.Invoke()\n}\n",
     "never run through a time-limited runner"),
    ("function Read-X {\n    $h = $s.BeginInvoke()\n}\n", "outside Invoke-NestedPipeline"),
])
def test_time_limit_checker_catches_calls_that_could_hang(source, expected):
    problems = problems_of(check_time_limited, source)
    assert any(expected in p for p in problems), problems


def test_time_limit_checker_accepts_the_runner_pattern():
    source = ("function Invoke-NestedPipeline {\n    $h = $Shell.BeginInvoke()\n    $o = $Shell.EndInvoke($h)\n}\n"
              "function Read-X {\n    [void]$s.AddCommand('Get-Command').AddParameter('Name', 'x')\n"
              "    $r = Invoke-MultiPointRead -Wms $w -Shell $s -What 'x'\n    $m = $g.psbase.Invoke('Members')\n}\n")
    assert problems_of(check_time_limited, source) == []


TABLE = {"accelerators": {"int": "PowerShell 1.0", "ordered": "PowerShell 3.0"},
         "types": {"System.Math": {"since": ".NET 1.1", "members": {"Min": ".NET 1.1"}},
                   "System.Collections.Generic.List": {"since": ".NET 2.0"},
                   "System.Net.Http.HttpClient": {"since": ".NET 4.5"},
                   "System.Text.Json.JsonSerializer": {"since": ".NET 5.0"}}}


@pytest.mark.parametrize(("source", "expected"), [
    ("$x = [System.Math]::Clamp(1, 2, 3)\n", "System.Math::Clamp is not in the table"),
    ("$x = [System.Text.Json.JsonSerializer]\n", "needs .NET 5.0"),
    ("$x = New-Object -TypeName 'System.Collections.Generic.List[System.Guid]'\n", "type System.Guid is not in"),
    ("$x = [pscustomobject]@{}\n", "type pscustomobject is not in"),
])
def test_dotnet_checker_catches_unknown_or_newer_types(source, expected):
    problems = problems_of(lambda s: check_dotnet_versions(s, TABLE), source)
    assert any(expected in p for p in problems), problems


def test_dotnet_checker_accepts_known_old_types():
    source = ("$a = [System.Math]::Min(1, 2)\n$b = New-Object -TypeName 'System.Collections.Generic.List[int]'\n"
              "$c = [ordered]@{}\n$d = [System.Net.Http.HttpClient]\n")
    assert problems_of(lambda s: check_dotnet_versions(s, TABLE), source) == []
