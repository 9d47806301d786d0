# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tasks of the three session modules: validate the options, run on the host, make the result.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection. The action plugins in ``plugins/action/`` call one function each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import (
    HostUnreachable,
    Runner,
    TransportError,
    connection_runner,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._disconnect import (
    run_disconnect,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._errors import HostFailure
from ansible_collections.multipoint.wms.plugins.plugin_utils._info import run_info
from ansible_collections.multipoint.wms.plugins.plugin_utils._message import run_message
from ansible_collections.multipoint.wms.plugins.plugin_utils._options import (
    DISCONNECT_SPEC,
    INFO_SPEC,
    MESSAGE_SPEC,
    OptionError,
    check_raw_types,
    disconnect_options,
    info_options,
    message_options,
    without_nulls,
)

T = TypeVar("T")


def _options(action, spec: dict, build: Callable[[Mapping, Mapping], T]) -> T:
    """The task's options, checked; every error is raised before any host is contacted."""
    try:
        check_raw_types(action._task.args, spec)
        # null means the default: an option given as null is an option not given.
        action._task.args = without_nulls(action._task.args, spec)
        params = action.validate_argument_spec(argument_spec=spec)[1]
        return build(params, action._task.args)
    except OptionError as err:
        raise AnsibleActionFail(str(err)) from None


def _run(work: Callable[[Runner, str], dict], action, task_vars: dict, on_unreachable: str) -> dict:
    """Run ``work`` against this task's host; a request that failed as a whole fails the task.

    A host that cannot be reached is ansible's "unreachable", or with on_unreachable=fail a failed
    task (so that a block's rescue or always still runs for it) that says so in ``unreachable_host``.
    """
    host = str(task_vars.get("inventory_hostname") or "the host")
    try:
        return work(connection_runner(action, host), host)
    except HostFailure as err:
        return {"failed": True, "changed": False, "msg": err.msg, **err.facts}
    except TransportError as err:
        return {"failed": True, "changed": False, "msg": str(err)}
    except HostUnreachable as err:
        if on_unreachable == "fail":
            return {"failed": True, "changed": False, "unreachable_host": True, "msg": f"unreachable: {err}"}
        raise AnsibleConnectionFailure(str(err)) from None


def session_disconnect(action, task_vars: dict) -> dict:
    """The whole of multipoint.wms.session_disconnect."""
    opts = _options(action, DISCONNECT_SPEC, disconnect_options)
    check_mode, diff = bool(action._task.check_mode), bool(action._task.diff)
    return _run(lambda run, host: run_disconnect(run, opts, check_mode, host).to_result(diff), action, task_vars,
                opts.on_unreachable)


def session_info(action, task_vars: dict) -> dict:
    """The whole of multipoint.wms.session_info."""
    opts = _options(action, INFO_SPEC, info_options)
    return _run(lambda run, host: run_info(run, opts, host), action, task_vars, opts.on_unreachable)


def session_message(action, task_vars: dict) -> dict:
    """The whole of multipoint.wms.session_message."""
    opts = _options(action, MESSAGE_SPEC, message_options)
    check_mode = bool(action._task.check_mode)
    return _run(lambda run, host: run_message(run, opts, check_mode, host).to_result(), action, task_vars,
                opts.on_unreachable)
