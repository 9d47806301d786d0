# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of multipoint.wms.end_of_day_check; documentation in plugins/modules/end_of_day_check.py."""

from __future__ import annotations

from ansible_collections.multipoint.wms.plugins.plugin_utils._action_base import WmsAction
from ansible_collections.multipoint.wms.plugins.plugin_utils._role_check import end_of_day_check


class ActionModule(WmsAction):
    """Runs on the controller only; it contacts no host."""

    _requires_connection = False

    def task(self, task_vars: dict) -> dict:
        return end_of_day_check(self, task_vars)
