"""Scenario files: explicit hosts, defaults, overrides, generated hosts, and errors."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from wmssim import spec as config
from wmssim.fleet import scenario
from wmssim.spec import Behaviour, Faults, HostSpec, ReusedId, SessionSpec
from wmssim.fleet.scenario import ScenarioError, parse_scenario_text

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_every_config_key_has_a_rule():
    """A key added to config.py must be settable from a scenario (and checked)."""
    host_fields = {f.name for f in dataclasses.fields(HostSpec)}
    assert set(scenario.HOST_RULES) | set(scenario.HOST_NESTED_KEYS) == host_fields
    assert set(scenario.SESSION_RULES) == {f.name for f in dataclasses.fields(SessionSpec)}
    assert set(scenario.BEHAVIOUR_RULES) == {f.name for f in dataclasses.fields(Behaviour)}
    assert set(scenario.FAULT_RULES) == {f.name for f in dataclasses.fields(Faults)}


def test_explicit_hosts_defaults_and_overrides():
    parsed = parse_scenario_text(
        """
defaults:
  generation: "2016"
  auth: ntlm
  username: admin
  password: "s3cret"
  latency_ms: 5
  behaviour: {unknown_id: silent, disconnect_ms: 100}
  faults: {slow_ms: 10}
hosts:
  - name: mps-01
    generation: "2012"
    sessions:
      - {id: 2, user: alice, domain: LAB, station: 1, admin: false, state: Active}
      - {id: 3, user: bob, domain: LAB, station: 2, admin: false, state: Disconnected}
    faults: {down: true}
  - name: mps-02
    auth: basic
    latency_ms: 0
    behaviour: {disconnect_ms: 0}
"""
    )
    first, second = parsed.hosts
    assert first == HostSpec(
        name="mps-01",
        generation="2012",
        auth="ntlm",
        username="admin",
        password="s3cret",
        latency_ms=5,
        sessions=[
            SessionSpec(id=2, user="alice", domain="LAB", station=1, state="Active"),
            SessionSpec(id=3, user="bob", domain="LAB", station=2, state="Disconnected"),
        ],
        behaviour=Behaviour(unknown_id="silent", disconnect_ms=100),
        faults=Faults(down=True, slow_ms=10),
    )
    assert second.generation == "2016"
    assert second.auth == "basic"
    assert second.latency_ms == 0
    # Behaviour and faults merge key by key: the host's key wins, the others stay.
    assert second.behaviour == Behaviour(unknown_id="silent", disconnect_ms=0)
    assert second.faults == Faults(slow_ms=10)
    assert second.sessions == []
    assert parsed.generated == 0
    assert not parsed.needs_tls()


def test_every_key_can_be_set():
    parsed = parse_scenario_text(
        """
hosts:
  - name: full
    generation: none
    auth: https
    https_auth: basic
    username: operator
    password: "pw"
    latency_ms: 7
    powershell_startup_ms: 500
    max_envelope_kb: 150
    computer_name: LAB-SERVER-0001
    powershell_version: 2.0
    language_mode: ConstrainedLanguage
    sessions:
      - {id: 9, user: u, domain: D, station: 0, admin: unresolvable, state: Listen, client: C1,
         win_station: RDP-Tcp}
    behaviour:
      disconnected_listed: false
      wms_state_when_disconnected: Disconnected
      unknown_id: silent
      already_disconnected: error
      module_name: WmsCmdlets3
      module_autoload: false
      disconnect_ms: 250
      wms_unlisted: [4]
      wms_output: collection
      wms_id_type: string
      wms_user_mismatch: [5]
      module_kind: snapin
      wts_query_non_user: error
    faults:
      down: false
      slow_ms: 20
      http_500: Receive
      auth_failure: true
      module_missing: true
      access_denied: true
      message_denied: true
      disconnect_hangs: true
      disconnect_noop: true
      logoff_race: [9, 10]
      id_reuse: [{id: 9, user: root, domain: D, admin: true}]
      garbage_stdout: replace
      stdout_bom: true
