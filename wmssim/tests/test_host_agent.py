"""The agent protocol on a simulated host: a bootstrap and an agent script run through
``powershell.start_process`` with stdin fed as the wire feeds it (no HTTP).

The scripts here are stand-ins with the agent's marker line: the simulator never reads the
collection's files. The collection's own tests run the shipped scripts through it and check
every response against the collection's definition of the protocol.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from ansible.plugins.shell.powershell import ShellModule, _parse_clixml

from wmssim.host import powershell
from wmssim.host.model import Host
from wmssim.spec import Behaviour, Faults, HostSpec, ReusedId, SessionSpec

BOOTSTRAP = ("$ErrorActionPreference = 'Stop'\n$lines = @($input)\n"
             "& ([ScriptBlock]::Create((@($lines | Select-Object -Skip 1) -join \"`n\"))) $lines[0]\n")
AGENT = "# multipoint.wms agent: a stand-in for the tests of wmssim (protocol 1)\nparam([string]$RequestJson)\n"
RESPONSE_KEYS = {"agent", "protocol", "action", "ok", "error", "host", "generation", "module", "backend",
                 "sessions", "results", "after", "diagnostics", "elapsed_ms"}


def bootstrap_command(script: str = BOOTSTRAP) -> tuple[str, str]:
    """The command ansible's PowerShell shell plugin sends for a bootstrap script."""
    parts = ShellModule()._encode_script(script, as_list=True, strict_mode=False, preserve_rc=False)
    return parts[0], " ".join(parts[1:])


def agent_stdin(request: dict | str, script: str | None = None) -> bytes:
    line = request if isinstance(request, str) else json.dumps(request, ensure_ascii=True, separators=(",", ":"))
    return (line + "\n" + (AGENT if script is None else script).rstrip("\n") + "\n").encode("ascii")


def sessions(*extra: SessionSpec) -> list[SessionSpec]:
    return [
        SessionSpec(2, "alice", "LAB", 1, state="Active"),
        SessionSpec(3, "bob", "LAB", 0, state="Active", client="PC-03"),
        SessionSpec(4, "carol", "LAB", 2, admin=True, state="Idle"),
        SessionSpec(5, "dave", "LAB", 0, state="Disconnected", client="PC-05"),
        *extra,
    ]


def make_host(generation: str = "2016", *, behaviour: Behaviour | None = None, faults: Faults | None = None,
              extra: tuple[SessionSpec, ...] = ()) -> Host:
    return Host(HostSpec(name="mps-01", generation=generation, sessions=sessions(*extra), powershell_startup_ms=0,
                         behaviour=behaviour or Behaviour(), faults=faults or Faults()))


class Ran:
    """One agent run: exit code, the response (last agent line), stdout lines, stderr, seconds."""

    def __init__(self, rc: int, out: bytes, err: bytes, seconds: float) -> None:
        self.rc, self.err, self.seconds = rc, err, seconds
        self.stdout = out.decode("ascii")
        self.lines = self.stdout.split("\r\n")
        docs = [json.loads(x) for x in self.lines if x.startswith('{"agent":"multipoint.wms"')]
        self.response = docs[-1] if docs else None

    def session(self, session_id: int, key: str = "sessions") -> dict | None:
        return next((s for s in self.response[key] if s["id"] == session_id), None)

    def result(self, session_id: int) -> dict:
        return next(r for r in self.response["results"] if r["id"] == session_id)


async def run_agent_async(host: Host, request: dict | str, script: str | None = None, *,
                          known: powershell.KnownAgent | None = None, bootstrap: str = BOOTSTRAP) -> Ran:
    command, arguments = bootstrap_command(bootstrap)
    started = time.monotonic()
    process = powershell.start_process(host, command, arguments, console_stdin=False, known=known)
    rc, out, err = await powershell.run_to_end(process, agent_stdin(request, script), timeout=30)
    ran = Ran(rc, out, err, time.monotonic() - started)
    if ran.response is not None:
        assert set(ran.response) == RESPONSE_KEYS
    return ran


def run_agent(host: Host, request: dict | str, script: str | None = None, **kwargs) -> Ran:
    return asyncio.run(run_agent_async(host, request, script, **kwargs))


