"""The three modules against hosts with injected faults, through ansible-playbook and WinRM.

One fleet and one playbook run serve every test here: each host carries one fault, each test
reads what the modules reported for its host and checks it against the simulator's own state
and event log. The hosts that work share the plays with the broken ones, so a fault on one host
is seen not to spill over onto the others.
"""

from __future__ import annotations

import pytest
from wmssim.fleet.playbooks import PlaybookRun
from wmssim.fleet.running import RunningFleet

TIMEOUT = 2  # seconds given to session_disconnect on the hanging hosts

SCENARIO = """
defaults:
  generation: "2016"
  auth: basic
  sessions:
    - {id: 2, user: student0001, domain: LAB, station: 1, state: Active}
    - {id: 3, user: student0002, domain: LAB, station: 2, state: Active}
    - {id: 4, user: student0003, domain: LAB, station: 0, client: PC-04, state: Disconnected}
    - {id: 5, user: teacher01, domain: LAB, station: 3, admin: true, state: Active}
hosts:
  - {name: ok-01}
  - {name: ok-02, auth: ntlm}
  - {name: hang-2016, faults: {disconnect_hangs: true}}
  - {name: hang-2012, generation: "2012", faults: {disconnect_hangs: true}}
  - {name: noop-01, faults: {disconnect_noop: true}}
  - {name: nomodule-01, faults: {module_missing: true}}
  - {name: denied-01, faults: {access_denied: true}}
  - {name: race-01, faults: {logoff_race: [3]}}
  - {name: race-02, faults: {logoff_race: [3]}}
  - {name: garbage-prefix, faults: {garbage_stdout: prefix}}
  - {name: garbage-replace, faults: {garbage_stdout: replace}}
  - {name: badauth-01, faults: {auth_failure: true}}
  - {name: down-01, faults: {down: true}}
  - {name: http500-command, faults: {http_500: Command}}
  - {name: http500-create, faults: {http_500: Create}}
"""

# Play 1: the hosts whose timing matters, each timing its own task (the free strategy).
# Play 2: every other host disconnects (race-02 is kept for play 5).
# Play 3: what a missing module means with each backend, for every module.
# Play 4: access denied for reading (MultiPoint) and for acting (WTS), and noise for session_info.
# Play 5: the logoff race when the sessions are read by one command and acted on by another.
PLAYBOOK = f"""
- name: timed disconnects
  hosts: ok-01:hang-2016:hang-2012:noop-01
  gather_facts: false
  strategy: free
  tasks:
    - name: start
      ansible.builtin.set_fact:
        t0: "{{{{ now().timestamp() }}}}"
    - name: disconnect
      multipoint.wms.session_disconnect:
        session_id: "{{{{ [2, 3] if inventory_hostname == 'ok-01' else [2] }}}}"
        timeout: {TIMEOUT}
      ignore_errors: true
    - name: elapsed
      ansible.builtin.set_fact:
        elapsed: "{{{{ now().timestamp() - (t0 | float) }}}}"

- name: disconnect on every other host
  hosts: wms:!ok-01:!hang-2016:!hang-2012:!noop-01:!race-02
  gather_facts: false
  tasks:
    - name: disconnect
      multipoint.wms.session_disconnect:
        session_id: "{{{{ [2, 3] if inventory_hostname in ['ok-02', 'race-01'] else [2] }}}}"
        timeout: {TIMEOUT}
      ignore_errors: true
    - name: after
      ansible.builtin.debug:
        msg: still in the play

- name: a missing MultiPoint module
  hosts: nomodule-01
  gather_facts: false
  tasks:
    - name: disconnect multipoint
      multipoint.wms.session_disconnect:
        session_id: 2
        backend: multipoint
      ignore_errors: true
    - name: info multipoint
      multipoint.wms.session_info:
        backend: multipoint
      ignore_errors: true
    - name: message multipoint
      multipoint.wms.session_message:
        session_id: 3
        text: hello
        backend: multipoint
      ignore_errors: true
    - name: disconnect auto
      multipoint.wms.session_disconnect:
        session_id: 2
    - name: info auto
      multipoint.wms.session_info:

- name: access denied and noise
  hosts: denied-01:garbage-prefix:garbage-replace:ok-01
  gather_facts: false
  tasks:
    - name: info
      multipoint.wms.session_info:
      ignore_errors: true
    - name: disconnect wts
      multipoint.wms.session_disconnect:
        session_id: 3
        backend: wts
      ignore_errors: true
      when: inventory_hostname == 'denied-01'
    - name: message
      multipoint.wms.session_message:
        session_id: 5
        text: hello
      ignore_errors: true
      when: inventory_hostname == 'denied-01'

- name: the race between reading and acting
  hosts: race-02
  gather_facts: false
  tasks:
    - name: disconnect all
      multipoint.wms.session_disconnect:
        all: true
        users: ['student*']
"""


