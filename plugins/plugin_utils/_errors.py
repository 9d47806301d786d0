# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an agent error means, and what the user should do about it.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from enum import Enum

from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import (
    AgentError,
    AgentReply,
)


class ErrorClass(Enum):
    """What an error the agent reports means for the user (the agent itself never says)."""

    ACCESS_DENIED = "access_denied"
    NO_SUCH_SESSION = "no_such_session"
    TIMEOUT = "timeout"
    OTHER = "other"


class HostFailure(Exception):
    """The request failed as a whole on the host; ``facts`` is what is known anyway."""

    def __init__(self, msg: str, facts: dict) -> None:
        super().__init__(msg)
        self.msg = msg
        self.facts = facts


UNSUPPORTED_HOST_HINT = (
    "the agent needs Windows PowerShell 3.0 or later in FullLanguage mode. On MultiPoint Server 2011 "
    "(PowerShell 2.0) install WMF 3.0 or later; where an AppLocker or WDAC policy constrains the language, "
    "allow the agent (see the README, 'Your first real server')"
)
ELEVATION_HINT = (
    "the account must be an elevated administrator on the host (a member of the local "
    "Administrators group; for a local account over WinRM, UAC remote restrictions must allow a "
    "full token)"
)


def classify(error: AgentError) -> ErrorClass:
    """What the error means, from the exception type, category and Win32 code."""
    type_name = error.type.rsplit(".", 1)[-1]
    if type_name == "UnauthorizedAccessException" or error.category == "PermissionDenied" or error.win32 == 5:
        return ErrorClass.ACCESS_DENIED
    if type_name == "ItemNotFoundException" or error.category == "ObjectNotFound":
        return ErrorClass.NO_SUCH_SESSION
    if type_name == "TimeoutException" or error.category == "OperationTimeout":
        return ErrorClass.TIMEOUT
    return ErrorClass.OTHER


def session_error_message(error: AgentError) -> str:
    """One id's error, with a hint when the user can fix it."""
    text = error.describe()
    if classify(error) is ErrorClass.ACCESS_DENIED:
        text += f"; {ELEVATION_HINT}"
    return text


def request_failure_message(reply: AgentReply, host: str, backend: str) -> str:
    """Why a whole request failed on a host, and what to do."""
    error = reply.error
    if error is None:
        return f"The multipoint.wms agent on {host} reported a failure without saying why"
    if error.kind == "module_missing":
        if backend == "multipoint":
            return (
                f"MultiPoint Services PowerShell module not found on {host}; use backend=wts for "
                "RDS hosts"
            )
        return f"No MultiPoint module on {host}: {error.message}"
    if error.kind == "unsupported_host":
        return f"{host} cannot run the multipoint.wms agent: it found {error.message}; {UNSUPPORTED_HOST_HINT}"
    if error.kind == "unsupported_module":
        return (
            f"The MultiPoint module on {host} matches neither MultiPoint generation "
            f"({error.message}); use backend=wts"
        )
    if error.kind == "bad_request":
        return (
            f"The multipoint.wms agent on {host} rejected the request ({error.message}); the "
            "agent and the action plugin do not match, reinstall the collection"
        )
    if classify(error) is ErrorClass.ACCESS_DENIED:
        return f"Access denied on {host} ({error.describe()}): {ELEVATION_HINT}"
    return f"The multipoint.wms agent failed on {host}: {error.describe()}"


def checked(reply: AgentReply, host: str, backend: str) -> AgentReply:
    """The reply, or HostFailure saying why the whole request failed and what to do."""
    if not reply.ok:
        raise HostFailure(request_failure_message(reply, host, backend),
                          {"backend": reply.backend, "generation": reply.generation})
    return reply


def noise_warning(reply: AgentReply, host: str) -> str | None:
    """A warning about output the host printed beside the agent's answer, if it printed any."""
    if not reply.noise:
        return None
    shown = " | ".join(reply.noise[:3])
    return (f"{host} printed {len(reply.noise)} unexpected line(s) beside the agent's answer "
            f"(ignored): {shown[:300]}")
