"""Shared fixtures of the simulator tests.

Wire layer (prefix ``wire_``): ``HostServer``s run on an event loop in a background thread, the
real clients (pywinrm, sockets) talk to them from the test thread. The host side is faked: a
``WireHost`` counts messages and commands, and each command runs a small async *script* (the
test's stand-in for ``powershell.start_process``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from wmssim.spec import HostSpec
from wmssim.process import Process
from wmssim.wire.server import HostServer
from wmssim.wire.tls import generate_tls_material

WIRE_PASSWORD = "Wire-Secret-Pa55!"


class WireHost:
    """Stands in for ``model.Host``: only the counters the wire layer feeds."""

    def __init__(self) -> None:
        self.messages: Counter = Counter()
        self.commands = 0

    def count_message(self, action: str) -> None:
        self.messages[action] += 1

    def count_command(self) -> None:
        self.commands += 1


Script = Callable[["WireProcess"], Awaitable[int | None]]


class WireProcess(Process):
    """A command whose behaviour is an async script; its return value is the exit code."""

    def __init__(self, script: Script, command: str, arguments: str, console_stdin: bool) -> None:
        super().__init__()
        self.command = command
        self.arguments = arguments
        self.console_stdin = console_stdin
        self.task = asyncio.get_running_loop().create_task(self._run(script))

    async def _run(self, script: Script) -> None:
        try:
            rc = await script(self)
        except asyncio.CancelledError:
            return
        except Exception as exc:  # a broken script shows up as rc 99 with its error on stderr
            self.write("stderr", repr(exc).encode())
            rc = 99
        self.finish(0 if rc is None else rc)

    def terminate(self) -> None:
        super().terminate()
        self.task.cancel()


async def wire_echo(proc: WireProcess) -> int:
    """The default command: prints its command line, exit code 0."""
    proc.write("stdout", f"{proc.command} {proc.arguments}".encode())
    return 0


class WireLoop:
    """An asyncio loop in a daemon thread; ``run`` executes a coroutine on it and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="wire-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class WireServer:
    """A running ``HostServer`` and what the test needs to reach and inspect it."""

    server: HostServer
    host: WireHost
    spec: HostSpec
    processes: list[WireProcess] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.spec.auth == "https" else "http"
        return f"{scheme}://127.0.0.1:{self.port}/wsman"

    @property
    def transport(self) -> str:
        return self.spec.https_auth if self.spec.auth == "https" else self.spec.auth

    def protocol(self, password: str | None = None, **kwargs: Any):
        """A pywinrm ``Protocol`` for this host (the real client stack)."""
        import winrm

        kwargs.setdefault("transport", self.transport)
        kwargs.setdefault("ca_trust_path", None)  # no CA from the environment
        return winrm.Protocol(
            self.endpoint,
            username=kwargs.pop("username", self.spec.username),
            password=self.spec.password if password is None else password,
            **kwargs,
        )

    def session(self, password: str | None = None, **kwargs: Any):
        """A pywinrm ``Session`` for this host."""
        import winrm

        session = winrm.Session(self.endpoint, auth=(self.spec.username, self.spec.password))
        session.protocol = self.protocol(password, **kwargs)
        return session


def wire_spec(name: str = "wire-01", **overrides: Any) -> HostSpec:
    """A HostSpec for wire tests: no costs, the test password."""
    overrides.setdefault("password", WIRE_PASSWORD)
    overrides.setdefault("auth", "basic")
    overrides.setdefault("powershell_startup_ms", 0)
    return HostSpec(name=name, **overrides)


@pytest.fixture(scope="session")
def wire_loop():
    loop = WireLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def wire_tls(tmp_path_factory):
    """One CA and server certificate for every HTTPS wire test."""
    return generate_tls_material(tmp_path_factory.mktemp("wire-tls"))


@pytest.fixture
def wire_serve(wire_loop):
    """Factory: ``wire_serve(spec, script=..., tls=...)`` starts a server on 127.0.0.1:0."""
    started: list[WireServer] = []

    def serve(spec: HostSpec | None = None, script: Script = wire_echo, tls: Any = None) -> WireServer:
        spec = spec or wire_spec()
        host = WireHost()
        handle: WireServer

        def start_process(_host: Any, command: str, arguments: str, *, console_stdin: bool) -> Process:
            assert _host is host
            proc = WireProcess(script, command, arguments, console_stdin)
            handle.processes.append(proc)
            return proc

        server = HostServer(host, spec, tls, start_process=start_process)
        handle = WireServer(server, host, spec)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        wire_loop.run(server.start(sock))
        started.append(handle)
        return handle

    yield serve
    for handle in started:
        wire_loop.run(handle.server.stop())


@pytest.fixture
def wire_spec_factory():
    return wire_spec
