"""Limits, injected faults, bad input and log hygiene of the wire layer."""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import xmltodict
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError, WSManFaultError

from wmssim.wire import wsman as p

CMD = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}


async def read_all(proc) -> int:
    data = await proc.read_stdin()
    proc.write("stdout", str(len(data)).encode())
    return 0


def basic_header(served) -> str:
    raw = f"{served.spec.username}:{served.spec.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def post(served, body: bytes, headers: dict[str, str] | None = None, path: str = "/wsman",
         method: str = "POST") -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    all_headers = {"Authorization": basic_header(served),
                   "Content-Type": "application/soap+xml;charset=UTF-8"}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data, response


def raw_exchange(served, data: bytes, shutdown: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(data)
        if shutdown:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and not shutdown:
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(rest) >= length:
                    break
        return b"".join(chunks)


def envelope(served, action: str, body: str = "", *, message_id: str | None = None,
             resource: str = CMD, timeout: str = "PT20S", shell_id: str | None = None) -> bytes:
    protocol = served.protocol()
    header = protocol.build_wsman_header(action=action, resource_uri=resource, shell_id=shell_id,
                                         message_id=message_id)
    header["env:Header"]["w:OperationTimeout"] = timeout
    text = xmltodict.unparse({"env:Envelope": header})
    return text.replace("</env:Envelope>", f"<env:Body>{body}</env:Body></env:Envelope>").encode()


def still_serves(served) -> None:
    result = served.session().run_cmd("hostname")
    assert result.status_code == 0


# --- MaxEnvelopeSizekb -----------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_request_over_max_envelope_size_gets_413(wire_serve, wire_spec_factory, auth):
    served = wire_serve(wire_spec_factory(auth=auth, max_envelope_kb=32), script=read_all)
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "PowerShell", console_mode_stdin=False)
    with pytest.raises(WinRMTransportError) as info:
        protocol.send_command_input(shell, command, b"x" * 40_000, end=False)
    assert info.value.code == 413
    assert "Code 413" in str(info.value)
    assert served.server.stats.statuses[413] == 1
    # the same shell and command carry on with Sends that fit
    protocol.send_command_input(shell, command, b"y" * 10_000, end=False)
    protocol.send_command_input(shell, command, b"z" * 10_000, end=True)
    out, _err, rc = protocol.get_command_output(shell, command)
    assert (out, rc) == (b"20000", 0)
    protocol.close_shell(shell)


def test_default_limit_takes_ansible_sized_sends(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(), script=read_all)  # 500 KB, the Windows default
    protocol = served.protocol()
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "PowerShell", console_mode_stdin=False)
    protocol.send_command_input(shell, command, b"a" * 200_000, end=False)  # ansible's chunk size
    with pytest.raises(WinRMTransportError) as info:
        protocol.send_command_input(shell, command, b"b" * 400_000, end=True)
    assert info.value.code == 413
    protocol.send_command_input(shell, command, b"", end=True)
    assert protocol.get_command_output(shell, command)[0] == b"200000"


def test_tiny_max_envelope_size_header_is_an_encoding_limit_fault(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory())
    request = envelope(served, p.ACTION_URIS["Create"], "<rsp:Shell><rsp:InputStreams>stdin"
                       "</rsp:InputStreams></rsp:Shell>").replace(b">153600<", b">4096<")
    status, data, _ = post(served, request)
    assert status == 500
    root = ET.fromstring(data)
    assert root.findtext(".//s:Subcode/s:Value", namespaces=NS) == "w:EncodingLimit"


