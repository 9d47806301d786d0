"""WinRS shell operations through pywinrm: stdin, slow commands, partial output, lookups."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import xmltodict
from winrm.exceptions import WinRMOperationTimeoutError, WSManFaultError

CMD = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}


def receive_xml(protocol, shell_id: str, command_id: str, message_id: uuid.UUID) -> str:
    """A Receive request as pywinrm builds it, with a known MessageID."""
    request = {"env:Envelope": protocol.build_wsman_header(
        action=SHELL + "Receive", resource_uri=CMD, shell_id=shell_id, message_id=message_id)}
    stream = request["env:Envelope"].setdefault("env:Body", {}).setdefault("rsp:Receive", {})
    stream["rsp:DesiredStream"] = {"@CommandId": command_id, "#text": "stdout stderr"}
    return xmltodict.unparse(request)


def send_xml(protocol, shell_id: str, command_id: str, data: bytes, end: bool | None) -> str:
    """A Send request; ``end=None`` leaves the End attribute out, as ansible does mid-stream."""
    request = {"env:Envelope": protocol.build_wsman_header(
        action=SHELL + "Send", resource_uri=CMD, shell_id=shell_id)}
    stream = request["env:Envelope"].setdefault("env:Body", {}).setdefault("rsp:Send", {})
    stream["rsp:Stream"] = {"@Name": "stdin", "@CommandId": command_id,
                            "#text": base64.b64encode(data).decode()}
    if end is not None:
        stream["rsp:Stream"]["@End"] = "true" if end else "false"
    return xmltodict.unparse(request)


async def stdin_digest(proc) -> int:
    data = await proc.read_stdin()
    proc.write("stdout", f"{len(data)} {hashlib.sha256(data).hexdigest()}\n".encode())
    proc.write("stdout", data[:64])
    return 0


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_stdin_in_several_sends_is_reassembled_in_order(wire_serve, wire_spec_factory, auth):
    served = wire_serve(wire_spec_factory(auth=auth), script=stdin_digest)
    protocol = served.protocol()
    payload = b"".join(f"line {i:05d} ".encode() + bytes([i % 251]) * 97 for i in range(3000))
    chunks = [payload[i:i + 50_000] for i in range(0, len(payload), 50_000)]
    assert len(chunks) >= 6
    shell = protocol.open_shell(codepage=65001)
    command = protocol.run_command(shell, "PowerShell", ["-NoProfile", "-"], console_mode_stdin=False)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        if index % 2:  # ansible leaves End out until the last Send; pywinrm writes End="false"
            protocol.send_message(send_xml(protocol, shell, command, chunk, True if last else None))
        else:
            protocol.send_command_input(shell, command, chunk, end=last)
    out, err, rc = protocol.get_command_output(shell, command)
    protocol.cleanup_command(shell, command)
    protocol.close_shell(shell)
    expected = f"{len(payload)} {hashlib.sha256(payload).hexdigest()}\n".encode() + payload[:64]
    assert (out, err, rc) == (expected, b"", 0)
    assert served.host.messages["Send"] == len(chunks)
    assert served.processes[0].console_stdin is False
    assert served.processes[0].command == "PowerShell"
    assert served.processes[0].arguments == "-NoProfile -"


def test_input_after_end_is_refused(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(), script=stdin_digest)
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "cmd", console_mode_stdin=False)
    protocol.send_command_input(shell, command, b"abc", end=True)
    with pytest.raises(WSManFaultError) as info:
        protocol.send_command_input(shell, command, b"more", end=True)
    assert info.value.fault_subcode == "w:InvalidParameter"
    out, _err, rc = protocol.get_command_output(shell, command)
    assert out.startswith(b"3 ") and rc == 0


async def slow(proc) -> int:
    await asyncio.sleep(2.5)
    proc.write("stdout", b"finally")
    return 7


def test_slow_command_times_out_receives_then_completes(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(), script=slow)
    protocol = served.protocol(operation_timeout_sec=1, read_timeout_sec=2)
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "slow.exe")
    begin = time.monotonic()
    with pytest.raises(WinRMOperationTimeoutError):
        protocol.get_command_output_raw(shell, command)
    assert 0.9 <= time.monotonic() - begin < 2.0
    out, err, rc = protocol.get_command_output(shell, command)  # retries on every w:TimedOut
    protocol.cleanup_command(shell, command)
    protocol.close_shell(shell)
    assert (out, err, rc) == (b"finally", b"", 7)
    assert served.server.stats.faults["w:TimedOut"] >= 2
    assert served.host.messages["Receive"] == served.server.stats.faults["w:TimedOut"] + 1


def test_running_state_carries_partial_output_without_exit_code(wire_serve, wire_spec_factory, wire_loop):
    gate = asyncio.Event()  # the second part waits for the test, not for a clock

    async def two_parts(proc) -> int:
        proc.write("stdout", b"part one\r\n")
        proc.write("stderr", b"warning\r\n")
        await gate.wait()
        proc.write("stdout", b"part two\r\n")
        return 5

    served = wire_serve(wire_spec_factory(), script=two_parts)
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "two.exe")
    time.sleep(0.1)
    message_id = uuid.uuid4()
    root = ET.fromstring(protocol.send_message(receive_xml(protocol, shell, command, message_id)))
    wire_loop.loop.call_soon_threadsafe(gate.set)
    assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == f"uuid:{message_id}"
    assert root.findtext("s:Header/a:Action", namespaces=NS) == SHELL + "ReceiveResponse"
    assert root.findtext("s:Header/a:MessageID", namespaces=NS).startswith("uuid:")
    state = root.find("s:Body/rsp:ReceiveResponse/rsp:CommandState", NS)
    assert state.get("State") == SHELL + "CommandState/Running"
    assert state.get("CommandId") == command
    assert state.find("rsp:ExitCode", NS) is None
    streams = root.findall("s:Body/rsp:ReceiveResponse/rsp:Stream", NS)
    assert [(s.get("Name"), base64.b64decode(s.text or "")) for s in streams] == [
        ("stdout", b"part one\r\n"), ("stderr", b"warning\r\n"),
    ]
    assert all(s.get("End") is None for s in streams)
    out, err, rc, done = protocol.get_command_output_raw(shell, command)
    assert (out, err, rc, done) == (b"part two\r\n", b"", 5, True)


def test_done_response_has_the_recorded_shape(wire_serve, wire_spec_factory):
    async def out_err(proc):
        proc.write("stdout", b"out \r\n")
        proc.write("stderr", b"err \r\n")
        return 1

    served = wire_serve(wire_spec_factory(), script=out_err)
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "cmd.exe", ["/c", "echo out && echo err>&2 && exit 1"])
    time.sleep(0.05)
    root = ET.fromstring(protocol.send_message(receive_xml(protocol, shell, command, uuid.uuid4())))
    response = root.find("s:Body/rsp:ReceiveResponse", NS)
    shape = [(child.tag.split("}")[1], child.get("Name"), child.get("End"), child.text) for child in response]
    # pypsrp tests/tests_pypsrp/responses/test_winrs_stderr_rc.yml
    assert shape == [
        ("Stream", "stdout", None, "b3V0IA0K"),
        ("Stream", "stderr", None, "ZXJyIA0K"),
        ("Stream", "stdout", "true", None),
        ("Stream", "stderr", "true", None),
        ("CommandState", None, None, None),
    ]
    assert response.find("rsp:CommandState/rsp:ExitCode", NS).text == "1"
    # the command is finished: another Receive is the recorded "command does not exist" fault
    with pytest.raises(WSManFaultError) as info:
        protocol.get_command_output_raw(shell, command)
    assert info.value.wsman_fault_code == 2150858843
    assert "command identifier that does not exist" in str(info.value.response)


def test_large_output_is_split_to_fit_the_envelope(wire_serve, wire_spec_factory):
    blob = bytes(range(256)) * 1600  # 400 KB

    async def big(proc):
        proc.write("stdout", blob)
        proc.write("stderr", b"E" * 1000)
        return 0

    served = wire_serve(wire_spec_factory(), script=big)
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "big.exe")
    sizes, outs, errs = [], [], []
    done = False
    while not done:
        raw = protocol.send_message(receive_xml(protocol, shell, command, uuid.uuid4()))
        sizes.append(len(raw))
        root = ET.fromstring(raw)
        for stream in root.findall(".//rsp:Stream", NS):
            data = base64.b64decode(stream.text or "")
            (outs if stream.get("Name") == "stdout" else errs).append(data)
        state = root.find(".//rsp:CommandState", NS).get("State")
        done = state.endswith("/Done")
    assert b"".join(outs) == blob and b"".join(errs) == b"E" * 1000
    assert len(sizes) >= 3
    assert max(sizes) <= 153600  # pywinrm's w:MaxEnvelopeSize


def test_unknown_shell_id_gets_invalid_selectors(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory())
    protocol = served.protocol()
    bogus = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(WSManFaultError) as info:
        protocol.run_command(bogus, "hostname")
    assert info.value.code == 500
    assert info.value.wsman_fault_code == 2150858843
    assert info.value.fault_subcode == "w:InvalidSelectors"
    assert f"ShellId {bogus} failed because the shell was not found" in str(info.value.response)
    with pytest.raises(WSManFaultError):
        protocol.close_shell(bogus)
    assert served.host.messages == {"Command": 1, "Delete": 1}
    assert served.host.commands == 0


def test_unknown_command_id_gets_invalid_selectors(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory())
    protocol = served.protocol()
    shell = protocol.open_shell()
    with pytest.raises(WSManFaultError) as info:
        protocol.get_command_output_raw(shell, "AAAAAAAA-0000-0000-0000-000000000000")
    assert info.value.wsman_fault_code == 2150858843
    with pytest.raises(WSManFaultError):
        protocol.cleanup_command(shell, "AAAAAAAA-0000-0000-0000-000000000000")
    protocol.close_shell(shell)


async def forever(proc) -> int:
    proc.write("stdout", b"started")
    await asyncio.sleep(3600)
    return 0


async def task_ends(task: asyncio.Task, within: float) -> bool:
    """True once ``task`` is done, False if it is still running after ``within`` seconds."""
    await asyncio.wait([task], timeout=within)
    return task.done()


def test_ctrl_c_and_delete_terminate_running_commands(wire_serve, wire_spec_factory, wire_loop):
    served = wire_serve(wire_spec_factory(), script=forever)
    protocol = served.protocol()
    shell = protocol.open_shell()
    first = protocol.run_command(shell, "one.exe")
    assert protocol.get_command_output_raw(shell, first) == (b"started", b"", -1, False)
    signal = {"env:Envelope": protocol.build_wsman_header(
        action=SHELL + "Signal", resource_uri=CMD, shell_id=shell)}
    signal["env:Envelope"]["env:Body"] = {"rsp:Signal": {
        "@CommandId": first, "rsp:Code": SHELL + "signal/ctrl_c"}}
    protocol.send_message(xmltodict.unparse(signal))
    assert protocol.get_command_output_raw(shell, first) == (b"", b"", -1073741510, True)
    second = protocol.run_command(shell, "two.exe")
    protocol.close_shell(shell)  # Delete with a running command
    assert served.processes[1].exit_code == -1073741510
    # Delete cancelled the script; the cancellation completes on the loop's thread, so wait
    # there rather than peek from this one (a peek saw the task still "cancelling").
    assert wire_loop.run(task_ends(served.processes[1].task, within=5.0))
    third_shell = served.protocol().open_shell()
    assert third_shell != shell
    assert second != first


def test_server_stop_terminates_commands(wire_serve, wire_spec_factory, wire_loop):
    served = wire_serve(wire_spec_factory(), script=forever)
    protocol = served.protocol()
    shell = protocol.open_shell()
    protocol.run_command(shell, "long.exe")
    wire_loop.run(served.server.stop())
    assert served.processes[0].exit_code is not None
    assert served.server.shells.shells == {}


def test_every_response_relates_to_its_request(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory())
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "x")
    for action, body in [
        ("Receive", {"rsp:Receive": {"rsp:DesiredStream": {"@CommandId": command, "#text": "stdout stderr"}}}),
        ("Signal", {"rsp:Signal": {"@CommandId": command, "rsp:Code": SHELL + "signal/terminate"}}),
        ("Signal", {"rsp:Signal": {"@CommandId": command, "rsp:Code": SHELL + "signal/terminate"}}),
    ]:
        message_id = uuid.uuid4()
        request = {"env:Envelope": protocol.build_wsman_header(
            action=SHELL + action, resource_uri=CMD, shell_id=shell, message_id=message_id)}
        request["env:Envelope"]["env:Body"] = body
        try:
            raw = protocol.send_message(xmltodict.unparse(request))
        except WSManFaultError as fault:  # the second Signal: the command is gone
            raw = fault.response.encode()
            assert fault.wsman_fault_code == 2150858843
        root = ET.fromstring(raw)
        assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == f"uuid:{message_id}"
        assert root.findtext("s:Header/a:Action", namespaces=NS)
        assert root.findtext("s:Header/a:MessageID", namespaces=NS)
    protocol.close_shell(shell)
