# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options the three session modules share: who is selected, how the host is read, what unreachable means."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  users:
    description:
      - Only sessions of these users. C(DOMAIN\user), C(user@DOMAIN) or a bare C(user) (any domain),
        case-insensitive; C(*) and C(?) are wildcards. DOMAIN is the short (NetBIOS) name sessions
        carry; a DNS domain (C(user@lab.example.com)) could never match and is refused.
      - A pattern with a control character is refused. In a double-quoted YAML string C("LAB\teacher")
        holds a TAB, not a backslash; write patterns in single quotes.
      - Leave out to select every user. M(multipoint.wms.session_disconnect) and
        M(multipoint.wms.session_message) apply the filters only when
        their option C(all) is V(true).
    type: list
    elements: str
  exclude_users:
    description:
      - Never select the sessions of these users. Same format as O(users).
      - Patterns that match no user session of the host are listed in RV(unmatched_exclusions).
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
  on_unreachable:
    description:
      - What it means when the host cannot be reached (connection refused, credentials rejected,
        WinRM failing before the agent runs).
      - V(unreachable) is Ansible's usual unreachable host.
      - V(fail) fails the task instead, with RV(unreachable_host=true) in the result, so that a
        block's C(rescue) and C(always) sections still run for the host (the C(multipoint.wms.end_of_day)
        role uses this to keep such hosts in its report). The message never holds any part of a password.
    type: str
    choices: [unreachable, fail]
    default: unreachable
notes:
  - "Verbosity: with C(-vvv) every call of the agent prints one line: the host, the action, the backend asked for
    and the one used, the MultiPoint generation, the time it took (round trip and inside the agent) and the session
    ids. With C(-vvvv) it also prints the request as sent (message texts cut short) and the agent's raw answer.
    Nothing secret is printed at any level."
"""
