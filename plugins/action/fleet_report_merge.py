# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of multipoint.wms.fleet_report_merge; documentation in plugins/modules/fleet_report_merge.py."""

from __future__ import annotations

from ansible_collections.multipoint.wms.plugins.plugin_utils._action_base import (
    WmsAction,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._report_task import (
    merge_report,
)


class ActionModule(WmsAction):
    """Runs on the controller only; it reads the parts from variables or from report files."""

    _requires_connection = False

    def task(self, task_vars: dict) -> dict:
        return merge_report(self, task_vars)
