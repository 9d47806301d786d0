"""MultiPoint cmdlets of both generations and the WTS API, as operations on a ``model.Host``.

Sources (see the project's reference notes): the cmdlet syntax of MultiPoint Server 2012
(module help ``WmsCmdlets.dll-Help.xml``) and of the Windows Server 2016 MultiPoint Services role
(``MultiPoint.dll-Help.xml``), and the WTS API reference (wtsapi32). Where Microsoft documents
nothing, the host's ``Behaviour`` decides (unknown id, already disconnected, module name,
auto-loading, what a disconnected session looks like) and the choice is named here.

Both the agent (``agent``) and the one-liner interpreter (``oneliner``) call these functions;
parameter binding (names, types, parameter sets) is the interpreter's job, so the functions
take already converted values. Errors are ``PSError``: what PowerShell would put in an
``ErrorRecord``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import (
    ERROR_ACCESS_DENIED,
    ERROR_CTX_WINSTATION_NOT_FOUND,
    ERROR_INVALID_PARAMETER,
    INVALID_OPERATION,
    ITEM_NOT_FOUND,
    TIMEOUT,
    TIMEOUT_MESSAGE,
    UNAUTHORIZED,
    UNAUTHORIZED_MESSAGE,
    WIN32_EXCEPTION,
    WIN32_MESSAGES,
    PSError,
)
from .model import DISCONNECTED, LISTENER_ID, SERVICES_ID, Host, Session

MODULE_NAMES = ("MultiPoint", "WmsCmdlets", "WmsCmdlets3")  # what the agent tries to import
MODULE_VERSION = "1.0.0.0"  # [INF] not published; the same for both generations
# [INF] The 2016+ docs name the output type
# Microsoft.WindowsServerSolutions.MultipointServer.PowerShell.Commands.Library.WmsSession, so the
# cmdlet classes are taken to live in ...PowerShell.Commands (the class names are not published).
CMDLET_NAMESPACE = "Microsoft.WindowsServerSolutions.MultipointServer.PowerShell.Commands"
WMS_SESSION_TYPE = CMDLET_NAMESPACE + ".Library.WmsSession"
WMS_STATE_TYPE = CMDLET_NAMESPACE + ".Library.WmsSessionState"
# [INF] The numbers behind MultiPoint's State enum are not published; ConvertTo-Json shows these
# (and 2 for any other text a scenario sets with Behaviour.wms_state_when_disconnected).
WMS_STATE_VALUES = {"ConnectedToStation": 0, "RemoteConnection": 1}
IDASYNC = 32001  # WTSSendMessage response when bWait is FALSE: sent, not waited for

# --- command definitions -------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter of a command, as Get-Command describes it."""

    name: str
    type: str  # .NET type, "switch" for a SwitchParameter
    sets: tuple[str, ...] = ()  # parameter sets it is in; () = all of them
    mandatory: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    pipeline: bool = False  # takes pipeline input (by value or by property name)


@dataclass(frozen=True)
class Command:
    """A command: a MultiPoint cmdlet or a built-in the one-liner interpreter knows."""

    name: str
    class_name: str  # full .NET class name (the suffix of FullyQualifiedErrorId)
    parameters: tuple[Parameter, ...]
    sets: tuple[str, ...] = ("__AllParameterSets",)
    default_set: str = "__AllParameterSets"
    should_process: bool = False  # has -WhatIf and -Confirm
    module: str | None = None  # None: part of PowerShell itself

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name.lower() == name.lower()), None)


def _cls(name: str) -> str:
    return f"{CMDLET_NAMESPACE}.{name.replace('-', '')}Command"


def _cmd(name: str, params: tuple[Parameter, ...], sets=None, default=None, should_process=False) -> Command:
    sets = sets or ("__AllParameterSets",)
    return Command(name, _cls(name), params, sets, default or sets[0], should_process, "MultiPoint")


_TIMEOUT = Parameter("TimeoutInSecond", "System.Int32")
_SERVER = Parameter("Server", "System.String", aliases=("ComputerName",), pipeline=True)

