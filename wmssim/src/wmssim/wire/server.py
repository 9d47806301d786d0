"""One simulated host's WinRM endpoint: a small asyncio HTTP/1.1 server for ``POST /wsman``.

``HostServer(host, spec, tls)`` serves on a socket the fleet has bound (``await start(sock)``)
and stops with ``await stop()``. Everything runs on the fleet's one event loop, with no thread
per host or per connection, so one process can serve hundreds of hosts.

HTTP: keep-alive (HTTP/1.1 default), ``Content-Length`` bodies only, TCP_NODELAY on every
connection (without it each response stalls ~43 ms on Nagle + delayed ACK, see the wire
notes), ``spec.latency_ms`` of delay before every response. Each request is checked in this
order: method and path, authentication (``auth``), size, decryption, then the SOAP request
(``protocol``) and the shell operation (``shells``).

Windows limits and faults:

- A request body larger than MaxEnvelopeSizekb (``spec.max_envelope_kb``) gets HTTP 413 with
  an empty body: what the WinRM service answers (ansible-collections/ansible.windows#620 and
  #391, masterzen/winrm#156: pywinrm reports "Bad HTTP response returned from server. Code
  413"; wsmerror.h ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS is the client's reading of that
  status: "the request size exceeded the configured MaxEnvelopeSize quota"; MS-WSMV 2.2.4.10:
  MaxEnvelopeSizekb also limits client request packets).
- ``Faults.http_500`` names an action: that action gets HTTP 500 with the w:InternalError fault
  recorded in pypsrp ``test_winrs_no_cmd_shell.yml`` (see ``protocol.internal_error``).
- ``Faults.auth_failure``: every credential gets 401.
- Bad input (broken HTTP, unknown paths or methods, bad auth headers, truncated or garbled
  bodies, malformed XML, unknown actions or resources) gets an HTTP error or a SOAP fault for
  that request only; the server keeps serving.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from ..spec import WS_ACTIONS, HostSpec
from . import wsman as p
from .auth import (
    ENCRYPTED_CONTENT_TYPE,
    SOAP_CONTENT_TYPE,
    Authenticator,
    ConnectionAuth,
    EncryptionError,
    decrypt_body,
    encrypt_body,
    is_encrypted,
)
from .logs import get_logger
from .shells import ClientGone, RequestContext, ShellService, StartProcess

LOG = get_logger("wmssim.server")

HEAD_LIMIT = 64 * 1024  # request line + headers
IDLE_TIMEOUT = 120.0  # seconds a keep-alive connection may sit idle (http.sys default)
BODY_TIMEOUT = 60.0  # seconds to receive a whole body once its headers are in
DISCARD_LIMIT = 64 * 1024 * 1024  # an oversized body up to this is read and dropped, then 413
SERVER_HEADER = "Microsoft-HTTPAPI/2.0"
REASONS = {
    100: "Continue", 200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required",
    413: "Request Entity Too Large", 415: "Unsupported Media Type",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 505: "HTTP Version Not Supported",
}


class HttpError(Exception):
    """A request that is answered with an HTTP error status (and maybe a closed connection)."""

    def __init__(self, status: int, reason: str, *, close: bool = True) -> None:
        super().__init__(reason)
        self.status = status
        self.close = close


@dataclass
class HttpRequest:
    """One parsed HTTP request."""

    method: str
    target: str
    version: str
    headers: dict[str, list[str]]
    body: bytes = b""
    too_large: bool = False

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for v in self.headers.get("connection", []) for t in v.split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


@dataclass
class HttpResponse:
    """One response to write."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False

    def encode(self) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Error')}",
            f"Server: {SERVER_HEADER}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        lines.append(f"Content-Length: {len(self.body)}")
        if self.close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class WireStats:
    """What this endpoint answered: HTTP statuses and SOAP fault subcodes."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    connections: int = 0


async def read_request(reader: asyncio.StreamReader, max_body: int) -> HttpRequest | None:
    """Read one request; None on a clean end of the connection; HttpError for bad input."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpError(400, "truncated request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise HttpError(431, "request head too large") from None
    text = head.decode("latin-1").lstrip("\r\n")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505, "unsupported HTTP version")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" or ":" not in line:
            raise HttpError(400, "malformed header line")
        name, _, value = line.partition(":")
        if not name or name != name.strip():
            raise HttpError(400, "malformed header name")
        headers.setdefault(name.lower(), []).append(value.strip())
    request = HttpRequest(method.upper(), target, version, headers)
    if "transfer-encoding" in headers:
        raise HttpError(501, "Transfer-Encoding is not supported")
    lengths = set(headers.get("content-length", []))
    if len(lengths) > 1:
        raise HttpError(400, "conflicting Content-Length")
    length = 0
    if lengths:
        value = lengths.pop()
        if not value.isdigit():
            raise HttpError(400, "bad Content-Length")
        length = int(value)
    if length > DISCARD_LIMIT:
        raise HttpError(413, "request far too large")
    return await _read_body(reader, request, length, max_body)