"""
    )
    (spec,) = parsed.hosts
    assert spec == HostSpec(
        name="full",
        generation="none",
        auth="https",
        https_auth="basic",
        username="operator",
        password="pw",
        latency_ms=7,
        powershell_startup_ms=500,
        max_envelope_kb=150,
        computer_name="LAB-SERVER-0001",
        powershell_version="2.0",
        language_mode="ConstrainedLanguage",
        sessions=[
            SessionSpec(id=9, user="u", domain="D", station=0, admin="unresolvable", state="Listen",
                        client="C1", win_station="RDP-Tcp")
        ],
        behaviour=Behaviour(disconnected_listed=False, wms_state_when_disconnected="Disconnected",
                            unknown_id="silent", already_disconnected="error", module_name="WmsCmdlets3",
                            module_autoload=False, disconnect_ms=250, wms_unlisted=[4], wms_output="collection",
                            wms_id_type="string", wms_user_mismatch=[5], module_kind="snapin",
                            wts_query_non_user="error"),
        faults=Faults(down=False, slow_ms=20, http_500="Receive", auth_failure=True, module_missing=True,
                      access_denied=True, message_denied=True, disconnect_hangs=True, disconnect_noop=True, logoff_race=[9, 10],
                      id_reuse=[ReusedId(9, "root", "D", True)], garbage_stdout="replace", stdout_bom=True),
    )
    assert parsed.needs_tls()


def test_default_sessions_go_to_hosts_without_their_own_and_are_not_shared():
    parsed = parse_scenario_text(
        """
defaults:
  sessions: [{id: 2, user: a}, {id: 3, user: b}]
hosts:
  - {name: one}
  - {name: two}
  - {name: three, sessions: [{id: 7, user: c}]}
"""
    )
    one, two, three = parsed.hosts
    assert [s.id for s in one.sessions] == [2, 3]
    assert one.sessions == two.sessions
    assert one.sessions is not two.sessions and one.sessions[0] is not two.sessions[0]
    assert [s.id for s in three.sessions] == [7]


def test_unquoted_generation_number_is_read_as_the_generation():
    parsed = parse_scenario_text("hosts: [{name: a, generation: 2012}]")
    assert parsed.hosts[0].generation == "2012"


GENERATED = """
defaults: {{password: "pw", auth: basic}}
generate:
  count: 120
  sessions_per_host: 25
  seed: {seed}
  generations: {{"2012": 0.3, "2016": 0.6, "none": 0.1}}
"""


def test_generation_is_deterministic_by_seed():
    first = parse_scenario_text(GENERATED.format(seed=7)).hosts
    again = parse_scenario_text(GENERATED.format(seed=7)).hosts
    other = parse_scenario_text(GENERATED.format(seed=8)).hosts
    assert first == again
    assert first != other
    assert [h.name for h in first] == [h.name for h in other]


def test_generated_hosts_look_real():
    parsed = parse_scenario_text(GENERATED.format(seed=7))
    hosts = parsed.hosts
    assert parsed.generated == 120
    assert [h.name for h in hosts[:3]] == ["gen-001", "gen-002", "gen-003"]
    assert hosts[-1].name == "gen-120"
    generations = Counter(h.generation for h in hosts)
    assert set(generations) == {"2012", "2016", "none"}
    assert generations["2016"] > generations["2012"] > generations["none"]
    assert all(h.auth == "basic" and h.password == "pw" for h in hosts)
    states: Counter[str] = Counter()
    for host in hosts:
        ids = [s.id for s in host.sessions]
        assert len(ids) == 25
        assert ids[0] == 2
        assert ids == sorted(set(ids))
        stations = [s.station for s in host.sessions if s.station]
        assert len(stations) == len(set(stations))
        for session in host.sessions:
            states[session.state] += 1
            assert session.domain == "LAB"
            if session.admin:
                assert session.user.startswith("teacher")
            else:
                assert session.user.startswith("student") and len(session.user) == 11
            if session.client:
                assert session.station == 0
    total = sum(states.values())
    assert set(states) == {"Active", "Idle", "Disconnected"}
    assert states["Active"] > 0.7 * total
    assert states["Idle"] > 0.05 * total and states["Disconnected"] > 0.05 * total
    assert any(s.admin for h in hosts for s in h.sessions)


def test_generated_hosts_without_weights_take_the_defaults():
    parsed = parse_scenario_text(
        """
