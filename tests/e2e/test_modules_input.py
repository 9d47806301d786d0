"""Bad task options fail on the controller before any host is contacted, in check mode too
(each bad task runs twice: as is, and with ``check_mode: true``).

The proof is the simulator's own counter of WS-Man messages: it stays at 0 on every host while
each task fails with a message that names the option.
"""

from __future__ import annotations

SCENARIO = """
defaults:
  auth: basic
  sessions:
    - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
hosts:
  - {name: mp2016, generation: "2016"}
  - {name: rds, generation: "none"}
"""
HOSTS = ("mp2016", "rds")

# task name -> (module, options as YAML flow mapping, text the failure must hold)
BAD = {
    "session 0": ("session_disconnect", "{session_id: 0}", "session_id: 0 is out of range"),
    "id and all": ("session_disconnect", "{session_id: 2, all: true}", "mutually exclusive"),
    "filter with id": ("session_disconnect", "{session_id: 2, users: [alice]}", "cannot be combined with session_id"),
    "timeout 0": ("session_disconnect", "{all: true, timeout: 0}", "timeout: 0 is out of range"),
    "bool id": ("session_disconnect", "{session_id: true}", "got the boolean true"),
    "two backslashes": ("session_disconnect", "{all: true, users: ['LAB\\x\\y']}",
                        "'LAB\\x\\y' has more than one backslash"),
    "disconnected state": ("session_disconnect", "{all: true, states: [Disconnected]}",
                           "Active, Connected, ConnectQuery, Shadow, Idle. Got no match for: Disconnected"),
    "long text": ("session_message", "{session_id: 2, text: \"{{ 'x' * 10001 }}\"}", "10001 characters"),
    "negative display": ("session_message", "{all: true, text: hi, display_seconds: -1}", "display_seconds: -1"),
    "unknown state": ("session_info", "{states: [Asleep]}", "Got no match for: Asleep"),
    # Values ansible would quietly turn into something else, or exclusions that can never match.
    "text as a list": ("session_message", "{all: true, text: [a, b]}", "text: got a list; give a string"),
    "dict exclusion": ("session_disconnect", "{all: true, exclude_users: {LAB: teacher}}", "got a dictionary"),
    "tab in exclusion": ("session_disconnect", '{all: true, exclude_users: ["LAB\\teacher01"]}',
                         "control character (TAB)"),
    "dns exclusion": ("session_message", "{all: true, text: hi, exclude_users: [teacher@lab.example.com]}",
                      "DNS domain"),
}

PLAYBOOK = "- hosts: wms\n  gather_facts: false\n  tasks:\n" + "".join(
    f"    - name: {name}{suffix}\n      multipoint.wms.{module}: {options}\n      ignore_errors: true\n{check}"
    for name, (module, options, _) in BAD.items()
    for suffix, check in (("", ""), (" (check)", "      check_mode: true\n"))
)


def test_bad_options_fail_before_any_host_is_contacted(fleet):
    run = fleet.playbook(PLAYBOOK)
    for name, (_, _, text) in BAD.items():
        for task in (name, f"{name} (check)"):
            for host in HOSTS:
                found = run.one(task, host)
                assert found["status"] == "failed", (task, host, found["result"])
                assert text in found["result"]["msg"], (task, found["result"]["msg"])
    for host, host_state in fleet.state().items():
        assert host_state["messages"] == 0 and host_state["commands"] == 0, host
        assert host_state["events"] == []
