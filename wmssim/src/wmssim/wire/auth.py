"""Authentication of one simulated host: Basic, NTLM (pyspnego acceptor), message encryption.

What the clients do (pywinrm 0.5 / requests_ntlm 1.3, see the wire notes):

- Basic: the ``Authorization: Basic`` header rides on every POST, without a 401 first.
- NTLM: POST without auth -> 401 ``WWW-Authenticate: Negotiate``; NEGOTIATE token -> 401 with
  the CHALLENGE; AUTHENTICATE token -> the request is served. The context belongs to the TCP
  connection. Over HTTP, pywinrm then encrypts every body (``multipart/encrypted``, MS-WSMV
  2.2.9.1.1); over HTTPS it does not, and sends channel binding tokens instead.

Wrong credentials get a bare 401, as on Windows; pywinrm turns that into
``InvalidCredentialsError``. Over plain HTTP an NTLM host refuses unencrypted bodies with 401
(WinRM's default ``AllowUnencrypted=false``).

pyspnego's NTLM acceptor reads the credential store named by ``NTLM_USER_FILE``
(``DOMAIN:USER:PASSWORD`` lines) when the context is made and at the AUTHENTICATE step. The
whole fleet runs on one event-loop thread, so the variable is set right before those calls and
restored right after; ``USER_FILES`` keeps one file (mode 0600, in a private temp dir) per
distinct credential set and removes it when the last server using it stops.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings

from ..spec import HostSpec
from .logs import get_logger, guard_third_party, register_basic_credential

LOG = get_logger("wmssim.auth")
guard_third_party()

PROTOCOL_STRING = "application/HTTP-SPNEGO-session-encrypted"
ENCRYPTED_CONTENT_TYPE = (
    f'multipart/encrypted;protocol="{PROTOCOL_STRING}";boundary="Encrypted Boundary"'
)
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
_BOUNDARY = b"--Encrypted Boundary"
_PART_HEADER = b"\tContent-Type: " + PROTOCOL_STRING.encode() + b"\r\n"
_OCTET_HEADER = b"\tContent-Type: application/octet-stream\r\n"
NTLM_SIGNATURE = b"NTLMSSP\x00"
BASIC_REALM = 'Basic realm="WSMAN"'


class AuthError(Exception):
    """A malformed Authorization header or token (answered with 401, never logged in full)."""


class EncryptionError(Exception):
    """An encrypted body that cannot be parsed or unsealed."""


# --- the NTLM credential store ---------------------------------------------------------------
class NtlmUserFiles:
    """One ``NTLM_USER_FILE`` per distinct set of credential lines, shared and ref-counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dir: Path | None = None
        self._files: dict[tuple[str, ...], Path] = {}
        self._refs: dict[Path, int] = {}
        self._serial = 0

    def acquire(self, lines: tuple[str, ...]) -> Path:
        """The file holding exactly these lines (written on first use)."""
        with self._lock:
            path = self._files.get(lines)
            if path is None:
                if self._dir is None or not self._dir.exists():
                    self._dir = Path(tempfile.mkdtemp(prefix="wmssim-ntlm-"))  # mode 0700
                self._serial += 1
                path = self._dir / f"users-{self._serial}.txt"
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write("".join(line + "\n" for line in lines))
                self._files[lines] = path
                self._refs[path] = 0
            self._refs[path] += 1
            return path

    def release(self, path: Path) -> None:
        """Drop one user of the file; the last one removes it (and the folder once empty)."""
        with self._lock:
            if path not in self._refs:
                return
            self._refs[path] -= 1
            if self._refs[path] > 0:
                return
            del self._refs[path]
            for key, value in list(self._files.items()):
                if value == path:
                    del self._files[key]
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            if not self._files and self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None

    @property
    def directory(self) -> Path | None:
        return self._dir


USER_FILES = NtlmUserFiles()


def split_user(username: str) -> tuple[str, str]:
    """``DOMAIN\\user`` -> (DOMAIN, user); ``user@realm`` and ``user`` -> ("", as given)."""
    if "\\" in username:
        domain, _, user = username.partition("\\")
        return domain, user
    return "", username


