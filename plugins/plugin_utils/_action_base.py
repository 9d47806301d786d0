# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's action plugins: each one only names the task it runs.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class WmsAction(ActionBase):
    """Runs on the controller: check mode is supported, async is not, the task makes the result."""

    TRANSFERS_FILES = False
    _requires_connection = True

    def task(self, task_vars: dict) -> dict:
        """The module's whole work; the result keys to add."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        result.update(self.task(task_vars or {}))
        return result
