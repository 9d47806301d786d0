"""Parameters of every MultiPoint cmdlet, per generation, for the agent's static tests.

The syntax lines below are transcribed from Microsoft's documentation (see
``shared/reference/cmdlet-syntax-2012.txt`` and ``cmdlet-syntax-2016.txt`` beside the repository:
docset ``winserver2012r2-ps/multipoint`` and ``winserver2016-ps/MultiPoint`` of
MicrosoftDocs/windows-powershell-docs). ``parse_syntax`` turns them into parameter sets, the
unit a PowerShell call must fit: every parameter it names in one set, every mandatory parameter
of that set given.

Reading the documented syntax: ``-Name <T>`` and ``[-Name] <T>`` are mandatory (the second is
also positional), ``[-Name <T>]`` is optional, ``[-Name]`` is an optional switch. One exception is
applied on top: in the 2016 module ``-All`` is mandatory in its parameter set (documented for
Get-WmsSession; the *All sets of the other cmdlets exist only for it, so they are read the same
way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GENERATIONS = ("2012", "2016")

# Common parameters of Windows PowerShell 3.0 (PipelineVariable came with 4.0, Information*
# with 5.0, so the agent may not use them). -WhatIf and -Confirm are not here: a cmdlet has
# them only where its syntax lists them.
COMMON_PARAMETERS = frozenset(
    {"Verbose", "Debug", "ErrorAction", "WarningAction", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer"}
)

SYNTAX_2012 = """\
[(default)] Clear-WmsStation [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Close-WmsApp -SessionId <UInt32> -ProcessId <UInt32> -WindowId <UInt64> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Close-WmsSession -SessionId <Int32> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Disconnect-WmsSession -SessionId <Int32> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Get-WmsAlert [-SerializeString] [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Get-WmsApp [-SerializeString] -SessionId <UInt32> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Get-WmsSession [-SerializeString] [-Id <UInt32>] [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Get-WmsStation [-SerializeString] [-Id <UInt32>] [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Get-WmsSystem [-SerializeString] [-WindowsEdition] [-ConnectionCount] [-LicenseCount] [-SystemMode] [-IsWmsServiceRunning] [-GetRemoteCredential] [-IdentifyMode] [-ManagedServerList] [-MPMConnectionString] [-WMSConnectionString] [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Get-WmsThumbnail [-SerializeString] -SessionId <UInt32> -BitmapSize <UInt32> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Get-WmsUser [-SerializeString] [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Hide-WmsIdentifier [-SessionId <UInt32>] [-StationId <UInt32>] [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Lock-WmsSession -SessionId <UInt32> -LockMessage <String> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] New-WmsUser [-Name] <String> [-UserName <String>] [-Password <String>] -UserType <UserType> [-Description <String>] [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Open-WmsApp [-SerializeString] -SessionId <UInt32> -FileToRun <String> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Register-WmsEvent [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Remove-WmsUser -Name <String> [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Reset-WmsSystem [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Search-WmsSystem [-SerializeString] [-TimeoutInSecond <Int32>] [<CommonParameters>]
[(default)] Set-WmsStation [-StationId <Int32>] [-StationFriendlyName <String>] [-AutoLogonUserName <String>] [-AutoLogonPassword <String>] [-OverrideAdminWarning] [-EnableAutoLogon] [-DisableAutoLogon] [-SetFriendlyName] [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Set-WmsSystem [-RetailLicense] [-OpenLicense] [-VolumeLicense] [-OpenLicenseAuthorizationNumber <String>] [-LicenseCode <String>] [-LicenseCount <Int32>] [-ResetLicenses] [-EnableMultipleSessionPerUser] [-DisableMultipleSessionPerUser] [-EnableWER] [-DisableWER] [-EnableCEIP] [-DisableCEIP] [-EnableMonitoring] [-DisableMonitoring] [-AddManagedServer <String>] [-RemoveManagedServer <String>] [-AddManagedByServer <String>] [-RemoveManagedByServer <String>] [-EnableIPPerSession] [-DisableIPPerSession] [-SetRemoteCredential] [-UserName <String>] [-Password <String>] [-EnableRemoteFx] [-DisableRemoteFx] [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Show-WmsIdentifier [-SessionId <UInt32>] [-StationId <UInt32>] [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Show-WmsSystem -RemoteServer <String> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Split-WmsStation [-SplitVertical <String>] [-StationId <UInt32>] [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Switch-WmsSystem [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Unlock-WmsSession -SessionId <UInt32> [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Unregister-WmsEvent [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Update-WmsCoreManager [-TimeoutInSecond <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]
"""

SYNTAX_2016 = """\
[(default)] Add-WmsSystem [-ComputerName] <String[]> [-ManagedSystemsType] <ManagedSystemTypes> [-Credential] <PSCredential> [<CommonParameters>]
[(default)] Clear-WmsStation [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Close-WmsApp [-SessionId] <UInt32> [-ProcessId] <UInt32> [-WindowId] <UInt64> [-CreateTime] <UInt64> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[CloseById] Close-WmsSession [-SessionId] <UInt32[]> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[CloseAll] Close-WmsSession [-All] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Disable-WmsDiskProtection [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Disable-WmsScheduledUpdate [-Server <String>] [<CommonParameters>]
[WebLimitSession] Disable-WmsWebLimiting [-SessionId] <UInt32[]> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[WebLimitAll] Disable-WmsWebLimiting [-All] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[DisconnectById] Disconnect-WmsSession [-SessionId] <UInt32[]> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[DisconnectAll] Disconnect-WmsSession [-All] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Enable-WmsDiskProtection [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Enable-WmsScheduledUpdate [-AutomaticUpdateMode <EAutomaticUpdateMode>] [-HourToScheduleUpdates <UInt32>] [-CustomScript <String>] [-MaxTimeAllowedForCustomScript <UInt32>] [-ReturnState <EScheduleUpdateReturnState>] [-Server <String>] [<CommonParameters>]
[WebLimitSession] Enable-WmsWebLimiting [-SessionId] <UInt32[]> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[WebLimitAll] Enable-WmsWebLimiting [-All] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Get-WmsAlert [-Server <String>] [<CommonParameters>]
[(default)] Get-WmsApp [-SessionId] <UInt32> [-Server <String>] [<CommonParameters>]
[(default)] Get-WmsDiskProtection [-Server <String>] [<CommonParameters>]
[(default)] Get-WmsScheduledUpdate [-Server <String>] [<CommonParameters>]
[GetById] Get-WmsSession [-SessionId] <UInt32[]> [-Thumbnail <ThumbnailSizePS>] [-Server <String>] [<CommonParameters>]
[GetAll] Get-WmsSession [-All] [-Thumbnail <ThumbnailSizePS>] [-Server <String>] [<CommonParameters>]
[GetById] Get-WmsStation [-StationId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[GetAll] Get-WmsStation [-All] [-Server <String>] [<CommonParameters>]
[(default)] Get-WmsSystem [-Server <String>] [<CommonParameters>]
[GetUser] Get-WmsUser -Name <String> [-Server <String>] [<CommonParameters>]
[GetAllUsers] Get-WmsUser [-All] [-Server <String>] [<CommonParameters>]
[(default)] Get-WmsVersion [-Server <String>] [<CommonParameters>]
[(default)] Get-WmsWebLimiting [-SessionId <UInt32>] [-Server <String>] [<CommonParameters>]
[HideIdentifyBySessionId] Hide-WmsIdentifier [-SessionId <UInt32[]>] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[HideIdentifyByStationId] Hide-WmsIdentifier [-StationId <UInt32[]>] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[HideIdentifyAll] Hide-WmsIdentifier [-All] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[JoinById] Join-WmsStation [-StationId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[JoinAll] Join-WmsStation [-All] [-Server <String>] [<CommonParameters>]
[LockById] Lock-WmsSession [-SessionId] <UInt32[]> [-Message] <String> [-Server <String>] [<CommonParameters>]
[LockAll] Lock-WmsSession [-All] [-Message] <String> [-Server <String>] [<CommonParameters>]
[LockById] Lock-WmsUsbStorage [-StationId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[LockAll] Lock-WmsUsbStorage [-All] [-Server <String>] [<CommonParameters>]
[(default)] New-WmsUser [-Credential] <PSCredential> [-UserType] <UserTypePS> [[-FullName] <String>] [[-Description] <String>] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Open-WmsApp [-SessionId] <UInt32[]> [-FileToRun] <String> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Publish-WmsDesktop [-SessionId] <UInt32> [-RemoteControl] [-MaxViewers <Int32>] [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Remove-WmsSystem [-ComputerName] <String[]> [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Remove-WmsUser [-Name] <String> [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Restart-WmsSystem [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Resume-WmsDiskProtection [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Search-WmsSystem [-ManagedSystemsType] <ManagedSystemTypes> [-Server <String>] [<CommonParameters>]
[(default)] Set-WmsScheduledUpdate [-AutomaticUpdateMode <EAutomaticUpdateMode>] [-HourToScheduleUpdates <UInt32>] [-CustomScript <String>] [-MaxTimeAllowedForCustomScript <UInt32>] [-ReturnState <EScheduleUpdateReturnState>] [-Server <String>] [<CommonParameters>]
[FriendlyName] Set-WmsStation [-StationId] <UInt32[]> -FriendlyName <String> [-Server <String>] [<CommonParameters>]
[AutoLogonEnable] Set-WmsStation [-StationId] <UInt32[]> -AutoLogonCredential <PSCredential> [-OverrideAdminWarning] [-Server <String>] [<CommonParameters>]
[DisableAutoLogon] Set-WmsStation [-StationId] <UInt32[]> [-DisableAutoLogon] [-Server <String>] [<CommonParameters>]
[RemoteConnection] Set-WmsStation [-StationId] <UInt32[]> -SessionHost <String> [-Server <String>] [<CommonParameters>]
[RemoteConnectionVM] Set-WmsStation [-StationId] <UInt32[]> -VmName <String> [-Server <String>] [<CommonParameters>]
[DisableRemoteConnection] Set-WmsStation [-StationId] <UInt32[]> [-LocalSessionHost] [-Server <String>] [<CommonParameters>]
[DisplayOrientation] Set-WmsStation [-StationId] <UInt32[]> -DisplayOrientation <EDisplayOrientationPS> [-Server <String>] [<CommonParameters>]
[(default)] Set-WmsSystem [-BootToConsoleMode <Boolean>] [-DesktopMonitoring <Boolean>] [-IM <Boolean>] [-IPPerSession <Boolean>] [-Mode <SystemOperatingModePS>] [-SingleSessionPerUser <Boolean>] [-SuppressPrivacyNotification <Boolean>] [-AdminOrchestration <Boolean>] [-Server <String>] [<CommonParameters>]
[UseUserName] Set-WmsUser [-Name] <String> [-FullName <String>] [-Description <String>] [-UserType <UserTypePS>] [-Server <String>] [<CommonParameters>]
[UseCreds] Set-WmsUser [-Credential] <PSCredential> [-FullName <String>] [-Description <String>] [-UserType <UserTypePS>] [-Server <String>] [<CommonParameters>]
[AllowList] Set-WmsWebLimiting [-Allow] [-Sites] <String[]> [-Server <String>] [<CommonParameters>]
[BlockList] Set-WmsWebLimiting [-Block] [-Sites] <String[]> [-Server <String>] [<CommonParameters>]
[ShowSessionList] Show-WmsDesktop [-SessionId] <UInt32[]> -Desktop <WmsDesktop> [-Server <String>] [<CommonParameters>]
[ShowAll] Show-WmsDesktop [-All] -Desktop <WmsDesktop> [-Server <String>] [<CommonParameters>]
[RemoteControl] Show-WmsDesktop -Desktop <WmsDesktop> [-Title <String>] [-Server <String>] [<CommonParameters>]
[IdentifyBySession] Show-WmsIdentifier -SessionId <UInt32[]> [-Server <String>] [<CommonParameters>]
[IdentifyByStation] Show-WmsIdentifier -StationId <UInt32[]> [-Server <String>] [<CommonParameters>]
[IdentifyAll] Show-WmsIdentifier [-All] [-Server <String>] [<CommonParameters>]
[SplitById] Split-WmsStation [-StationId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[SplitAll] Split-WmsStation [-All] [-Server <String>] [<CommonParameters>]
[(default)] Stop-WmsSystem [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[(default)] Suspend-WmsDiskProtection [-Server <String>] [-WhatIf] [-Confirm] [<CommonParameters>]
[UnlockById] Unlock-WmsSession [-SessionId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[UnlockAll] Unlock-WmsSession [-All] [-Server <String>] [<CommonParameters>]
[UnlockById] Unlock-WmsUsbStorage [-StationId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[UnlockAll] Unlock-WmsUsbStorage [-All] [-Server <String>] [<CommonParameters>]
[(default)] Unpublish-WmsDesktop [-SessionId] <UInt32> [-Server <String>] [<CommonParameters>]
[UpdateById] Update-WmsStation [-StationId] <UInt32[]> [-Server <String>] [<CommonParameters>]
[UpdateAll] Update-WmsStation [-All] [-Server <String>] [<CommonParameters>]
"""


@dataclass(frozen=True)
class Parameter:
    """One parameter of one parameter set."""

    name: str
    switch: bool
    mandatory: bool
    positional: bool


@dataclass
class ParameterSet:
    """One documented syntax line of a cmdlet."""

    name: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def get(self, name: str) -> Parameter | None:
        """The parameter called ``name`` (PowerShell names are case-insensitive)."""
        for key, parameter in self.parameters.items():
            if key.lower() == name.lower():
                return parameter
        return None

    def mandatory(self) -> set[str]:
        """Names of the parameters a call of this set must give."""
        return {p.name for p in self.parameters.values() if p.mandatory}


_LINE = re.compile(r"^\[(?P<set>[^\]]+)\] (?P<cmdlet>[A-Za-z]+-Wms[A-Za-z]+)(?P<rest>.*)$")
# [-Name] <T> | [-Name <T>] | [-Name] | -Name <T> | [[-Name] <T>] (optional positional)
_TOKEN = re.compile(
    r"\[\[-(?P<oppos>\w+)\] <[^>]+>\]"
    r"|\[-(?P<pos>\w+)\] <[^>]+>"
    r"|\[-(?P<opt>\w+) <[^>]+>\]"
    r"|\[-(?P<switch>\w+)\]"
    r"|-(?P<req>\w+) <[^>]+>"
    r"|\[<CommonParameters>\]"
)


def parse_syntax(text: str, generation: str) -> dict[str, list[ParameterSet]]:
    """Parameter sets by cmdlet name from documented syntax lines."""
    cmdlets: dict[str, list[ParameterSet]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"not a syntax line: {line!r}")
        pset = ParameterSet(match["set"])
        rest = match["rest"].strip()
        while rest:
            token = _TOKEN.match(rest)
            if token is None:
                raise ValueError(f"cannot read {rest!r} in {line!r}")
            rest = rest[token.end():].strip()
            if token["oppos"]:
                name, switch, mandatory, positional = token["oppos"], False, False, True
            elif token["pos"]:
                name, switch, mandatory, positional = token["pos"], False, True, True
            elif token["opt"]:
                name, switch, mandatory, positional = token["opt"], False, False, False
            elif token["switch"]:
                name, switch, mandatory, positional = token["switch"], True, False, False
            elif token["req"]:
                name, switch, mandatory, positional = token["req"], False, True, False
            else:
                continue  # [<CommonParameters>]
            if generation == "2016" and name == "All" and pset.name.endswith("All"):
                mandatory = True
            pset.parameters[name] = Parameter(name, switch, mandatory, positional)
        cmdlets.setdefault(match["cmdlet"], []).append(pset)
    return cmdlets


def cmdlet_tables() -> dict[str, dict[str, list[ParameterSet]]]:
    """``{generation: {cmdlet: [parameter sets]}}`` for both MultiPoint generations."""
    return {"2012": parse_syntax(SYNTAX_2012, "2012"), "2016": parse_syntax(SYNTAX_2016, "2016")}


def find_cmdlet(table: dict[str, list[ParameterSet]], name: str) -> list[ParameterSet] | None:
    """The parameter sets of cmdlet ``name`` (case-insensitive), or None when it does not exist."""
    for key, sets in table.items():
        if key.lower() == name.lower():
            return sets
    return None