def ntlm_user_lines(spec: HostSpec) -> tuple[str, ...]:
    """Credential lines for the host's one account.

    A bare ``user`` is a local account: Windows takes it as ``user``, ``.\\user`` and
    ``COMPUTER\\user``. Lines are in the smbpasswd form, with the LM/NT hashes: any password fits
    (``DOMAIN:USER:PASSWORD`` cannot hold ``:`` or a line break), and pyspnego, which would
    otherwise hash a plain password again at every logon (DES in pure Python), reads them as is.
    """
    domain, user = split_user(spec.username)
    if ":" in user or "\n" in user or "\r" in user:
        raise ValueError("a user name cannot contain ':' or line breaks")
    domains = [domain] if domain else ["", ".", spec.netbios_name()]
    password = spec.password
    from spnego._ntlm_raw.crypto import (  # pyspnego's own hash functions
        lmowfv1,
        ntowfv1,
    )

    lm = base64.b16encode(lmowfv1(password)).decode()
    nt = base64.b16encode(ntowfv1(password)).decode()
    return tuple(
        f"{d + chr(92) if d else ''}{user}:0:{lm}:{nt}:[U          ]:LCT-00000000" for d in domains
    )


@contextmanager
def _user_file_env(path: Path) -> Iterator[None]:
    """``NTLM_USER_FILE`` set for the duration of one pyspnego call (single loop thread)."""
    previous = os.environ.get("NTLM_USER_FILE")
    os.environ["NTLM_USER_FILE"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("NTLM_USER_FILE", None)
        else:
            os.environ["NTLM_USER_FILE"] = previous


def _client_sent_bindings(token: bytes) -> bool:
    """Whether an AUTHENTICATE message carries a non-zero channel binding hash.

    WinRM's default CbtHardeningLevel is Relaxed: a client that sends no binding is accepted,
    one that sends a wrong binding is not. pyspnego alone would refuse a missing one, so the
    acceptor only gets the bindings when the client sent some. (Uses pyspnego's message
    parser; if that ever moves, every client must send bindings.)
    """
    try:
        from spnego._ntlm_raw.messages import Authenticate, AvId, NTClientChallengeV2
    except ImportError:
        return True
    try:
        auth = Authenticate.unpack(token)
        response = auth.nt_challenge_response or b""
        if len(response) <= 24:
            return False
        pairs = NTClientChallengeV2.unpack(response[16:]).av_pairs
        value = pairs.get(AvId.channel_bindings)
        return bool(value) and value != b"\x00" * 16
    except Exception:
        return True


class NtlmContext:
    """The acceptor side of one NTLM handshake (one TCP connection)."""

    def __init__(self, user_file: Path, channel_bindings: bytes | None = None) -> None:
        self._user_file = user_file
        self._bindings = (
            GssChannelBindings(application_data=channel_bindings) if channel_bindings else None
        )
        with _user_file_env(user_file):
            self._ctx = spnego.server(
                hostname="localhost",
                service="http",
                protocol="ntlm",
                options=spnego.NegotiateOptions.use_ntlm,
            )
        self.stage = "new"  # new -> challenged -> complete (or failed)

    @property
    def complete(self) -> bool:
        return self.stage == "complete"

    @property
    def user(self) -> str | None:
        try:
            return self._ctx.client_principal
        except Exception:
            return None

    def negotiate(self, token: bytes) -> bytes:
        """NEGOTIATE in, CHALLENGE out."""
        try:
            with _user_file_env(self._user_file):
                out = self._ctx.step(token)
        except Exception as exc:
            self.stage = "failed"
            raise AuthError(f"negotiate message refused: {type(exc).__name__}") from None
        if not out:
            self.stage = "failed"
            raise AuthError("negotiate message gave no challenge")
        self.stage = "challenged"
        return out

    def authenticate(self, token: bytes) -> None:
        """AUTHENTICATE in; raise AuthError when the credentials (or bindings) are wrong."""
        if self.stage != "challenged":
            self.stage = "failed"
            raise AuthError("authenticate message without a challenge")
        bindings = self._bindings if self._bindings and _client_sent_bindings(token) else None
        try:
            with _user_file_env(self._user_file):
                self._ctx.step(token, channel_bindings=bindings)
        except Exception as exc:
            self.stage = "failed"
            raise AuthError(f"authenticate message refused: {type(exc).__name__}") from None
        if not self._ctx.complete:
            self.stage = "failed"
            raise AuthError("context incomplete after the authenticate message")
        self.stage = "complete"

    def wrap(self, data: bytes) -> tuple[bytes, bytes]:
        """Seal ``data``: (16-byte signature, sealed bytes)."""
        result = self._ctx.wrap(data, encrypt=True).data
        return result[:16], result[16:]

    def unwrap(self, signature: bytes, sealed: bytes) -> bytes:
        return self._ctx.unwrap(signature + sealed).data


# --- message encryption (MS-WSMV 2.2.9.1.1, as pywinrm winrm/encryption.py does it) ----------
def is_encrypted(content_type: str | None) -> bool:
    """Whether a Content-Type announces SPNEGO session encryption."""
    value = (content_type or "").lower()
    return value.startswith("multipart/encrypted") and PROTOCOL_STRING.lower() in value


def encrypt_body(ctx: NtlmContext, soap: bytes) -> bytes:
    """The multipart/encrypted body pywinrm's ``parse_encrypted_response`` reads."""
    signature, sealed = ctx.wrap(soap)
    return (
        _BOUNDARY + b"\r\n" + _PART_HEADER
        + b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(soap)).encode() + b"\r\n"
        + _BOUNDARY + b"\r\n" + _OCTET_HEADER
        + struct.pack("<i", len(signature)) + signature + sealed
        + _BOUNDARY + b"--\r\n"
    )