# MultiPoint Server 2012 (syntax from the 2012 R2 docset).
CMDLETS_2012 = {
    c.name.lower(): c
    for c in (
        _cmd(
            "Get-WmsSession",
            (Parameter("SerializeString", "switch"), Parameter("Id", "System.UInt32"), _TIMEOUT),
        ),
        _cmd(
            "Disconnect-WmsSession",
            (Parameter("SessionId", "System.Int32", mandatory=True, pipeline=True), _TIMEOUT),
            should_process=True,
        ),
        _cmd(
            "Close-WmsSession",
            (Parameter("SessionId", "System.Int32", mandatory=True, pipeline=True), _TIMEOUT),
            should_process=True,
        ),
    )
}


def _by_id_or_all(
    name: str, by_id: str, all_: str, extra: tuple[Parameter, ...], should_process: bool
) -> Command:
    params = (
        Parameter("SessionId", "System.UInt32[]", (by_id,), True, 0, pipeline=True),
        Parameter("All", "switch", (all_,), True),
        *extra,
        _SERVER,
    )
    # [INF] The default parameter set is not published; the first documented one is assumed, so
    # a call with neither -SessionId nor -All misses the mandatory SessionId (no prompt, since
    # WinRM runs PowerShell non-interactively).
    return _cmd(name, params, (by_id, all_), by_id, should_process)


# MultiPoint Services on Windows Server 2016 (syntax from the 2016 docset).
CMDLETS_2016 = {
    c.name.lower(): c
    for c in (
        _by_id_or_all(
            "Get-WmsSession", "GetById", "GetAll", (Parameter("Thumbnail", "ThumbnailSizePS"),), False
        ),
        _by_id_or_all("Disconnect-WmsSession", "DisconnectById", "DisconnectAll", (), True),
        _by_id_or_all("Close-WmsSession", "CloseById", "CloseAll", (), True),
    )
}

# The other cmdlets of each generation: they exist on a host but wmssim does not simulate them.
OTHER_CMDLETS_2012 = (
    "Clear-WmsStation Close-WmsApp Get-WmsAlert Get-WmsApp Get-WmsStation Get-WmsSystem "
    "Get-WmsThumbnail Get-WmsUser Hide-WmsIdentifier Lock-WmsSession New-WmsUser Open-WmsApp "
    "Register-WmsEvent Remove-WmsUser Reset-WmsSystem Search-WmsSystem Set-WmsStation Set-WmsSystem "
    "Show-WmsIdentifier Show-WmsSystem Split-WmsStation Switch-WmsSystem Unlock-WmsSession "
    "Unregister-WmsEvent Update-WmsCoreManager"
).split()
OTHER_CMDLETS_2016 = (
    "Add-WmsSystem Clear-WmsStation Close-WmsApp Disable-WmsDiskProtection Disable-WmsScheduledUpdate "
    "Disable-WmsWebLimiting Enable-WmsDiskProtection Enable-WmsScheduledUpdate Enable-WmsWebLimiting "
    "Get-WmsAlert Get-WmsApp Get-WmsDiskProtection Get-WmsScheduledUpdate Get-WmsStation "
    "Get-WmsSystem Get-WmsUser Get-WmsVersion Get-WmsWebLimiting Hide-WmsIdentifier Join-WmsStation "
    "Lock-WmsSession Lock-WmsUsbStorage New-WmsUser Open-WmsApp Publish-WmsDesktop Remove-WmsSystem "
    "Remove-WmsUser Restart-WmsSystem Resume-WmsDiskProtection Search-WmsSystem "
    "Set-WmsScheduledUpdate Set-WmsStation Set-WmsSystem Set-WmsUser Set-WmsWebLimiting "
    "Show-WmsDesktop Show-WmsIdentifier Split-WmsStation Stop-WmsSystem Suspend-WmsDiskProtection "
    "Unlock-WmsSession Unlock-WmsUsbStorage Unpublish-WmsDesktop Update-WmsStation"
).split()

# Common parameters (about_CommonParameters): PowerShell 3.0 (MultiPoint Server 2012) and 5.1.
COMMON_PARAMETERS_3 = (
    "Verbose Debug ErrorAction WarningAction ErrorVariable WarningVariable OutVariable OutBuffer"
).split()
COMMON_PARAMETERS_5 = COMMON_PARAMETERS_3 + "InformationAction InformationVariable PipelineVariable".split()


# $PSVersionTable.PSVersion and .CLRVersion as each Windows PowerShell version shows them.
PS_VERSIONS = {"2.0": "2.0", "3.0": "3.0", "4.0": "4.0", "5.1": "5.1.14393.0"}
CLR_VERSIONS = {"2.0": "2.0.50727.8669", "3.0": "4.0.30319.34014", "4.0": "4.0.30319.34014",
                "5.1": "4.0.30319.42000"}


