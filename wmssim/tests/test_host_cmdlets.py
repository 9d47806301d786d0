"""MultiPoint cmdlets of both generations and the WTS API, called directly on the host model."""

from __future__ import annotations

import asyncio
import time

import pytest

from wmssim.host import cmdlets
from wmssim.host.cmdlets import Runspace
from wmssim.host.errors import PSError
from wmssim.spec import Behaviour, Faults, HostSpec, SessionSpec
from wmssim.host.model import Host


def make_host(generation: str = "2016", *, behaviour: Behaviour | None = None, faults: Faults | None = None) -> Host:
    return Host(HostSpec(
        name="mps-01", generation=generation, powershell_startup_ms=0,
        sessions=[
            SessionSpec(2, "alice", "LAB", 1, state="Active"),
            SessionSpec(3, "bob", "LAB", 0, state="Active", client="PC-03"),
            SessionSpec(5, "dave", "LAB", 0, state="Disconnected"),
        ],
        behaviour=behaviour or Behaviour(), faults=faults or Faults(),
    ))


def test_get_wms_session_objects_per_generation():
    async def go(host):
        return await cmdlets.get_wms_session(Runspace(host, "test"))

    old = asyncio.run(go(make_host("2012")))
    new = asyncio.run(go(make_host("2016")))
    assert list(old[0].properties) == ["Id", "State", "IsAdmin", "UserName", "StationId", "ComputerName",
                                       "ClientName", "DomainName", "IsRail"]
    assert list(new[0].properties) == ["SessionId", "State", "IsOrchestratable", "IsAdmin", "IsMOGUser", "UserName",
                                       "StationId", "ComputerName", "ClientName", "DomainName", "IsRail"]
    assert [o.properties["Id"] for o in old] == [2, 3, 5]
    assert str(new[1].properties["State"]) == "RemoteConnection"


def test_generation_is_told_by_parameters():
    old, new = make_host("2012"), make_host("2016")
    old_names = cmdlets.parameter_names(old, cmdlets.multipoint_commands(old)["disconnect-wmssession"])
    new_names = cmdlets.parameter_names(new, cmdlets.multipoint_commands(new)["disconnect-wmssession"])
    assert "TimeoutInSecond" in old_names and "All" not in old_names and "Server" not in old_names
    assert {"All", "Server", "WhatIf", "Confirm"} <= set(new_names) and "TimeoutInSecond" not in new_names
    assert "PipelineVariable" not in old_names  # PowerShell 3.0
    assert cmdlets.multipoint_commands(make_host("none")) == {}
    assert cmdlets.multipoint_commands(make_host(faults=Faults(module_missing=True))) == {}


def test_module_loading():
    host = make_host("2016", behaviour=Behaviour(module_name="WmsCmdlets3", module_autoload=False))
    rs = Runspace(host, "test")
    assert rs.find_command("Disconnect-WmsSession") is None
    with pytest.raises(PSError) as raised:
        rs.import_module("MultiPoint")
    assert raised.value.type_name == "System.IO.FileNotFoundException"
    rs.import_module("wmscmdlets3")
    assert rs.find_command("disconnect-wmssession").name == "Disconnect-WmsSession"
    assert Runspace(make_host(), "test").find_command("Get-WmsSession") is not None  # auto-loaded


def test_2012_disconnect_timeout_aborts():
    host = make_host("2012", behaviour=Behaviour(disconnect_ms=3000))

    async def go():
        started = time.monotonic()
        with pytest.raises(PSError) as raised:
            await cmdlets.disconnect_wms_session(Runspace(host, "test"), [3], timeout=1, cause="test")
        return raised.value, time.monotonic() - started

    error, seconds = asyncio.run(go())
    assert error.type_name == "System.TimeoutException" and error.category == "OperationTimeout"
    assert 0.9 <= seconds < 1.5 and host.session(3).state == "Active"


def test_disconnect_waits_disconnect_ms():
    host = make_host("2016", behaviour=Behaviour(disconnect_ms=300))

    async def go():
        started = time.monotonic()
        errors = await cmdlets.disconnect_wms_session(Runspace(host, "test"), [3, 2], cause="test")
        return errors, time.monotonic() - started

    errors, seconds = asyncio.run(go())
    assert errors == [] and seconds >= 0.6  # one id after the other
    assert host.session(3).state == host.session(2).state == "Disconnected"


