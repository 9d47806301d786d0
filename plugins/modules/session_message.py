# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the work is done on the controller by
# plugins/action/session_message.py and on the host by the agent.

DOCUMENTATION = r"""
---
module: session_message
short_description: Show a message box in user sessions on MultiPoint servers and RDS hosts
version_added: 0.1.0
description:
  - Shows a message box (title, text, an OK button) in the chosen sessions with the WTS API's
    C(WTSSendMessage). MultiPoint has no message cmdlet, so this works the same on MultiPoint 2012,
    MultiPoint 2016 and RDS hosts.
  - The module does not wait for users to close the box.
  - The text is data from end to end; quotes, C($()), backticks and newlines arrive as written and
    are never run.
options:
  session_id:
    description: One session id or a list of them. Mutually exclusive with O(all).
    type: list
    elements: int
  all:
    description: Every user session that passes the filters. Mutually exclusive with O(session_id).
    type: bool
    default: false
  states:
    description: Sessions in these connect states get the message. Nobody can read a message in a disconnected session.
    type: list
    elements: str
    choices: [Active, Connected, ConnectQuery, Shadow, Idle]
    default: [Active, Connected, Idle]
  title:
    description: Title of the message box (up to 256 characters).
    type: str
    default: Message from your administrator
  text:
    description: The message (up to 10000 characters; newlines allowed).
    type: str
    required: true
  display_seconds:
    description: How long the box stays before it closes by itself, 0 to 86400 seconds; 0 keeps it until the user closes it.
    type: int
    default: 60
  missing:
    description: A session id that does not exist is V(ignore)d with a warning, or V(fail)s the task.
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
    details: Reads the sessions and reports who would get the message; sends nothing.
  diff_mode:
    support: none
seealso:
  - module: multipoint.wms.session_disconnect
  - module: community.windows.win_msg
    description: Sends a message with msg.exe to every session or one user.
author:
  - multipoint.wms maintainers (@multipoint-wms)
"""

EXAMPLES = r"""
- name: Warn every student that sessions end in ten minutes
  multipoint.wms.session_message:
    all: true
    users: ['LAB\student*']
    title: Lab closing
    text: |
      The lab closes in 10 minutes.
      Please save your work now.
    display_seconds: 600

- name: Tell one session
  multipoint.wms.session_message:
    session_id: 4
    text: Your session will be disconnected at 18:00.
"""

RETURN = r"""
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
sent_accounts:
  description: The accounts that got the message (in check mode, that would get it), in the order sent.
  returned: always
  type: list
  elements: str
  sample: ['LAB\student01', 'LAB\student02']
sessions:
  description: One entry per session the message was (or in check mode, would be) sent to, or that failed.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: 3, user: alice, domain: LAB, account: LAB\alice, state: Active, outcome: sent, message: ''}
  contains:
    id:
      description: Session id.
      type: int
      sample: 3
    account:
      description: C(DOMAIN\user).
      type: str
      sample: LAB\alice
    state:
      description: Connect state when the message was sent.
      type: str
      sample: Active
    outcome:
      description: What happened.
      type: str
      choices: [sent, would_send, not_found, user_changed, failed]
      sample: sent
    message:
      description: Details, for example the error of a failed send.
      type: str
      sample: ''
excluded:
  description: Sessions left out by the filters or because nobody can read a message there, and why.
  returned: always
  type: list
  elements: dict
  sample: [{id: 5, account: LAB\bob, state: Disconnected, reason: "state Disconnected not in states"}]
sent:
  description: Ids the message was sent to (in check mode, would be sent to).
  returned: always
  type: list
  elements: int
  sample: [3, 4]
failed_ids:
  description: Ids the message could not be sent to (and ids not found when O(missing=fail)).
  returned: always
  type: list
  elements: int
  sample: []
backend:
  description: What read the sessions.
  returned: when the agent answered
  type: str
  sample: multipoint-2016
generation:
  description: MultiPoint generation of the host.
  returned: when the agent answered
  type: str
  sample: '2016'
agent_commands:
  description: Commands run on the host (at most 2).
  returned: always
  type: int
  sample: 2
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: Sent the message to 2 sessions on mps-01
"""