def ps_major_minor(host: Host) -> str:
    """The host's Windows PowerShell: as the scenario says, else 3.0 for 2012 and 5.1 otherwise."""
    return host.spec.powershell_version or ("3.0" if host.generation == "2012" else "5.1")


def ps_version(host: Host) -> str:
    """PowerShell version: 3.0 ships with MultiPoint Server 2012, 5.1 with Windows Server 2016."""
    return PS_VERSIONS[ps_major_minor(host)]


def clr_version(host: Host) -> str:
    return CLR_VERSIONS[ps_major_minor(host)]


def os_version(host: Host) -> str:
    """Windows version: Server 2012 for MultiPoint Server 2012, Server 2016 otherwise."""
    return "6.2.9200.0" if host.generation == "2012" else "10.0.14393.0"


def multipoint_commands(host: Host) -> dict[str, Command]:
    """The simulated MultiPoint cmdlets of the host's generation (none when not installed)."""
    if not host.module_installed:
        return {}
    return CMDLETS_2012 if host.generation == "2012" else CMDLETS_2016


def other_multipoint_cmdlets(host: Host) -> list[str]:
    """Names of the host's MultiPoint cmdlets that wmssim does not simulate."""
    if not host.module_installed:
        return []
    return OTHER_CMDLETS_2012 if host.generation == "2012" else OTHER_CMDLETS_2016


def parameter_names(host: Host, command: Command) -> list[str]:
    """The keys of ``(Get-Command X).Parameters``: own, common and (if any) ShouldProcess ones."""
    common = COMMON_PARAMETERS_3 if host.generation == "2012" else COMMON_PARAMETERS_5
    names = [p.name for p in command.parameters] + common
    if command.should_process:
        names += ["WhatIf", "Confirm"]
    return names


# --- a PowerShell process's view: modules and host output -------------------------------------


@dataclass
class Runspace:
    """What one powershell.exe process knows: the host, the modules it imported, its console."""

    host: Host
    caller: str  # "agent" or "one-liner": named in the event log
    write_host: Callable[[str], None] = lambda text: None  # text written to the host (stdout)
    imported: set[str] = field(default_factory=set)  # lower-case names of imported modules

    def import_module(self, name: str) -> None:
        """``Import-Module <name>``; FileNotFoundException when no such module is installed."""
        host = self.host
        if host.module_installed and name.lower() == host.behaviour.module_name.lower():
            self.imported.add(name.lower())
            return
        raise PSError(
            "System.IO.FileNotFoundException",
            f"The specified module '{name}' was not loaded because no valid module file was found "
            "in any module directory.",
            "ResourceUnavailable",
            "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand",
            activity="Import-Module",
            target=name,
        )

    @property
    def module_loaded(self) -> bool:
        return self.host.behaviour.module_name.lower() in self.imported

    def find_command(self, name: str) -> Command | None:
        """A MultiPoint cmdlet by name if PowerShell can find it now (imported or auto-loaded)."""
        command = multipoint_commands(self.host).get(name.lower())
        if command is None:
            return None
        if self.module_loaded or self.host.behaviour.module_autoload:
            return command
        return None

    def module_info(self) -> dict:
        """``name`` and ``version`` of the installed module (or snap-in)."""
        return {"name": self.host.behaviour.module_name, "version": MODULE_VERSION}

    def module_path(self) -> str | None:
        """Where Get-Command's Module says the module is; None for a snap-in (Module is null)."""
        if self.host.behaviour.module_kind == "snapin":
            return None
        name = self.host.behaviour.module_name
        return f"C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules\\{name}\\{name}.psd1"


# --- objects the cmdlets return -------------------------------------------------------------


@dataclass(frozen=True)
class PSEnum:
    """A .NET enum value: shown by name, serialised by ConvertTo-Json as its number."""

    type_name: str
    name: str
    value: int

    def __str__(self) -> str:
        return self.name


@dataclass
class PSObject:
    """A .NET object with ordered properties (what Get-WmsSession returns)."""

    type_name: str
    properties: dict[str, object]
    types: dict[str, str] = field(default_factory=dict)  # .NET type of a property, where it matters


