"""The WS-Man parser reads requests exactly as ansible-core 2.19 and pywinrm 0.5 sent them (data/captures)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from wmssim.wire import wsman

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
FILES = sorted(CAPTURES.glob("*_req.xml"))


def test_every_capture_is_there():
    assert [f.name.split("-")[0] for f in FILES].count("exec_command") == 5
    assert [f.name.split("-")[0] for f in FILES].count("powershell_module") == 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_capture_parses_as_its_action(path):
    request = wsman.parse_request(path.read_bytes())
    expected = path.stem.split("_")[-2]  # ..._Create_req -> Create
    assert request.name == expected
    assert request.max_envelope_size == 153600  # pywinrm's w:MaxEnvelopeSize
    assert request.operation_timeout == 20.0  # PT20S
    if expected != "Create":
        assert request.selectors.get("ShellId")


def test_the_create_asks_for_utf8_and_the_command_for_redirected_stdin():
    create = wsman.parse_request((CAPTURES / "exec_command-001_Create_req.xml").read_bytes())
    assert create.option("WINRS_CODEPAGE") == "65001"
    module = wsman.parse_request((CAPTURES / "powershell_module-002_Command_req.xml").read_bytes())
    assert module.option("WINRS_CONSOLEMODE_STDIN") == "FALSE"


def test_the_send_carries_base64_stdin():
    send = wsman.parse_request((CAPTURES / "powershell_module-003_Send_req.xml").read_bytes())
    stream = wsman.find(wsman.find(send.body, wsman.NS_RSP, "Send"), wsman.NS_RSP, "Stream")
    assert stream is not None and stream.get("Name") == "stdin"
    assert base64.b64decode(stream.text or "")
