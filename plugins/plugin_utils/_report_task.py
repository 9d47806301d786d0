# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""multipoint.wms.fleet_report and fleet_report_merge: write a run's report files (or one part's),
and merge the parts of a run into its one report.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.multipoint.wms.plugins.plugin_utils._report import (
    PART,
    RUN_ID,
    FleetReport,
    build_report,
    host_values,
    new_run_id,
    write_report,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._report_merge import (
    PartError,
    merge,
    parts_from_files,
    parts_from_vars,
)

REPORT_SPEC = {
    "report_dir": {"type": "path", "required": True},
    "run_id": {"type": "str"},
    "part": {"type": "str"},
    "formats": {"type": "list", "elements": "str", "choices": ["json", "markdown"], "default": ["json", "markdown"]},
    "hosts": {"type": "list", "elements": "str"},
    "disconnect_var": {"type": "str", "default": "end_of_day_disconnect"},
    "warning_var": {"type": "str", "default": "end_of_day_warning"},
}
# The fact in which the run id is kept (on localhost with delegate_facts), so that every later
# report of the same ansible-playbook run (serial batches, later plays) writes the same files.
RUN_FACT = "multipoint_wms_run_id"
MERGE_SPEC = {
    "report_dir": {"type": "path", "required": True},
    "run_id": {"type": "str"},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "formats": REPORT_SPEC["formats"],
}
# What AWX / Automation Platform gives every job of one workflow (every slice of a sliced job).
WORKFLOW_VARS = ("awx_workflow_job_id", "tower_workflow_job_id")
# What it gives every job: the job's own id (each slice has its own).
JOB_VARS = ("awx_job_id", "tower_job_id")


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


def part_for(given: str | None, task_vars: dict) -> str | None:
    """The part this report is: the one given, else an AWX job's within a workflow (each slice is a job of
    the slice workflow), else None (the whole run)."""
    if given:
        return given
    if not any(task_vars.get(name) not in (None, "") for name in WORKFLOW_VARS):
        return None
    for name in JOB_VARS:
        value = task_vars.get(name)
        if value not in (None, ""):
            return f"job{value}"
    return None


def _checked_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id):
        raise AnsibleActionFail(
            f"run_id: {run_id!r} cannot be used in a file name; accepted: letters, digits, '.', '_' and '-' "
            "(up to 100 characters, starting with a letter or digit)"
        )
    return run_id


def _write(report: FleetReport, params: dict) -> dict:
    """Write the files; the result every report task returns."""
    if not params["formats"]:
        raise AnsibleActionFail("formats: the list is empty; accepted: json, markdown")
    try:
        paths = write_report(report, params["report_dir"], params["formats"])
    except OSError as err:
        raise AnsibleActionFail(f"report_dir: cannot write the report there ({err})") from None
    summary = report.summary_lines()
    result = {
        "changed": False,
        "msg": summary[0],
        "summary": summary,
        "run_id": report.run_id,
        "paths": paths,
        "counts": report.counts(),
        "problem_hosts": report.problem_hosts(),
        "exclusions_matched_nowhere": report.unmatched_exclusions(),
    }
    unmatched = report.unmatched_exclusions()
    if unmatched:
        result["warnings"] = [f"exclude_users {', '.join(unmatched)} matched no session on any host of the run: "
                              "check the spelling (a pattern that matches nobody protects nobody)"]
    return result


def default_hosts(task_vars: dict, hostvars, disconnect_var: str) -> list[str]:
    """Every host of the play, then the hosts of earlier plays of this run that registered a result.

    The run's report files are rewritten by every play that reports under the same run id; without
    the earlier plays' hosts, a second end_of_day play would drop the first play's hosts from them.
    """
    hosts = list(task_vars.get("ansible_play_hosts_all") or [])
    in_play = set(hosts)
    for name in hostvars:
        if name not in in_play and disconnect_var in host_values(hostvars, name):
            hosts.append(name)
    return hosts


def fleet_report(action, task_vars: dict) -> dict:
    """Write the report for every host of the play and return its summary and its part record."""
    params = action.validate_argument_spec(argument_spec=REPORT_SPEC)[1]
    run_id = _checked_run_id(run_id_for(params.get("run_id"), task_vars))
    part = part_for(params.get("part"), task_vars)
    if part is not None and not PART.match(part):
        raise AnsibleActionFail(f"part: {part!r} cannot be used in a file name and a variable name; accepted: "
                                "letters, digits and '_' (up to 50 characters, starting with a letter or digit)")
    hostvars = task_vars.get("hostvars") or {}
    hosts = params.get("hosts")
    if hosts is None:
        hosts = default_hosts(task_vars, hostvars, params["disconnect_var"])
    report = build_report(run_id, bool(action._task.check_mode), hosts, hostvars,
                          params["disconnect_var"], params["warning_var"], part=part)
    result = _write(report, params)
    result.update({"part": part, "stats_key": report.stats_key(), "part_record": report.part_record(),
                   "ansible_facts": {RUN_FACT: run_id}})
    return result


def merge_report(action, task_vars: dict) -> dict:
    """Merge the parts of one run (from set_stats artifacts, else from report files) into its report."""
    params = action.validate_argument_spec(argument_spec=MERGE_SPEC)[1]
    given = params.get("run_id")
    if given:
        _checked_run_id(given)
    try:
        parts = parts_from_vars(task_vars)
        runs = sorted({p.run_id for p in parts})
        if given:
            parts = [p for p in parts if p.run_id == given]
        elif len(runs) > 1:
            raise AnsibleActionFail(f"run_id: the parts given are of several runs ({', '.join(runs)}); "
                                    "say which one to merge")
        run_id = given or (runs[0] if parts else None)
        source = "artifacts"
        if not parts:
            run_id = run_id or next((f"awx-{task_vars[v]}" for v in WORKFLOW_VARS
                                     if task_vars.get(v) not in (None, "")), None)
            if run_id is None:
                raise AnsibleActionFail("run_id: no parts reached this play as variables (set_stats artifacts) and "
                                        "no run was named; give run_id (end_of_day_run_id) or awx_workflow_job_id "
                                        "to merge the part files of that run in report_dir")
            parts = parts_from_files(params["report_dir"], _checked_run_id(run_id))
            source = "files"
    except PartError as err:
        raise AnsibleActionFail(f"parts: {err}") from None
    report = merge(run_id, bool(action._task.check_mode), params["hosts"], parts)
    result = _write(report, params)
    result.update({"source": source, "parts": [p.summary() for p in parts]})
    return result
