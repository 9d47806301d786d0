"""The fleet in-process: ports, the down host, the inventory, the control endpoint, shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import socket
import ssl
import stat
from pathlib import Path

import winrm
import yaml

from wmssim.wire import auth
from wmssim.fleet import fleet as fleet_module
from wmssim.fleet.cli import setup_logging
from wmssim.fleet.fleet import Fleet
from wmssim.fleet.scenario import parse_scenario_text

SCENARIO = """
defaults: {password: "Fleet-Secret-1", username: admin}
hosts:
  - {name: basic-01, generation: "2012", auth: basic, sessions: [{id: 2, user: alice}]}
  - {name: ntlm-01, auth: ntlm, sessions: [{id: 2, user: bob}, {id: 3, user: carol}]}
  - {name: https-01, auth: https, https_auth: basic, password: "Other-Secret-2"}
  - {name: down-01, faults: {down: true}}
"""


def make_fleet(tmp_path: Path) -> Fleet:
    return Fleet(parse_scenario_text(SCENARIO).hosts, tmp_path / "state")


async def http(port: int, method: str, path: str, tls_ca: Path | None = None) -> tuple[int, bytes]:
    """One HTTP/1.1 request (over TLS validated by ``tls_ca`` if given); status and body."""
    context = ssl.create_default_context(cafile=str(tls_ca)) if tls_ca else None
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def open_and_close_shell(host_vars: dict) -> None:
    """Create and Delete a WinRS shell with pywinrm (two WS-Man messages, no command)."""
    protocol = winrm.Protocol(
        f"http://127.0.0.1:{host_vars['ansible_port']}/wsman",
        transport=host_vars["ansible_winrm_transport"],
        username=host_vars["ansible_user"],
        password=host_vars["ansible_password"],
        ca_trust_path=None,  # plain HTTP: no CA bundle from the environment
    )
    protocol.close_shell(protocol.open_shell())


def test_fleet_serves_every_host_and_writes_the_inventory(tmp_path):
    async def scenario():
        fleet = make_fleet(tmp_path)
        await fleet.start()
        try:
            ports = {name: served.port for name, served in fleet.hosts.items()}
            assert len(set(ports.values())) == 4
            # Real WinRM endpoints: a request without credentials is challenged.
            assert (await http(ports["basic-01"], "POST", "/wsman"))[0] == 401
            assert (await http(ports["ntlm-01"], "POST", "/wsman"))[0] == 401
            # The https host presents a certificate that the fleet's CA validates for 127.0.0.1.
            status, _ = await http(ports["https-01"], "POST", "/wsman", tls_ca=fleet.tls.ca_cert)
            assert status == 401
            assert refused(ports["down-01"])
            path = fleet.write_inventory(tmp_path / "out" / "inventory.yml")
            return fleet, ports, path
        finally:
            await fleet.stop()

    fleet, ports, path = asyncio.run(scenario())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["inventory.yml"]  # no temp file left
    data = yaml.safe_load(path.read_text())
    group_vars = data["all"]["vars"]
    assert group_vars["wmssim_control"] == fleet.control_url
    assert group_vars["wmssim_control"].startswith("http://127.0.0.1:")
    assert isinstance(group_vars["wmssim_pid"], int)
    hosts = data["all"]["children"]["wms"]["hosts"]
    assert list(hosts) == ["basic-01", "ntlm-01", "https-01", "down-01"]
    common = {"ansible_host": "127.0.0.1", "ansible_connection": "winrm",
              "ansible_user": "admin", "ansible_winrm_message_encryption": "auto"}
    for name, host_vars in hosts.items():
        assert host_vars["ansible_port"] == ports[name]
        assert common.items() <= host_vars.items()
    assert hosts["basic-01"]["ansible_winrm_transport"] == "basic"
    assert hosts["basic-01"]["ansible_winrm_scheme"] == "http"
    assert hosts["basic-01"]["wmssim_generation"] == "2012"
    assert hosts["ntlm-01"]["ansible_winrm_transport"] == "ntlm"
    assert hosts["ntlm-01"]["ansible_password"] == "Fleet-Secret-1"
    assert hosts["https-01"]["ansible_winrm_scheme"] == "https"
    assert hosts["https-01"]["ansible_winrm_transport"] == "basic"
    assert hosts["https-01"]["ansible_password"] == "Other-Secret-2"
    assert hosts["https-01"]["ansible_winrm_server_cert_validation"] == "validate"
    ca_path = Path(hosts["https-01"]["ansible_winrm_ca_trust_path"])
    assert ca_path.is_absolute() and ca_path == fleet.tls.ca_cert.resolve() and ca_path.exists()
    assert "ansible_winrm_ca_trust_path" not in hosts["ntlm-01"]
    assert hosts["down-01"]["wmssim_down"] is True
    # After stop: nothing listens any more and the TLS key is gone.
    assert all(refused(port) for port in ports.values())
    assert refused(int(group_vars["wmssim_control"].split(":")[2].split("/")[0]))
    assert not fleet.tls.key.exists()


def test_no_tls_material_without_https_hosts(tmp_path):
    fleet = Fleet(parse_scenario_text("hosts: [{name: a, auth: basic}]").hosts, tmp_path)

    async def scenario():
        await fleet.start()
        await fleet.stop()

    asyncio.run(scenario())
    assert fleet.tls is None
    assert not (tmp_path / "tls").exists()


def test_control_endpoint(tmp_path):
    async def scenario():
        fleet = make_fleet(tmp_path)
        await fleet.start()
        try:
            port, token = fleet.control_port, fleet.token
            await asyncio.to_thread(open_and_close_shell, fleet.host_vars(fleet.hosts["ntlm-01"]))
            results = {
                "health": await http(port, "GET", f"/{token}/healthz"),
                "state": await http(port, "GET", f"/{token}/state"),
                "one": await http(port, "GET", f"/{token}/state?host=ntlm-01&host=down-01"),
                "unknown": await http(port, "GET", f"/{token}/state?host=nope"),
                "bad_token": await http(port, "GET", "/not-the-token/state"),
                "no_token": await http(port, "GET", "/state"),
                "bad_method": await http(port, "DELETE", f"/{token}/state"),
                "reset": await http(port, "POST", f"/{token}/reset?host=ntlm-01"),
                "after_reset": await http(port, "GET", f"/{token}/state?host=ntlm-01"),
            }
            # The reset host is served again, on the same port, by a fresh model.
            await asyncio.to_thread(open_and_close_shell, fleet.host_vars(fleet.hosts["ntlm-01"]))
            results["served_again"] = await http(port, "GET", f"/{token}/state?host=ntlm-01")
            results["garbage"] = await raw(port, b"\x16\x03\x01 not http\r\n\r\n")
            return results
        finally:
            await fleet.stop()

    results = asyncio.run(scenario())
    assert auth.USER_FILES.directory is None  # the NTLM credential files are gone
    status, body = results["health"]
    assert status == 200 and json.loads(body)["hosts"] == 4 and json.loads(body)["down"] == 1
    status, body = results["state"]
    hosts = json.loads(body)["hosts"]
    assert status == 200 and list(hosts) == ["basic-01", "ntlm-01", "https-01", "down-01"]
    assert hosts["ntlm-01"]["messages"] == 2  # Create and Delete
    assert hosts["basic-01"]["messages"] == 0
    users = [(s["id"], s["user"], s["state"]) for s in hosts["ntlm-01"]["sessions"] if s["user"]]
    assert users == [(2, "bob", "Active"), (3, "carol", "Active")]
    assert hosts["down-01"]["down"] is True and hosts["ntlm-01"]["down"] is False
    assert hosts["basic-01"]["generation"] == "2012"
    assert hosts["ntlm-01"]["port"] > 0 and hosts["ntlm-01"]["auth"] == "ntlm"
    assert "Fleet-Secret-1" not in body.decode()
    status, body = results["one"]
    assert list(json.loads(body)["hosts"]) == ["ntlm-01", "down-01"]
    assert results["unknown"][0] == 404 and b"nope" in results["unknown"][1]
    assert results["bad_token"][0] == 404 and results["no_token"][0] == 404
    assert results["bad_method"][0] == 405
    assert results["reset"] == (200, json.dumps({"reset": ["ntlm-01"]}, indent=1).encode() + b"\n")
    assert json.loads(results["after_reset"][1])["hosts"]["ntlm-01"]["messages"] == 0
    assert json.loads(results["served_again"][1])["hosts"]["ntlm-01"]["messages"] == 2
    assert results["garbage"].startswith(b"HTTP/1.1 400")


async def raw(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


def test_down_host_port_is_not_given_to_another_host(tmp_path, monkeypatch):
    """The down host's socket stays bound until every other host has its port."""
    events = []

    class RecordingSocket(socket.socket):
        def close(self):
            if self.fileno() != -1:
                events.append(("close", self.getsockname()[1]))
            super().close()

    def bind(port=0):
        sock = RecordingSocket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        events.append(("bind", sock.getsockname()[1]))
        return sock

    monkeypatch.setattr(fleet_module, "bind_loopback", bind)
    specs = parse_scenario_text(
        "hosts: [{name: d1, faults: {down: true}}, {name: a}, {name: d2, faults: {down: true}}, "
        "{name: b}]"
    ).hosts
    fleet = Fleet(specs, tmp_path)

    async def scenario():
        await fleet.start()
        started = list(events)
        await fleet.stop()
        return started

    events = asyncio.run(scenario())
    kinds = [kind for kind, _ in events]
    first_close = kinds.index("close")
    assert kinds[:first_close] == ["bind"] * 4
    closed = {port for kind, port in events if kind == "close"}
    assert closed == {fleet.hosts["d1"].port, fleet.hosts["d2"].port}


