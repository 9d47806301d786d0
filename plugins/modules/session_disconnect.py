# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the work is done on the controller by
# plugins/action/session_disconnect.py and on the host by the agent.

DOCUMENTATION = r"""
---
module: session_disconnect
short_description: Disconnect user sessions on Windows MultiPoint servers and RDS hosts
version_added: 0.1.0
description:
  - Disconnects user sessions on a Windows MultiPoint server (MultiPoint Server 2011/2012, or the
    MultiPoint Services role of Windows Server 2016) or, through the WTS API, on any Remote Desktop
    session host. A disconnected session keeps running; its user can reconnect later.
  - Sessions are chosen by id with O(session_id), or with O(all=true) and the filters O(users),
    O(exclude_users), O(exclude_admins) and O(states).
  - On MultiPoint 2012 it calls C(Disconnect-WmsSession -SessionId <id> -TimeoutInSecond <seconds left>)
    for one session after the other, all within O(timeout); on MultiPoint 2016 C(Disconnect-WmsSession -SessionId <ids>) and then waits up to O(timeout)
    seconds for the sessions to reach the Disconnected state; on RDS hosts C(WTSDisconnectSession).
    The generation is detected from the cmdlet's parameters, not from the Windows version.
  - The connect state is always read from the WTS API after acting, so the result reports what is
    true on the host, not what was asked. A session that is already disconnected is left alone and
    reported unchanged.
  - With O(all=true) the host is read first and then acted on; the second command names, per session,
    the user that was selected, and a session whose id now belongs to another user (the selected one
    logged off and the id was reused) is left alone and reported C(user_changed).
  - With explicit ids the module runs one command on the host; with O(all=true) it runs two (one
    to read the sessions, one to act). Session 0 (services) and listener sessions are never
    disconnected.
  - This is an action plugin. All decisions are made on the controller, and the host runs a small
    PowerShell agent that is sent on stdin. It works with C(ansible_connection=winrm) (tested),
    and should work with C(psrp) and with C(ssh) plus C(ansible_shell_type=powershell) (not tested).
    The host needs Windows PowerShell 3.0 or later.
options:
  session_id:
    description:
      - One session id or a list of them (integers from 1 to 2147483647).
      - Mutually exclusive with O(all). The filters cannot be combined with it.
    type: list
    elements: int
  all:
    description:
      - Target every user session that passes the filters O(users), O(exclude_users),
        O(exclude_admins) and O(states).
      - Mutually exclusive with O(session_id); one of the two is required.
    type: bool
    default: false
  states:
    description:
      - With O(all=true), only sessions in these WTS connect states.
      - Disconnected sessions that pass the user filters are always reported as C(already_disconnected).
    type: list
    elements: str
    choices: [Active, Connected, ConnectQuery, Shadow, Idle]
    default: [Active, Connected, ConnectQuery, Shadow, Idle]
  timeout:
    description:
      - Seconds, from 1 to 3600, for the whole host. The disconnect request ends within this time plus a few
        seconds on every generation, however many sessions there are and however many hang.
      - On MultiPoint 2012 (one cmdlet call per session) each call gets the time left as C(-TimeoutInSecond);
        sessions not reached before the time is up are reported C(timed_out) with a message that says so.
        On every host it is also how long to wait for the sessions to reach the Disconnected state.
      - A session that is not Disconnected in time is reported C(timed_out) and fails the task.
    type: int
    default: 30
  missing:
    description:
      - What a session id that does not exist (or that ends before it is disconnected) means.
      - V(ignore) counts it as unchanged (a session that is gone is as good as disconnected) and warns.
      - V(fail) fails the task.
    type: str
    choices: [ignore, fail]
    default: ignore
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - multipoint.wms.attributes.session
  - multipoint.wms.session_options
attributes:
  check_mode:
    support: full
    details:
      - Runs the same cmdlet call with C(-WhatIf), changes nothing, and reports what would be disconnected.
      - The WTS API has no what-if, so on RDS hosts nothing is called; the prediction rests on the account being an
        elevated administrator there (if it is not, each session is predicted to fail), and RV(verified) is false.
  diff_mode:
    support: full
    details: Shows the connect state of every targeted session before and after (predicted in check mode).
notes:
  - The account must be an elevated administrator on the host.
  - Disconnecting is not logging off; programs keep running in a disconnected session.
  - The id lists of the result are RV(disconnected), RV(unchanged) and RV(failed_ids); C(failed) is Ansible's
    own task status.
seealso:
  - module: multipoint.wms.session_info
  - module: multipoint.wms.session_message
  - name: The multipoint.wms.end_of_day role
    link: https://github.com/multipoint-wms/multipoint.wms/blob/main/roles/end_of_day/README.md
    description: Warn users, wait, disconnect and report across a fleet.
author:
  - multipoint.wms maintainers (@multipoint-wms)
"""