def inventory(backend: str = "auto") -> dict:
    return {"protocol": 1, "action": "inventory", "backend": backend}


def disconnect(ids, *, backend="auto", act_states=("Active", "Idle"), timeout=5, what_if=False, poll_ms=50) -> dict:
    return {"protocol": 1, "action": "disconnect", "backend": backend, "ids": list(ids),
            "act_states": list(act_states), "timeout": timeout, "what_if": what_if, "poll_ms": poll_ms}


def message(ids, *, backend="auto", title="Notice", text="Class ends in 5 minutes", seconds=30) -> dict:
    return {"protocol": 1, "action": "message", "backend": backend, "ids": list(ids),
            "act_states": ["Active", "Idle", "Disconnected"], "title": title, "text": text,
            "display_seconds": seconds}


# --- transport and shape -------------------------------------------------------------------


def test_one_ascii_json_line_and_exit_code_zero():
    host = make_host(extra=(SessionSpec(6, "J\u00fcrgen", "LAB", 3),))
    ran = run_agent(host, inventory())
    assert ran.rc == 0 and ran.err == b""
    assert ran.stdout.endswith("\r\n")
    assert [x for x in ran.lines if x] == [ran.lines[0]]
    assert ran.stdout.isascii() and "\\u00fc" in ran.stdout
    assert ran.session(6)["user"] == "J\u00fcrgen"
    assert ran.response["agent"] == "multipoint.wms" and ran.response["protocol"] == 1
    assert ran.response["elapsed_ms"] >= 0


def test_the_request_is_recorded_in_host_state():
    host = make_host()
    run_agent(host, disconnect([3, 4], what_if=True))
    run_agent(host, inventory())
    assert host.state()["agent_requests"] == [
        {"action": "disconnect", "what_if": True, "ids": [3, 4]},
        {"action": "inventory", "what_if": False, "ids": []},
    ]


def test_a_script_without_the_agent_marker_is_a_powershell_error():
    host = make_host()
    ran = run_agent(host, inventory(), script="Write-Output 'something else'")
    assert ran.rc == 1 and ran.response is None and ran.stdout == ""
    assert ran.err.startswith(b"#< CLIXML\r\n")
    assert b"marker line" in _parse_clixml(ran.err)
    assert host.state()["agent_requests"] == []


def test_given_the_agent_files_only_those_exact_scripts_run():
    """With the shipped files given (wmssim serve --agent-*), a stale copy of the agent is refused."""
    known = powershell.KnownAgent(bootstrap=BOOTSTRAP, script=AGENT)
    assert run_agent(make_host(), inventory(), known=known).response["ok"] is True
    stale = AGENT + "# one more line\n"
    ran = run_agent(make_host(), inventory(), stale, known=known)
    assert ran.rc == 1 and ran.response is None
    assert b"differs from the agent wmssim was given at line 3" in _parse_clixml(ran.err)
    # Another bootstrap is not the agent's: it goes to the one-liner interpreter, which refuses it.
    other = BOOTSTRAP.replace("-Skip 1", "-Skip 0")
    ran = run_agent(make_host(), inventory(), known=known, bootstrap=other)
    assert ran.rc == 1 and ran.response is None


def test_no_stdin_is_a_powershell_error():
    command, arguments = bootstrap_command()

    async def go():
        process = powershell.start_process(make_host(), command, arguments, console_stdin=True)
        return await powershell.run_to_end(process, None, timeout=10)

    rc, out, err = asyncio.run(go())
    assert rc == 1 and out == b"" and b"stdin holds no agent script" in _parse_clixml(err)