async def _read_body(
    reader: asyncio.StreamReader, request: HttpRequest, length: int, max_body: int
) -> HttpRequest:
    if not length:
        return request
    try:
        body = await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT)
    except asyncio.IncompleteReadError:
        raise HttpError(400, "truncated body") from None
    except TimeoutError:
        raise HttpError(408, "body not received in time") from None
    request.body = body  # read even when too large, to stay in step with the client
    request.too_large = length > max_body
    return request


class HostServer:
    """The WinRM endpoint of one simulated host."""

    def __init__(
        self,
        host: Any,
        spec: HostSpec,
        tls: Any,
        start_process: StartProcess,
    ) -> None:
        self.host = host
        self.spec = spec
        self.tls = tls
        self.https = spec.auth == "https"
        if self.https and tls is None:
            raise ValueError(f"host {spec.name} uses https but no TLS material was given")
        bindings = tls.channel_binding_data() if self.https else None
        self.auth = Authenticator(spec, tls=self.https, channel_bindings=bindings)
        self.shells = ShellService(host, spec, start_process)
        self.stats = WireStats()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def max_envelope(self) -> int:
        return self.spec.max_envelope_kb * 1024

    # --- life cycle -------------------------------------------------------------------------
    async def start(self, sock: socket.socket) -> None:
        """Serve on an already bound socket (it is put into listening state here)."""
        context: ssl.SSLContext | None = self.tls.server_context() if self.https else None
        self.auth.open()
        try:
            self._server = await asyncio.start_server(
                self._serve_connection, sock=sock, ssl=context, limit=HEAD_LIMIT,
                ssl_handshake_timeout=30.0 if context else None,
            )
        except BaseException:
            self.auth.close()
            raise
        self.port = sock.getsockname()[1]
        LOG.debug("%s: serving %s on port %d", self.spec.name, self.spec.auth, self.port)

    async def stop(self) -> None:
        """Close the listener and every connection; terminate every command."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()
        self.shells.close()
        self.auth.close()

    # --- connections ------------------------------------------------------------------------
    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        self.stats.connections += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        peer = writer.get_extra_info("peername") or ("?", 0)
        conn = ConnectionAuth()
        try:
            while True:
                try:
                    request = await asyncio.wait_for(
                        read_request(reader, self.max_envelope), IDLE_TIMEOUT
                    )
                except HttpError as exc:
                    LOG.debug("%s: %s from %s: %s", self.spec.name, exc.status, peer[0], exc)
                    await self._write(writer, HttpResponse(exc.status, close=True))
                    break
                except TimeoutError:
                    break
                if request is None:
                    break
                self.stats.requests += 1
                response = await self._respond(request, conn, peer, reader, writer)
                if response is None:
                    break
                if not request.keep_alive:
                    response.close = True
                await self._write(writer, response)
                if response.close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:
            LOG.exception("%s: connection from %s failed", self.spec.name, peer[0])
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _write(self, writer: asyncio.StreamWriter, response: HttpResponse) -> None:
        self.stats.statuses[response.status] += 1
        if self.spec.latency_ms:
            await asyncio.sleep(self.spec.latency_ms / 1000.0)
        if writer.is_closing():
            return
        writer.write(response.encode())
        await writer.drain()

    # --- one request ------------------------------------------------------------------------
    async def _respond(
        self,
        request: HttpRequest,
        conn: ConnectionAuth,
        peer: tuple,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> HttpResponse | None:
        path = request.target.split("?", 1)[0].rstrip("/").lower()
        if path != "/wsman":
            return HttpResponse(404)
        if request.method != "POST":
            return HttpResponse(405, headers=[("Allow", "POST")])
        outcome = self.auth.check(conn, request.header("authorization"))
        if not outcome.ok:
            LOG.debug("%s: 401 to %s (%s)", self.spec.name, peer[0], outcome.reason)
            return HttpResponse(401, headers=outcome.headers)
        content_type = request.header("content-type")
        encrypted = is_encrypted(content_type)
        if request.too_large:
            LOG.debug("%s: 413 to %s: request over MaxEnvelopeSizekb", self.spec.name, peer[0])
            if encrypted and conn.ntlm is not None and conn.ntlm.complete:
                # Unseal and drop it: NTLM sealing is one RC4 stream per connection, so the
                # next message only decrypts if this one went through the context too.
                try:
                    decrypt_body(conn.ntlm, request.body)
                except EncryptionError:
                    conn.ntlm, conn.user = None, None
            return HttpResponse(413)
        body = request.body
        if encrypted:
            if conn.ntlm is None or not conn.ntlm.complete:
                return HttpResponse(401, headers=self.auth.challenge())
            try:
                body = decrypt_body(conn.ntlm, body)
            except EncryptionError as exc:
                LOG.debug("%s: 400 to %s: %s", self.spec.name, peer[0], exc)
                conn.ntlm, conn.user = None, None
                return HttpResponse(400, close=True)
        elif body:
            if self.auth.encryption_required:
                LOG.debug("%s: 401 to %s: unencrypted body refused", self.spec.name, peer[0])
                return HttpResponse(401, headers=self.auth.challenge())
            if not (content_type or "").lower().startswith("application/soap+xml"):
                return HttpResponse(415)
        if not body:
            return HttpResponse(200)  # the empty POST that sets up an NTLM context
        if len(body) > self.max_envelope:
            return HttpResponse(413)
        context = RequestContext(
            user=outcome.user or self.spec.username,
            client_ip=str(peer[0]),
            address=self._address(request),
            alive=lambda: not writer.is_closing() and not reader.at_eof(),
        )
        result = await self._soap(body, context)
        if result is None:
            return None
        status, envelope = result
        data = envelope.encode("utf-8")
        if encrypted and conn.ntlm is not None:
            return HttpResponse(status, encrypt_body(conn.ntlm, data), ENCRYPTED_CONTENT_TYPE)
        return HttpResponse(status, data, SOAP_CONTENT_TYPE)

    def _address(self, request: HttpRequest) -> str:
        scheme = "https" if self.https else "http"
        host = request.header("host") or f"127.0.0.1:{self.port}"
        return f"{scheme}://{host}/wsman"

    def _count(self, name: str | None) -> None:
        if name in WS_ACTIONS:
            self.host.count_message(name)

    def _fault(self, fault: p.WSManFault) -> tuple[int, str]:
        self.stats.faults[fault.subcode] += 1
        return 500, p.fault_envelope(fault, "127.0.0.1")

    async def _soap(self, body: bytes, ctx: RequestContext) -> tuple[int, str] | None:
        """Status and envelope for one SOAP request; None when the client has gone."""
        try:
            request = p.parse_request(body)
        except p.WSManFault as fault:
            self._count(fault.action_name)
            LOG.debug("%s: fault %s on a %s request", self.spec.name, fault.subcode,
                      fault.action_name or "unparsed")
            return self._fault(fault)
        self._count(request.name)
        injected = self.spec.faults.http_500
        if injected and request.name and injected.lower() == request.name.lower():
            fault = p.internal_error()
            fault.relates_to = request.message_id
            LOG.debug("%s: injected HTTP 500 on %s", self.spec.name, request.name)
            return self._fault(fault)
        try:
            return 200, await self.shells.handle(request, ctx)
        except p.WSManFault as fault:
            fault.relates_to = request.message_id
            LOG.debug("%s: fault %s on %s", self.spec.name, fault.subcode, request.name)
            return self._fault(fault)
        except ClientGone:
            return None
        except Exception:
            LOG.exception("%s: %s failed", self.spec.name, request.name)
            fault = p.internal_error()
            fault.relates_to = request.message_id
            return self._fault(fault)


__all__ = ["HostServer", "HttpRequest", "HttpResponse", "WireStats", "read_request"]
