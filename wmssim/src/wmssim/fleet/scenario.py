"""Scenario files: YAML that describes a fleet of simulated hosts, turned into ``HostSpec``s.

A scenario has three top-level keys (see ``python -m wmssim --help`` for the full format):

- ``defaults``: host settings every host gets unless it sets them itself;
- ``hosts``: explicit hosts, each a mapping with ``name`` and any ``HostSpec`` key;
- ``generate``: more hosts made from a seed (``gen-001``, ``gen-002``, ...).

Every key of ``config.HostSpec``, ``SessionSpec``, ``Behaviour`` and ``Faults`` can be set. An
unknown key or a bad value is a ``ScenarioError`` that names the host, the key and what the key
accepts; nothing is silently ignored. The same file (and seed) always gives the same hosts.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..spec import (
    AUTH_KINDS,
    Behaviour,
    CONNECT_STATES,
    Faults,
    GENERATIONS,
    HostSpec,
    LANGUAGE_MODES,
    POWERSHELL_VERSIONS,
    ReusedId,
    SessionSpec,
    WS_ACTIONS,
)

TOP_LEVEL_KEYS = ("description", "defaults", "hosts", "generate")
HOST_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
FIRST_SESSION_ID = 2  # 0 is the Services session and 1 the console on a real host
DEFAULT_DOMAIN = "LAB"
DEFAULT_STATE_MIX = {"Active": 0.8, "Idle": 0.1, "Disconnected": 0.1}


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message says where, which key and what is accepted."""


class _BadValue(Exception):
    """Raised by a value check; the caller adds where it happened."""


@dataclass(frozen=True)
class Rule:
    """How one key is checked: words for the error message and a function that converts."""

    accepts: str
    convert: Callable[[Any], Any]


# --- value checks --------------------------------------------------------------------------


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _BadValue


def _whole(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        raise _BadValue

    return check


def _text(non_empty: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, str) and (value or not non_empty):
            return value
        raise _BadValue

    return check


def _one_of(options: tuple[str, ...], optional: bool = False) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, str) and value in options:
            return value
        raise _BadValue

    return check


def _generation(value: Any) -> str:
    # YAML reads an unquoted 2012 as a number; accept it as the generation it clearly names.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value in GENERATIONS:
        return value
    raise _BadValue


def _id_list(value: Any) -> list[int]:
    if isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) and item >= 0 for item in value
    ):
        return list(value)
    raise _BadValue


def _reused_ids(value: Any) -> list[ReusedId]:
    if not isinstance(value, list):
        raise _BadValue
    reused = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"id", "user", "domain", "admin"} or not {"id", "user"} <= set(item):
            raise _BadValue
        session_id, user = item["id"], item["user"]
        domain, admin = item.get("domain", ""), item.get("admin", False)
        if (not isinstance(session_id, int) or isinstance(session_id, bool) or session_id < 1
                or not isinstance(user, str) or not user or not isinstance(domain, str) or not isinstance(admin, bool)):
            raise _BadValue
        reused.append(ReusedId(session_id, user, domain, admin))
    return reused


