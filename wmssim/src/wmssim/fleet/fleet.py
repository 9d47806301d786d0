"""A fleet: every host of a scenario served by one process, on one asyncio loop, on 127.0.0.1.

``Fleet`` builds one ``model.Host`` and one ``server.HostServer`` per ``HostSpec``, gives each
host its own port (port 0 at bind time: the OS picks), writes the Ansible inventory and serves a
small HTTP control endpoint (``GET /<token>/state``, ``GET /<token>/healthz``,
``POST /<token>/reset``) that ``wmssim state`` reads.

A host with the ``down`` fault gets a port where nothing listens: the fleet binds a socket for
it like any other, notes the port and closes the socket only once every other host is bound, so
no other host of the fleet can be given that port.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import resource
import secrets
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from ..host import model, powershell
from ..spec import HostSpec
from ..wire import server, tls

LOG = logging.getLogger("wmssim.fleet")
LOOPBACK = "127.0.0.1"
GROUP = "wms"
CONTROL_READ_LIMIT = 64 * 1024  # request line + headers + body of one control request
CONTROL_TIMEOUT = 10.0  # seconds a control client may take to send its request


def raise_file_limit() -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit (every host needs sockets); return both."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            LOG.warning("could not raise the open file limit from %s: %s", soft, exc)
    return soft, hard


def bind_loopback(port: int = 0) -> socket.socket:
    """A TCP socket bound to 127.0.0.1 (port 0: the OS picks a free port), not yet listening.

    SO_REUSEADDR (as asyncio sets it on the sockets it binds) lets ``Fleet.reset`` bind a host's
    port again while closed connections linger in TIME_WAIT; Linux still never hands out, for
    port 0, a port that another socket holds.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def host_server_factory(known: powershell.KnownAgent | None) -> Callable[..., server.HostServer]:
    """Builds the wire layer's server for a host; its commands start in the host layer's PowerShell."""

    def build(host: model.Host, spec: HostSpec, material: tls.TLSMaterial | None) -> server.HostServer:
        return server.HostServer(host, spec, material, functools.partial(powershell.start_process, known=known))

    return build


@dataclass
class ServedHost:
    """One host of the fleet: what the scenario says, its model, its port and its server."""

    spec: HostSpec
    host: Any  # model.Host
    port: int = 0
    server: Any = None  # server.HostServer; None for a down host
    sock: socket.socket | None = None  # the bound socket until a server (or closing) takes it

    @property
    def down(self) -> bool:
        return self.spec.faults.down


