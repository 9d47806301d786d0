# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of multipoint.wms.session_info; documentation in plugins/modules/session_info.py."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.multipoint.wms.plugins.plugin_utils._action import session_info


class ActionModule(ActionBase):
    """Runs on the controller; the host only runs the agent (docs/agent-protocol.md)."""

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        result.update(session_info(self, task_vars))
        return result