@dataclass
class PSCollection:
    """One collection object written to the pipeline whole (Behaviour.wms_output: collection)."""

    type_name: str
    items: list


def property_type(obj: PSObject, name: str) -> str:
    """The .NET type name of a property's value, as ``$value.GetType().FullName`` shows it."""
    if name in obj.types:
        return obj.types[name]
    value = obj.properties[name]
    if isinstance(value, PSEnum):
        return value.type_name
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32"
    return "System.String"


def _wms_state_enum(text: str) -> PSEnum:
    return PSEnum(WMS_STATE_TYPE, text, WMS_STATE_VALUES.get(text, 2))


def _wms_client_name(host: Host, session: Session) -> str:
    # The 2016 doc example shows the computer's own name as ClientName of a station session.
    if session.client:
        return session.client
    return host.computer if (session.station or 0) >= 1 else ""


def wms_session_object(host: Host, session: Session) -> PSObject:
    """A session as Get-WmsSession returns it (2012: ``Id``; 2016: ``SessionId`` and more)."""
    props: dict[str, object] = {}
    types: dict[str, str] = {}
    id_key = "Id" if host.generation == "2012" else "SessionId"
    if host.generation == "2012":
        props["Id"] = session.id
        props["State"] = _wms_state_enum(host.wms_state(session) or "")
    else:
        props["SessionId"] = session.id
        props["State"] = _wms_state_enum(host.wms_state(session) or "")
        props["IsOrchestratable"] = False
    # MultiPoint computes IsAdmin from the user's logon, so membership through any group counts.
    props["IsAdmin"] = bool(session.admin)
    if host.generation != "2012":
        props["IsMOGUser"] = False
    props["UserName"] = session.user
    if session.id in host.behaviour.wms_user_mismatch:
        props["UserName"] = f"{session.user}-elsewhere"  # MultiPoint and WTS disagree on the user
    props["StationId"] = session.station or 0
    props["ComputerName"] = host.computer
    props["ClientName"] = _wms_client_name(host, session)
    props["DomainName"] = session.domain
    props["IsRail"] = False
    id_type = host.behaviour.wms_id_type
    if id_type == "string":
        props[id_key] = str(session.id)
    elif id_type == "uint32":
        types[id_key] = "System.UInt32"
    return PSObject(WMS_SESSION_TYPE, props, types)


# --- the MultiPoint cmdlets -------------------------------------------------------------------


def _command(host: Host, name: str) -> Command:
    commands = multipoint_commands(host)
    if name.lower() not in commands:
        raise RuntimeError(f"{name} does not exist on this host")
    return commands[name.lower()]


def _check_access(host: Host, command: Command) -> None:
    if host.faults.access_denied:
        raise PSError(
            UNAUTHORIZED, UNAUTHORIZED_MESSAGE, "PermissionDenied",
            f"{UNAUTHORIZED},{command.class_name}", activity=command.name,
        )


def _not_found(command: Command, session_id: int) -> PSError:
    # Close-WmsSession "returns an ItemNotFoundException if the specified session ID is not found"
    # (2012 and 2016 docs); the message text is not published.
    return PSError(
        ITEM_NOT_FOUND, f"Session {session_id} was not found.", "ObjectNotFound",
        f"{ITEM_NOT_FOUND},{command.class_name}", activity=command.name, target=session_id,
    )


def what_if_text(command: Command, session_id: int) -> str:
    """The line ShouldProcess writes for -WhatIf."""
    return f'What if: Performing the operation "{command.name}" on target "{session_id}".'


def _multipoint_session(host: Host, session_id: int) -> Session | None:
    session = host.session(session_id)
    if session is None or session.system or session_id in host.behaviour.wms_unlisted:
        return None
    return session


async def get_wms_session(rs: Runspace, ids: list[int] | None = None) -> list[PSObject]:
    """``Get-WmsSession`` (2012: no arguments or ``-Id``; 2016: ``-All`` or ``-SessionId``).

    Lists the user sessions MultiPoint knows, in id order; Behaviour.disconnected_listed decides
    whether Disconnected ones are among them. Unknown ids give no output ([INF]: not documented).
    """
    host = rs.host
    _check_access(host, _command(host, "Get-WmsSession"))
    wanted = None if ids is None else set(ids)
    objects = [
        wms_session_object(host, s)
        for s in host.ordered_sessions()
        if host.listed_by_multipoint(s) and (wanted is None or s.id in wanted)
    ]
    if host.behaviour.wms_output == "collection":
        return [PSCollection(f"System.Collections.Generic.List`1[[{WMS_SESSION_TYPE}]]", objects)]
    return objects


