"""The shipped agent (``plugins/plugin_utils/wms_agent.ps1``) and bootstrap pass every check of pscheck.

Nothing here runs PowerShell; see ``tests/pscheck``. Beyond the generic checks, these tests pin
what the agent must do: which MultiPoint calls it makes and where, how strict it is, how it
detects the generation, and that the JSON it writes has exactly the protocol's shapes
(``_protocol.schema()``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import schema
from ansible_collections.multipoint.wms.tests.pscheck.checks import (
    WMS_NAME,
    check_commands,
    check_dotnet_versions,
    check_dynamic_code,
    check_json_keys,
    check_output_leaks,
    check_pinvoke,
    check_ps3,
    check_request_reads,
    check_syntax,
    check_time_limited,
    check_unwrapped_results,
    check_variables,
    check_wms_calls,
    code_text,
    statement_heads,
    wts_calls,
    wts_imports,
)
from ansible_collections.multipoint.wms.tests.pscheck.tree import (
    Script,
    api_calls,
    command_calls,
    enclosing_function,
    functions,
    literal_string,
    text_of,
    unwrap,
)

REPO = Path(__file__).resolve().parents[2]
AGENT_PATH = REPO / "plugins" / "plugin_utils" / "wms_agent.ps1"
BOOTSTRAP_PATH = REPO / "plugins" / "plugin_utils" / "wms_bootstrap.ps1"


def schema_shapes() -> dict[str, frozenset[str]]:
    """Property names of every object the response holds (nested ones too), by where it is."""
    shapes: dict[str, frozenset[str]] = {}

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                shapes[where] = frozenset(node["properties"])
            for key, value in node.items():
                walk(value, f"{where}.{key}" if key != "properties" else where)
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    defs = schema()["$defs"]
    for name in ("response", "session", "result", "error", "diagnostics"):
        walk(defs[name], name)
    return shapes


@pytest.fixture(scope="module")
def agent() -> Script:
    return Script.parse(AGENT_PATH.read_text(encoding="utf-8"))


def test_agent_parses_without_errors(agent: Script) -> None:
    assert check_syntax(agent) == []
    assert not agent.root.has_error


def test_bootstrap_parses_without_errors() -> None:
    bootstrap = Script.parse(BOOTSTRAP_PATH.read_text(encoding="utf-8"))
    assert check_syntax(bootstrap) == []
    assert "ScriptBlock]::Create" in bootstrap.text


def test_agent_takes_the_request_line_as_its_only_parameter(agent: Script) -> None:
    first = next(n for n in agent.root.named_children if n.type != "comment")
    assert first.type == "param_block"
    assert re.sub(r"\s", "", text_of(first)) == "param([string]$RequestJson)"


def test_wms_calls_use_documented_parameters_of_their_generation(agent: Script) -> None:
    assert check_wms_calls(agent) == []
    api, _ = api_calls(agent)
    wms = [c for c in api + command_calls(agent) if WMS_NAME.match(c.name)]
    # The agent calls exactly these, each in a function of its generation.
    assert sorted((c.name, c.function) for c in wms) == [
        ("Disconnect-WmsSession", "Invoke-MultiPointDisconnect2012"),
        ("Disconnect-WmsSession", "Invoke-MultiPointDisconnect2016"),
        ("Get-WmsSession", "Read-MultiPointSessions2012"),
        ("Get-WmsSession", "Read-MultiPointSessions2016"),
    ]
    for call in wms:
        params = {t.text: t.value for t in call.tokens}
        if call.name == "Get-WmsSession":
            # 2012: no arguments (lists every session); 2016: -All (else it would prompt for -SessionId).
            assert params == ({} if call.function.endswith("2012") else {"All": "$true"})
        else:
            # Never a prompt; -WhatIf in check mode, on the same call.
            assert params["Confirm"] == "$false"
            assert params["WhatIf"] == "$true"
            assert "SessionId" in params
            assert ("TimeoutInSecond" in params) == call.function.endswith("2012")


def test_no_dynamic_code_in_the_agent(agent: Script) -> None:
    assert check_dynamic_code(agent) == []
    code = code_text(agent).lower()
    for word in ("Invoke-Expression", "Add-Type", "NewScriptBlock", "ScriptBlock]::Create", "iex "):
        assert word.lower() not in code


def test_every_command_and_parameter_is_known(agent: Script) -> None:
    assert check_commands(agent) == []


def test_every_variable_is_assigned_somewhere_it_is_visible(agent: Script) -> None:
    assert check_variables(agent) == []


def test_nothing_but_the_response_reaches_the_output(agent: Script) -> None:
    assert check_output_leaks(agent) == []


def test_agent_is_strict_and_stops_on_every_error(agent: Script) -> None:
    top = [text_of(unwrap(n)) for n in statement_heads(agent) if enclosing_function(n) is None]
    assert "Set-StrictMode -Version 2.0" in top[:3]
    assert "$ErrorActionPreference = 'Stop'" in top[:3]
    # It ends normally after writing (no exit: over psrp that would end the runspace's pipeline).
    assert not [f for f in agent.nodes("flow_control_statement") if text_of(f).lower().startswith("exit")]


def test_generation_is_not_guessed_from_the_os_version(agent: Script) -> None:
    # OSVersion is read once, for host.os_version; the generation comes from the cmdlet's parameters.
    users = {enclosing_function(n) for n in agent.nodes("member_access", "member_name") if text_of(n) == "OSVersion"}
    assert users == {"Get-HostInfo"}
    detect = text_of(functions(agent)["Find-MultiPointModule"].node)
    for parameter in ("TimeoutInSecond", "All", "Server"):
        assert f"$parameters -contains '{parameter}'" in detect
    assert re.search(r"'MultiPoint', 'WmsCmdlets', 'WmsCmdlets3'", detect)


def test_no_collection_with_value_returning_add(agent: Script) -> None:
    # VOID_METHODS trusts .Add() to return nothing: true for List<T>, not for ArrayList or HashSet.
    for word in ("ArrayList", "HashSet", "SortedSet"):
        assert word not in agent.text


def test_agent_is_ascii_and_windows_powershell_3_compatible(agent: Script) -> None:
    assert check_ps3(agent) == []


def test_request_is_only_read_through_validation(agent: Script) -> None:
    assert check_request_reads(agent) == []


def test_json_keys_match_the_response_schema(agent: Script) -> None:
    assert check_json_keys(agent, schema_shapes()) == []


def test_last_resort_response_is_valid(agent: Script) -> None:
    literals = [literal_string(n) for n in agent.nodes("string_literal")]
    fallback = [text for text in literals if text and text.startswith('{"agent":"multipoint.wms"')]
    assert len(fallback) == 1
    document = json.loads(fallback[0])
    definitions = schema()
    jsonschema.validate(document, {"$defs": definitions["$defs"], "$ref": "#/$defs/response"})
    assert document["ok"] is False and document["error"]["kind"] == "exception"


def test_pinvoke_calls_match_their_definitions(agent: Script) -> None:
    assert check_pinvoke(agent) == []
    assert wts_imports(agent) == {
        "WTSEnumerateSessionsW": 5,
        "WTSQuerySessionInformationW": 5,
        "WTSFreeMemory": 1,
        "WTSDisconnectSession": 3,
        "WTSSendMessageW": 10,
    }
    setup = text_of(functions(agent)["Add-WtsImport"].node)
    assert "GetField('SetLastError')" in setup and "CharSet]::Unicode" in setup
    assert "'wtsapi32.dll'" in setup and "DefineMethod" in setup and "PinvokeImpl" in setup
    # The P/Invoke type is reused when a runspace already defined it (psrp reuses processes).
    assert "GetAssemblies()" in text_of(functions(agent)["Get-WtsApi"].node)
    # WTS_SESSION_INFOW differs between 32- and 64-bit processes.
    assert "[System.IntPtr]::Size" in text_of(functions(agent)["Get-WtsSessionList"].node)
    send = next(text_of(n) for n, m, _ in wts_calls(agent) if m == "WTSSendMessageW")
    # Lengths in bytes, MB_OK | MB_ICONINFORMATION, bWait FALSE.
    assert "(2 * $Title.Length)" in send and "(2 * $Text.Length)" in send and "0x40" in send
    assert send.rstrip(")").endswith("$false")
    disconnect = next(text_of(n) for n, m, _ in wts_calls(agent) if m == "WTSDisconnectSession")
    assert disconnect.rstrip(")").endswith("$false")


def test_connect_states_are_the_protocol_names_in_wts_order(agent: Script) -> None:
    match = re.search(r"\$ConnectStates = @\(([^)]*)\)", agent.text)
    assert match is not None
    names = [name.strip().strip("'") for name in match.group(1).split(",")]
    assert names == schema()["$defs"]["state"]["enum"]


@pytest.mark.parametrize("path", [AGENT_PATH, BOOTSTRAP_PATH], ids=["agent", "bootstrap"])
def test_only_dotnet_of_powershell_3_and_dotnet_4_5(path: Path) -> None:
    table = yaml.safe_load((REPO / "tests" / "data" / "reference" / "dotnet-members.yml").read_text())
    assert check_dotnet_versions(Script.parse(path.read_text(encoding="utf-8")), table) == []


def test_count_and_indexes_only_on_wrapped_command_results(agent: Script) -> None:
    assert check_unwrapped_results(agent) == []


def test_module_loading_and_multipoint_cmdlets_are_time_limited(agent: Script) -> None:
    assert check_time_limited(agent) == []
    # And the runner really waits with a limit.
    runner = text_of(functions(agent)["Invoke-NestedPipeline"].node)
    assert "WaitOne($LimitMs)" in runner and "BeginStop" in runner


def test_the_bootstrap_refuses_hosts_the_agent_cannot_run_on() -> None:
    text = BOOTSTRAP_PATH.read_text(encoding="ascii")
    assert "$PSVersionTable.PSVersion.Major -lt 3" in text
    assert "$ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage'" in text
    # The answer it writes then is a protocol document (with the values PowerShell fills in).
    template = next(line.strip() for line in text.splitlines() if line.strip().startswith("'{\"agent\""))
    document = template.replace("' + $problem + '", "Windows PowerShell 2.0 (3.0 or later is needed)")
    document = json.loads(document.replace("' + $PSVersionTable.PSVersion + '", "2.0").strip("'"))
    jsonschema.validate(document, dict(schema(), **{"$ref": "#/$defs/response"}))
    assert document["error"]["kind"] == "unsupported_host"
