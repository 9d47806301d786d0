# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the work is done on the controller by
# plugins/action/end_of_day_check.py.

DOCUMENTATION = r"""
---
module: end_of_day_check
short_description: Check the settings of the end_of_day role before any host is contacted
version_added: 0.1.0
description:
  - Checks every C(end_of_day_*) setting of the C(multipoint.wms.end_of_day) role the way the modules
    will use it, and fails with a message that names the setting and the accepted form.
  - Ansible's own check of a role's argument specs lets a string through where a list is expected, and a
    list where a string is expected, and leaves the variable as given; without this check such a value
    would fail later on every host, or quietly do the wrong thing (an exclusion that can never match
    protects nobody).
  - Makes the report folder (a relative path is taken from the directory C(ansible-playbook) runs in) and
    writes a test file there, so that a run never disconnects anybody and then fails to write its report.
  - The role runs it once, on the controller, as its first task. It contacts no host.
options:
  end_of_day_users:
    description: As the role's variable of the same name; a list of C(DOMAIN\user), C(user@DOMAIN) or C(user) patterns.
    type: raw
  end_of_day_exclude_users:
    description: As the role's variable; patterns with a control character or a DNS domain are refused.
    type: raw
  end_of_day_exclude_admins:
    description: As the role's variable.
    type: raw
  end_of_day_states:
    description: As the role's variable.
    type: raw
  end_of_day_warning_text:
    description: As the role's variable; up to 10000 characters, not blank (V("") sends no warning).
    type: raw
  end_of_day_warning_title:
    description: As the role's variable; up to 256 characters, not blank when a warning is sent.
    type: raw
  end_of_day_grace_seconds:
    description: As the role's variable; 0 to 86400.
    type: raw
  end_of_day_unwarned:
    description: As the role's variable; V(disconnect) or V(leave).
    type: raw
  end_of_day_timeout:
    description: As the role's variable; 1 to 3600.
    type: raw
  end_of_day_backend:
    description: As the role's variable.
    type: raw
  end_of_day_report_dir:
    description: As the role's variable. Made if missing and test-written.
    type: raw
  end_of_day_report_formats:
    description: As the role's variable.
    type: raw
  end_of_day_run_id:
    description: As the role's variable.
    type: raw
  end_of_day_part:
    description: As the role's variable.
    type: raw
  end_of_day_fail_hosts:
    description: As the role's variable.
    type: raw
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - multipoint.wms.attributes.controller
attributes:
  check_mode:
    support: full
    details: Checks the same way in check mode; the report folder is made and test-written in check mode too.
  diff_mode:
    support: none
seealso:
  - module: multipoint.wms.fleet_report
author:
  - multipoint.wms maintainers (@multipoint-wms)
"""

EXAMPLES = r"""
- name: Check the settings as the end_of_day role does
  multipoint.wms.end_of_day_check:
    end_of_day_exclude_users: ['LAB\teacher*']
    end_of_day_warning_text: The lab closes in 5 minutes.
    end_of_day_report_dir: /var/log/end-of-day
  run_once: true
"""

RETURN = r"""
settings:
  description: The settings as checked, with the report folder as an absolute path.
  returned: success
  type: dict
  sample: {users: [], exclude_users: ['LAB\teacher*'], exclude_admins: true, states: [Active, Idle], warning_text: '',
           warning_title: End of the day, grace_seconds: 300, unwarned: disconnect, timeout: 30, backend: auto,
           report_dir: /home/admin/reports, report_formats: [json, markdown], run_id: '', part: '', fail_hosts: true}
msg:
  description: A one-line summary.
  returned: success
  type: str
  sample: end_of_day settings checked; the report goes to /home/admin/reports
"""