def unroll(objects: list) -> list:
    """Objects as the next command of a pipeline gets them: a collection written whole is taken apart."""
    flat: list = []
    for item in objects:
        flat.extend(item.items if isinstance(item, PSCollection) else [item])
    return flat


async def _service_disconnect(host: Host, session_id: int, cause: str) -> None:
    """The MultiPoint service disconnecting one session: takes Behaviour.disconnect_ms."""
    if host.faults.disconnect_hangs:
        await asyncio.get_running_loop().create_future()  # never done: callers time out
    if host.behaviour.disconnect_ms > 0:
        await asyncio.sleep(host.behaviour.disconnect_ms / 1000)
    if host.faults.disconnect_noop:
        return
    host.set_state(session_id, DISCONNECTED, cause)


async def _disconnect_one(
    rs: Runspace, command: Command, session_id: int, what_if: bool, cause: str
) -> PSError | None:
    host = rs.host
    session = _multipoint_session(host, session_id)
    if session is None:
        # Not documented for Disconnect-WmsSession: Behaviour.unknown_id ("error" follows
        # Close-WmsSession's documented ItemNotFoundException).
        return None if host.behaviour.unknown_id == "silent" else _not_found(command, session_id)
    if what_if:
        rs.write_host(what_if_text(command, session_id))
        return None
    if session.state == DISCONNECTED:
        if host.behaviour.already_disconnected == "error":
            return PSError(
                INVALID_OPERATION, f"Session {session_id} is already disconnected.", "InvalidOperation",
                f"{INVALID_OPERATION},{command.class_name}", activity=command.name, target=session_id,
            )
        return None
    await _service_disconnect(host, session_id, cause)
    return None


def _timeout_error(command: Command) -> PSError:
    return PSError(
        TIMEOUT, TIMEOUT_MESSAGE, "OperationTimeout", f"{TIMEOUT},{command.class_name}",
        activity=command.name,
    )


def _all_listed(host: Host) -> list[int]:
    return [s.id for s in host.ordered_sessions() if host.listed_by_multipoint(s)]


async def disconnect_wms_session(
    rs: Runspace,
    ids: list[int] | None,
    *,
    timeout: int | None = None,
    what_if: bool = False,
    cause: str,
) -> list[PSError]:
    """``Disconnect-WmsSession``: returns the non-terminating errors, raises terminating ones.

    2012: one id (``-SessionId <Int32>``); ``timeout`` is ``-TimeoutInSecond``: a disconnect
    that takes longer is aborted with System.TimeoutException. 2016: ``ids`` (``-SessionId
    <UInt32[]>``) or None for ``-All``; no timeout. Each id is done in turn; an error for one id
    (target object = the id) does not stop the others.
    """
    host = rs.host
    command = _command(host, "Disconnect-WmsSession")
    _check_access(host, command)
    targets = _all_listed(host) if ids is None else ids
    if host.behaviour.unknown_id == "terminating":
        unknown = next((i for i in targets if _multipoint_session(host, i) is None), None)
        if unknown is not None:
            raise _not_found(command, unknown)  # the whole call fails: no id is done
    errors: list[PSError] = []
    for session_id in targets:
        work = _disconnect_one(rs, command, session_id, what_if, cause)
        if host.generation == "2012" and timeout is not None and timeout > 0:
            try:
                error = await asyncio.wait_for(work, timeout)
            except TimeoutError:
                raise _timeout_error(command) from None
        else:
            error = await work
        if error is not None:
            errors.append(error)
    return errors


async def close_wms_session(
    rs: Runspace,
    ids: list[int] | None,
    *,
    timeout: int | None = None,
    what_if: bool = False,
    cause: str,
) -> list[PSError]:
    """``Close-WmsSession`` (log off): same shapes as Disconnect-WmsSession; unknown ids always
    fail with ItemNotFoundException, as documented."""
    host = rs.host
    command = _command(host, "Close-WmsSession")
    _check_access(host, command)
    errors: list[PSError] = []
    for session_id in _all_listed(host) if ids is None else ids:
        if _multipoint_session(host, session_id) is None:
            errors.append(_not_found(command, session_id))
        elif what_if:
            rs.write_host(what_if_text(command, session_id))
        else:
            host.log_off(session_id, cause)
    return errors


