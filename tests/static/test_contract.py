"""One source for the agent contract: everything that repeats ``_protocol.py`` is checked against it.

``plugins/plugin_utils/_protocol.py`` defines the protocol's limits, vocabularies and request keys
once. The generated files must be current, and every copy the collection cannot import it into
(the PowerShell agent, the simulator, the role, the module docs) must say the same; each test
here fails on drift and names what differs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.multipoint.wms.plugins.plugin_utils import _options, _protocol
from ansible_collections.multipoint.wms.plugins.plugin_utils._outcomes import Outcome
from ansible_collections.multipoint.wms.tests.pscheck.tree import (
    Script,
    command_calls,
    functions,
    text_of,
)

REPO = Path(__file__).resolve().parents[2]
AGENT = (REPO / "plugins" / "plugin_utils" / "wms_agent.ps1").read_text(encoding="utf-8")
DOC = (REPO / "docs" / "agent-protocol.md").read_text(encoding="utf-8")


def _ps_list(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _reader() -> str:
    return text_of(functions(Script.parse(AGENT))["Read-AgentRequest"].node)


# --- generated files ---------------------------------------------------------------------------


def test_the_schema_file_is_generated_from_the_protocol():
    on_disk = json.loads((REPO / "docs" / "agent-protocol.schema.json").read_text(encoding="utf-8"))
    assert on_disk == _protocol.schema(), "stale: run .venv/bin/python tools/protocol_docs.py"


def test_the_request_table_of_the_doc_is_generated_from_the_protocol():
    table = re.search(r"<!-- request-table: [^\n]*-->\n(.*?)\n<!-- end of request-table -->", DOC, re.S)
    assert table is not None and table.group(1) == _protocol.request_table(), \
        "stale: run .venv/bin/python tools/protocol_docs.py"


def test_the_doc_shows_the_bootstrap_as_shipped():
    block = re.search(r"```powershell\n(.*?)```", DOC, re.S).group(1)
    assert block == (REPO / "plugins" / "plugin_utils" / "wms_bootstrap.ps1").read_text(encoding="ascii")


def test_the_doc_ends_with_how_to_add_a_field():
    last = DOC.rstrip().rsplit("\n## ", 1)[1]
    assert re.match(r"\d+\. How to add a field\n", last)
    assert "_protocol.py" in last and "wms_agent.ps1" in last and "wmssim" in last


# --- the request builders ----------------------------------------------------------------------


def test_request_builders_refuse_keys_the_action_does_not_use():
    with pytest.raises(ValueError, match="not used by action 'inventory'"):
        _protocol.request("inventory", "auto", ids=[3])
    with pytest.raises(ValueError, match="needs request keys title, text, display_seconds"):
        _protocol.request("message", "auto", ids=[3], act_states=["Active"])


# --- the PowerShell agent ------------------------------------------------------------------------


def test_the_agent_starts_with_the_marker_and_speaks_the_protocol_version():
    assert AGENT.splitlines()[0].startswith(_protocol.AGENT_MARKER)
    assert f"(protocol {_protocol.PROTOCOL})" in AGENT.splitlines()[0]
    assert f"agent = '{_protocol.AGENT_NAME}'; protocol = {_protocol.PROTOCOL};" in AGENT


def test_the_agent_names_the_connect_states_in_wts_order():
    match = re.search(r"\$ConnectStates = @\(([^)]*)\)", AGENT)
    assert tuple(_ps_list(match.group(1))) == _protocol.CONNECT_STATES


def test_the_agent_reads_exactly_the_request_keys():
    reader = _reader()
    known = re.search(r"\$known = @\(([^)]*)\)", reader)
    assert _ps_list(known.group(1)) == [f.name for f in _protocol.REQUEST_FIELDS]
    for action in ("disconnect", "message"):
        block = re.search(rf"\$action -eq '{action}'\) \{{(.*?)\}}", reader, re.S).group(1)
        required = _ps_list(re.search(r"\$required = @\(([^)]*)\)", block).group(1))
        optional = re.search(r"\$optional = @\(([^)]*)\)", block)
        fields = [f for f in _protocol.REQUEST_FIELDS if action in f.actions and f.name not in ("protocol", "action", "backend")]
        assert required == [f.name for f in fields if f.required], action
        assert (_ps_list(optional.group(1)) if optional else []) == [f.name for f in fields if not f.required], action


def test_the_agent_checks_every_integer_with_the_protocols_bounds():
    bounds = {}
    for call in command_calls(Script.parse(AGENT)):
        if call.name != "Read-JsonInteger" or call.function not in ("Read-AgentRequest", "Read-JsonIdList"):
            continue
        values = {t.text: call.tokens[i + 1].text for i, t in enumerate(call.tokens[:-1]) if t.kind == "param"}
        bounds[values["Key"].strip("'")] = (int(values["Minimum"]), int(values["Maximum"]))
    expected = {f.name: f.bounds for f in _protocol.REQUEST_FIELDS if f.kind in ("const", "integer", "ids")}
    assert bounds == expected


def test_the_agent_accepts_the_protocols_choices():
    reader = _reader()
    for name, choices in (("action", _protocol.ACTIONS), ("backend", _protocol.BACKENDS)):
        match = re.search(rf"-Key '{name}' -Choices @\(([^)]*)\)", reader)
        assert tuple(_ps_list(match.group(1))) == choices, name


def test_the_agent_writes_only_the_protocols_vocabularies():
    kinds = set(re.findall(r"-Kind '([a-z_]+)'", AGENT)) | set(re.findall(r"\$Kind -eq '([a-z_]+)'", AGENT))
    assert kinds <= set(_protocol.ERROR_KINDS) and kinds >= {"bad_request", "module_missing", "unsupported_module"}
    actions = set(re.findall(r"-Action '([a-z]+)'", AGENT)) | set(re.findall(r"\['action'\] = '([a-z]+)'", AGENT))
    assert actions <= set(_protocol.RESULT_ACTIONS)
    reasons = set(re.findall(r"-Reason '([a-z_]+)'", AGENT))
    assert reasons == set(_protocol.SKIP_REASONS)
    backends = set(re.findall(r"'(multipoint-20\d\d|wts)'", AGENT))
    assert backends == set(_protocol.USED_BACKENDS)


# --- the simulator's copy -------------------------------------------------------------------------


def test_the_simulator_reads_requests_with_the_same_vocabularies_and_limits():
    from wmssim.host import agent

    from wmssim import spec

    assert (agent.AGENT, agent.PROTOCOL, agent.AGENT_MARKER) == (
        _protocol.AGENT_NAME, _protocol.PROTOCOL, _protocol.AGENT_MARKER)
    assert spec.CONNECT_STATES == _protocol.CONNECT_STATES
    assert agent.ACTIONS == _protocol.ACTIONS and agent.BACKENDS == _protocol.BACKENDS
    assert agent.DEFAULT_POLL_MS == _protocol.DEFAULT_POLL_MS
    assert agent.KNOWN_KEYS == tuple(f.name for f in _protocol.REQUEST_FIELDS)
    limits = {"ids": agent.ID_RANGE, "timeout": agent.TIMEOUT_RANGE, "poll_ms": agent.POLL_MS_RANGE,
              "display_seconds": agent.DISPLAY_SECONDS_RANGE}
    for name, bounds in limits.items():
        assert bounds == _protocol.FIELDS_BY_NAME[name].bounds, name
    for action in _protocol.ACTIONS:
        fields = [f for f in _protocol.REQUEST_FIELDS if action in f.actions and f.name not in agent.COMMON_KEYS]
        assert agent.REQUIRED_KEYS[action] == tuple(f.name for f in fields if f.required), action
        assert agent.OPTIONAL_KEYS[action] == tuple(f.name for f in fields if not f.required), action


# --- the modules and the role ------------------------------------------------------------------------


def _doc_options(name: str) -> dict:
    text = (REPO / "plugins" / "modules" / f"{name}.py").read_text(encoding="utf-8")
    documentation = re.search(r'DOCUMENTATION = r?"""(.*?)"""', text, re.S).group(1)
    return yaml.safe_load(documentation)["options"]  # the module's own options (not the fragment's)


def _words(entry: dict) -> str:
    description = entry["description"]
    return " ".join(description if isinstance(description, list) else [description])


@pytest.mark.parametrize(("module", "option", "field"), [
    ("session_disconnect", "timeout", "timeout"),
    ("session_disconnect", "session_id", "ids"),
    ("session_message", "display_seconds", "display_seconds"),
])
def test_module_docs_state_the_protocols_limits(module, option, field):
    low, high = _protocol.FIELDS_BY_NAME[field].bounds
    assert f"{low} to {high}" in _words(_doc_options(module)[option])


def test_option_checks_use_the_protocols_limits():
    assert (_options.ID_LOW, _options.ID_HIGH) == _protocol.SESSION_ID_RANGE
    assert _options.BACKENDS == _protocol.BACKENDS


def test_the_role_states_and_checks_the_protocols_limits(tmp_path):
    from ansible_collections.multipoint.wms.plugins.plugin_utils._role_check import check_settings

    role = REPO / "roles" / "end_of_day"
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    for variable, field in (("end_of_day_timeout", "timeout"), ("end_of_day_grace_seconds", "display_seconds")):
        low, high = _protocol.FIELDS_BY_NAME[field].bounds
        assert f"{low} to {high}" in _words(options[variable]), variable
        check_settings({variable: high, "end_of_day_report_dir": str(tmp_path)}, str(tmp_path))
        check_settings({variable: low, "end_of_day_report_dir": str(tmp_path)}, str(tmp_path))
        for wrong in (low - 1, high + 1):
            with pytest.raises(_options.OptionError, match=f"{variable}: {wrong} is out of range; accepted: {low} to {high}"):
                check_settings({variable: wrong, "end_of_day_report_dir": str(tmp_path)}, str(tmp_path))


def test_the_report_places_every_disconnect_outcome_in_exactly_one_column():
    from ansible_collections.multipoint.wms.plugins.plugin_utils import _outcomes

    groups = (_outcomes.DONE_OUTCOMES, _outcomes.UNCHANGED_OUTCOMES, _outcomes.FAILED_OUTCOMES)
    for outcome in set(Outcome) - {Outcome.SENT, Outcome.WOULD_SEND}:
        assert sum(outcome in group for group in groups) == 1, outcome
