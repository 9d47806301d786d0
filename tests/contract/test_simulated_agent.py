"""The simulator answers the collection's own agent requests as the protocol says.

wmssim is given the shipped bootstrap and agent (so it refuses a stale copy) and runs each
request the controller's builders make, on every generation and under the faults that change
what the agent answers. Every response must follow ``_protocol.schema()`` and be read by the
controller's own parser. The simulator's own tests check its behaviour; this checks the contract
between the two sides.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from ansible.plugins.shell.powershell import ShellModule
from ansible_collections.multipoint.wms.plugins.plugin_utils import _agent, _protocol
from wmssim.host import powershell
from wmssim.host.model import Host
from wmssim.spec import Behaviour, Faults, HostSpec, SessionSpec

REPO = Path(__file__).resolve().parents[2]
KNOWN = powershell.KnownAgent(
    bootstrap=(REPO / "plugins" / "plugin_utils" / "wms_bootstrap.ps1").read_text(encoding="ascii"),
    script=(REPO / "plugins" / "plugin_utils" / "wms_agent.ps1").read_text(encoding="ascii"),
)
RESPONSE = jsonschema.Draft202012Validator(dict(_protocol.schema(), **{"$ref": "#/$defs/response"}))
SESSIONS = [
    SessionSpec(2, "alice", "LAB", 1, state="Active"),
    SessionSpec(3, "bob", "LAB", 0, state="Idle", client="PC-03"),
    SessionSpec(4, "carol", "LAB", 2, admin=True, state="Disconnected"),
]


def answer(host: Host, request: dict) -> tuple[dict, _agent.AgentReply]:
    """Run the shipped agent on ``host`` as the controller sends it; the raw document and its reading."""
    parts = ShellModule()._encode_script(_agent.bootstrap_script(), as_list=True, strict_mode=False,
                                         preserve_rc=False)

    async def go():
        process = powershell.start_process(host, parts[0], " ".join(parts[1:]), console_stdin=False, known=KNOWN)
        return await powershell.run_to_end(process, _agent.build_stdin(request), timeout=30)

    rc, out, err = asyncio.run(go())
    assert rc == 0, err
    lines = [line for line in out.decode("ascii").splitlines() if line]
    document = json.loads(lines[-1])
    errors = sorted(RESPONSE.iter_errors(document), key=str)
    assert not errors, errors[0].message
    return document, _agent.parse_output(rc, out.decode("ascii"), err.decode(), host.spec.name)


def host(generation: str = "2016", **kwargs) -> Host:
    return Host(HostSpec(name="mps-01", generation=generation, sessions=list(SESSIONS), powershell_startup_ms=0,
                         **kwargs))


REQUESTS = {
    "inventory": _protocol.inventory_request("auto"),
    "inventory-wts": _protocol.inventory_request("wts"),
    "disconnect": _protocol.disconnect_request("auto", [2, 3, 9], ("Active", "Idle"), 5, False),
    "disconnect-what-if": _protocol.disconnect_request("auto", [2, 3], ("Active", "Idle"), 5, True),
    "message": _protocol.message_request("auto", [2, 4], ("Active", "Idle"), "Notice", "Caf\u00e9 \U0001F600", 0),
}


@pytest.mark.parametrize("generation", ["2012", "2016", "none"])
@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_request_gets_a_document_that_follows_the_protocol(generation, name):
    document, reply = answer(host(generation), REQUESTS[name])
    assert reply.ok, document["error"]
    assert document["action"] == REQUESTS[name]["action"]
    if name.startswith("disconnect") or name == "message":
        assert [r.id for r in reply.results] == REQUESTS[name]["ids"]


@pytest.mark.parametrize("faults, behaviour, backend, kind", [
    (Faults(module_missing=True), Behaviour(), "multipoint", "module_missing"),
    (Faults(access_denied=True), Behaviour(), "auto", "exception"),
    (Faults(), Behaviour(module_autoload=False, module_name="WmsCmdlets3"), "auto", None),
])
def test_failures_are_documents_too(faults, behaviour, backend, kind):
    document, reply = answer(host("2012", faults=faults, behaviour=behaviour),
                             _protocol.disconnect_request(backend, [2], ("Active",), 5, False))
    assert reply.ok is (kind is None)
    assert (reply.error.kind if reply.error else None) == kind


def test_a_bad_request_is_a_bad_request_document():
    request = dict(_protocol.inventory_request("auto"), ids=[3])
    document, reply = answer(host(), request)
    assert not reply.ok and reply.error.kind == "bad_request" and document["action"] == "inventory"