def _ps_version(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{float(value):.1f}"  # YAML reads 2.0 as a number
    if isinstance(value, str) and value in ("", *POWERSHELL_VERSIONS):
        return value
    raise _BadValue


def _admin_kind(value: Any) -> bool | str:
    if isinstance(value, bool) or value in ("group", "unresolvable"):
        return value
    raise _BadValue


def _quoted(options: tuple[str, ...]) -> str:
    return ", ".join(f'"{option}"' for option in options)


# --- what each key accepts ------------------------------------------------------------------
# One table per record of spec.py. tests/test_fleet_scenario.py checks that every field
# of every record has a rule here, so a new key in config.py cannot go unnoticed.

HOST_RULES: dict[str, Rule] = {
    "generation": Rule(f"one of {_quoted(GENERATIONS)}", _generation),
    "auth": Rule(f"one of {_quoted(AUTH_KINDS)}", _one_of(AUTH_KINDS)),
    "https_auth": Rule('one of "basic", "ntlm"', _one_of(("basic", "ntlm"))),
    "username": Rule("a non-empty text", _text(non_empty=True)),
    "password": Rule("a non-empty text (quote it if it looks like a number)", _text(True)),
    "latency_ms": Rule("a whole number of milliseconds >= 0", _whole(0)),
    "powershell_startup_ms": Rule("a whole number of milliseconds >= 0", _whole(0)),
    "max_envelope_kb": Rule("a whole number of kilobytes >= 1", _whole(1)),
    "computer_name": Rule("a text (empty: the host name upper-cased)", _text()),
    "powershell_version": Rule('"" (what the generation ships with) or one of "2.0", "3.0", "4.0", "5.1"',
                               _ps_version),
    "language_mode": Rule(f"one of {_quoted(LANGUAGE_MODES)}", _one_of(LANGUAGE_MODES)),
}

SESSION_RULES: dict[str, Rule] = {
    "id": Rule("a whole number >= 0", _whole(0)),
    "user": Rule("a text", _text()),
    "domain": Rule("a text", _text()),
    "station": Rule("a whole number >= 0 (0: remote session)", _whole(0)),
    "admin": Rule('true, false, "group" or "unresolvable"', _admin_kind),
    "state": Rule(f"one of {_quoted(CONNECT_STATES)}", _one_of(CONNECT_STATES)),
    "client": Rule("a text", _text()),
    "win_station": Rule("a text (empty: derived from the session)", _text()),
}

BEHAVIOUR_RULES: dict[str, Rule] = {
    "disconnected_listed": Rule("true or false", _boolean),
    "wms_state_when_disconnected": Rule('"unchanged" or a non-empty text', _text(True)),
    "unknown_id": Rule('one of "error", "silent", "terminating"', _one_of(("error", "silent", "terminating"))),
    "already_disconnected": Rule('one of "noop", "error"', _one_of(("noop", "error"))),
    "module_name": Rule(
        'one of "MultiPoint", "WmsCmdlets", "WmsCmdlets3"',
        _one_of(("MultiPoint", "WmsCmdlets", "WmsCmdlets3")),
    ),
    "module_autoload": Rule("true or false", _boolean),
    "disconnect_ms": Rule("a whole number of milliseconds >= 0", _whole(0)),
    "wms_unlisted": Rule("a list of session ids (whole numbers >= 0)", _id_list),
    "wms_output": Rule('one of "per_session", "collection"', _one_of(("per_session", "collection"))),
    "wms_id_type": Rule('one of "int32", "uint32", "string"', _one_of(("int32", "uint32", "string"))),
    "wms_user_mismatch": Rule("a list of session ids (whole numbers >= 0)", _id_list),
    "module_kind": Rule('one of "module", "snapin"', _one_of(("module", "snapin"))),
    "wts_query_non_user": Rule('one of "ok", "error"', _one_of(("ok", "error"))),
}

FAULT_RULES: dict[str, Rule] = {
    "down": Rule("true or false", _boolean),
    "slow_ms": Rule("a whole number of milliseconds >= 0", _whole(0)),
    "http_500": Rule(f"null or one of {_quoted(WS_ACTIONS)}", _one_of(WS_ACTIONS, optional=True)),
    "auth_failure": Rule("true or false", _boolean),
    "module_missing": Rule("true or false", _boolean),
    "access_denied": Rule("true or false", _boolean),
    "message_denied": Rule("true or false", _boolean),
    "disconnect_hangs": Rule("true or false", _boolean),
    "disconnect_noop": Rule("true or false", _boolean),
    "logoff_race": Rule("a list of session ids (whole numbers >= 0)", _id_list),
    "id_reuse": Rule("a list of {id, user, domain, admin} mappings (id >= 1, user non-empty)", _reused_ids),
    "stdout_bom": Rule("true or false", _boolean),
    "garbage_stdout": Rule(
        'null or one of "prefix", "replace"', _one_of(("prefix", "replace"), optional=True)
    ),
}

# Keys of a host mapping that are not plain values.
HOST_NESTED_KEYS = ("name", "sessions", "behaviour", "faults")
DEFAULTS_KEYS = tuple(HOST_RULES) + ("sessions", "behaviour", "faults")


# --- the result -----------------------------------------------------------------------------


@dataclass
class Scenario:
    """A checked scenario: the hosts to serve, explicit ones first, then generated ones."""

    hosts: list[HostSpec]
    description: str = ""
    source: str = "<scenario>"
    generated: int = 0  # how many of ``hosts`` came from ``generate``

    def needs_tls(self) -> bool:
        """True when some host is served over HTTPS."""
        return any(spec.auth == "https" for spec in self.hosts)


@dataclass
class _Base:
    """Defaults, already checked: plain values, behaviour and faults kept apart for merging."""

    values: dict[str, Any] = field(default_factory=dict)
    sessions: list[SessionSpec] | None = None  # a host's own list replaces this one
    behaviour: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)