@pytest.fixture(scope="module")
def faults(fleet: RunningFleet) -> tuple[PlaybookRun, dict]:
    """The playbook's run and the fleet's state after it."""
    run = fleet.playbook(PLAYBOOK, args=["--forks", "20"])
    return run, fleet.state()


def by_id(host_state: dict) -> dict[int, dict]:
    return {s["id"]: s for s in host_state["sessions"]}


def state_events(host_state: dict) -> list[dict]:
    return [e for e in host_state["events"] if e["kind"] == "state"]


def outcomes(result: dict) -> dict[int, str]:
    return {s["id"]: s["outcome"] for s in result["sessions"]}


def elapsed(run: PlaybookRun, host: str) -> float:
    """Seconds from before the host's disconnect task to after it, as the host's play saw them."""
    return float(run.one("elapsed", host)["result"]["ansible_facts"]["elapsed"])


def assert_took_about_the_timeout(run: PlaybookRun, host: str) -> None:
    """At least the timeout, and not much more than a working host's same task plus the timeout
    (ansible's own overhead, which grows on a busy machine, is in both)."""
    seconds = elapsed(run, host)
    assert seconds >= TIMEOUT
    assert seconds - elapsed(run, "ok-01") < TIMEOUT + 3


def test_working_hosts_succeed_beside_the_broken_ones(faults):
    run, state = faults
    for host in ("ok-01", "ok-02"):
        task = run.one("disconnect", host)
        assert task["status"] == "ok", task
        assert task["result"]["disconnected"] == [2, 3] and task["result"]["changed"] is True
        assert {e["session"] for e in state_events(state[host])} == {2, 3}
        assert by_id(state[host])[5]["state"] == "Active"
    # A working host does not wait for the timeout that a hanging host in the same play waits for.
    assert elapsed(run, "ok-01") + 1 < elapsed(run, "hang-2016")
    assert run.rc != 0  # the play as a whole reports the broken hosts


@pytest.mark.parametrize("host", ["hang-2016", "hang-2012"])
def test_a_hanging_disconnect_times_out_after_the_timeout(faults, host):
    run, state = faults
    task = run.one("disconnect", host)
    result = task["result"]
    assert task["status"] == "failed"
    assert outcomes(result) == {2: "timed_out"}
    assert result["failed_ids"] == [2] and result["disconnected"] == [] and result["changed"] is False
    session = result["sessions"][0]
    assert session["state_after"] == "Active"
    assert "TimeoutException" in session["message"] and f"within {TIMEOUT} s" in session["message"]
    assert_took_about_the_timeout(run, host)  # not at once, not forever
    assert state_events(state[host]) == [] and by_id(state[host])[2]["state"] == "Active"


def test_a_disconnect_that_does_nothing_is_not_reported_as_done(faults):
    run, state = faults
    task = run.one("disconnect", "noop-01")
    result = task["result"]
    assert task["status"] == "failed"
    assert outcomes(result) == {2: "timed_out"} and result["failed_ids"] == [2]
    message = result["sessions"][0]["message"]
    assert "reported success" in message and f"still Active after {TIMEOUT} s" in message
    assert_took_about_the_timeout(run, "noop-01")  # it waited for the state to change, then gave up
    assert state_events(state["noop-01"]) == [] and by_id(state["noop-01"])[2]["state"] == "Active"
    # It was asked for real, not in check mode.
    assert [r["what_if"] for r in state["noop-01"]["agent_requests"]] == [False]


def test_a_missing_module_with_backend_multipoint_fails_with_the_exact_message(faults):
    run, state = faults
    expected = ("MultiPoint Services PowerShell module not found on nomodule-01; "
                "use backend=wts for RDS hosts")
    for task_name in ("disconnect multipoint", "info multipoint", "message multipoint"):
        task = run.one(task_name, "nomodule-01")
        assert task["status"] == "failed", task
        assert task["result"]["msg"] == expected
    host = state["nomodule-01"]
    # The first play's auto-backend disconnect and play 2's auto task act; nothing else did.
    causes = {e["session"]: e["cause"] for e in state_events(host)}
    assert set(causes) == {2}
    assert "WTSDisconnectSession" in causes[2]
    assert not [e for e in host["events"] if e["kind"] == "message"]


def test_a_missing_module_with_backend_auto_falls_back_to_wts(faults):
    run, _ = faults
    first = run.one("disconnect", "nomodule-01")["result"]  # play 1, auto backend
    assert first["backend"] == "wts" and first["generation"] == "none"
    assert first["disconnected"] == [2] and first["sessions"][0]["state_after"] == "Disconnected"
    again = run.one("disconnect auto", "nomodule-01")["result"]
    assert again["backend"] == "wts" and again["changed"] is False
    assert outcomes(again) == {2: "already_disconnected"}
    info = run.one("info auto", "nomodule-01")["result"]
    assert info["backend"] == "wts" and info["generation"] == "none" and info["module"] is None
    assert {s["id"]: (s["state"], s["wms_listed"], s["station"]) for s in info["sessions"]} == {
        2: ("Disconnected", False, None), 3: ("Active", False, None),
        4: ("Disconnected", False, None), 5: ("Active", False, None),
    }