def decrypt_body(ctx: NtlmContext, body: bytes) -> bytes:
    """Unseal a multipart/encrypted request body (one or more parts)."""
    view = body
    out = bytearray()
    while True:
        if view == _BOUNDARY + b"--\r\n" or view == _BOUNDARY + b"--":
            break
        if not view.startswith(_BOUNDARY + b"\r\n"):
            raise EncryptionError("missing MIME boundary")
        view = view[len(_BOUNDARY) + 2:]
        head_end = view.find(_BOUNDARY + b"\r\n")
        if head_end < 0:
            raise EncryptionError("missing second MIME boundary")
        head = view[:head_end]
        view = view[head_end + len(_BOUNDARY) + 2:]
        if b"Length=" not in head:
            raise EncryptionError("no OriginalContent length")
        try:
            length = int(head.split(b"Length=", 1)[1].split(b"\r\n", 1)[0].split(b";", 1)[0])
        except ValueError:
            raise EncryptionError("bad OriginalContent length") from None
        if not view.startswith(_OCTET_HEADER):
            raise EncryptionError("missing octet-stream part")
        view = view[len(_OCTET_HEADER):]
        if len(view) < 4:
            raise EncryptionError("truncated encrypted part")
        sig_len = struct.unpack("<i", view[:4])[0]
        # NTLM sealing is RC4: the sealed data is exactly as long as the original.
        end = 4 + sig_len + length
        if sig_len != 16 or length < 0 or len(view) < end:
            raise EncryptionError("truncated encrypted part")
        signature, sealed = view[4:4 + sig_len], view[4 + sig_len:end]
        view = view[end:]
        try:
            plain = ctx.unwrap(signature, sealed)
        except Exception as exc:
            raise EncryptionError(f"cannot unseal: {type(exc).__name__}") from None
        if len(plain) != length:
            raise EncryptionError("length does not match OriginalContent")
        out += plain
        if not view:
            raise EncryptionError("missing closing MIME boundary")
    return bytes(out)


# --- the per-host authenticator ---------------------------------------------------------------
@dataclass
class ConnectionAuth:
    """What one TCP connection has proven so far."""

    ntlm: NtlmContext | None = None
    user: str | None = None


@dataclass
class AuthOutcome:
    """The verdict on one request: serve it, or answer 401 with these headers."""

    ok: bool
    headers: list[tuple[str, str]] = field(default_factory=list)
    user: str | None = None
    reason: str = ""


def parse_authorization(value: str) -> tuple[str, bytes]:
    """``Scheme base64`` -> (lower-case scheme, decoded token); AuthError if malformed."""
    scheme, _, rest = value.strip().partition(" ")
    token = rest.strip()
    if not scheme or not token or " " in token:
        raise AuthError("malformed auth header")
    try:
        return scheme.lower(), base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise AuthError("auth token is not base64") from None