# --- loading --------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    result: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise ScenarioError(
                f"line {key_node.start_mark.line + 1}: key {key!r} is given twice in one mapping"
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise ScenarioError naming the file on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file: {exc.strerror}") from None
    return parse_scenario_text(text, source=str(path))


def parse_scenario_text(text: str, source: str = "<scenario>") -> Scenario:
    """Parse scenario YAML text and check it."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {exc}") from None
    try:
        return parse_scenario(data, source=source)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Turn already loaded YAML data into a checked Scenario."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            "the scenario must be a mapping with keys: " + ", ".join(TOP_LEVEL_KEYS)
        )
    _no_unknown_keys(data, TOP_LEVEL_KEYS, "top level")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError("key 'description': expected a text")

    base = _parse_defaults(data.get("defaults"))
    hosts = _parse_hosts(data.get("hosts"), base)
    generated: list[HostSpec] = []
    if data.get("generate") is not None:
        taken = {spec.name for spec in hosts}
        generated = generate_hosts(data["generate"], base, taken)
    all_hosts = hosts + generated
    if not all_hosts:
        raise ScenarioError("the scenario has no hosts: give 'hosts' or 'generate'")
    return Scenario(all_hosts, description=description, source=source, generated=len(generated))


# --- defaults and explicit hosts ------------------------------------------------------------


def _no_unknown_keys(mapping: dict, allowed: tuple[str, ...] | list[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise ScenarioError(
                f"{where}: unknown key {key!r}; accepted keys: {', '.join(allowed)}"
            )


def _check(rules: dict[str, Rule], key: str, value: Any, where: str, prefix: str = "") -> Any:
    rule = rules[key]
    try:
        return rule.convert(value)
    except _BadValue:
        raise ScenarioError(
            f"{where}: key '{prefix}{key}': expected {rule.accepts}, got {value!r}"
        ) from None


def _check_record(
    rules: dict[str, Rule], data: Any, where: str, prefix: str
) -> dict[str, Any]:
    """Check a mapping whose keys are all plain values of one record (behaviour, faults, ...)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{where}: key '{prefix.rstrip('.')}': expected a mapping with keys: "
            + ", ".join(rules)
        )
    for key in data:
        if key not in rules:
            raise ScenarioError(
                f"{where}: unknown key '{prefix}{key}'; accepted keys: {', '.join(rules)}"
            )
    return {key: _check(rules, key, value, where, prefix) for key, value in data.items()}


def _parse_defaults(data: Any) -> _Base:
    where = "defaults"
    if data is None:
        return _Base()
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping of host settings")
    _no_unknown_keys(data, DEFAULTS_KEYS, where)
    values = {
        key: _check(HOST_RULES, key, value, where)
        for key, value in data.items()
        if key in HOST_RULES
    }
    sessions = _parse_sessions(data["sessions"], where) if "sessions" in data else None
    return _Base(
        values=values,
        sessions=sessions,
        behaviour=_check_record(BEHAVIOUR_RULES, data.get("behaviour"), where, "behaviour."),
        faults=_check_record(FAULT_RULES, data.get("faults"), where, "faults."),
    )


