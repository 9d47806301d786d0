# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the work is done on the controller by
# plugins/action/session_info.py and on the host by the agent.

DOCUMENTATION = r"""
---
module: session_info
short_description: List user sessions on Windows MultiPoint servers and RDS hosts
version_added: 0.1.0
description:
  - Lists the sessions of a Windows MultiPoint server (MultiPoint Server 2011/2012, or the
    MultiPoint Services role of Windows Server 2016) or of any Remote Desktop session host, with the
    same fields and filters as M(multipoint.wms.session_disconnect).
  - Reads C(Get-WmsSession) (2012 without arguments, 2016 with C(-All)) joined with the connect state
    from the WTS API; never parses the localized text of C(qwinsta) or C(quser).
  - Runs one command on the host and changes nothing.
options:
  session_id:
    description: Only these session ids. Ids that do not exist are warned about.
    type: list
    elements: int
  states:
    description: Only sessions in these WTS connect states.
    type: list
    elements: str
    choices: [Active, Connected, ConnectQuery, Shadow, Disconnected, Idle, Listen, Reset, Down, Init]
  diagnose:
    description:
      - Also return RV(diagnostics), what a first contact with a server needs to know - the PowerShell
        and CLR versions, the language mode, whether the account is elevated, how the MultiPoint module was
        found (name, path, version), the parameters of C(Get-WmsSession) and C(Disconnect-WmsSession) that
        decided the generation, the shape of C(Get-WmsSession)'s output (container and the .NET type of each
        property of the first session), the WTS API, the local Administrators group, and timings.
      - Read-only like the rest of the module; the diagnostics are returned even when the request fails.
      - C(playbooks/first_contact.yml) runs it on every host and writes a file to attach to a bug report.
    type: bool
    default: false
  include_system:
    description:
      - Also list sessions that are not user sessions - session 0 (services), listeners, and sessions
        where nobody is logged on.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - multipoint.wms.attributes.session
  - multipoint.wms.session_options
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same way in check mode.
  diff_mode:
    support: none
seealso:
  - module: multipoint.wms.session_disconnect
  - module: multipoint.wms.session_message
author:
  - multipoint.wms maintainers (@multipoint-wms)
"""

EXAMPLES = r"""
- name: List the user sessions
  multipoint.wms.session_info:
  register: info

- name: Show who is still connected
  ansible.builtin.debug:
    msg: "{{ info.sessions | selectattr('state', 'in', ['Active', 'Idle']) | map(attribute='account') | list }}"

- name: Sessions of students that are disconnected
  multipoint.wms.session_info:
    users: ['LAB\student*']
    states: [Disconnected]

- name: Everything, services session and listeners included
  multipoint.wms.session_info:
    include_system: true

- name: First contact with a server - what it runs and how the agent sees it (read-only)
  multipoint.wms.session_info:
    diagnose: true
  register: first_contact
"""

RETURN = r"""
diagnostics:
  description: With O(diagnose=true), what the agent found on the host (see O(diagnose)).
  returned: when O(diagnose=true) and the agent answered
  type: dict
  sample:
    powershell_version: '5.1.14393.0'
    clr_version: '4.0.30319.42000'
    language_mode: FullLanguage
    os_version: '10.0.14393.0'
    elevated: true
    module: {name: MultiPoint, version: '1.0.0.0', path: 'C:\Windows\system32\WindowsPowerShell\v1.0\Modules\MultiPoint\MultiPoint.psd1', found_by: Get-Command}
    generation: '2016'
    evidence: {get_wmssession: [SessionId, All, Server], disconnect_wmssession: [SessionId, All, Server, WhatIf, Confirm]}
    wms_session_properties: {container: per_session, collection_type: null, count: 2,
                             properties: [{name: SessionId, type: System.Int32}, {name: UserName, type: System.String}]}
    wts: {available: true, sessions: 4, error: null}
    administrators: {readable: true, complete: true, members: 3}
    timings: {detect_ms: 420, wms_read_ms: 95, wts_ms: 3}
unmatched_exclusions:
  description:
    - Patterns of O(exclude_users) that match no user session on this host. An exclusion that matches
      nobody anywhere is usually a typo that protects no one; the C(multipoint.wms.end_of_day) role
      reports those that match nothing on any host.
  returned: always
  type: list
  elements: str
  sample: ['LAB\teacher01']
notes:
  description: Facts about how the host was handled that are worth knowing, for example that no MultiPoint module
    was found and the WTS API was used instead.
  returned: always
  type: list
  elements: str
  sample: ['no MultiPoint module was found (tried MultiPoint, WmsCmdlets, WmsCmdlets3), so the WTS API was used']
unreachable_host:
  description: The host could not be reached and O(on_unreachable=fail) made that a failed task.
  returned: when the host could not be reached and O(on_unreachable=fail)
  type: bool
  sample: true
sessions:
  description: The sessions that pass the filters, by id.
  returned: success
  type: list
  elements: dict
  sample:
    - {id: 3, user: alice, domain: LAB, account: LAB\alice, station: 1, client: '', is_admin: false, state: Active,
       wms_state: ConnectedToStation, wms_listed: true, win_station: Console, system: null}
  contains:
    id:
      description: Session id.
      type: int
      sample: 3
    user:
      description: User name, empty when nobody is logged on.
      type: str
      sample: alice
    domain:
      description: Domain (or computer) of the user.
      type: str
      sample: LAB
    account:
      description: C(DOMAIN\user).
      type: str
      sample: LAB\alice
    station:
      description: MultiPoint station id (0 for a remote session); null on the WTS backend.
      type: int
      sample: 1
    client:
      description: Name of the client computer of a remote session.
      type: str
      sample: LAB-PC-07
    is_admin:
      description: Whether the user is an administrator; null when unknown.
      type: bool
      sample: false
    state:
      description: WTS connect state.
      type: str
      sample: Active
    wms_state:
      description: MultiPoint's own C(State); null when MultiPoint does not list the session.
      type: str
      sample: ConnectedToStation
    wms_listed:
      description: Whether C(Get-WmsSession) listed the session.
      type: bool
      sample: true
    win_station:
      description: WTS window station name.
      type: str
      sample: RDP-Tcp#3
    system:
      description: Why this is not a user session (with O(include_system=true)), else null.
      type: str
      sample: null
count:
  description: Number of sessions returned.
  returned: success
  type: int
  sample: 12
states:
  description: Number of returned sessions per connect state.
  returned: success
  type: dict
  sample: {Active: 10, Disconnected: 2}
generation:
  description: MultiPoint generation of the host (C(none) on RDS hosts; null with O(backend=wts)).
  returned: success
  type: str
  sample: '2012'
backend:
  description: What read the sessions.
  returned: success
  type: str
  sample: multipoint-2012
module:
  description: Name and version of the MultiPoint module that was loaded, null when none.
  returned: success
  type: dict
  sample: {name: MultiPoint, version: 1.0.0.0}
host:
  description: What the agent found about the host.
  returned: success
  type: dict
  sample: {computer: MPS-01, ps_version: 5.1.14393.0, os_version: 10.0.14393.0, elevated: true}
"""
