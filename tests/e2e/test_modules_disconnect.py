"""multipoint.wms.session_disconnect end to end, on MultiPoint 2012, MultiPoint 2016 and an RDS host.

Every claim is checked against the simulator: its sessions, its event log (one ``state`` event
per session that changed, with the call that changed it), the requests the agent received and
the commands and WS-Man messages it served. The three hosts share one fleet; each test starts
from the scenario again (``wmssim reset``).
"""

from __future__ import annotations

from wmssim.fleet.playbooks import PlaybookRun

SCENARIO = """
defaults:
  auth: basic
  sessions:
    - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
    - {id: 3, user: Bob, domain: LAB, station: 0, client: PC-03, state: Idle}
    - {id: 4, user: carol, domain: LAB, station: 2, state: Disconnected}
    - {id: 5, user: teacher, domain: LAB, station: 3, admin: true, state: Active}
    - {id: 6, user: student01, domain: LAB, station: 4, state: Active}
    - {id: 7, user: Student02, domain: OTHER, station: 0, client: PC-07, state: Connected}
    - {id: 8, user: student10, domain: LAB, station: 5, state: Idle}
    - {id: 9, user: "", domain: "", station: 6, state: Connected}
    - {id: 10, user: dave, domain: LAB, station: 0, client: PC-10, state: Idle}
hosts:
  - {name: mp2012, generation: "2012"}
  - {name: mp2016, generation: "2016", auth: ntlm}
  - {name: rds, generation: "none"}
"""
HOSTS = ("mp2012", "mp2016", "rds")
INITIAL = {0: "Disconnected", 2: "Active", 3: "Idle", 4: "Disconnected", 5: "Active", 6: "Active",
           7: "Connected", 8: "Idle", 9: "Connected", 10: "Idle", 65536: "Listen"}
CALL = {"mp2012": "Disconnect-WmsSession", "mp2016": "Disconnect-WmsSession", "rds": "WTSDisconnectSession"}
BACKEND = {"mp2012": "multipoint-2012", "mp2016": "multipoint-2016", "rds": "wts"}


def play(*tasks: str) -> str:
    return "- hosts: wms\n  gather_facts: false\n  tasks:\n" + "".join(tasks)


def task(name: str, body: str, extra: str = "") -> str:
    """A session_disconnect task; ``body`` holds its options as YAML lines (6 spaces in)."""
    return f"    - name: {name}\n      multipoint.wms.session_disconnect:\n{body}{extra}"


def states(host_state: dict) -> dict[int, str]:
    return {s["id"]: s["state"] for s in host_state["sessions"]}


def state_events(host_state: dict) -> list[dict]:
    return [e for e in host_state["events"] if e["kind"] == "state"]


def outcomes(result: dict) -> dict[int, str]:
    return {s["id"]: s["outcome"] for s in result["sessions"]}


def result_of(run: PlaybookRun, name: str, host: str, status: str = "ok") -> dict:
    found = run.one(name, host)
    assert found["status"] == status, (found["status"], found["result"].get("msg"))
    return found["result"]


def assert_wire_counts(host_state: dict, tasks: int) -> None:
    """Each agent command is one WS-Man Command with its stdin in one Send; each task opens one
    WinRS shell (its commands share it) and deletes it."""
    counts = host_state["messages_by_action"]
    commands = host_state["commands"]
    assert (counts["Command"], counts["Send"]) == (commands, commands), counts
    assert (counts["Create"], counts["Delete"]) == (tasks, tasks), counts
    assert counts["Receive"] >= commands


# --- check mode ------------------------------------------------------------------------------------

CHECK_PLAY = play(
    task("explicit", "        session_id: [2, 3]\n"),
    task("filtered", "        all: true\n        users: ['student*']\n"),
)
CHECK_TASK_PLAY = play(
    task("explicit", "        session_id: [2, 5]\n", "      check_mode: true\n"),
    task("filtered", "        all: true\n        exclude_users: [alice, bob]\n", "      check_mode: true\n"),
)


