# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of multipoint.wms.fleet_report; documentation in plugins/modules/fleet_report.py."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.multipoint.wms.plugins.plugin_utils._report_action import fleet_report


class ActionModule(ActionBase):
    """Runs on the controller only; it reads other hosts' results from hostvars."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        result.update(fleet_report(self, task_vars or {}))
        return result