def _parse_hosts(data: Any, base: _Base) -> list[HostSpec]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise ScenarioError("key 'hosts': expected a list of host mappings")
    specs: list[HostSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(data):
        spec = _parse_host(item, index, base)
        if spec.name in seen:
            raise ScenarioError(f"hosts[{index}]: host name {spec.name!r} is used twice")
        seen.add(spec.name)
        specs.append(spec)
    return specs


def _parse_host(item: Any, index: int, base: _Base) -> HostSpec:
    where = f"hosts[{index}]"
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping with at least 'name'")
    name = item.get("name")
    if not isinstance(name, str) or not HOST_NAME_PATTERN.match(name):
        raise ScenarioError(
            f"{where}: key 'name': expected a host name of letters, digits, '.', '_' and '-' "
            f"(1 to 63 characters, starting with a letter or digit), got {name!r}"
        )
    where = f"host {name!r} (hosts[{index}])"
    _no_unknown_keys(item, HOST_NESTED_KEYS + tuple(HOST_RULES), where)
    values = dict(base.values)
    for key, value in item.items():
        if key in HOST_RULES:
            values[key] = _check(HOST_RULES, key, value, where)
    behaviour = dict(base.behaviour)
    behaviour.update(_check_record(BEHAVIOUR_RULES, item.get("behaviour"), where, "behaviour."))
    faults = dict(base.faults)
    faults.update(_check_record(FAULT_RULES, item.get("faults"), where, "faults."))
    if "sessions" in item:
        sessions = _parse_sessions(item["sessions"], where)
    else:
        sessions = copy.deepcopy(base.sessions) if base.sessions else []
    return HostSpec(
        name=name,
        sessions=sessions,
        behaviour=Behaviour(**behaviour),
        faults=Faults(**faults),
        **values,
    )


def _parse_sessions(data: Any, where: str) -> list[SessionSpec]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise ScenarioError(f"{where}: key 'sessions': expected a list of session mappings")
    sessions: list[SessionSpec] = []
    seen: set[int] = set()
    for index, item in enumerate(data):
        prefix = f"sessions[{index}]."
        if not isinstance(item, dict) or "id" not in item:
            raise ScenarioError(
                f"{where}: key 'sessions[{index}]': expected a mapping with at least 'id'; "
                f"accepted keys: {', '.join(SESSION_RULES)}"
            )
        values = _check_record(SESSION_RULES, item, where, prefix)
        if values["id"] in seen:
            raise ScenarioError(
                f"{where}: key '{prefix}id': session id {values['id']} is used twice on this host"
            )
        seen.add(values["id"])
        sessions.append(SessionSpec(**values))
    return sessions


# --- generated hosts ------------------------------------------------------------------------

GENERATE_KEYS = (
    "count",
    "sessions_per_host",
    "seed",
    "name_prefix",
    "generations",
    "auths",
    "states",
    "domain",
    "faults",
)


@dataclass
class _FaultShare:
    """Faults given to a part of the generated hosts: ``share`` of them or exactly ``count``."""

    faults: dict[str, Any]
    share: float | None = None
    count: int | None = None


def _weights(data: Any, options: tuple[str, ...], where: str, key: str) -> dict[str, float]:
    """Check a mapping of option -> weight (any numbers >= 0, not all zero)."""
    accepts = f"a mapping of {_quoted(options)} to weights (numbers >= 0, not all 0)"
    if not isinstance(data, dict) or not data:
        raise ScenarioError(f"{where}: key '{key}': expected {accepts}, got {data!r}")
    weights: dict[str, float] = {}
    for option, weight in data.items():
        name = str(option) if isinstance(option, int) and not isinstance(option, bool) else option
        if name not in options:
            raise ScenarioError(
                f"{where}: key '{key}.{option}': unknown choice; accepted: {_quoted(options)}"
            )
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ScenarioError(
                f"{where}: key '{key}.{option}': expected a number >= 0, got {weight!r}"
            )
        weights[name] = float(weight)
    if sum(weights.values()) <= 0:
        raise ScenarioError(f"{where}: key '{key}': expected {accepts}, got all zero")
    return weights


def _parse_fault_shares(data: Any, where: str) -> list[_FaultShare]:
    """``generate.faults``: a mapping (every generated host) or a list of shares."""
    if data is None:
        return []
    if isinstance(data, dict):
        return [_FaultShare(_check_record(FAULT_RULES, data, where, "faults."), share=1.0)]
    if not isinstance(data, list):
        raise ScenarioError(
            f"{where}: key 'faults': expected a mapping of faults for every generated host, or "
            "a list of mappings with 'share' (0 to 1) or 'count' plus fault keys"
        )
    shares: list[_FaultShare] = []
    for index, item in enumerate(data):
        prefix = f"faults[{index}]."
        if not isinstance(item, dict):
            raise ScenarioError(
                f"{where}: key 'faults[{index}]': expected a mapping with 'share' or 'count' "
                "plus fault keys"
            )
        item = dict(item)
        share = item.pop("share", None)
        count = item.pop("count", None)
        if (share is None) == (count is None):
            raise ScenarioError(
                f"{where}: key 'faults[{index}]': give exactly one of 'share' (0 to 1) or "
                "'count' (a whole number of hosts)"
            )
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1
        ):
            raise ScenarioError(
                f"{where}: key '{prefix}share': expected a number from 0 to 1, got {share!r}"
            )
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 0
        ):
            raise ScenarioError(
                f"{where}: key '{prefix}count': expected a whole number >= 0, got {count!r}"
            )
        if not item:
            raise ScenarioError(f"{where}: key 'faults[{index}]': names no fault to inject")
        faults = _check_record(FAULT_RULES, item, where, prefix)
        shares.append(_FaultShare(faults, share=share, count=count))
    return shares