def test_check_mode_changes_nothing_and_says_what_it_would_do(sim):
    run = sim.playbook(CHECK_PLAY, check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    state = sim.state()
    for host in HOSTS:
        explicit = result_of(run, "explicit", host)
        assert explicit["changed"] is True and explicit["backend"] == BACKEND[host]
        assert outcomes(explicit) == {2: "would_disconnect", 3: "would_disconnect"}
        assert explicit["disconnected"] == [2, 3] and explicit["unchanged"] == []
        assert [(s["state_before"], s["state_after"]) for s in explicit["sessions"]] == [
            ("Active", "Disconnected"), ("Idle", "Disconnected")]
        if host == "rds":  # the WTS API has no what-if: nothing is called, and the result says so
            assert all(s["message"].startswith("would be disconnected (unverified: the WTS API has no what-if")
                       for s in explicit["sessions"])
            assert explicit["verified"] is False
        else:
            assert all("Disconnect-WmsSession -WhatIf" in s["message"] for s in explicit["sessions"])
            assert explicit["verified"] is True
        diff = explicit["diff"]
        assert "predicted, check mode" in diff["after_header"]
        assert "session 2 LAB\\alice" in diff["before"] and ": Active\n" in diff["before"]
        assert diff["after"].count(": Disconnected\n") == 2
        filtered = result_of(run, "filtered", host)
        assert outcomes(filtered) == {6: "would_disconnect", 7: "would_disconnect", 8: "would_disconnect"}
        assert filtered["agent_commands"] == 2
        # The simulator: nothing changed, and every disconnect request carried what_if. The RDS
        # host gets the same request; its agent only checks the precondition (no call has a
        # what-if there), which the empty event log and the message above show.
        host_state = state[host]
        assert host_state["events"] == [] and states(host_state) == INITIAL
        requests = host_state["agent_requests"]
        assert [(r["action"], r["what_if"], r["ids"]) for r in requests] == [
            ("disconnect", True, [2, 3]), ("inventory", False, []), ("disconnect", True, [6, 7, 8])]
        assert host_state["commands"] == 3
    assert "-session 2 LAB\\alice (station 1): Active" in run.stdout
    assert "+session 2 LAB\\alice (station 1): Disconnected" in run.stdout


def test_check_mode_on_a_task_changes_nothing(sim):
    run = sim.playbook(CHECK_TASK_PLAY)
    state = sim.state()
    for host in HOSTS:
        explicit = result_of(run, "explicit", host)
        assert explicit["changed"] is True and outcomes(explicit) == {2: "would_disconnect", 5: "would_disconnect"}
        filtered = result_of(run, "filtered", host)
        # alice and Bob (matched case-insensitively) are left out; carol is already disconnected.
        assert outcomes(filtered) == {4: "already_disconnected", 5: "would_disconnect", 6: "would_disconnect",
                                      7: "would_disconnect", 8: "would_disconnect", 10: "would_disconnect"}
        assert {x["id"]: x["reason"] for x in filtered["excluded"]} == {
            2: "excluded by exclude_users (alice)", 3: "excluded by exclude_users (bob)"}
        host_state = state[host]
        assert host_state["events"] == [] and states(host_state) == INITIAL
        assert all(r["what_if"] for r in host_state["agent_requests"] if r["action"] == "disconnect")


# --- real runs -------------------------------------------------------------------------------------

REAL_PLAY = play(
    task("explicit", "        session_id: [2, 3]\n"),
    task("filtered", "        all: true\n        users: ['LAB\\student0?']\n"),
)


def test_a_real_run_disconnects_exactly_the_targets_and_a_second_run_changes_nothing(sim):
    first = sim.playbook(REAL_PLAY, diff=True)
    after_first = sim.state()
    second = sim.playbook(REAL_PLAY, diff=True)
    after_second = sim.state()
    for host in HOSTS:
        explicit = result_of(first, "explicit", host)
        assert explicit["changed"] is True and explicit["disconnected"] == [2, 3]
        assert outcomes(explicit) == {2: "disconnected", 3: "disconnected"}
        assert all(s["state_after"] == "Disconnected" for s in explicit["sessions"])
        assert explicit["agent_commands"] == 1
        diff = explicit["diff"]
        assert "predicted" not in diff["after_header"]
        assert diff["before"].splitlines()[1].endswith(": Idle") and diff["after"].count(": Disconnected") == 2
        filtered = result_of(first, "filtered", host)
        assert outcomes(filtered) == {6: "disconnected"} and filtered["agent_commands"] == 2
        excluded = {x["id"]: x["reason"] for x in filtered["excluded"]}
        assert excluded[7] == "not matched by users" and 2 in excluded  # OTHER\Student02; alice
        assert 9 not in excluded  # nobody is logged on in 9: not a user session at all
        # The simulator: one state event per disconnected session, naming the call; no others.
        host_state = after_first[host]
        events = state_events(host_state)
        assert [(e["session"], e["from"], e["to"]) for e in events] == [
            (2, "Active", "Disconnected"), (3, "Idle", "Disconnected"), (6, "Active", "Disconnected")]
        assert all(CALL[host] in e["cause"] for e in events)
        assert states(host_state) == {**INITIAL, 2: "Disconnected", 3: "Disconnected", 6: "Disconnected"}
        assert [r["what_if"] for r in host_state["agent_requests"] if r["action"] == "disconnect"] == [False, False]
        assert host_state["commands"] == 3  # 1 for the ids, 2 for all=true
        assert_wire_counts(host_state, tasks=2)
        # The second run: nothing to do, nothing done, one command for each task.
        again = result_of(second, "explicit", host)
        assert again["changed"] is False and outcomes(again) == {2: "already_disconnected", 3: "already_disconnected"}
        assert again["unchanged"] == [2, 3] and again["disconnected"] == []
        assert again["diff"]["before"] == again["diff"]["after"]
        again_filtered = result_of(second, "filtered", host)
        assert again_filtered["changed"] is False and outcomes(again_filtered) == {6: "already_disconnected"}
        assert again_filtered["agent_commands"] == 1  # nothing left to act on: no second command
        assert after_second[host]["events"] == host_state["events"]
        assert after_second[host]["commands"] == host_state["commands"] + 2
    assert "changed=0" in second.stdout and "changed=2" in first.stdout


# --- filters ---------------------------------------------------------------------------------------

FILTER_PLAY = play(
    task("users", "        all: true\n        users: ['lab\\ALICE', 'STUDENT1?']\n"),
    task("excludes", "        all: true\n        exclude_users: [bob, 'OTHER\\*']\n"
                     "        exclude_admins: true\n        states: [Active]\n"),
)


def test_filters_choose_the_sessions_and_leave_the_others_untouched(sim):
    run = sim.playbook(FILTER_PLAY)
    state = sim.state()
    for host in HOSTS:
        users = result_of(run, "users", host)
        assert outcomes(users) == {2: "disconnected", 8: "disconnected"}
        assert {x["id"]: x["reason"] for x in users["excluded"]} == {
            i: "not matched by users" for i in (3, 4, 5, 6, 7, 10)}
        excludes = result_of(run, "excludes", host)
        assert outcomes(excludes) == {2: "already_disconnected", 4: "already_disconnected",
                                      6: "disconnected", 8: "already_disconnected"}
        assert {x["id"]: x["reason"] for x in excludes["excluded"]} == {
            3: "excluded by exclude_users (bob)",
            5: "administrator (exclude_admins)",
            7: "excluded by exclude_users (OTHER\\*)",
            10: "state Idle not in states",
        }
        host_state = state[host]
        assert [e["session"] for e in state_events(host_state)] == [2, 8, 6]
        assert states(host_state) == {**INITIAL, 2: "Disconnected", 6: "Disconnected", 8: "Disconnected"}


# --- missing ids -----------------------------------------------------------------------------------

MISSING_PLAY = play(
    task("ignore", "        session_id: 98\n"),
    task("fail", "        session_id: [3, 99, 4, 65536]\n        missing: fail\n", "      ignore_errors: true\n"),
)


def test_missing_ids_are_ignored_with_a_warning_or_fail_the_task(sim):
    run = sim.playbook(MISSING_PLAY)
    state = sim.state()
    for host in HOSTS:
        ignored = result_of(run, "ignore", host)
        assert ignored["changed"] is False and outcomes(ignored) == {98: "not_found"}
        assert ignored["unchanged"] == [98] and ignored["failed_ids"] == []
        assert ignored["warnings"] == [f"session 98 does not exist on {host}; counted as unchanged (missing=ignore)"]
        failed = result_of(run, "fail", host, status="failed")
        # Every outcome is reported, the ones that worked included.
        assert outcomes(failed) == {3: "disconnected", 99: "not_found", 4: "already_disconnected", 65536: "failed"}
        assert failed["failed_ids"] == [99, 65536] and failed["disconnected"] == [3] and failed["unchanged"] == [4]
        assert failed["msg"].startswith("Failed to disconnect 2 of 4 targeted sessions")
        listener = failed["sessions"][3]
        assert "is a listener, not a user session" in listener["message"]
        host_state = state[host]
        assert [e["session"] for e in state_events(host_state)] == [3]
        assert states(host_state) == {**INITIAL, 3: "Disconnected"}
        assert host_state["commands"] == 2  # one per task