# --- bad requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_line", "action"),
    [
        ("not json", None),
        ("", None),
        ("[1, 2]", None),
        (json.dumps({"protocol": 2, "action": "inventory", "backend": "auto"}), "inventory"),
        (json.dumps({"protocol": 1, "action": "inventory", "backend": "auto", "extra": 1}), "inventory"),
        (json.dumps({"protocol": 1, "action": "reboot", "backend": "auto"}), None),
        (json.dumps({"protocol": 1, "action": "inventory", "backend": "qwinsta"}), "inventory"),
        (json.dumps({"protocol": 1, "action": "disconnect", "backend": "auto", "ids": [3]}), "disconnect"),
        (json.dumps(dict(disconnect([3]), ids=[])), "disconnect"),
        (json.dumps(dict(disconnect([3]), ids=[0])), "disconnect"),
        (json.dumps(dict(disconnect([3]), timeout=0)), "disconnect"),
        (json.dumps(dict(disconnect([3]), poll_ms=10)), "disconnect"),
        (json.dumps(dict(disconnect([3]), act_states=["Busy"])), "disconnect"),
        (json.dumps(dict(disconnect([3]), what_if="yes")), "disconnect"),
        (json.dumps(dict(message([3]), timeout=5)), "message"),
        (json.dumps(dict(inventory(), ids=[3])), "inventory"),
    ],
)
def test_bad_requests_are_answered_with_bad_request(request_line, action):
    host = make_host()
    ran = run_agent(host, request_line)
    assert ran.rc == 0
    response = ran.response
    assert response["ok"] is False and response["action"] == action
    assert response["error"]["kind"] == "bad_request" and response["error"]["message"]
    assert response["generation"] is None and response["sessions"] == [] and response["results"] == []
    assert host.events == []


# --- generation detection and backends ----------------------------------------------------------


@pytest.mark.parametrize(
    ("generation", "faults", "backend", "expected_generation", "expected_backend"),
    [
        ("2012", Faults(), "auto", "2012", "multipoint-2012"),
        ("2016", Faults(), "auto", "2016", "multipoint-2016"),
        ("none", Faults(), "auto", "none", "wts"),
        ("2016", Faults(module_missing=True), "auto", "none", "wts"),
        ("2012", Faults(module_missing=True), "auto", "none", "wts"),
        ("2016", Faults(), "wts", None, "wts"),
        ("2012", Faults(), "multipoint", "2012", "multipoint-2012"),
    ],
)
def test_generation_and_backend(generation, faults, backend, expected_generation, expected_backend):
    ran = run_agent(make_host(generation, faults=faults), inventory(backend))
    response = ran.response
    assert response["ok"] is True
    assert response["generation"] == expected_generation
    assert response["backend"] == expected_backend
    if expected_backend.startswith("multipoint"):
        assert response["module"] == {"name": "MultiPoint", "version": "1.0.0.0"}
    else:
        assert response["module"] is None
    assert response["host"]["computer"] == "MPS-01"
    assert response["host"]["ps_version"].startswith("3.0" if generation == "2012" else "5.1")
    assert response["host"]["elevated"] is True


@pytest.mark.parametrize("faults", [Faults(module_missing=True), Faults()])
def test_backend_multipoint_without_the_module_is_module_missing(faults):
    generation = "2016" if faults.module_missing else "none"
    ran = run_agent(make_host(generation, faults=faults), inventory("multipoint"))
    assert ran.response["ok"] is False
    assert ran.response["error"]["kind"] == "module_missing"
    assert ran.response["error"]["message"].startswith("Disconnect-WmsSession was not found after Import-Module")
    assert ran.response["generation"] == "none" and ran.response["backend"] is None


@pytest.mark.parametrize("module_name", ["MultiPoint", "WmsCmdlets", "WmsCmdlets3"])
def test_the_agent_imports_the_module_when_it_does_not_auto_load(module_name):
    behaviour = Behaviour(module_name=module_name, module_autoload=False)
    ran = run_agent(make_host("2012", behaviour=behaviour), inventory())
    assert ran.response["backend"] == "multipoint-2012"
    assert ran.response["module"]["name"] == module_name


def test_inventory_joins_wts_and_get_wmssession():
    ran = run_agent(make_host("2016"), inventory())
    assert [s["id"] for s in ran.response["sessions"]] == [0, 2, 3, 4, 5, 65536]
    assert ran.session(0) == {
        "id": 0, "user": "", "domain": "", "station": None, "client": "", "is_admin": None,
        "connect_state": "Disconnected", "wms_state": None, "wms_listed": False, "win_station": "Services",
    }
    assert ran.session(65536)["connect_state"] == "Listen" and ran.session(65536)["win_station"] == "RDP-Tcp"
    assert ran.session(2) == {
        "id": 2, "user": "alice", "domain": "LAB", "station": 1, "client": "MPS-01", "is_admin": False,
        "connect_state": "Active", "wms_state": "ConnectedToStation", "wms_listed": True, "win_station": "Console",
    }
    assert ran.session(3)["wms_state"] == "RemoteConnection" and ran.session(3)["win_station"] == "RDP-Tcp#3"
    assert ran.session(3)["client"] == "PC-03"
    assert ran.session(4)["is_admin"] is True and ran.session(4)["connect_state"] == "Idle"
    assert ran.response["results"] == [] and ran.response["after"] == []


