"""Logging for the wire layer, with secrets scrubbed before a record leaves the logger.

The wire layer sees passwords (Basic headers, the NTLM credential file) and authentication
tokens. It never formats them into a message on purpose; the filter here is the second line of
defence: it replaces every registered secret, every ``Authorization``/``WWW-Authenticate`` value
and every Basic/Negotiate/NTLM token by ``***`` in the text of each record (and of its
exception). ``get_logger`` hands out loggers that carry the filter.
"""

from __future__ import annotations

import base64
import logging
import re
import threading

MASK = "***"

# "Authorization: <anything>" (also Proxy-Authorization and WWW-Authenticate) up to end of line.
_HEADER_RE = re.compile(
    r"(?i)\b((?:proxy-)?authorization|www-authenticate)(\s*[:=]\s*)[^\r\n]*"
)
# "Basic dXNlcjpwYXNz", "Negotiate TlRMTVNT...", "NTLM TlRMTVNT..." anywhere in the text.
_TOKEN_RE = re.compile(r"(?i)\b(basic|negotiate|ntlm|kerberos)(\s+)[A-Za-z0-9+/=_-]{8,}")
# A bare NTLM message in base64 always starts with "TlRMTVNTUAA" (b"NTLMSSP\0").
_NTLM_B64_RE = re.compile(r"TlRMTVNTUAA[A-Za-z0-9+/=]*")

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Mask this text (a password) in every record of a wire logger from now on.

    Its base64 forms as a Basic header would carry it are masked too (user:password is
    registered separately through ``register_basic_credential``).
    """
    if not secret:
        return
    with _lock:
        _secrets.add(secret)


def register_basic_credential(username: str, password: str) -> None:
    """Mask a password and the base64 ``user:password`` of a Basic header."""
    register_secret(password)
    if password:
        raw = f"{username}:{password}".encode("utf-8", "surrogatepass")
        register_secret(base64.b64encode(raw).decode("ascii"))


def redact(text: str) -> str:
    """The text with every known secret, auth header value and auth token masked."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _TOKEN_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _NTLM_B64_RE.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrite a record so that its message and exception text are redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw text, still redacted
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the redacting filter attached (once)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


# pyspnego logs every NTLM token it steps at DEBUG; the acceptor runs in this process.
THIRD_PARTY_LOGGERS = (
    "spnego",
    "spnego._ntlm",
    "spnego._negotiate",
    "spnego._credssp",
    "spnego._gss",
    "spnego._sspi",
)


def guard_third_party() -> None:
    """Attach the redacting filter to the loggers of libraries that see tokens."""
    for name in THIRD_PARTY_LOGGERS:
        get_logger(name)

