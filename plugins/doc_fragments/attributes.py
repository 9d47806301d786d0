# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every module of a kind shares: the session modules (agent on a Windows host) and the
controller-only modules of the end_of_day role. Use with ansible.builtin.action_common_attributes(.flow)."""

from __future__ import annotations


class ModuleDocFragment:
    SESSION = r"""
attributes:
  action:
    support: full
    details: Every decision is made on the controller; the host only runs the agent, sent on stdin.
  async:
    support: none
  bypass_host_loop:
    support: none
  platform:
    platforms: windows
"""

    CONTROLLER = r"""
attributes:
  action:
    support: full
    details: Runs on the controller only; it contacts no host.
  async:
    support: none
  bypass_host_loop:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller.
"""
