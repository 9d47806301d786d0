# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every multipoint.wms action plugin does around its own work."""

from __future__ import annotations

from collections.abc import Callable

from ansible.errors import AnsibleActionFail

from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import (
    Runner,
    TransportError,
    connection_runner,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._disconnect import run_disconnect
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
)

RunnerFactory = Callable[[object, str], Runner]


def _validated(action, spec: dict) -> dict:
    """Validate the task's options; every error is raised before any host is contacted."""
    try:
        check_raw_types(action._task.args)
    except OptionError as err:
        raise AnsibleActionFail(str(err)) from None
    _, params = action.validate_argument_spec(argument_spec=spec)
    return params


def _host(task_vars: dict | None) -> str:
    return str((task_vars or {}).get("inventory_hostname") or "the host")


def _run(work: Callable[[Runner, str], dict], action, task_vars, runner_factory: RunnerFactory) -> dict:
    host = _host(task_vars)
    try:
        return work(runner_factory(action, host), host)
    except HostFailure as err:
        return {"failed": True, "changed": False, "msg": err.msg, **err.facts}
    except TransportError as err:
        return {"failed": True, "changed": False, "msg": str(err)}


def session_disconnect(action, task_vars, runner_factory: RunnerFactory = connection_runner) -> dict:
    """The whole of multipoint.wms.session_disconnect."""
    params = _validated(action, DISCONNECT_SPEC)
    try:
        opts = disconnect_options(params, action._task.args)
    except OptionError as err:
        raise AnsibleActionFail(str(err)) from None
    check_mode = bool(action._task.check_mode)
    diff = bool(action._task.diff)
    return _run(
        lambda run, host: run_disconnect(run, opts, check_mode, host).to_result(diff),
        action, task_vars, runner_factory,
    )


def session_info(action, task_vars, runner_factory: RunnerFactory = connection_runner) -> dict:
    """The whole of multipoint.wms.session_info."""
    params = _validated(action, INFO_SPEC)
    try:
        opts = info_options(params)
    except OptionError as err:
        raise AnsibleActionFail(str(err)) from None
    return _run(lambda run, host: run_info(run, opts, host), action, task_vars, runner_factory)


def session_message(action, task_vars, runner_factory: RunnerFactory = connection_runner) -> dict:
    """The whole of multipoint.wms.session_message."""
    params = _validated(action, MESSAGE_SPEC)
    try:
        opts = message_options(params, action._task.args)
    except OptionError as err:
        raise AnsibleActionFail(str(err)) from None
    check_mode = bool(action._task.check_mode)
    return _run(
        lambda run, host: run_message(run, opts, check_mode, host).to_result(),
        action, task_vars, runner_factory,
    )