def test_wts_backend_reads_wts_only():
    ran = run_agent(make_host("2016"), inventory("wts"))
    bob = ran.session(3)
    assert bob["station"] is None and bob["wms_state"] is None and bob["wms_listed"] is False
    assert bob["user"] == "bob" and bob["client"] == "PC-03" and bob["is_admin"] is False
    assert ran.session(4)["is_admin"] is True
    assert ran.session(2)["client"] == ""  # WTSClientName of a local station
    assert ran.session(0)["is_admin"] is None


def test_disconnected_listed_false_hides_disconnected_sessions_from_multipoint():
    ran = run_agent(make_host(behaviour=Behaviour(disconnected_listed=False)), inventory())
    dave = ran.session(5)
    assert dave["connect_state"] == "Disconnected" and dave["wms_listed"] is False
    assert dave["station"] is None and dave["wms_state"] is None and dave["user"] == "dave"


def test_wms_state_when_disconnected():
    ran = run_agent(make_host(behaviour=Behaviour(wms_state_when_disconnected="Disconnected")), inventory())
    assert ran.session(5)["wms_state"] == "Disconnected"
    assert ran.session(3)["wms_state"] == "RemoteConnection"


# --- disconnect ----------------------------------------------------------------------------


@pytest.mark.parametrize(("generation", "backend", "cause"), [
    ("2012", "auto", "Disconnect-WmsSession -SessionId {id} (agent)"),
    ("2016", "auto", "Disconnect-WmsSession -SessionId 3,4,2 (agent)"),
    ("none", "auto", "WTSDisconnectSession (agent)"),
    ("2016", "wts", "WTSDisconnectSession (agent)"),
])
def test_disconnect(generation, backend, cause):
    host = make_host(generation)
    ran = run_agent(host, disconnect([3, 4, 5, 9, 2], backend=backend, act_states=["Active", "Idle"]))
    response = ran.response
    assert response["ok"] is True
    assert [r["id"] for r in response["results"]] == [3, 4, 5, 9, 2]
    assert ran.result(3) == {"id": 3, "action": "called", "reason": None, "what_if": False, "error": None,
                             "response": None}
    assert ran.result(4)["action"] == "called"
    assert ran.result(5)["action"] == "skipped" and ran.result(5)["reason"] == "state"
    assert ran.result(9)["action"] == "skipped" and ran.result(9)["reason"] == "absent"
    assert [s["id"] for s in response["after"]] == [3, 4, 2]
    assert all(s["connect_state"] == "Disconnected" for s in response["after"])
    assert ran.session(3)["connect_state"] == "Active"  # sessions: read before acting
    events = host.state()["events"]
    assert [(e["session"], e["from"], e["to"], e["kind"]) for e in events] == [
        (3, "Active", "Disconnected", "state"), (4, "Idle", "Disconnected", "state"),
        (2, "Active", "Disconnected", "state"),
    ]
    assert [e["cause"] for e in events] == [cause.format(id=e["session"]) for e in events]
    assert host.session(5).state == "Disconnected" and host.session(9) is None


def test_duplicate_ids_are_reported_in_request_order_and_acted_on_once():
    host = make_host("2012")
    ran = run_agent(host, disconnect([3, 3, 2]))
    assert [r["id"] for r in ran.response["results"]] == [3, 3, 2]
    assert [s["id"] for s in ran.response["after"]] == [3, 2]
    assert len(host.events) == 2


