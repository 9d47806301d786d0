# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options the three session modules share: who is selected, and which backend reads the host."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  users:
    description:
      - Only sessions of these users. C(DOMAIN\user) or a bare C(user) (any domain),
        case-insensitive; C(*) and C(?) are wildcards.
      - Leave out to select every user. M(multipoint.wms.session_disconnect) and
        M(multipoint.wms.session_message) apply the filters only with O(all=true).
    type: list
    elements: str
  exclude_users:
    description:
      - Never select the sessions of these users. Same format as O(users).
    type: list
    elements: str
  exclude_admins:
    description:
      - Leave out sessions of administrators (MultiPoint's C(IsAdmin); on RDS hosts, members of the
        local Administrators group).
      - Sessions whose administrator status cannot be read are left out too, with the reason in
        the result's C(excluded) list.
    type: bool
    default: false
  backend:
    description:
      - V(auto) uses the MultiPoint cmdlets when the module is present, else the WTS API.
      - V(multipoint) fails clearly when the MultiPoint module is missing.
      - V(wts) uses the WTS API only (RDS session hosts, or to bypass MultiPoint).
    type: str
    choices: [auto, multipoint, wts]
    default: auto
"""
