# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the work is done on the controller by
# plugins/action/fleet_report.py.

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Write the end-of-day report for every host of the play
version_added: 0.1.0
description:
  - Reads every host's registered M(multipoint.wms.session_disconnect) result (and, if present, its
    M(multipoint.wms.session_message) result) from C(hostvars), and writes a report that accounts for
    every host of the play - changed, unchanged, failed with the reason, unreachable, or not run - and,
    per host, the sessions disconnected, unchanged, excluded by the filters and failed.
  - Writes C(end-of-day-<run_id>.json) for machines and C(end-of-day-<run_id>.md) for people on the
    controller. A new O(run_id) per run keeps two runs on one day apart; running it again with the same
    O(run_id) (for example once per C(serial) batch) rewrites that run's files with everything known so far.
  - Run it once per play, on the controller (C(run_once) and C(delegate_to) C(localhost)); the
    C(multipoint.wms.end_of_day) role does this for you.
options:
  report_dir:
    description: Directory on the controller for the report files; created if missing.
    type: path
    required: true
  run_id:
    description:
      - Name of this run in the file names (letters, digits, C(.), C(_), C(-)).
      - Default is the UTC time plus a random part, for example C(20261123T180502Z-3fa9c1).
    type: str
  part:
    description:
      - This report is one part of the run (a slice of the inventory), merged later with
        M(multipoint.wms.fleet_report_merge). The files are named C(end-of-day-<run_id>-<part>.*), and
        RV(part_record) is what to record with C(ansible.builtin.set_stats) under RV(stats_key).
      - Letters, digits and C(_). Default is none (the whole run), except in an AWX or Automation Platform
        workflow (every slice of a sliced job is one), where each job is the part C(job<awx_job_id>).
    type: str
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, markdown]
    default: [json, markdown]
  hosts:
    description:
      - The hosts to account for.
      - Default is every host of the play, C(ansible_play_hosts_all), including hosts that failed or were
        unreachable, plus the hosts of earlier plays of the same C(ansible-playbook) run that registered
        O(disconnect_var), so that a later play reporting under the same O(run_id) keeps them in the files.
    type: list
    elements: str
  disconnect_var:
    description: Name of the variable each host registered the M(multipoint.wms.session_disconnect) result in.
    type: str
    default: end_of_day_disconnect
  warning_var:
    description: Name of the variable each host registered the M(multipoint.wms.session_message) result in.
    type: str
    default: end_of_day_warning
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - multipoint.wms.attributes.controller
attributes:
  check_mode:
    support: full
    details: Writes the report in check mode too, marked as a rehearsal and named C(end-of-day-<run_id>-check.*); it changes nothing on the hosts.
  diff_mode:
    support: none
seealso:
  - module: multipoint.wms.fleet_report_merge
  - name: The multipoint.wms.end_of_day role
    link: https://github.com/multipoint-wms/multipoint.wms/blob/main/roles/end_of_day/README.md
    description: Writes this report after warning, waiting and disconnecting across a fleet.
author:
  - multipoint.wms maintainers (@multipoint-wms)
"""

EXAMPLES = r"""
- name: Disconnect
  multipoint.wms.session_disconnect:
    all: true
  register: end_of_day_disconnect

- name: Report on every host of the play
  multipoint.wms.fleet_report:
    report_dir: "{{ playbook_dir }}/reports"
  run_once: true
  delegate_to: localhost
  register: report

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ report.summary }}"
  run_once: true
"""

RETURN = r"""
summary:
  description: The report in a few lines, for the end of the play.
  returned: success
  type: list
  elements: str
  sample: ["End of day 20261123T180502Z-3fa9c1: 40 hosts - 31 changed, 6 unchanged, 2 failed, 1 unreachable, 0 not run"]
run_id:
  description: The run id used in the file names.
  returned: success
  type: str
  sample: 20261123T180502Z-3fa9c1
paths:
  description: The files written, by format.
  returned: success
  type: dict
  sample: {json: /srv/ansible/reports/end-of-day-20261123T180502Z-3fa9c1.json}
counts:
  description: Hosts by status and sessions by outcome.
  returned: success
  type: dict
  sample: {hosts: 40, changed: 31, unchanged: 6, failed: 2, unreachable: 1, not_run: 0, sessions_disconnected: 512}
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
part:
  description: The part this report is, or null for a whole run.
  returned: success
  type: str
  sample: job4711
stats_key:
  description: The C(set_stats) key for this part, C(multipoint_wms_end_of_day_part_<part>) (C(..._run) for a whole run).
  returned: success
  type: str
  sample: multipoint_wms_end_of_day_part_job4711
part_record:
  description:
    - This report in compact form, for M(multipoint.wms.fleet_report_merge) - per host the status, the reason,
      the session ids per outcome and the number of sessions warned; no account names.
  returned: success
  type: dict
  sample: {report: multipoint.wms end_of_day part, run_id: awx-4710, part: job4711, mode: run,
           written: "2026-11-23T18:05:40+00:00",
           hosts: {mps-01: {status: changed, reason: "", generation: "2016", backend: multipoint-2016,
                            ids: {disconnected: [2, 3], unchanged: [5], skipped: [4], failed: []}, warned: 2,
                            warning: "", notes: [], unmatched_exclusions: []}}}
msg:
  description: The first summary line.
  returned: success
  type: str
  sample: "End of day 20261123T180502Z-3fa9c1: 40 hosts - 31 changed, 6 unchanged, 2 failed, 1 unreachable, 0 not run"
"""