def test_2016_errors_carry_their_id_and_do_not_stop_the_others():
    host = make_host("2016", behaviour=Behaviour(already_disconnected="error"))
    errors = asyncio.run(cmdlets.disconnect_wms_session(Runspace(host, "test"), [99, 5, 3], cause="test"))
    assert [(e.target, e.type_name) for e in errors] == [
        (99, "System.Management.Automation.ItemNotFoundException"), (5, "System.InvalidOperationException"),
    ]
    assert host.session(3).state == "Disconnected"


def test_session_zero_is_not_a_multipoint_session():
    errors = asyncio.run(cmdlets.disconnect_wms_session(Runspace(make_host(), "test"), [0], cause="test"))
    assert errors[0].category == "ObjectNotFound"


def test_what_if_writes_to_the_host_and_changes_nothing():
    host = make_host("2016")
    written: list[str] = []
    rs = Runspace(host, "test", written.append)
    asyncio.run(cmdlets.disconnect_wms_session(rs, None, what_if=True, cause="test"))
    asyncio.run(cmdlets.close_wms_session(rs, [2], what_if=True, cause="test"))
    assert written == [
        f'What if: Performing the operation "{name}" on target "{i}".'
        for name, i in [("Disconnect-WmsSession", 2), ("Disconnect-WmsSession", 3), ("Disconnect-WmsSession", 5),
                        ("Close-WmsSession", 2)]
    ]
    assert host.events == []


def test_access_denied_cmdlets():
    host = make_host("2012", faults=Faults(access_denied=True))
    for call in (cmdlets.get_wms_session(Runspace(host, "t")),
                 cmdlets.disconnect_wms_session(Runspace(host, "t"), [3], cause="t"),
                 cmdlets.close_wms_session(Runspace(host, "t"), [3], cause="t")):
        with pytest.raises(PSError) as raised:
            asyncio.run(call)
        assert raised.value.type_name == "System.UnauthorizedAccessException"
        assert raised.value.category == "PermissionDenied"
    assert host.events == []


def test_wts_calls():
    host = make_host("none")
    assert cmdlets.wts_enumerate(host) == [(0, "Services", "Disconnected"), (2, "Console", "Active"),
                                           (3, "RDP-Tcp#3", "Active"), (5, "RDP-Tcp#5", "Disconnected"),
                                           (65536, "RDP-Tcp", "Listen")]
    assert cmdlets.wts_query(host, 3, "WTSClientName") == "PC-03"
    assert cmdlets.wts_query(host, 3, "WTSUserName") == "bob"
    with pytest.raises(PSError) as raised:
        cmdlets.wts_query(host, 42, "WTSUserName")
    assert raised.value.win32 == 7022
    cmdlets.wts_disconnect(host, 3, "WTSDisconnectSession (agent)")
    assert host.session(3).state == "Disconnected"
    assert cmdlets.wts_send_message(host, 2, "t", "x", 5, "WTSSendMessage (agent)") == 32001
    assert host.session(2).messages[0].text == "x"
    with pytest.raises(PSError):
        cmdlets.wts_disconnect(host, 65536, "test")
    assert host.session(65536).state == "Listen"


def test_wts_disconnect_returns_at_once_and_the_state_follows():
    host = make_host("none", behaviour=Behaviour(disconnect_ms=200))

    async def go():
        cmdlets.wts_disconnect(host, 3, "test")
        right_after = host.session(3).state
        await asyncio.sleep(0.3)
        return right_after, host.session(3).state

    assert asyncio.run(go()) == ("Active", "Disconnected")


def test_wts_access_denied_and_faults():
    denied = make_host("none", faults=Faults(access_denied=True))
    for call in (lambda: cmdlets.wts_disconnect(denied, 3, "t"),
                 lambda: cmdlets.wts_send_message(denied, 3, "t", "x", 0, "t")):
        with pytest.raises(PSError) as raised:
            call()
        assert raised.value.win32 == 5 and raised.value.message.endswith(": Access is denied")
    assert cmdlets.wts_enumerate(denied)  # standard users may enumerate
    for faults in (Faults(disconnect_hangs=True), Faults(disconnect_noop=True)):
        host = make_host("none", faults=faults)
        cmdlets.wts_disconnect(host, 3, "t")
        assert host.session(3).state == "Active"