@pytest.mark.parametrize("generation", ["2012", "2016"])
def test_what_if_changes_nothing(generation):
    host = make_host(generation)
    ran = run_agent(host, disconnect([3, 4], what_if=True))
    assert host.events == [] and host.state()["events"] == []
    assert all(ran.result(i)["action"] == "called" and ran.result(i)["what_if"] is True for i in (3, 4))
    assert [s["connect_state"] for s in ran.response["after"]] == ["Active", "Idle"]
    # The agent's MultiPoint runspace has no host: no "What if:" text on stdout, only the response.
    assert ran.lines == [ran.lines[0], ""] and ran.lines[0].startswith('{"agent":"multipoint.wms"')


def test_what_if_on_wts_is_checked_and_invokes_nothing():
    host = make_host("none")
    ran = run_agent(host, disconnect([3, 5], what_if=True))
    assert ran.result(3) == {"id": 3, "action": "checked", "reason": None, "what_if": True, "error": None,
                             "response": None}
    assert ran.result(5)["action"] == "skipped"
    assert host.events == [] and ran.session(3, "after")["connect_state"] == "Active"


def test_a_hanging_disconnect_takes_about_the_timeout():
    cases = [("2012", "auto"), ("2016", "auto"), ("2016", "wts")]
    hosts = [make_host(generation, faults=Faults(disconnect_hangs=True)) for generation, _ in cases]

    async def go():  # the three hosts at once: one second in all
        return await asyncio.gather(*(
            run_agent_async(host, disconnect([3], backend=backend, timeout=1))
            for host, (_, backend) in zip(hosts, cases)
        ))

    for host, (_, backend), ran in zip(hosts, cases, asyncio.run(go())):
        assert 0.9 <= ran.seconds < 2.5
        assert 900 <= ran.response["elapsed_ms"] < 2500
        result = ran.result(3)
        assert result["action"] == "called"
        if backend == "wts":
            assert result["error"] is None  # WTSDisconnectSession(bWait=FALSE) returns; the wait times out
        else:
            assert result["error"]["type"] == "System.TimeoutException"
            assert result["error"]["category"] == "OperationTimeout"
        if host.generation == "2016" and backend == "auto":
            assert result["error"]["message"] == "Disconnect-WmsSession did not return within 1 s; the call was abandoned"
        assert ran.session(3, "after")["connect_state"] == "Active"
        assert host.events == []


def test_the_response_of_a_hanging_disconnect_comes_only_when_the_agent_gives_up():
    host = make_host("2016", faults=Faults(disconnect_hangs=True))
    command, arguments = bootstrap_command()

    async def go():
        process = powershell.start_process(host, command, arguments, console_stdin=False)
        process.feed_stdin(agent_stdin(disconnect([3], timeout=1)), True)
        early = await process.wait_output(0.5)
        rc, out, _ = await powershell.run_to_end(process, None, timeout=10)
        return early, rc, out

    early, rc, out = asyncio.run(go())
    assert early is False
    assert rc == 0 and out.startswith(b'{"agent":"multipoint.wms"')


def test_2012_timeout_in_second_aborts_a_slow_disconnect():
    host = make_host("2012", behaviour=Behaviour(disconnect_ms=2500))
    ran = run_agent(host, disconnect([3], timeout=1))
    error = ran.result(3)["error"]
    assert error["type"] == "System.TimeoutException" and error["message"] == "The operation has timed out."
    assert error["fqid"].startswith("System.TimeoutException,")
    assert 0.9 <= ran.seconds < 2.0 and host.events == []


@pytest.mark.parametrize(("generation", "backend"), [("2016", "auto"), ("none", "auto")])
def test_a_slow_disconnect_is_waited_for(generation, backend):
    host = make_host(generation, behaviour=Behaviour(disconnect_ms=600))
    ran = run_agent(host, disconnect([3], backend=backend, timeout=5))
    assert ran.result(3)["error"] is None
    assert ran.session(3, "after")["connect_state"] == "Disconnected"
    assert 0.55 <= ran.seconds < 2.0


def test_disconnect_noop_reports_success_and_nothing_changes():
    hosts = [make_host(g, faults=Faults(disconnect_noop=True)) for g in ("2012", "2016", "none")]

    async def go():
        return await asyncio.gather(*(run_agent_async(h, disconnect([3], timeout=1)) for h in hosts))

    for host, ran in zip(hosts, asyncio.run(go())):
        assert ran.result(3)["action"] == "called" and ran.result(3)["error"] is None
        assert ran.session(3, "after")["connect_state"] == "Active"
        assert 0.9 <= ran.seconds < 2.5  # waited for a state that never came
        assert host.events == []


