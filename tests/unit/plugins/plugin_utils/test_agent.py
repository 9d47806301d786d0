"""What travels to the host, and how its answer is read."""

from __future__ import annotations

import json

import pytest
from ansible_collections.multipoint.wms.plugins.plugin_utils import _agent
from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import (
    TransportError,
    build_stdin,
    parse_output,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    disconnect_request,
    inventory_request,
    message_request,
)
from ansible_collections.multipoint.wms.tests.unit.replies import (
    REQUEST,
    reply,
    session,
)

TRICKY = "Caf\u00e9 \u201cquoted\u201d 'single' $(Get-Date) `backtick` ${env:X}\n; exit 1 # \U0001F600"


def test_every_request_builder_follows_the_schema():
    for request in (
        inventory_request("auto"),
        disconnect_request("multipoint", [2, 3], ("Active", "Idle"), 30, True),
        message_request("wts", [2], ("Active",), TRICKY, TRICKY, 0),
    ):
        REQUEST.validate(request)


def test_stdin_is_ascii_with_the_request_first_and_data_kept_exact():
    request = message_request("auto", [2], ("Active",), "t", TRICKY, 60)
    data = build_stdin(request)
    data.decode("ascii")  # raises if anything is not ASCII
    first, rest = (data.decode("ascii").split("\n", 1) + [""])[:2]
    assert json.loads(first) == request
    assert json.loads(first)["text"] == TRICKY
    assert rest == _agent.agent_script().rstrip("\n") + "\n"


def test_command_line_is_short_and_constant():
    from ansible.plugins.loader import shell_loader

    shell = shell_loader.get("powershell")
    cmd = shell._encode_script(_agent.bootstrap_script(), strict_mode=False, preserve_rc=False)
    assert len(cmd) < 3000  # well below cmd.exe's 8,191 characters, whatever the request holds
    assert cmd.startswith("PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand ")


def test_parse_takes_the_last_agent_document_and_keeps_noise():
    doc = reply("inventory", [session(2, "alice")])
    other = json.dumps({"agent": "someone-else"})
    out = "banner\r\n" + json.dumps(doc) + "\r\n" + other + "\r\n"
    parsed = parse_output(0, out, "", "h")
    assert [s.id for s in parsed.sessions] == [2]
    assert parsed.noise == ["banner", other]


def test_parse_rejects_other_protocol_versions():
    doc = reply("inventory", [])
    doc["protocol"] = 2
    with pytest.raises(TransportError, match="protocol 2"):
        parse_output(0, json.dumps(doc), "", "h")


def test_parse_explains_missing_document():
    with pytest.raises(TransportError) as info:
        parse_output(0, "x" * 1000, "", "mps-07")
    text = str(info.value)
    assert "mps-07" in text and "not the agent's JSON document" in text and len(text) < 600


def test_parse_rejects_a_document_missing_keys():
    doc = reply("inventory", [])
    del doc["sessions"]
    with pytest.raises(TransportError, match="does not follow protocol"):
        parse_output(0, json.dumps(doc), "", "h")


def test_slashes_are_never_escaped():
    # Windows PowerShell's ConvertFrom-Json turns "\/Date(...)\/" into a DateTime.
    data = build_stdin(message_request("auto", [2], ("Active",), "t", "/Date(1234567890)/ a/b", 60))
    first = data.decode("ascii").partition("\n")[0]
    assert "\\/" not in first and "/Date(1234567890)/" in first


def test_a_byte_order_mark_before_the_document_is_ignored():
    doc = reply("inventory", [session(2, "alice")])
    parsed = parse_output(0, "\ufeff" + json.dumps(doc) + "\r\n", "", "h")
    assert [s.id for s in parsed.sessions] == [2] and parsed.noise == []


def test_transport_messages_say_what_to_do_and_hold_no_secret():
    from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import transport_message

    latin = UnicodeEncodeError("latin-1", "Pass\u2019word", 4, 5, "ordinal not in range(256)")
    text = transport_message(Exception(f"basic: {latin}"), "mps-01", ("Pass\u2019word",))
    assert "use NTLM" in text and "position" not in text and "\u2019" not in text and "Pass" not in text
    fault = Exception("The system cannot find the file specified.  (extended fault data: {'transport_message': "
                      "'Bad HTTP response returned from server. Code 500', 'http_status_code': 500})")
    text = transport_message(fault, "mps-02")
    assert text.startswith("the WinRM service on mps-02 answered HTTP 500") and "extended fault data" not in text
    assert "winrm send_input failed" not in transport_message(Exception("winrm send_input failed; \nstdout: "), "h")
    assert transport_message(Exception("user admin with s3cret refused"), "h", ("s3cret",)) == \
        "h: user admin with <redacted> refused"


def test_traces_name_the_call_and_cut_long_texts():
    from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import trace_call, trace_request

    request = message_request("auto", list(range(2, 40)), ("Active",), "t", "x" * 500, 60)
    shown = trace_request(request)
    assert "x" * 41 not in shown and "(500 characters)" in shown and "and 18 more" in shown
    line = trace_call(request, parse_output(0, json.dumps(reply("message", [session(2, "alice")])), "", "h"), 0.25)
    assert line.startswith("multipoint.wms agent message: backend auto -> multipoint-2016, generation 2016, ok,")
    assert "250 ms round trip" in line and "ids 2, 3, 4" in line


def test_a_host_the_agent_cannot_run_on_is_explained():
    from ansible_collections.multipoint.wms.plugins.plugin_utils._errors import request_failure_message

    doc = reply("inventory", [], ok=False, backend=None, generation=None,
                err={"kind": "unsupported_host", "type": "System.NotSupportedException",
                     "message": "Windows PowerShell 2.0 (3.0 or later is needed)", "category": None, "fqid": None,
                     "win32": None})
    doc["action"] = None
    text = request_failure_message(parse_output(0, json.dumps(doc), "", "mps-old"), "mps-old", "auto")
    assert text.startswith("mps-old cannot run the multipoint.wms agent: it found Windows PowerShell 2.0")
    assert "install WMF 3.0" in text