# --- the WTS API (wtsapi32) --------------------------------------------------------------------


def win32_error(code: int, function: str) -> PSError:
    """A failed WTS call as the agent surfaces it: Win32Exception with NativeErrorCode, its
    message prefixed with the function's name (as wms_agent.ps1 builds it)."""
    text = WIN32_MESSAGES.get(code, f"Unknown error ({code})")
    return PSError(WIN32_EXCEPTION, f"{function}: {text}", "NotSpecified", None, activity=function, win32=code)


def wts_enumerate(host: Host) -> list[tuple[int, str, str]]:
    """``WTSEnumerateSessions``: (SessionId, pWinStationName, State) of every session.

    Works for a standard user as well (Users may query sessions by default), so the
    access_denied fault does not affect it.
    """
    return [(s.id, s.win_station, s.state) for s in host.ordered_sessions()]


NON_USER_STATES = ("Listen", "Reset", "Down", "Init")


def wts_query(host: Host, session_id: int, info: str) -> str:
    """``WTSQuerySessionInformation`` for WTSUserName, WTSDomainName or WTSClientName."""
    session = host.session(session_id)
    if session is None:
        raise win32_error(ERROR_CTX_WINSTATION_NOT_FOUND, "WTSQuerySessionInformationW")
    if session.state in NON_USER_STATES and host.behaviour.wts_query_non_user == "error":
        raise win32_error(ERROR_INVALID_PARAMETER, "WTSQuerySessionInformationW")
    values = {"WTSUserName": session.user, "WTSDomainName": session.domain, "WTSClientName": session.client}
    return values[info]


def local_admin_member(host: Host, session_id: int) -> bool | None:
    """What the agent's Test-LocalAdmin finds: Administrators (S-1-5-32-544) expanded through its
    nested groups. A user found there (directly or through an expandable group) is True; one
    reached only through a group that cannot be expanded is None, and so is everyone else on a
    host that has such a group (the agent cannot rule it out); otherwise False."""
    session = host.session(session_id)
    if session is None or not session.user:
        return None
    if session.admin is True or session.admin == "group":
        return True
    if session.admin == "unresolvable":
        return None
    unexpandable = any(s.admin == "unresolvable" for s in host.spec.sessions)
    return None if unexpandable else False


def wts_disconnect(host: Host, session_id: int, cause: str) -> None:
    """``WTSDisconnectSession(WTS_CURRENT_SERVER_HANDLE, id, FALSE)``: returns at once; the
    state reads Disconnected after Behaviour.disconnect_ms (never with disconnect_hangs, and
    not at all with disconnect_noop). Needs the Disconnect permission (administrators)."""
    if host.faults.access_denied:
        raise win32_error(ERROR_ACCESS_DENIED, "WTSDisconnectSession")
    session = host.session(session_id)
    if session is None:
        raise win32_error(ERROR_CTX_WINSTATION_NOT_FOUND, "WTSDisconnectSession")
    if session.id in (SERVICES_ID, LISTENER_ID):
        raise win32_error(ERROR_INVALID_PARAMETER, "WTSDisconnectSession")  # [INF]
    if host.faults.disconnect_hangs or host.faults.disconnect_noop or session.state == DISCONNECTED:
        return
    delay = host.behaviour.disconnect_ms / 1000
    if delay > 0:
        asyncio.get_running_loop().call_later(delay, host.set_state, session_id, DISCONNECTED, cause)
    else:
        host.set_state(session_id, DISCONNECTED, cause)


def wts_send_message(
    host: Host, session_id: int, title: str, text: str, display_seconds: int, cause: str
) -> int:
    """``WTSSendMessage(..., MB_OK | MB_ICONINFORMATION, display_seconds, &response, FALSE)``:
    records the message on the session and answers IDASYNC. Needs the Message permission."""
    if host.faults.access_denied or host.faults.message_denied:
        raise win32_error(ERROR_ACCESS_DENIED, "WTSSendMessageW")
    if not host.show_message(session_id, title, text, display_seconds, cause):
        raise win32_error(ERROR_CTX_WINSTATION_NOT_FOUND, "WTSSendMessageW")
    return IDASYNC