class Authenticator:
    """Checks every request of one host against its single account."""

    def __init__(self, spec: HostSpec, *, tls: bool, channel_bindings: bytes | None = None) -> None:
        self.spec = spec
        self.tls = tls
        self.kind = spec.https_auth if spec.auth == "https" else spec.auth
        if self.kind not in ("basic", "ntlm"):
            raise ValueError(f"unsupported auth {self.kind!r} for host {spec.name}")
        self.channel_bindings = channel_bindings if tls else None
        self.user_file: Path | None = None
        register_basic_credential(spec.username, spec.password)

    @property
    def encryption_required(self) -> bool:
        """NTLM over plain HTTP: bodies must be encrypted (AllowUnencrypted=false)."""
        return self.kind == "ntlm" and not self.tls

    def open(self) -> None:
        """Acquire the NTLM credential file (NTLM hosts only)."""
        if self.kind == "ntlm" and self.user_file is None:
            self.user_file = USER_FILES.acquire(ntlm_user_lines(self.spec))

    def close(self) -> None:
        if self.user_file is not None:
            USER_FILES.release(self.user_file)
            self.user_file = None

    def challenge(self) -> list[tuple[str, str]]:
        """The WWW-Authenticate headers of a plain 401."""
        return [("WWW-Authenticate", BASIC_REALM if self.kind == "basic" else "Negotiate")]

    def _refuse(self, reason: str) -> AuthOutcome:
        return AuthOutcome(False, self.challenge(), reason=reason)

    def check(self, conn: ConnectionAuth, authorization: str | None) -> AuthOutcome:
        """Decide on one request from its Authorization header and the connection's state."""
        if authorization is None:
            if self.kind == "ntlm" and conn.ntlm is not None and conn.ntlm.complete:
                if self.spec.faults.auth_failure:
                    conn.ntlm, conn.user = None, None
                    return self._refuse("auth_failure fault")
                return AuthOutcome(True, user=conn.user)
            return self._refuse("no credentials")
        try:
            scheme, token = parse_authorization(authorization)
        except AuthError as exc:
            conn.ntlm, conn.user = None, None
            return self._refuse(str(exc))
        if scheme == "basic":
            return self._check_basic(conn, token)
        if scheme in ("negotiate", "ntlm"):
            return self._check_ntlm(conn, scheme, token)
        return self._refuse(f"unsupported scheme {scheme}")

    def _check_basic(self, conn: ConnectionAuth, token: bytes) -> AuthOutcome:
        if self.kind != "basic":
            return self._refuse("Basic is not enabled")
        user, sep, password = token.decode("utf-8", "replace").partition(":")
        if not sep:
            return self._refuse("malformed basic token")
        user_ok = user.lower() == self.spec.username.lower()
        password_ok = hmac.compare_digest(password.encode(), self.spec.password.encode())
        if not (user_ok and password_ok) or self.spec.faults.auth_failure:
            return self._refuse("wrong user or password")
        conn.user = user
        return AuthOutcome(True, user=user)

    def _check_ntlm(self, conn: ConnectionAuth, scheme: str, token: bytes) -> AuthOutcome:
        if self.kind != "ntlm" or self.user_file is None:
            return self._refuse("Negotiate is not enabled")
        label = "NTLM" if scheme == "ntlm" else "Negotiate"
        if not token.startswith(NTLM_SIGNATURE) or len(token) < 12:
            conn.ntlm, conn.user = None, None
            return self._refuse("not an NTLM token")  # Kerberos / SPNEGO are not served
        message_type = struct.unpack("<I", token[8:12])[0]
        if message_type == 1:
            conn.ntlm, conn.user = NtlmContext(self.user_file, self.channel_bindings), None
            try:
                challenge = conn.ntlm.negotiate(token)
            except AuthError as exc:
                conn.ntlm = None
                return self._refuse(str(exc))
            header = f"{label} {base64.b64encode(challenge).decode('ascii')}"
            return AuthOutcome(False, [("WWW-Authenticate", header)], reason="challenge")
        if message_type == 3:
            ctx, conn.ntlm, conn.user = conn.ntlm, None, None
            if ctx is None:
                return self._refuse("authenticate message without negotiate")
            try:
                ctx.authenticate(token)
            except AuthError as exc:
                return self._refuse(str(exc))
            if self.spec.faults.auth_failure:
                return self._refuse("auth_failure fault")
            conn.ntlm, conn.user = ctx, ctx.user or self.spec.username
            return AuthOutcome(True, user=conn.user)
        conn.ntlm, conn.user = None, None
        return self._refuse("unexpected NTLM message")