def _sessions_range(data: Any, where: str) -> tuple[int, int]:
    accepts = "a whole number >= 0 or a list [minimum, maximum]"
    if isinstance(data, int) and not isinstance(data, bool) and data >= 0:
        return data, data
    if (
        isinstance(data, list)
        and len(data) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in data)
        and data[0] <= data[1]
    ):
        return data[0], data[1]
    raise ScenarioError(f"{where}: key 'sessions_per_host': expected {accepts}, got {data!r}")


def generate_hosts(data: Any, base: _Base, taken: set[str]) -> list[HostSpec]:
    """Make the ``generate`` section's hosts; the same section always gives the same hosts."""
    where = "generate"
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping with keys: {', '.join(GENERATE_KEYS)}")
    _no_unknown_keys(data, GENERATE_KEYS, where)
    count = data.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ScenarioError(f"{where}: key 'count': expected a whole number >= 0, got {count!r}")
    low, high = _sessions_range(data.get("sessions_per_host", 0), where)
    seed = data.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise ScenarioError(f"{where}: key 'seed': expected a whole number or a text, got {seed!r}")
    prefix = data.get("name_prefix", "gen-")
    if not isinstance(prefix, str) or not HOST_NAME_PATTERN.match(prefix + "0"):
        raise ScenarioError(
            f"{where}: key 'name_prefix': expected a text of letters, digits, '.', '_' and '-' "
            f"starting with a letter or digit, got {prefix!r}"
        )
    domain = data.get("domain", DEFAULT_DOMAIN)
    if not isinstance(domain, str):
        raise ScenarioError(f"{where}: key 'domain': expected a text, got {domain!r}")
    generations = (
        _weights(data["generations"], GENERATIONS, where, "generations")
        if data.get("generations") is not None
        else None
    )
    auths = (
        _weights(data["auths"], AUTH_KINDS, where, "auths")
        if data.get("auths") is not None
        else None
    )
    states = (
        _weights(data["states"], CONNECT_STATES, where, "states")
        if data.get("states") is not None
        else dict(DEFAULT_STATE_MIX)
    )
    shares = _parse_fault_shares(data.get("faults"), where)

    width = max(3, len(str(count)))
    names = [f"{prefix}{number:0{width}d}" for number in range(1, count + 1)]
    for name in names:
        if name in taken:
            raise ScenarioError(
                f"{where}: generated host name {name!r} is also an explicit host; "
                "set 'name_prefix' to something else"
            )
        if not HOST_NAME_PATTERN.match(name):
            raise ScenarioError(f"{where}: key 'name_prefix': makes host names that are too long")

    faults_per_host = _assign_fault_shares(shares, count, seed)
    specs = []
    for index, name in enumerate(names):
        rng = random.Random(f"wmssim:{seed}:host:{index}")
        values = dict(base.values)
        if generations is not None:
            values["generation"] = _pick(rng, generations)
        if auths is not None:
            values["auth"] = _pick(rng, auths)
        faults = dict(base.faults)
        faults.update(faults_per_host[index])
        if "sessions_per_host" in data:
            sessions = generate_sessions(rng, rng.randint(low, high), domain, states)
        else:  # no generated sessions asked for: the defaults' sessions, as for any host
            sessions = copy.deepcopy(base.sessions) if base.sessions else []
        specs.append(
            HostSpec(
                name=name,
                sessions=sessions,
                behaviour=Behaviour(**base.behaviour),
                faults=Faults(**faults),
                **values,
            )
        )
    return specs