# --- injected HTTP 500 -----------------------------------------------------------------------
@pytest.mark.parametrize("action", ["Create", "Command", "Receive", "Signal", "Delete"])
def test_http_500_on_the_chosen_action(wire_serve, wire_spec_factory, action):
    spec = wire_spec_factory()
    spec.faults.http_500 = action
    served = wire_serve(spec)
    with pytest.raises(WSManFaultError) as info:
        served.session().run_cmd("hostname")
    fault = info.value
    assert fault.code == 500
    assert fault.fault_code == "s:Receiver"
    assert fault.fault_subcode == "w:InternalError"
    assert fault.wsman_fault_code == 2147942402
    assert served.host.messages[action] == 1  # the faulted message is counted too
    assert served.server.stats.faults["w:InternalError"] == 1
    order = ["Create", "Command", "Receive", "Signal", "Delete"]
    assert list(served.host.messages) == order[: order.index(action) + 1]


# --- bad input ---------------------------------------------------------------------------------
def test_garbage_on_the_socket_gets_http_errors_and_the_server_keeps_serving(
    wire_serve, wire_spec_factory
):
    served = wire_serve(wire_spec_factory())
    cases = [
        (b"GARBAGE\r\n\r\n", b" 400 "),
        (b"\x00\xff\xfe binary \x00\r\n\r\n", b" 400 "),
        (b"POST /wsman HTTP/2.0\r\n\r\n", b" 505 "),
        (b"POST /wsman HTTP/1.1\r\nContent-Length: nope\r\n\r\n", b" 400 "),
        (b"POST /wsman HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef", b" 400 "),
        (b"POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b" 501 "),
        (b"POST /wsman HTTP/1.1\r\nbroken header line\r\n\r\n", b" 400 "),
        (b"POST /wsman HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", b" 431 "),
        (b"GET /wsman HTTP/1.1\r\nHost: x\r\n\r\n", b" 405 "),
        (b"POST /other HTTP/1.1\r\nHost: x\r\n\r\n", b" 404 "),
        (b"POST /wsman HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", b" 413 "),
    ]
    for data, expected in cases:
        reply = raw_exchange(served, data)
        assert reply.startswith(b"HTTP/1.1") and expected in reply.split(b"\r\n")[0], (data[:40], reply[:60])
    # a truncated body: the client gives up half way
    reply = raw_exchange(
        served, b"POST /wsman HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789", shutdown=True
    )
    assert b" 400 " in reply.split(b"\r\n")[0]
    # a connection that just closes
    socket.create_connection(("127.0.0.1", served.port), timeout=5).close()
    still_serves(served)


def test_wrong_content_type_is_415(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory())
    status, _, _ = post(served, b"hello", {"Content-Type": "text/plain"})
    assert status == 415
    still_serves(served)


@pytest.mark.parametrize(
    "body, subcode, code",
    [
        (b"<not xml", "w:SchemaValidationError", 2150858819),
        (b"\xff\xfe\x00garbage", "w:SchemaValidationError", 2150858819),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
         "w:SchemaValidationError", 2150858819),
        (b"<root/>", "w:SchemaValidationError", 2150858817),
        (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>',
         "a:MessageInformationHeaderRequired", 2150858769),
    ],
)
def test_malformed_soap_gets_a_fault(wire_serve, wire_spec_factory, body, subcode, code):
    served = wire_serve(wire_spec_factory())
    status, data, response = post(served, body)
    assert status == 500
    assert response.getheader("Content-Type").startswith("application/soap+xml")
    root = ET.fromstring(data)
    assert root.findtext(".//s:Subcode/s:Value", namespaces=NS) == subcode
    assert root.find(".//f:WSManFault", NS).get("Code") == str(code)
    assert root.find("s:Header/a:RelatesTo", NS) is None  # no MessageID to relate to
    assert served.host.messages == {}
    still_serves(served)


