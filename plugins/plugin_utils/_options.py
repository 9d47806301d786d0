# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the modules, and the checks an argument spec cannot express.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.

Every check here runs on the controller before any host is contacted, in check mode too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    BACKENDS,
    DISPLAY_SECONDS_RANGE,
    SESSION_ID_RANGE,
    TIMEOUT_RANGE,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._selection import (
    PatternError,
    UserFilter,
    UserPattern,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import (
    CONNECT_STATES,
    DISCONNECTABLE_STATES,
    MESSAGE_STATES,
)

ID_LOW, ID_HIGH = SESSION_ID_RANGE
TITLE_MAX = 256
TEXT_MAX = 10000


class OptionError(ValueError):
    """A task option with a value that cannot be used."""


def _filter_spec(state_choices: tuple[str, ...], state_default: tuple[str, ...] | None) -> dict:
    states: dict = {"type": "list", "elements": "str", "choices": list(state_choices)}
    if state_default is not None:
        states["default"] = list(state_default)
    return {
        "users": {"type": "list", "elements": "str"},
        "exclude_users": {"type": "list", "elements": "str"},
        "exclude_admins": {"type": "bool", "default": False},
        "states": states,
        "on_unreachable": {"type": "str", "default": "unreachable", "choices": ["unreachable", "fail"]},
    }


DISCONNECT_SPEC = {
    "session_id": {"type": "list", "elements": "int"},
    "all": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": 30},
    "missing": {"type": "str", "default": "ignore", "choices": ["ignore", "fail"]},
    "backend": {"type": "str", "default": "auto", "choices": list(BACKENDS)},
    **_filter_spec(DISCONNECTABLE_STATES, DISCONNECTABLE_STATES),
}

INFO_SPEC = {
    "session_id": {"type": "list", "elements": "int"},
    "include_system": {"type": "bool", "default": False},
    "diagnose": {"type": "bool", "default": False},
    "backend": {"type": "str", "default": "auto", "choices": list(BACKENDS)},
    **_filter_spec(CONNECT_STATES, None),
}

MESSAGE_SPEC = {
    "session_id": {"type": "list", "elements": "int"},
    "all": {"type": "bool", "default": False},
    "title": {"type": "str", "default": "Message from your administrator"},
    "text": {"type": "str", "required": True},
    "display_seconds": {"type": "int", "default": 60},
    "missing": {"type": "str", "default": "ignore", "choices": ["ignore", "fail"]},
    "backend": {"type": "str", "default": "auto", "choices": list(BACKENDS)},
    **_filter_spec(DISCONNECTABLE_STATES, MESSAGE_STATES),
}

FILTER_KEYS = ("users", "exclude_users", "exclude_admins", "states")
# What each option type accepts, in words, for messages.
_WANTED = {"str": "a string", "int": "a whole number", "bool": "true or false"}
_ELEMENT = {"str": "a string", "int": f"an integer session id from {ID_LOW} to {ID_HIGH}"}


def type_name(value: object) -> str:
    """The plain name of a value's type as a playbook author knows it (never an internal class)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "dictionary"
    if isinstance(value, (list, tuple, set)):
        return "list"
    return "value of another kind"


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return f"a {type_name(value)}"


def _check_element(name: str, item: object, elements: str) -> None:
    if item is None or isinstance(item, (bool, list, tuple, set, Mapping)):
        raise OptionError(f"{name}: got {_describe(item)} inside the list; each element must be {_ELEMENT[elements]}")
    if elements == "int" and isinstance(item, float) and not item.is_integer():
        raise OptionError(f"{name}: {item} is not a whole number; each element must be {_ELEMENT[elements]}")


def check_raw_types(args: Mapping, spec: Mapping) -> None:
    """Reject values that ansible's type conversion would quietly turn into something else.

    ansible turns a list given for a string option into its text, ``true`` into the integer 1 and a
    nested list into a string; each of these is a mistake, so it is an error here, named with the
    option and the plain type names a playbook author knows. ``null`` is refused for a required option (``without_nulls`` drops it from optional ones).
    """
    for name, value in args.items():
        entry = spec.get(name)
        if entry is None:
            continue  # unknown options are ansible's to report
        if value is None:
            if entry.get("required"):
                raise OptionError(f"{name}: got null; it is required: give {_WANTED[entry['type']]}")
            continue
        kind = entry["type"]
        if kind == "list":
            if isinstance(value, (Mapping, bool)):
                raise OptionError(f"{name}: got {_describe(value)}; give a list, each element {_ELEMENT[entry['elements']]}")
            for item in value if isinstance(value, (list, tuple)) else [value]:
                _check_element(name, item, entry["elements"])
        elif isinstance(value, (list, tuple, set, Mapping)) or (isinstance(value, bool) and kind != "bool"):
            extra = f" (an integer from {ID_LOW} to {ID_HIGH})" if name == "session_id" else ""
            raise OptionError(f"{name}: got {_describe(value)}; give {_WANTED[kind]}{extra}")
        elif kind == "int" and isinstance(value, float) and not value.is_integer():
            raise OptionError(f"{name}: {value} is not a whole number; give {_WANTED[kind]}")


def without_nulls(args: Mapping, spec: Mapping) -> dict:
    """The task's args without the optional options given as ``null``: null means the default."""
    return {k: v for k, v in args.items() if not (v is None and k in spec and not spec[k].get("required"))}


def _session_ids(values: list[int] | None) -> tuple[int, ...] | None:
    if values is None:
        return None
    if not values:
        raise OptionError("session_id: the list is empty; give at least one session id")
    for value in values:
        if not ID_LOW <= value <= ID_HIGH:
            raise OptionError(
                f"session_id: {value} is out of range; session ids are integers from {ID_LOW} to {ID_HIGH} "
                "(session 0 is the services session and can never be disconnected)"
            )
    return tuple(dict.fromkeys(values))  # duplicates dropped, first-seen order kept


def _in_range(name: str, value: int, bounds: tuple[int, int], unit: str = "seconds") -> int:
    low, high = bounds
    if not low <= value <= high:
        raise OptionError(f"{name}: {value} is out of range; accepted: {low} to {high} {unit}")
    return value


def _patterns(name: str, values: list[str] | None) -> tuple[UserPattern, ...] | None:
    if values is None:
        return None
    try:
        return tuple(UserPattern.parse(v) for v in values)
    except PatternError as err:
        raise OptionError(
            f"{name}: {err}; accepted: DOMAIN\\user, user@DOMAIN or user, case-insensitive, with * and ? wildcards"
        ) from None


def _user_filter(params: Mapping) -> UserFilter:
    users = _patterns("users", params.get("users"))
    if users is not None and not users:
        raise OptionError("users: the list is empty, so no session would match; leave users out to select every user")
    return UserFilter(
        users=users,
        exclude_users=_patterns("exclude_users", params.get("exclude_users")) or (),
        exclude_admins=bool(params.get("exclude_admins")),
    )


def _states(params: Mapping, default: tuple[str, ...]) -> tuple[str, ...]:
    states = params.get("states")
    if states is None:
        return default
    if not states:
        raise OptionError("states: the list is empty; leave states out to use the default")
    return tuple(dict.fromkeys(states))


def _target(params: Mapping, given: Mapping) -> tuple[tuple[int, ...] | None, bool]:
    """session_id xor all=true; the filters only go with all=true."""
    ids = _session_ids(params.get("session_id"))
    select_all = bool(params.get("all"))
    if ids is not None and select_all:
        raise OptionError("session_id and all=true are mutually exclusive; give one of them")
    if ids is None and not select_all:
        raise OptionError("give session_id (one id or a list) or all=true (with optional filters)")
    if ids is not None:
        used = [k for k in FILTER_KEYS if given.get(k) not in (None, False)]
        if used:
            raise OptionError(
                f"{', '.join(used)}: filters select sessions for all=true and cannot be combined "
                "with session_id"
            )
    return ids, select_all


@dataclass(frozen=True)
class DisconnectOptions:
    """Validated options of session_disconnect."""

    session_ids: tuple[int, ...] | None
    user_filter: UserFilter
    states: tuple[str, ...]
    timeout: int
    missing: str
    backend: str
    on_unreachable: str


@dataclass(frozen=True)
class InfoOptions:
    """Validated options of session_info."""

    session_ids: tuple[int, ...] | None
    user_filter: UserFilter
    states: tuple[str, ...]
    include_system: bool
    backend: str
    on_unreachable: str
    diagnose: bool = False


@dataclass(frozen=True)
class MessageOptions:
    """Validated options of session_message."""

    session_ids: tuple[int, ...] | None
    user_filter: UserFilter
    states: tuple[str, ...]
    title: str
    text: str
    display_seconds: int
    missing: str
    backend: str
    on_unreachable: str


def disconnect_options(params: Mapping, given: Mapping) -> DisconnectOptions:
    """Options of session_disconnect from validated ``params`` and the task's own ``given`` args."""
    ids = _target(params, given)[0]
    return DisconnectOptions(
        session_ids=ids,
        user_filter=_user_filter(params),
        states=_states(params, DISCONNECTABLE_STATES),
        timeout=_in_range("timeout", params["timeout"], TIMEOUT_RANGE),
        missing=params["missing"],
        backend=params["backend"],
        on_unreachable=params["on_unreachable"],
    )


def info_options(params: Mapping, given: Mapping) -> InfoOptions:
    """Options of session_info from validated ``params`` (``given`` is not needed here)."""
    return InfoOptions(
        session_ids=_session_ids(params.get("session_id")),
        user_filter=_user_filter(params),
        states=_states(params, CONNECT_STATES),
        include_system=bool(params["include_system"]),
        backend=params["backend"],
        on_unreachable=params["on_unreachable"],
        diagnose=bool(params["diagnose"]),
    )


def message_options(params: Mapping, given: Mapping) -> MessageOptions:
    """Options of session_message from validated ``params`` and the task's own ``given`` args."""
    ids = _target(params, given)[0]
    title, text = params["title"], params["text"]
    if not text.strip():
        raise OptionError("text: the message is empty; give the text users should read")
    if not title.strip():
        raise OptionError(f"title: blank; give a title, or leave title out for {MESSAGE_SPEC['title']['default']!r}")
    if len(text) > TEXT_MAX:
        raise OptionError(f"text: {len(text)} characters; accepted: up to {TEXT_MAX}")
    if len(title) > TITLE_MAX:
        raise OptionError(f"title: {len(title)} characters; accepted: up to {TITLE_MAX}")
    for name, value in (("title", title), ("text", text)):
        if "\x00" in value:
            raise OptionError(f"{name}: contains a NUL character, which Windows cannot display")
    return MessageOptions(
        session_ids=ids,
        user_filter=_user_filter(params),
        states=_states(params, MESSAGE_STATES),
        title=title,
        text=text,
        display_seconds=_in_range("display_seconds", params["display_seconds"], DISPLAY_SECONDS_RANGE),
        missing=params["missing"],
        backend=params["backend"],
        on_unreachable=params["on_unreachable"],
    )
