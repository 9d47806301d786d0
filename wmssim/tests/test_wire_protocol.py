"""The SOAP layer on its own: durations, request parsing, response and fault shapes, redaction."""

from __future__ import annotations

import base64
import logging
import uuid
import xml.etree.ElementTree as ET

import pytest
import winrm
import xmltodict

from wmssim.wire import logs
from wmssim.wire import wsman as p

NS = {
    "s": p.NS_S, "a": p.NS_A, "w": p.NS_W, "x": p.NS_X, "rsp": p.NS_RSP, "f": p.NS_F,
}


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("PT20S", 20.0), ("PT1.5S", 1.5), ("PT0.250S", 0.25), ("PT.5S", 0.5), ("PT60S", 60.0),
        ("PT7200.000S", 7200.0), ("P0DT0H0M0S", 0.0), ("PT1M30S", 90.0), ("PT2H", 7200.0),
        ("P1D", 86400.0), ("P1DT1S", 86401.0), (" PT5S ", 5.0),
    ],
)
def test_parse_duration(text, seconds):
    assert p.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "20", "PT-1S", "-PT1S", "PTS", "PT1.2.3S", "P1S", "soon"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        p.parse_duration(text)


def pywinrm_request(action: str, shell_id: str | None = None, body: dict | None = None,
                    timeout: int = 20, message_id: uuid.UUID | None = None) -> bytes:
    protocol = winrm.Protocol("http://127.0.0.1:5985/wsman", transport="basic", username="u", password="p",
                              operation_timeout_sec=timeout, read_timeout_sec=timeout + 10)
    envelope = {"env:Envelope": protocol.build_wsman_header(
        action=action, resource_uri=p.RESOURCE_CMD, shell_id=shell_id, message_id=message_id)}
    header = envelope["env:Envelope"]["env:Header"]
    header["w:OptionSet"] = {"w:Option": [
        {"@Name": "WINRS_CONSOLEMODE_STDIN", "#text": "FALSE"},
        {"@Name": "WINRS_SKIP_CMD_SHELL", "#text": "FALSE"},
    ]}
    envelope["env:Envelope"]["env:Body"] = body or {}
    return xmltodict.unparse(envelope).encode()


def test_parse_request_reads_what_pywinrm_sends():
    message_id = uuid.uuid4()
    data = pywinrm_request(
        p.ACTION_URIS["Command"], shell_id="ABC-123", timeout=7, message_id=message_id,
        body={"rsp:CommandLine": {"rsp:Command": "PowerShell", "rsp:Arguments": "-NoProfile"}},
    )
    request = p.parse_request(data)
    assert request.name == "Command"
    assert request.message_id == f"uuid:{message_id}"
    assert request.selectors == {"ShellId": "ABC-123"}
    assert request.option("winrs_consolemode_stdin") == "FALSE"
    assert request.operation_timeout == 7.0
    assert request.max_envelope_size == 153600
    line = p.find(request.body, p.NS_RSP, "CommandLine")
    assert line.findtext(f"{{{p.NS_RSP}}}Command") == "PowerShell"


def test_parse_request_faults_carry_the_message_id():
    data = pywinrm_request(p.ACTION_URIS["Receive"], shell_id="X").replace(b"PT20S", b"PT-5S")
    with pytest.raises(p.WSManFault) as info:
        p.parse_request(data)
    assert info.value.subcode == "a:InvalidMessageInformationHeader"
    assert info.value.action_name == "Receive"
    assert info.value.relates_to.startswith("uuid:")
    assert "PT-5S" in info.value.message


def test_receive_response_round_trips_through_pywinrm_parsing():
    request = p.Request(action=p.ACTION_URIS["Receive"], message_id="uuid:1")
    xml = p.receive_response(request, "CID", b"hi\r\n", b"oops", True, 3)
    root = ET.fromstring(xml)
    streams = root.findall(".//rsp:Stream", NS)
    assert [(s.get("Name"), s.get("End"), base64.b64decode(s.text or "")) for s in streams] == [
        ("stdout", None, b"hi\r\n"), ("stderr", None, b"oops"),
        ("stdout", "true", b""), ("stderr", "true", b""),
    ]
    state = root.find(".//rsp:CommandState", NS)
    assert state.get("State") == p.STATE_DONE and state.findtext("rsp:ExitCode", namespaces=NS) == "3"
    assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == "uuid:1"


def test_create_response_has_the_selector_pywinrm_reads():
    request = p.Request(action=p.ACTION_URIS["Create"], message_id="uuid:2")
    xml = p.create_response(request, "SHELL-1", address="http://127.0.0.1:1/wsman",
                            owner="admin", client_ip="127.0.0.1")
    root = ET.fromstring(xml)
    first = next(node for node in root.findall(".//*") if node.get("Name") == "ShellId")
    assert first.text == "SHELL-1"
    assert root.findtext(".//x:ResourceCreated/a:ReferenceParameters/w:ResourceURI",
                         namespaces=NS) == p.RESOURCE_CMD


def test_timed_out_fault_matches_the_recording():
    fault = p.timed_out()
    fault.relates_to = "uuid:9BE5F54A-6B47-487D-9ACD-65201E650446"
    root = ET.fromstring(p.fault_envelope(fault, "192.168.56.11"))
    # pypsrp test_winrs_operation_timeout.yml / masterzen/winrm fixture_test.go
    assert root.findtext("s:Header/a:Action", namespaces=NS) == p.FAULT_ACTION
    assert root.findtext(".//s:Code/s:Value", namespaces=NS) == "s:Receiver"
    assert root.findtext(".//s:Subcode/s:Value", namespaces=NS) == "w:TimedOut"
    wsman = root.find(".//s:Detail/f:WSManFault", NS)
    assert (wsman.get("Code"), wsman.get("Machine")) == ("2150858793", "192.168.56.11")
    assert wsman.findtext("f:Message", namespaces=NS) == (
        "The WS-Management service cannot complete the operation within the time specified in "
        "OperationTimeout.  "
    )


def test_redact_masks_tokens_headers_and_registered_secrets():
    logs.register_basic_credential("someone", "Hunter2-xyz")
    text = (
        "Authorization: Basic c29tZW9uZTpIdW50ZXIyLXh5eg== | WWW-Authenticate: Negotiate "
        "TlRMTVNTUAACAAAA | token TlRMTVNTUAADAAAAGAAY | pw Hunter2-xyz | "
        "c29tZW9uZTpIdW50ZXIyLXh5eg== | NTLM TlRMTVNTUAABAAAAB4IIog=="
    )
    clean = logs.redact(text)
    for secret in ("Hunter2-xyz", "c29tZW9uZTpIdW50ZXIyLXh5eg==", "TlRMTVNT"):
        assert secret not in clean
    assert logs.redact("negotiate message refused") == "negotiate message refused"


def test_logger_filter_redacts_arguments_and_exceptions(caplog):
    logs.register_secret("Top-Secret-42")
    log = logs.get_logger("wmssim.test")
    caplog.set_level(logging.DEBUG, logger="wmssim.test")
    log.debug("user said %s", "Top-Secret-42")
    try:
        raise RuntimeError("boom Top-Secret-42")
    except RuntimeError:
        log.exception("failed")
    assert "Top-Secret-42" not in caplog.text
    assert "***" in caplog.text