EXAMPLES = r"""
- name: Disconnect session 3
  multipoint.wms.session_disconnect:
    session_id: 3

- name: Disconnect two sessions, waiting up to 60 seconds each
  multipoint.wms.session_disconnect:
    session_id: [3, 5]
    timeout: 60

- name: Disconnect every student at the end of the day, but never administrators
  multipoint.wms.session_disconnect:
    all: true
    users: ['LAB\student*']
    exclude_admins: true

- name: Disconnect everyone except the teacher, only sessions that are idle
  multipoint.wms.session_disconnect:
    all: true
    exclude_users: [teacher]
    states: [Idle]

- name: Rehearse (check mode always, whatever the play says)
  multipoint.wms.session_disconnect:
    all: true
  check_mode: true
  register: would

- name: Show who would be disconnected
  ansible.builtin.debug:
    msg: "{{ would.sessions | selectattr('outcome', 'eq', 'would_disconnect') | map(attribute='account') | list }}"

- name: Use the WTS API on an RDS session host without MultiPoint
  multipoint.wms.session_disconnect:
    all: true
    backend: wts
"""

RETURN = r"""
backend:
  description: What acted on the host.
  returned: when the agent answered
  type: str
  sample: multipoint-2016
  choices: [multipoint-2012, multipoint-2016, wts]
generation:
  description: MultiPoint generation found on the host (C(none) on RDS hosts; null with O(backend=wts)).
  returned: when the agent answered
  type: str
  sample: '2016'
sessions:
  description: One entry per targeted session, in the order targeted.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: 3, user: alice, domain: LAB, account: LAB\alice, station: 1, client: '', is_admin: false, wms_state: ConnectedToStation,
       win_station: Console, state_before: Active, state_after: Disconnected, outcome: disconnected, message: ''}
  contains:
    id:
      description: Session id.
      type: int
      sample: 3
    user:
      description: User name, empty when unknown.
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
    wms_state:
      description: MultiPoint's own C(State) of the session, null when MultiPoint does not list it.
      type: str
      sample: ConnectedToStation
    win_station:
      description: WTS window station name.
      type: str
      sample: RDP-Tcp#3
    state_before:
      description: WTS connect state read just before acting; null when the session did not exist.
      type: str
      sample: Active
    state_after:
      description: WTS connect state read after acting (predicted in check mode); null when the session is gone.
      type: str
      sample: Disconnected
    outcome:
      description: What happened.
      type: str
      choices: [disconnected, already_disconnected, would_disconnect, not_found, user_changed, timed_out, failed]
      sample: disconnected
    message:
      description:
        - Details, for example the error the cmdlet raised.
        - C(user_changed) means the session id now belongs to another user than the one selected (the selected
          user logged off and Windows gave the id to the next logon); that session is left alone.
        - C(not_found) with O(all=true) keeps the account and state read when the session was selected.
      type: str
      sample: ''
excluded:
  description:
    - With O(all=true), user sessions the filters left out, and why.
    - Named C(excluded) because C(skipped) is Ansible's own task status.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: 4, user: teacher, domain: LAB, account: LAB\teacher, state: Active, reason: "administrator (exclude_admins)"}
disconnected:
  description: Ids disconnected (in check mode, ids that would be disconnected).
  returned: always
  type: list
  elements: int
  sample: [3, 5]
unchanged:
  description: Ids already disconnected, ids now used by another user (left alone), and ids not found when
    O(missing=ignore).
  returned: always
  type: list
  elements: int
  sample: [7]
failed_ids:
  description: Ids that failed or timed out (and ids not found when O(missing=fail)). The task fails when this is not empty.
  returned: always
  type: list
  elements: int
  sample: []
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
verified:
  description:
    - Check mode only. V(true) when the host checked the prediction (MultiPoint's C(-WhatIf)); V(false) on the WTS
      API, which has no what-if, where the prediction rests on the account being an elevated administrator.
  returned: in check mode, when the sessions were acted on
  type: bool
  sample: true
agent_commands:
  description: How many commands ran on the host (1 with O(session_id), at most 2 with O(all=true)).
  returned: always
  type: int
  sample: 1
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: Disconnected 2 sessions (3, 5); 1 already disconnected (7) on mps-01
"""