def test_start_raises_the_open_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        if hard != resource.RLIM_INFINITY and soft > 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard))
        new_soft, new_hard = fleet_module.raise_file_limit()
        assert new_hard == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == new_soft
        assert new_soft == hard or hard == resource.RLIM_INFINITY
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_serve_logging_masks_passwords(tmp_path):
    logger = logging.getLogger("wmssim")
    before = (list(logger.handlers), logger.level, logger.propagate)
    handler = setup_logging(tmp_path / "log.txt", "info", ["Fleet-Secret-1"])
    try:
        fleet_log = logging.getLogger("wmssim.fleet")
        fleet_log.warning("user admin password %s rejected", "Fleet-Secret-1")
        logging.getLogger("wmssim.something").info("header Authorization: Basic YWRtaW46eHl6")
        try:
            raise ValueError("bad Fleet-Secret-1")
        except ValueError:
            logging.getLogger("wmssim.other").exception("failed")
        logging.getLogger("wmssim.other").debug("not at info level")
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.handlers[:], logger.level, logger.propagate = before
    text = (tmp_path / "log.txt").read_text()
    assert "Fleet-Secret-1" not in text and "YWRtaW46eHl6" not in text
    assert "password *** rejected" in text and "bad ***" in text
    assert "not at info level" not in text