def test_access_denied_fails_the_multipoint_backend_as_a_whole():
    host = make_host("2016", faults=Faults(access_denied=True))
    ran = run_agent(host, disconnect([3]))
    response = ran.response
    assert response["ok"] is False and response["host"]["elevated"] is False
    assert response["error"]["kind"] == "exception"
    assert response["error"]["type"] == "System.UnauthorizedAccessException"
    assert response["error"]["category"] == "PermissionDenied"
    assert host.events == []


def test_access_denied_on_wts_fails_each_id_with_win32_5():
    host = make_host("none", faults=Faults(access_denied=True))
    ran = run_agent(host, disconnect([3, 4], timeout=1))
    assert ran.response["ok"] is True and ran.response["host"]["elevated"] is False
    for session_id in (3, 4):
        error = ran.result(session_id)["error"]
        assert error["type"] == "System.ComponentModel.Win32Exception" and error["win32"] == 5
        assert error["message"] == "WTSDisconnectSession: Access is denied"
    assert ran.seconds < 0.9  # nothing called without error: no wait
    assert host.events == []


def test_logoff_race_after_the_first_inventory():
    host = make_host("2016", faults=Faults(logoff_race=[3]))
    first = run_agent(host, inventory())
    assert first.session(3) is not None  # read before the race
    assert host.session(3) is None
    ran = run_agent(host, disconnect([3, 2]))
    assert ran.result(3)["action"] == "skipped" and ran.result(3)["reason"] == "absent"
    assert ran.result(2)["action"] == "called"
    events = host.state()["events"]
    assert events[0] == dict(events[0], session=3, cause="fault: logoff_race", kind="logoff", to=None)
    assert [e["cause"] for e in events].count("fault: logoff_race") == 1


@pytest.mark.parametrize(("generation", "unknown_id"), [("2012", "error"), ("2016", "error"),
                                                         ("2012", "silent"), ("2016", "silent")])
def test_a_session_that_logs_off_between_reading_and_acting(generation, unknown_id):
    """The race hits the disconnect's own read: the id is a target but is gone when the cmdlet runs."""
    host = make_host(generation, behaviour=Behaviour(unknown_id=unknown_id), faults=Faults(logoff_race=[3]))
    ran = run_agent(host, disconnect([3, 2]))
    assert ran.session(3)["connect_state"] == "Active"
    error = ran.result(3)["error"]
    if unknown_id == "error":
        assert error["type"] == "System.Management.Automation.ItemNotFoundException"
        assert error["category"] == "ObjectNotFound"
    else:
        assert error is None
    assert ran.result(2)["error"] is None  # 2016: the error's target is 3 only
    assert [s["id"] for s in ran.response["after"]] == [2]


@pytest.mark.parametrize(("setting", "expect_error"), [("noop", False), ("error", True)])
def test_already_disconnected(setting, expect_error):
    host = make_host("2016", behaviour=Behaviour(already_disconnected=setting))
    ran = run_agent(host, disconnect([5], act_states=["Disconnected"], timeout=1))
    error = ran.result(5)["error"]
    assert (error is not None) is expect_error
    if expect_error:
        assert error["type"] == "System.InvalidOperationException"
    assert ran.session(5, "after")["connect_state"] == "Disconnected" and host.events == []


# --- message -------------------------------------------------------------------------------


@pytest.mark.parametrize("generation", ["2012", "2016", "none"])
def test_message_records_the_text_on_the_session(generation):
    host = make_host(generation)
    text = 'Line 1\nLine 2: "quotes", $(not code); caf\u00e9 \U0001F600'
    ran = run_agent(host, message([3, 9], title="Teacher", text=text, seconds=0))
    assert ran.result(3) == {"id": 3, "action": "called", "reason": None, "what_if": False, "error": None,
                             "response": 32001}
    assert ran.result(9)["reason"] == "absent"
    assert ran.response["after"] == []
    state = next(s for s in host.state()["sessions"] if s["id"] == 3)
    assert state["messages"] == [{"title": "Teacher", "text": text, "display_seconds": 0}]
    assert host.state()["events"][0]["cause"] == "WTSSendMessage (agent)"
    assert host.session(3).state == "Active"


