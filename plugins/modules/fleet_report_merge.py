# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the work is done on the controller by
# plugins/action/fleet_report_merge.py.

DOCUMENTATION = r"""
---
module: fleet_report_merge
short_description: Merge the parts of one end-of-day run (AWX job slices) into one fleet report
version_added: 0.1.0
description:
  - When AWX or Automation Platform slices an inventory (C(job_slice_count)), each slice runs the
    C(multipoint.wms.end_of_day) role on its share of the hosts and records its part of the report with
    C(set_stats). AWX combines the artifacts of all slices and gives them to the next node of the workflow as
    extra variables; this module, run there, merges them into the one report of the run.
  - Without AWX (the inventory cut by hand, each share run with the same C(end_of_day_run_id) and its own
    C(end_of_day_part)), it reads the parts' report files C(end-of-day-<run_id>-<part>.json) in O(report_dir).
  - The parts come from variables named C(multipoint_wms_end_of_day_part_*) when there are any, else from
    the files of the run named by O(run_id) (or C(awx-<awx_workflow_job_id>)).
  - Every host of O(hosts) is in the report exactly once. A host that no part reported (its slice failed
    before writing its report, or never ran) is C(not_run); a host two parts reported is taken from the later
    part, with a note. Hosts a part reported that are not in O(hosts) are kept, with a note.
  - Writes C(end-of-day-<run_id>.json) and C(.md) (C(-check) in check mode, which merges the check-mode parts).
    Sessions merged from artifacts are listed by id; each part's own report names the accounts.
  - The C(multipoint.wms.merge_report) playbook runs it for you.
options:
  report_dir:
    description: Directory on the controller for the merged report (and, without artifacts, where the parts' files are).
    type: path
    required: true
  run_id:
    description:
      - The run to merge. Default is the run of the parts given as variables (they must all be of one run), else
        C(awx-<awx_workflow_job_id>).
      - With parts of several runs as variables, only those of this run are merged.
    type: str
  hosts:
    description: Every host the run was for (the inventory); each is accounted for once.
    type: list
    elements: str
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, markdown]
    default: [json, markdown]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - multipoint.wms.attributes.controller
attributes:
  check_mode:
    support: full
    details: Merges the check-mode parts of the run and writes C(end-of-day-<run_id>-check.*).
  diff_mode:
    support: none
seealso:
  - module: multipoint.wms.fleet_report
  - name: Scaling out with AWX job slicing
    link: https://github.com/multipoint-wms/multipoint.wms/blob/main/docs/scale-out.md
    description: How to set up slices and the merge node in AWX or Automation Platform.
author:
  - multipoint.wms maintainers (@multipoint-wms)
"""

EXAMPLES = r"""
- name: Merge the slices' parts (next node of the AWX workflow, or by hand with end_of_day_run_id)
  multipoint.wms.fleet_report_merge:
    report_dir: /var/lib/end-of-day/reports
    hosts: "{{ query('inventory_hostnames', 'wms') }}"
  register: merged

- name: Merge the part files of one run by hand
  multipoint.wms.fleet_report_merge:
    report_dir: reports
    run_id: 20261123-evening
    hosts: "{{ groups['wms'] }}"
"""

RETURN = r"""
summary:
  description: The merged report in a few lines.
  returned: success
  type: list
  elements: str
  sample: ["End of day awx-4710: 500 hosts - 470 changed, 20 unchanged, 4 failed, 2 unreachable, 4 not run"]
run_id:
  description: The run merged.
  returned: success
  type: str
  sample: awx-4710
paths:
  description: The files written, by format.
  returned: success
  type: dict
  sample: {json: /var/lib/end-of-day/reports/end-of-day-awx-4710.json}
counts:
  description: Hosts by status and sessions by outcome, over the whole run.
  returned: success
  type: dict
  sample: {hosts: 500, changed: 470, unchanged: 20, failed: 4, unreachable: 2, not_run: 4, sessions_disconnected: 11012}
problem_hosts:
  description: Hosts that failed or were unreachable.
  returned: success
  type: list
  elements: str
  sample: [mps-17, mps-22]
exclusions_matched_nowhere:
  description: exclude_users patterns that matched no session on any host of the run.
  returned: success
  type: list
  elements: str
  sample: []
source:
  description: Where the parts came from, C(artifacts) (variables) or C(files).
  returned: success
  type: str
  sample: artifacts
parts:
  description: The parts merged, in the order they were written.
  returned: success
  type: list
  elements: dict
  sample: [{part: job4711, written: "2026-11-23T18:05:40+00:00", hosts: 250, source: multipoint_wms_end_of_day_part_job4711}]
msg:
  description: The first summary line.
  returned: success
  type: str
  sample: "End of day awx-4710: 500 hosts - 470 changed, 20 unchanged, 4 failed, 2 unreachable, 4 not run"
"""