def test_access_denied_fails_with_the_elevation_hint(faults):
    run, state = faults
    hint = "elevated administrator"
    task = run.one("disconnect", "denied-01")
    assert task["status"] == "failed"
    assert task["result"]["msg"].startswith("Access denied on denied-01")
    assert "UnauthorizedAccessException" in task["result"]["msg"] and hint in task["result"]["msg"]
    info = run.one("info", "denied-01")
    assert info["status"] == "failed" and hint in info["result"]["msg"]
    # With the WTS backend the sessions can be read, but the disconnect itself is refused.
    wts = run.one("disconnect wts", "denied-01")
    assert wts["status"] == "failed" and outcomes(wts["result"]) == {3: "failed"}
    message = wts["result"]["sessions"][0]["message"]
    assert "WTSDisconnectSession" in message and "Access is denied" in message and hint in message
    sent = run.one("message", "denied-01")
    assert sent["status"] == "failed" and hint in sent["result"]["msg"]
    assert state["denied-01"]["events"] == []
    assert {s["id"]: s["state"] for s in state["denied-01"]["sessions"]} == {
        0: "Disconnected", 2: "Active", 3: "Active", 4: "Disconnected", 5: "Active", 65536: "Listen",
    }


def test_a_session_that_logs_off_before_the_disconnect_is_not_found_and_unchanged(faults):
    run, state = faults
    task = run.one("disconnect", "race-01")
    result = task["result"]
    assert task["status"] == "ok" and result["failed_ids"] == []
    assert outcomes(result) == {2: "disconnected", 3: "not_found"}
    assert result["unchanged"] == [3] and result["disconnected"] == [2]
    assert any("3" in w and "missing=ignore" in w for w in result["warnings"])
    host = state["race-01"]
    assert 3 not in by_id(host)
    assert [(e["session"], e["kind"], e["cause"]) for e in host["events"]][0] == (3, "logoff", "fault: logoff_race")
    assert {e["session"] for e in state_events(host)} == {2}


def test_the_logoff_race_between_two_commands_of_all_true(faults):
    run, state = faults
    result = run.one("disconnect all", "race-02")["result"]
    assert result["agent_commands"] == 2
    assert outcomes(result) == {2: "disconnected", 3: "not_found", 4: "already_disconnected"}
    gone = next(s for s in result["sessions"] if s["id"] == 3)
    assert "ended before it could be disconnected" in gone["message"]
    # What was read when it was selected is kept: whose session it was, and its state then.
    assert gone["account"] == "LAB\\student0002" and gone["state_before"] == "Active" and gone["state_after"] is None
    assert sorted(result["unchanged"]) == [3, 4] and result["failed_ids"] == []
    assert {e["session"] for e in state_events(state["race-02"])} == {2}
    assert state["race-02"]["commands"] == 2  # the inventory, then the disconnect


def test_noise_before_the_answer_is_ignored_with_a_warning(faults):
    run, state = faults
    result = run.one("disconnect", "garbage-prefix")["result"]
    assert result["disconnected"] == [2] and result["failed_ids"] == []
    assert run.one("disconnect", "garbage-prefix")["status"] == "ok"
    assert any("unexpected line" in w and "Windows PowerShell" in w for w in result["warnings"])
    info = run.one("info", "garbage-prefix")["result"]
    assert info["count"] == 4 and any("unexpected line" in w for w in info["warnings"])
    assert {e["session"] for e in state_events(state["garbage-prefix"])} == {2}


def test_output_that_is_only_noise_fails_showing_its_first_bytes(faults):
    run, state = faults
    for task_name in ("disconnect", "info"):
        task = run.one(task_name, "garbage-replace")
        assert task["status"] == "failed"
        msg = task["result"]["msg"]
        assert "not the agent's JSON document" in msg
        assert "first bytes of stdout: 'Windows PowerShell" in msg
    # The agent ran (the noise only hid its answer): the disconnect did happen.
    assert {e["session"] for e in state_events(state["garbage-replace"])} == {2}


@pytest.mark.parametrize("host", ["badauth-01", "down-01", "http500-create"])
def test_hosts_that_cannot_be_reached_are_unreachable(faults, host):
    run, state = faults
    task = run.one("disconnect", host)
    assert task["status"] == "unreachable", task
    assert run.of("after", host) == []  # the host left the play
    assert state[host]["events"] == [] and state[host]["commands"] == 0
    assert f"{host}" in run.stdout and "UNREACHABLE" in run.stdout


def test_a_fault_on_the_command_message_fails_the_task_with_the_fault_text(faults):
    run, state = faults
    task = run.one("disconnect", "http500-command")
    assert task["status"] == "failed"
    assert "The system cannot find the file specified" in task["result"]["msg"]
    host = state["http500-command"]
    assert host["messages_by_action"].get("Command") == 1 and host["commands"] == 0
    assert host["events"] == []