def test_message_access_denied():
    host = make_host("none", faults=Faults(access_denied=True))
    ran = run_agent(host, message([3]))
    assert ran.result(3)["error"]["win32"] == 5 and ran.result(3)["response"] is None
    assert host.events == []


# --- output faults -------------------------------------------------------------------------


def test_garbage_prefix_comes_before_the_response():
    host = make_host(faults=Faults(garbage_stdout="prefix"))
    ran = run_agent(host, inventory())
    assert ran.rc == 0 and ran.response is not None
    assert ran.lines[0] == "Windows PowerShell"
    assert any(line.startswith('{"agent": "something-else"') for line in ran.lines)
    assert ran.lines[-2].startswith('{"agent":"multipoint.wms"')


def test_garbage_replace_writes_only_noise():
    host = make_host(faults=Faults(garbage_stdout="replace"))
    ran = run_agent(host, disconnect([3]))
    assert ran.rc == 0 and ran.response is None
    assert '"agent":"multipoint.wms"' not in ran.stdout and ran.lines[0] == "Windows PowerShell"
    assert host.session(3).state == "Disconnected"  # the agent ran; only its output was lost


# --- acting only on the user that was selected, within the deadline --------------------------


@pytest.mark.parametrize("generation", ["2012", "2016", "none"])
def test_an_id_now_used_by_another_user_is_left_alone(generation):
    """Faults.id_reuse: bob logs off after the first read and root logs on as session 3."""
    host = make_host(generation, faults=Faults(id_reuse=[ReusedId(3, "root", "LAB", True)]))
    first = run_agent(host, inventory())
    assert first.session(3)["user"] == "bob"
    ran = run_agent(host, dict(disconnect([2, 3]), accounts=["LAB\\ALICE", "LAB\\bob"]))
    assert ran.result(2)["action"] == "called" and ran.result(2)["error"] is None
    assert ran.result(3) == {"id": 3, "action": "skipped", "reason": "user_changed", "what_if": False,
                             "error": None, "response": None}
    assert ran.session(3)["user"] == "root"
    assert host.session(3).state == "Active" and host.session(2).state == "Disconnected"
    kinds = [(e.session, e.kind) for e in host.events]
    assert (3, "logoff") in kinds and (3, "logon") in kinds and (2, "state") in kinds


def test_a_message_goes_only_to_the_user_that_was_selected():
    host = make_host(faults=Faults(id_reuse=[ReusedId(3, "root", "LAB")]))
    run_agent(host, inventory())
    ran = run_agent(host, dict(message([2, 3]), accounts=["LAB\\alice", "LAB\\bob"]))
    assert ran.result(3)["reason"] == "user_changed" and ran.result(2)["response"] == 32001
    assert host.session(3).messages is None and host.session(2).messages


@pytest.mark.parametrize("accounts", [["LAB\\alice"], "LAB\\alice", [1, 2]])
def test_accounts_must_be_one_string_per_id(accounts):
    ran = run_agent(make_host(), dict(disconnect([2, 3]), accounts=accounts))
    assert ran.response["error"]["kind"] == "bad_request" and "accounts" in ran.response["error"]["message"]


def test_hanging_2012_disconnects_share_one_deadline():
    """Each call gets the time left; sessions whose turn comes after the deadline are not called."""
    extra = tuple(SessionSpec(i, f"s{i}", "LAB", 0, state="Active") for i in range(10, 16))
    host = make_host("2012", faults=Faults(disconnect_hangs=True), extra=extra)
    ran = run_agent(host, disconnect([3, *range(10, 16)], timeout=2))
    assert 1.9 <= ran.seconds < 2 + 2 + 1.5  # the timeout, the abandon grace, the re-read
    errors = [ran.result(i)["error"] for i in [3, *range(10, 16)]]
    assert all(e and e["type"] == "System.TimeoutException" for e in errors)
    assert sum("not reached" in e["message"] for e in errors) >= 5
    assert "not reached" not in errors[0]["message"]
