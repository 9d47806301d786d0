"""The fleet in-process: ports, the down host, the inventory, the control endpoint, shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import socket
import stat
from pathlib import Path

import yaml

from wmssim import fleet as fleet_module
from wmssim.cli import SecretFilter
from wmssim.fleet import Fleet
from wmssim.scenario import parse_scenario_text

SCENARIO = """
defaults: {password: "Fleet-Secret-1", username: admin}
hosts:
  - {name: basic-01, generation: "2012", auth: basic, sessions: [{id: 2, user: alice}]}
  - {name: ntlm-01, auth: ntlm, sessions: [{id: 2, user: bob}, {id: 3, user: carol}]}
  - {name: https-01, auth: https, https_auth: basic, password: "Other-Secret-2"}
  - {name: down-01, faults: {down: true}}
"""


class FakeHost:
    """Stands in for model.Host: its state() is all the fleet reads."""

    def __init__(self, spec):
        self.spec = spec
        self.messages = 0

    def state(self):
        return {
            "generation": self.spec.generation,
            "sessions": [{"id": s.id, "user": s.user, "state": s.state} for s in self.spec.sessions],
            "events": [],
            "messages": self.messages,
            "commands": 0,
        }


class FakeServer:
    """Stands in for server.HostServer: answers every HTTP request with 200 and the host name."""

    def __init__(self, host, spec, tls):
        self.host, self.spec, self.tls = host, spec, tls
        self.server = None

    async def start(self, sock):
        self.server = await asyncio.start_server(self._handle, sock=sock)

    async def _handle(self, reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        self.host.messages += 1
        body = self.spec.name.encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


class FakeTLS:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_cert = directory / "ca.pem"
        self.cert = directory / "server.pem"
        self.key = directory / "server.key"
        for path in (self.ca_cert, self.cert, self.key):
            path.write_text("fake\n")


def make_fleet(tmp_path: Path) -> Fleet:
    specs = parse_scenario_text(SCENARIO).hosts
    return Fleet(specs, tmp_path / "state", host_factory=FakeHost, server_factory=FakeServer,
                 tls_factory=FakeTLS)


async def http(port: int, method: str, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_fleet_serves_every_host_and_writes_the_inventory(tmp_path):
    async def scenario():
        fleet = make_fleet(tmp_path)
        await fleet.start()
        try:
            ports = {name: served.port for name, served in fleet.hosts.items()}
            assert len(set(ports.values())) == 4
            for name in ("basic-01", "ntlm-01", "https-01"):
                status, body = await http(ports[name], "POST", "/wsman")
                assert (status, body) == (200, name.encode())
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
    assert ca_path.is_absolute() and ca_path.exists()
    assert "ansible_winrm_ca_trust_path" not in hosts["ntlm-01"]
    assert hosts["down-01"]["wmssim_down"] is True
    # After stop: nothing listens any more and the TLS key is gone.
    assert all(refused(port) for port in ports.values())
    assert refused(int(group_vars["wmssim_control"].split(":")[2].split("/")[0]))
    assert not (tmp_path / "state" / "tls" / "server.key").exists()


def test_no_tls_material_without_https_hosts(tmp_path):
    calls = []

    def tls_factory(directory):
        calls.append(directory)
        return FakeTLS(directory)

    specs = parse_scenario_text("hosts: [{name: a, auth: basic}]").hosts
    fleet = Fleet(specs, tmp_path, host_factory=FakeHost, server_factory=FakeServer,
                  tls_factory=tls_factory)

    async def scenario():
        await fleet.start()
        await fleet.stop()

    asyncio.run(scenario())
    assert calls == []


def test_control_endpoint(tmp_path):
    async def scenario():
        fleet = make_fleet(tmp_path)
        await fleet.start()
        try:
            port, token = fleet.control_port, fleet.token
            await http(fleet.hosts["ntlm-01"].port, "POST", "/wsman")
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
            # The reset host is served again, on the same port.
            results["served_again"] = await http(fleet.hosts["ntlm-01"].port, "POST", "/wsman")
            results["garbage"] = await raw(port, b"\x16\x03\x01 not http\r\n\r\n")
            return results
        finally:
            await fleet.stop()

    results = asyncio.run(scenario())
    status, body = results["health"]
    assert status == 200 and json.loads(body)["hosts"] == 4 and json.loads(body)["down"] == 1
    status, body = results["state"]
    hosts = json.loads(body)["hosts"]
    assert status == 200 and list(hosts) == ["basic-01", "ntlm-01", "https-01", "down-01"]
    assert hosts["ntlm-01"]["messages"] == 1
    assert hosts["ntlm-01"]["sessions"] == [
        {"id": 2, "user": "bob", "state": "Active"},
        {"id": 3, "user": "carol", "state": "Active"},
    ]
    assert hosts["down-01"]["down"] is True and hosts["ntlm-01"]["down"] is False
    assert hosts["basic-01"]["generation"] == "2012"
    assert "Fleet-Secret-1" not in body.decode()
    status, body = results["one"]
    assert list(json.loads(body)["hosts"]) == ["ntlm-01", "down-01"]
    assert results["unknown"][0] == 404 and b"nope" in results["unknown"][1]
    assert results["bad_token"][0] == 404 and results["no_token"][0] == 404
    assert results["bad_method"][0] == 405
    assert results["reset"] == (200, json.dumps({"reset": ["ntlm-01"]}, indent=1).encode() + b"\n")
    assert json.loads(results["after_reset"][1])["hosts"]["ntlm-01"]["messages"] == 0
    assert results["served_again"] == (200, b"ntlm-01")
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
    fleet = Fleet(specs, tmp_path, host_factory=FakeHost, server_factory=FakeServer,
                  tls_factory=FakeTLS)

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


def test_secret_filter_scrubs_passwords_from_log_lines(tmp_path):
    logger = logging.getLogger("wmssim.test-secret-filter")
    handler = logging.FileHandler(tmp_path / "log.txt")
    handler.addFilter(SecretFilter(["Fleet-Secret-1"]))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("user admin password %s rejected", "Fleet-Secret-1")
        try:
            raise ValueError("bad Fleet-Secret-1")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = (tmp_path / "log.txt").read_text()
    assert "Fleet-Secret-1" not in text
    assert "password *** rejected" in text and "bad ***" in text
