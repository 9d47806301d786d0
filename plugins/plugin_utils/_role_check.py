# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""end_of_day_check: every setting of the end_of_day role, checked once before any host is contacted.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.

ansible's own validation of the role's argument specs only checks that a value can be converted
(a string passes for a list, a list passes for a string) and leaves the variable as it was given,
so the role would fail later on one host after another, or quietly do the wrong thing. Here each
setting is checked as the modules will use it, with the variable's name and the accepted form in
the message, and the report folder is made and test-written before anything is disconnected.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import BOOLEANS, boolean

from ansible_collections.multipoint.wms.plugins.plugin_utils._options import (
    TEXT_MAX,
    TITLE_MAX,
    OptionError,
    type_name,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    BACKENDS,
    DISPLAY_SECONDS_RANGE,
    TIMEOUT_RANGE,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._report import PART, RUN_ID
from ansible_collections.multipoint.wms.plugins.plugin_utils._selection import PatternError, UserPattern
from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import DISCONNECTABLE_STATES

PREFIX = "end_of_day_"
FORMATS = ("json", "markdown")
UNWARNED = ("disconnect", "leave")
RUN_ID_FORM = "empty, or up to 100 letters, digits, '.', '_' and '-', starting with a letter or digit"
PART_FORM = "empty, or up to 50 letters, digits and '_', starting with a letter or digit"
# Every setting the check knows: what it is, in words, for "unknown setting" messages.
SETTINGS = (
    "users", "exclude_users", "exclude_admins", "states", "warning_text", "warning_title", "grace_seconds",
    "unwarned", "timeout", "backend", "report_dir", "report_formats", "run_id", "part", "fail_hosts",
)


def _name(key: str) -> str:
    return PREFIX + key


def _got(value: object) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return f"a {type_name(value)}"


def _string_list(key: str, value: object, example: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise OptionError(f"{_name(key)}: got {_got(value)}; give a list, for example {_name(key)}: [{example}]")
    for item in value:
        if not isinstance(item, str):
            raise OptionError(f"{_name(key)}: got {_got(item)} in the list; each element must be a string")
    return list(value)


def _patterns(key: str, value: object) -> list[str]:
    patterns = _string_list(key, value, "'LAB\\teacher01'")
    for text in patterns:
        try:
            UserPattern.parse(text)
        except PatternError as err:
            raise OptionError(f"{_name(key)}: {err}; accepted: DOMAIN\\user, user@DOMAIN or user, "
                              "case-insensitive, with * and ? wildcards") from None
    return patterns


def _flag(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool) and (
            str(value).lower() in BOOLEANS or value in BOOLEANS):
        return boolean(value)
    raise OptionError(f"{_name(key)}: got {_got(value)}; give true or false")


def _whole(key: str, value: object, bounds: tuple[int, int], unit: str = "seconds") -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value)
    low, high = bounds
    if number is None:
        raise OptionError(f"{_name(key)}: got {_got(value)}; give a whole number of {unit} from {low} to {high}")
    if not low <= number <= high:
        raise OptionError(f"{_name(key)}: {number} is out of range; accepted: {low} to {high} {unit}")
    return number


def _text(key: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise OptionError(f"{_name(key)}: got {_got(value)}; give a string")
    if len(value) > limit:
        raise OptionError(f"{_name(key)}: {len(value)} characters; accepted: up to {limit}")
    if "\x00" in value:
        raise OptionError(f"{_name(key)}: contains a NUL character, which Windows cannot display")
    return value


def _choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise OptionError(f"{_name(key)}: got {_got(value)}; accepted: {', '.join(choices)}")
    return value


def _choice_list(key: str, value: object, choices: tuple[str, ...]) -> list[str]:
    """A non-empty list, each element one of ``choices``."""
    items = _string_list(key, value, ", ".join(choices))
    if not items:
        raise OptionError(f"{_name(key)}: the list is empty; name at least one of {', '.join(choices)}")
    for item in items:
        _choice(key, item, choices)
    return items


def report_folder(value: object, cwd: str) -> Path:
    """The report folder, made if missing and test-written: an absolute path, or OptionError."""
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{_name('report_dir')}: got {_got(value)}; give a folder on the controller")
    folder = Path(os.path.expanduser(value))
    if not folder.is_absolute():
        folder = Path(cwd) / folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".end-of-day-probe-", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise OptionError(
            f"{_name('report_dir')}: cannot write the report in {folder} ({err.strerror or err}); choose a folder "
            "the user running ansible-playbook can write (nothing has been sent or disconnected yet)") from None
    return folder


def check_settings(settings: Mapping, cwd: str) -> dict:
    """Every setting checked (OptionError names the first that is wrong); the values the role uses."""
    unknown = [k for k in settings if not k.startswith(PREFIX) or k[len(PREFIX):] not in SETTINGS]
    if unknown:
        raise OptionError(f"unknown setting(s) {', '.join(sorted(unknown))}; the role's settings are "
                          + ", ".join(_name(k) for k in SETTINGS))
    value = {key: settings[_name(key)] for key in SETTINGS if _name(key) in settings}
    checked: dict = {}
    checked["users"] = _patterns("users", value.get("users", []))
    checked["exclude_users"] = _patterns("exclude_users", value.get("exclude_users", []))
    checked["exclude_admins"] = _flag("exclude_admins", value.get("exclude_admins", True))
    checked["states"] = _choice_list("states", value.get("states", list(DISCONNECTABLE_STATES)), DISCONNECTABLE_STATES)
    text = _text("warning_text", value.get("warning_text", ""), TEXT_MAX)
    if text and not text.strip():
        raise OptionError(f"{_name('warning_text')}: the warning is blank; give the text users should read, "
                          'or "" to send no warning')
    checked["warning_text"] = text
    title = _text("warning_title", value.get("warning_title", "End of the day"), TITLE_MAX)
    if text and not title.strip():
        raise OptionError(f"{_name('warning_title')}: blank; give the title of the warning box")
    checked["warning_title"] = title
    checked["grace_seconds"] = _whole("grace_seconds", value.get("grace_seconds", 300), DISPLAY_SECONDS_RANGE)
    checked["unwarned"] = _choice("unwarned", value.get("unwarned", "disconnect"), UNWARNED)
    checked["timeout"] = _whole("timeout", value.get("timeout", 30), TIMEOUT_RANGE)
    checked["backend"] = _choice("backend", value.get("backend", "auto"), BACKENDS)
    checked["report_formats"] = _choice_list("report_formats", value.get("report_formats", list(FORMATS)), FORMATS)
    run_id = value.get("run_id", "")
    if not isinstance(run_id, str) or (run_id and not RUN_ID.match(run_id)):
        raise OptionError(f"{_name('run_id')}: got {_got(run_id)}; accepted: {RUN_ID_FORM}")
    checked["run_id"] = run_id
    part = value.get("part", "")
    if not isinstance(part, str) or (part and not PART.match(part)):
        raise OptionError(f"{_name('part')}: got {_got(part)}; accepted: {PART_FORM}")
    checked["part"] = part
    checked["fail_hosts"] = _flag("fail_hosts", value.get("fail_hosts", True))
    checked["report_dir"] = str(report_folder(value.get("report_dir", "reports"), cwd))
    return checked


def end_of_day_check(action, task_vars: dict) -> dict:
    """The whole of multipoint.wms.end_of_day_check."""
    try:
        checked = check_settings(dict(action._task.args), os.getcwd())
    except OptionError as err:
        raise AnsibleActionFail(str(err)) from None
    return {"changed": False, "settings": checked,
            "msg": f"end_of_day settings checked; the report goes to {checked['report_dir']}"}