def _assign_fault_shares(shares: list[_FaultShare], count: int, seed: Any) -> list[dict]:
    """Which generated host gets which faults: a seeded sample for every share."""
    per_host: list[dict[str, Any]] = [{} for _ in range(count)]
    for number, share in enumerate(shares):
        wanted = share.count if share.count is not None else round((share.share or 0) * count)
        wanted = min(wanted, count)
        rng = random.Random(f"wmssim:{seed}:faults:{number}")
        for index in sorted(rng.sample(range(count), wanted)):
            per_host[index].update(share.faults)
    return per_host


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    options = list(weights)
    return rng.choices(options, weights=[weights[o] for o in options])[0]


def generate_sessions(
    rng: random.Random, count: int, domain: str, states: dict[str, float]
) -> list[SessionSpec]:
    """A realistic classroom: students on local stations, a teacher or two, some remote users.

    Ids start at 2 and grow with an occasional gap (sessions that logged off). About one session
    in twelve is a teacher (an administrator). About a quarter are remote (station 0, with a
    client computer name); the rest sit at local stations 1, 2, 3, ... A disconnected session
    has left its station, so it shows station 0.
    """
    sessions: list[SessionSpec] = []
    student_numbers = rng.sample(range(10000), min(count, 10000))
    session_id = FIRST_SESSION_ID
    next_station = 1
    for index in range(count):
        if index and rng.random() < 0.1:
            session_id += rng.randint(1, 3)
        is_teacher = (index == 0 and count >= 8) or rng.random() < 1 / 12
        if is_teacher:
            user = f"teacher{rng.randint(1, 40):02d}"
        else:
            user = f"student{student_numbers[index % len(student_numbers)]:04d}"
        state = _pick(rng, states)
        remote = rng.random() < 0.25
        client = f"PC-{rng.randint(1, 999):03d}" if remote else ""
        station = 0
        if not remote:
            if state == "Disconnected":
                station = 0
            else:
                station = next_station
                next_station += 1
        sessions.append(
            SessionSpec(
                id=session_id,
                user=user,
                domain=domain,
                station=station,
                admin=is_teacher,
                state=state,
                client=client,
            )
        )
        session_id += 1
    return sessions


def summary(scenario: Scenario) -> dict[str, Any]:
    """Counts for ``wmssim check``: hosts by generation, auth and fault, sessions by state."""
    by_generation: dict[str, int] = {}
    by_auth: dict[str, int] = {}
    by_state: dict[str, int] = {}
    faults: dict[str, list[str]] = {}
    behaviours: dict[str, list[str]] = {}
    defaults_faults, defaults_behaviour = Faults(), Behaviour()
    for spec in scenario.hosts:
        by_generation[spec.generation] = by_generation.get(spec.generation, 0) + 1
        auth = spec.auth if spec.auth != "https" else f"https+{spec.https_auth}"
        by_auth[auth] = by_auth.get(auth, 0) + 1
        for session in spec.sessions:
            by_state[session.state] = by_state.get(session.state, 0) + 1
        for key in FAULT_RULES:
            value = getattr(spec.faults, key)
            if value != getattr(defaults_faults, key):
                faults.setdefault(f"{key}={_show(value)}", []).append(spec.name)
        for key in BEHAVIOUR_RULES:
            value = getattr(spec.behaviour, key)
            if value != getattr(defaults_behaviour, key):
                behaviours.setdefault(f"{key}={_show(value)}", []).append(spec.name)
    return {
        "hosts": len(scenario.hosts),
        "explicit": len(scenario.hosts) - scenario.generated,
        "generated": scenario.generated,
        "sessions": sum(len(spec.sessions) for spec in scenario.hosts),
        "by_generation": dict(sorted(by_generation.items())),
        "by_auth": dict(sorted(by_auth.items())),
        "sessions_by_state": dict(sorted(by_state.items())),
        "faults": faults,
        "behaviour": behaviours,
    }


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
