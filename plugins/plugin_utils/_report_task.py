# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""multipoint.wms.fleet_report: collect every host's results and write the report files.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.multipoint.wms.plugins.plugin_utils._report import (
    RUN_ID,
    build_report,
    new_run_id,
    write_report,
)

REPORT_SPEC = {
    "report_dir": {"type": "path", "required": True},
    "run_id": {"type": "str"},
    "formats": {"type": "list", "elements": "str", "choices": ["json", "markdown"], "default": ["json", "markdown"]},
    "hosts": {"type": "list", "elements": "str"},
    "disconnect_var": {"type": "str", "default": "end_of_day_disconnect"},
    "warning_var": {"type": "str", "default": "end_of_day_warning"},
}
# The fact in which the run id is kept (on localhost with delegate_facts), so that every later
# report of the same ansible-playbook run (serial batches, later plays) writes the same files.
RUN_FACT = "multipoint_wms_run_id"
# What AWX / Automation Platform gives every job of one workflow (every slice of a sliced job).
WORKFLOW_VARS = ("awx_workflow_job_id", "tower_workflow_job_id")


def run_id_for(given: str | None, task_vars: dict) -> str:
    """The run id: the one given, else the workflow's (every slice of a job shares it), else the one
    an earlier report of this run made, else a new one."""
    if given:
        return given
    for name in WORKFLOW_VARS:
        value = task_vars.get(name)
        if value not in (None, ""):
            return f"awx-{value}"
    hostvars = task_vars.get("hostvars") or {}
    try:
        earlier = (hostvars.get("localhost") or {}).get(RUN_FACT)
    except Exception:  # an implicit localhost that hostvars cannot show
        earlier = None
    return str(earlier) if earlier else new_run_id()


def default_hosts(task_vars: dict, hostvars, disconnect_var: str) -> list[str]:
    """Every host of the play, then the hosts of earlier plays of this run that registered a result.

    The run's report files are rewritten by every play that reports under the same run id; without
    the earlier plays' hosts, a second end_of_day play would drop the first play's hosts from them.
    """
    hosts = list(task_vars.get("ansible_play_hosts_all") or [])
    in_play = set(hosts)
    for name in hostvars:
        if name not in in_play and disconnect_var in (hostvars.get(name) or {}):
            hosts.append(name)
    return hosts


def fleet_report(action, task_vars: dict) -> dict:
    """Write the report for every host of the play and return its summary."""
    params = action.validate_argument_spec(argument_spec=REPORT_SPEC)[1]
    run_id = run_id_for(params.get("run_id"), task_vars)
    if not RUN_ID.match(run_id):
        raise AnsibleActionFail(
            f"run_id: {run_id!r} cannot be used in a file name; accepted: letters, digits, '.', '_' and '-' "
            "(up to 100 characters, starting with a letter or digit)"
        )
    if not params["formats"]:
        raise AnsibleActionFail("formats: the list is empty; accepted: json, markdown")
    hostvars = task_vars.get("hostvars") or {}
    hosts = params.get("hosts")
    if hosts is None:
        hosts = default_hosts(task_vars, hostvars, params["disconnect_var"])
    report = build_report(run_id, bool(action._task.check_mode), hosts, hostvars,
                          params["disconnect_var"], params["warning_var"])
    try:
        paths = write_report(report, params["report_dir"], params["formats"])
    except OSError as err:
        raise AnsibleActionFail(f"report_dir: cannot write the report there ({err})") from None
    summary = report.summary_lines()
    result = {
        "changed": False,
        "msg": summary[0],
        "summary": summary,
        "run_id": run_id,
        "paths": paths,
        "counts": report.counts(),
        "problem_hosts": report.problem_hosts(),
        "exclusions_matched_nowhere": report.unmatched_exclusions(),
        "ansible_facts": {RUN_FACT: run_id},
    }
    unmatched = report.unmatched_exclusions()
    if unmatched:
        result["warnings"] = [f"exclude_users {', '.join(unmatched)} matched no session on any host of the run: "
                              "check the spelling (a pattern that matches nobody protects nobody)"]
    return result