class Fleet:
    """Every host of a scenario, served from this process; see the module docstring."""

    def __init__(
        self,
        specs: list[HostSpec],
        state_dir: str | Path,
        *,
        host_factory: Callable[[HostSpec], Any] | None = None,
        server_factory: Callable[[Any, HostSpec, Any], Any] | None = None,
        tls_factory: Callable[[Path], Any] | None = None,
        known_agent: powershell.KnownAgent | None = None,
    ) -> None:
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError("host names in a fleet must be unique")
        self.specs = list(specs)
        self.state_dir = Path(state_dir)
        self._host_factory = host_factory or model.Host
        self._server_factory = server_factory or host_server_factory(known_agent)
        self._tls_factory = tls_factory or tls.generate_tls_material
        self.hosts: dict[str, ServedHost] = {}
        self.tls: Any = None
        self.token = secrets.token_urlsafe(18)
        self.control_port = 0
        self._control: asyncio.Server | None = None
        self._secret_files: list[Path] = []
        self.started_at = 0.0
        self.start_seconds = 0.0

    # --- life cycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind every port, start every host server and the control endpoint."""
        begin = time.monotonic()
        soft, _hard = raise_file_limit()
        if soft < 2 * len(self.specs) + 64:
            LOG.warning(
                "open file limit %s is low for %s hosts: clients may be refused",
                soft,
                len(self.specs),
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if any(spec.auth == "https" for spec in self.specs):
            self.tls = self._tls_factory(self.state_dir / "tls")
            key = getattr(self.tls, "key", None) or getattr(self.tls, "key_path", None)
            if key:
                self._secret_files.append(Path(key))
        try:
            for spec in self.specs:
                served = ServedHost(spec=spec, host=self._host_factory(spec))
                served.sock = bind_loopback()
                served.port = served.sock.getsockname()[1]
                self.hosts[spec.name] = served
            if len({served.port for served in self.hosts.values()}) != len(self.hosts):
                raise RuntimeError("the OS gave the same port to two hosts")
            serving = [served for served in self.hosts.values() if not served.down]
            await asyncio.gather(*(self._start_server(served) for served in serving))
            # Every other host is bound (and listening): now the down hosts' ports can be let go.
            for served in self.hosts.values():
                if served.down and served.sock is not None:
                    served.sock.close()
                    served.sock = None
            self._control = await asyncio.start_server(
                self._handle_control, sock=bind_loopback(), limit=CONTROL_READ_LIMIT
            )
            self.control_port = self._control.sockets[0].getsockname()[1]
        except BaseException:
            await self.stop()
            raise
        self.started_at = time.time()
        self.start_seconds = time.monotonic() - begin
        LOG.info(
            "fleet up: %d hosts (%d down) in %.2f s, control port %d",
            len(self.hosts),
            sum(1 for s in self.hosts.values() if s.down),
            self.start_seconds,
            self.control_port,
        )

    async def _start_server(self, served: ServedHost) -> None:
        tls = self.tls if served.spec.auth == "https" else None
        served.server = self._server_factory(served.host, served.spec, tls)
        sock, served.sock = served.sock, None
        await served.server.start(sock)
        LOG.debug("host %s (%s, %s) on port %d", served.spec.name, served.spec.generation,
                  served.spec.auth, served.port)

    async def stop(self) -> None:
        """Stop the control endpoint and every server, close sockets, remove secret files."""
        if self._control is not None:
            self._control.close()
            await self._control.wait_closed()
            self._control = None
        servers = [s for s in self.hosts.values() if s.server is not None]
        results = await asyncio.gather(*(s.server.stop() for s in servers), return_exceptions=True)
        for served, result in zip(servers, results):
            if isinstance(result, BaseException):
                LOG.error("host %s did not stop cleanly: %r", served.spec.name, result)
            served.server = None
        for served in self.hosts.values():
            if served.sock is not None:
                served.sock.close()
                served.sock = None
        for path in self._secret_files:
            try:
                path.unlink()
                LOG.info("removed %s", path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                LOG.warning("could not remove %s: %s", path, exc)
        self._secret_files.clear()

    async def reset(self, names: list[str] | None = None) -> list[str]:
        """Give hosts a fresh model (sessions, events and counters as the scenario says)."""
        chosen = [self.hosts[name] for name in names] if names else list(self.hosts.values())
        for served in chosen:
            served.host = self._host_factory(served.spec)
            if served.server is not None:
                await served.server.stop()
                served.server = None
                served.sock = bind_loopback(served.port)
                await self._start_server(served)
        LOG.info("reset %d hosts", len(chosen))
        return [served.spec.name for served in chosen]

    # --- what the fleet tells others -----------------------------------------------------------
    @property
    def control_url(self) -> str:
        return f"http://{LOOPBACK}:{self.control_port}/{self.token}"

    def host_state(self, served: ServedHost) -> dict[str, Any]:
        """``Host.state()`` plus what the fleet knows: port, auth, down."""
        data = dict(served.host.state())
        data.setdefault("port", served.port)
        data.setdefault("auth", served.spec.auth)
        data.setdefault("down", served.down)
        return data

    def state(self, names: list[str] | None = None) -> dict[str, Any]:
        """The JSON document ``wmssim state`` prints."""
        chosen = names if names else list(self.hosts)
        return {"hosts": {name: self.host_state(self.hosts[name]) for name in chosen}}

    def inventory(self) -> dict[str, Any]:
        """An Ansible YAML inventory: every host in group ``wms``, control endpoint in all.vars."""
        hosts: dict[str, Any] = {}
        for name, served in self.hosts.items():
            hosts[name] = self.host_vars(served)
        return {
            "all": {
                "vars": {
                    "wmssim_control": self.control_url,
                    "wmssim_pid": os.getpid(),
                    "wmssim_state_dir": str(self.state_dir.resolve()),
                },
                "children": {GROUP: {"hosts": hosts}},
            }
        }

    def host_vars(self, served: ServedHost) -> dict[str, Any]:
        """The connection variables ansible's winrm plugin needs for one host."""
        spec = served.spec
        https = spec.auth == "https"
        data: dict[str, Any] = {
            "ansible_host": LOOPBACK,
            "ansible_port": served.port,
            "ansible_user": spec.username,
            "ansible_password": spec.password,
            "ansible_connection": "winrm",
            "ansible_winrm_transport": spec.https_auth if https else spec.auth,
            "ansible_winrm_scheme": "https" if https else "http",
            "ansible_winrm_message_encryption": "auto",
        }
        if https:
            data["ansible_winrm_server_cert_validation"] = "validate"
            data["ansible_winrm_ca_trust_path"] = str(Path(self.tls.ca_cert).resolve())
        data["wmssim_generation"] = spec.generation
        data["wmssim_auth"] = spec.auth
        if served.down:
            data["wmssim_down"] = True
        return data

    def write_inventory(self, path: str | Path) -> Path:
        """Write the inventory atomically (temp file in the same folder, then rename), mode 0600."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "# Written by `python -m wmssim serve`; valid while that process runs.\n"
        text += yaml.safe_dump(self.inventory(), sort_keys=False, default_flow_style=False)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
        return path

    def passwords(self) -> list[str]:
        """Every password of the fleet (to keep them out of logs)."""
        return sorted({spec.password for spec in self.specs if spec.password})

    # --- the control endpoint ------------------------------------------------------------------
    async def _handle_control(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            status, body = await asyncio.wait_for(self._control_request(reader), CONTROL_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status, body = 400, {"error": "bad request"}
        except ConnectionError:
            writer.close()
            return
        except Exception:  # the fleet keeps serving whatever one control request does
            LOG.exception("control request failed")
            status, body = 500, {"error": "internal error, see the log"}
        payload = (json.dumps(body, indent=1) + "\n").encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  500: "Internal Server Error"}.get(status, "Error")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            writer.write(head + payload)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _control_request(self, reader: asyncio.StreamReader) -> tuple[int, dict]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        if not method.isalpha() or not version.startswith("HTTP/1."):
            raise ValueError("not an HTTP/1.x request")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length:
            await reader.readexactly(length)
        url = urlsplit(target)
        parts = url.path.strip("/").split("/")
        if len(parts) != 2 or not secrets.compare_digest(parts[0], self.token):
            return 404, {"error": "not found"}
        names = parse_qs(url.query).get("host", [])
        unknown = [name for name in names if name not in self.hosts]
        if unknown:
            return 404, {"error": f"unknown host: {', '.join(unknown)}"}
        action = parts[1]
        if action == "healthz" and method == "GET":
            return 200, {
                "ok": True,
                "hosts": len(self.hosts),
                "down": sum(1 for s in self.hosts.values() if s.down),
                "pid": os.getpid(),
                "uptime_s": round(time.time() - self.started_at, 3),
            }
        if action == "state" and method == "GET":
            return 200, self.state(names)
        if action == "reset" and method == "POST":
            return 200, {"reset": await self.reset(names)}
        if action in ("healthz", "state", "reset"):
            return 405, {"error": f"{method} is not allowed on {action}"}
        return 404, {"error": "not found"}
