# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of multipoint.wms.session_disconnect; documentation in plugins/modules/session_disconnect.py."""

from __future__ import annotations

from ansible_collections.multipoint.wms.plugins.plugin_utils._action_base import (
    WmsAction,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._session_tasks import (
    session_disconnect,
)


class ActionModule(WmsAction):
    """Decides on the controller; the host only runs the agent (docs/agent-protocol.md)."""

    def task(self, task_vars: dict) -> dict:
        return session_disconnect(self, task_vars)