@pytest.mark.parametrize(
    "action, resource, timeout, subcode",
    [
        ("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", CMD, "PT20S",
         "a:ActionNotSupported"),
        (p.ACTION_URIS["Create"], "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*",
         "PT20S", "a:DestinationUnreachable"),
        (p.ACTION_URIS["Create"], CMD, "PT-1S", "a:InvalidMessageInformationHeader"),
        (p.ACTION_URIS["Create"], CMD, "soon", "a:InvalidMessageInformationHeader"),
    ],
)
def test_unsupported_requests_get_faults_that_relate_to_them(
    wire_serve, wire_spec_factory, action, resource, timeout, subcode
):
    served = wire_serve(wire_spec_factory())
    message_id = f"uuid:{uuid.uuid4()}"
    body = envelope(served, action, "<rsp:Shell/>", message_id=message_id.removeprefix("uuid:"),
                    resource=resource, timeout=timeout)
    status, data, _ = post(served, body)
    assert status == 500
    root = ET.fromstring(data)
    assert root.findtext(".//s:Subcode/s:Value", namespaces=NS) == subcode
    assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == message_id
    assert root.findtext("s:Header/a:Action", namespaces=NS) == p.FAULT_ACTION
    still_serves(served)


def test_garbled_encrypted_body_is_refused_and_the_host_carries_on(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    protocol = served.protocol()
    protocol.open_shell()  # an established, encrypting NTLM connection
    session = protocol.transport.session
    url = served.endpoint
    content_type = ('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";'
                    'boundary="Encrypted Boundary"')
    response = session.post(url, data=b"--Encrypted Boundary\r\nnonsense", headers={"Content-Type": content_type})
    assert response.status_code == 400
    still_serves(served)


def test_plain_body_without_credentials_is_401(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    status, _, response = post(served, b"<x/>", {"Authorization": ""})
    assert status == 401
    assert response.getheader("WWW-Authenticate") == "Negotiate"
    served_basic = wire_serve(wire_spec_factory(name="basic-x"))
    status, _, response = post(served_basic, b"<x/>", {"Authorization": ""})
    assert (status, response.getheader("WWW-Authenticate")) == (401, 'Basic realm="WSMAN"')


# --- costs -------------------------------------------------------------------------------------
def test_latency_is_added_to_every_round_trip(wire_serve, wire_spec_factory):
    fast = wire_serve(wire_spec_factory(name="fast"))
    slow = wire_serve(wire_spec_factory(name="slow", latency_ms=60))
    begin = time.monotonic()
    fast.session().run_cmd("x")
    fast_time = time.monotonic() - begin
    begin = time.monotonic()
    slow.session().run_cmd("x")
    slow_time = time.monotonic() - begin
    assert slow_time >= 5 * 0.060  # Create, Command, Receive, Signal, Delete
    assert fast_time < slow_time


def test_many_hosts_share_one_loop(wire_serve, wire_spec_factory):
    hosts = [wire_serve(wire_spec_factory(name=f"h{i:02d}", auth=("basic", "ntlm")[i % 2]))
             for i in range(20)]
    for served in hosts:
        assert served.session().run_cmd("hostname").status_code == 0
    assert {s.port for s in hosts}.__len__() == 20


# --- secrets never reach the log ----------------------------------------------------------------
def test_no_secret_reaches_the_log(wire_serve, wire_spec_factory, wire_tls, caplog):
    caplog.set_level(logging.DEBUG)
    basic = wire_serve(wire_spec_factory(name="log-basic", auth="basic"))
    ntlm = wire_serve(wire_spec_factory(name="log-ntlm", auth="ntlm"))
    https = wire_serve(wire_spec_factory(name="log-https", auth="https", https_auth="ntlm"),
                       tls=wire_tls)
    basic.session().run_cmd("hostname")
    ntlm.session().run_cmd("hostname")
    https.session(ca_trust_path=str(wire_tls.ca_cert)).run_cmd("hostname")
    for served in (basic, ntlm):
        with pytest.raises(InvalidCredentialsError):
            served.session(password="Wrong-" + served.spec.password).run_cmd("hostname")
    post(basic, b"<x/>", {"Authorization": "Basic !!!" + basic.spec.password})
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert len(caplog.records) > 20  # the wire (and pyspnego) did log at DEBUG
    password = basic.spec.password
    assert password not in text
    assert base64.b64encode(f"admin:{password}".encode()).decode() not in text
    assert "TlRMTVNT" not in text  # no NTLM message, in any step
    assert "Authorization:" not in text