defaults: {generation: "2012", auth: ntlm}
hosts: [{name: mps-01}]
generate: {count: 3, seed: 1, name_prefix: lab-, sessions_per_host: [0, 4]}
"""
    )
    assert [h.name for h in parsed.hosts] == ["mps-01", "lab-001", "lab-002", "lab-003"]
    assert {h.generation for h in parsed.hosts} == {"2012"}
    assert {h.auth for h in parsed.hosts} == {"ntlm"}
    assert all(0 <= len(h.sessions) <= 4 for h in parsed.hosts[1:])


def test_generated_fault_shares_and_counts():
    parsed = parse_scenario_text(
        """
generate:
  count: 200
  seed: 3
  faults:
    - {share: 0.05, down: true}
    - {count: 3, module_missing: true, slow_ms: 50}
"""
    )
    down = [h.name for h in parsed.hosts if h.faults.down]
    missing = [h for h in parsed.hosts if h.faults.module_missing]
    assert len(down) == 10
    assert len(missing) == 3 and all(h.faults.slow_ms == 50 for h in missing)
    again = parse_scenario_text(
        "generate: {count: 200, seed: 3, faults: [{share: 0.05, down: true}]}"
    )
    assert [h.name for h in again.hosts if h.faults.down] == down


def test_generated_faults_mapping_applies_to_every_generated_host():
    parsed = parse_scenario_text(
        "hosts: [{name: x}]\ngenerate: {count: 4, faults: {access_denied: true}}"
    )
    assert [h.faults.access_denied for h in parsed.hosts] == [False, True, True, True, True]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hosts: [{name: a, bogus: 1}]", ["host 'a'", "unknown key 'bogus'", "accepted keys"]),
        ("hosts: [{name: a, faults: {slow_ms: x}}]",
         ["host 'a'", "'faults.slow_ms'", "whole number", "'x'"]),
        ("hosts: [{name: a, faults: {flaky: true}}]",
         ["host 'a'", "unknown key 'faults.flaky'", "down"]),
        ("hosts: [{name: a, behaviour: {unknown_id: ignore}}]",
         ["host 'a'", "'behaviour.unknown_id'", '"error", "silent"', "'ignore'"]),
        ("hosts: [{name: a, generation: '2019'}]",
         ["host 'a'", "'generation'", '"2012", "2016", "none"']),
        ("hosts: [{name: a, auth: kerberos}]", ["host 'a'", "'auth'", '"basic", "ntlm", "https"']),
        ("hosts: [{name: a, password: 1234}]", ["host 'a'", "'password'", "quote it"]),
        ("hosts: [{name: a, latency_ms: -1}]", ["host 'a'", "'latency_ms'", ">= 0"]),
        ("hosts: [{name: a, latency_ms: true}]", ["host 'a'", "'latency_ms'"]),
        ("hosts: [{name: a, faults: {down: 'yes'}}]",
         ["host 'a'", "'faults.down'", "true or false"]),
        ("hosts: [{name: a, faults: {http_500: Open}}]", ["'faults.http_500'", '"Create"']),
        ("hosts: [{name: a, faults: {logoff_race: 3}}]", ["'faults.logoff_race'", "list"]),
        ("hosts: [{name: a, sessions: [{id: 2, state: Gone}]}]",
         ["host 'a'", "'sessions[0].state'", '"Disconnected"']),
        ("hosts: [{name: a, sessions: [{id: 2, seat: 1}]}]",
         ["host 'a'", "unknown key 'sessions[0].seat'", "station"]),
        ("hosts: [{name: a, sessions: [{user: x}]}]", ["host 'a'", "'sessions[0]'", "'id'"]),
        ("hosts: [{name: a, sessions: [{id: 2}, {id: 2}]}]", ["host 'a'", "used twice"]),
        ("hosts: [{name: a}, {name: a}]", ["hosts[1]", "'a'", "used twice"]),
        ("hosts: [{name: 'bad name'}]", ["hosts[0]", "'name'", "letters, digits"]),
        ("defaults: {auth: kerberos}\nhosts: [{name: a}]", ["defaults", "'auth'"]),
        ("defaults: {name: x}\nhosts: [{name: a}]", ["defaults", "unknown key 'name'"]),
        ("hostz: []", ["top level", "unknown key 'hostz'", "hosts"]),
        ("hosts: [{name: a, auth: basic, auth: ntlm}]", ["'auth'", "twice"]),
        ("hosts: {name: a}", ["'hosts'", "list"]),
        ("{}", ["no hosts"]),
        ("hosts: [{name: a]", ["not valid YAML"]),
        ("generate: {count: -1}", ["generate", "'count'", ">= 0"]),
        ("generate: {count: 2, colour: red}", ["generate", "unknown key 'colour'", "seed"]),
        ("generate: {count: 2, generations: {'2019': 1}}",
         ["generate", "'generations.2019'", '"2012"']),
        ("generate: {count: 2, generations: {'2012': 0}}", ["generate", "'generations'", "zero"]),
        ("generate: {count: 2, auths: {ntlm: -1}}", ["generate", "'auths.ntlm'", ">= 0"]),
        ("generate: {count: 2, faults: [{share: 2, down: true}]}",
         ["generate", "'faults[0].share'", "0 to 1"]),
        ("generate: {count: 2, faults: [{down: true}]}", ["generate", "'faults[0]'", "'share'"]),
        ("generate: {count: 2, faults: [{count: 1, down: maybe}]}",
         ["generate", "'faults[0].down'", "true or false"]),
        ("generate: {count: 2, sessions_per_host: [5, 1]}", ["generate", "'sessions_per_host'"]),
        ("hosts: [{name: gen-001}]\ngenerate: {count: 2}",
         ["generate", "'gen-001'", "name_prefix"]),
    ],
)
def test_errors_name_the_key_the_host_and_what_is_accepted(text, expected):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text(text, source="lab.yml")
    message = str(caught.value)
    assert message.startswith("lab.yml: ")
    for part in expected:
        assert part in message, (part, message)


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        scenario.load_scenario(tmp_path / "nope.yml")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yml")), ids=lambda p: p.name)
def test_example_scenarios_are_valid(path):
    parsed = scenario.load_scenario(path)
    assert parsed.hosts
    for spec in parsed.hosts:
        assert spec.generation in config.GENERATIONS


def test_summary_counts():
    parsed = parse_scenario_text(
        """
hosts:
  - {name: a, generation: "2012", auth: basic, sessions: [{id: 2, state: Idle}]}
  - {name: b, auth: https, faults: {down: true}, behaviour: {unknown_id: silent}}
"""
    )
    counts = scenario.summary(parsed)
    assert counts["hosts"] == 2 and counts["sessions"] == 1
    assert counts["by_generation"] == {"2012": 1, "2016": 1}
    assert counts["by_auth"] == {"basic": 1, "https+ntlm": 1}
    assert counts["sessions_by_state"] == {"Idle": 1}
    assert counts["faults"] == {"down=true": ["b"]}
    assert counts["behaviour"] == {"unknown_id=silent": ["b"]}
