"""Records that describe a simulated host, as a scenario file sets them.

These dataclasses are the seam between the layers: ``scenario`` builds them from YAML, the
host model (``model``, ``cmdlets``, ``powershell``, ``agent``) reads generation, sessions,
behaviour and host faults, and the wire layer (``server``, ``auth``, ``protocol``, ``shells``)
reads auth, costs and wire faults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GENERATIONS = ("2012", "2016", "none")
AUTH_KINDS = ("basic", "ntlm", "https")
CONNECT_STATES = (
    "Active",
    "Connected",
    "ConnectQuery",
    "Shadow",
    "Disconnected",
    "Idle",
    "Listen",
    "Reset",
    "Down",
    "Init",
)
WS_ACTIONS = ("Create", "Command", "Send", "Receive", "Signal", "Delete")
ADMIN_KINDS = (True, False, "group", "unresolvable")
POWERSHELL_VERSIONS = ("2.0", "3.0", "4.0", "5.1")
LANGUAGE_MODES = ("FullLanguage", "ConstrainedLanguage")


@dataclass
class SessionSpec:
    """One session as the scenario declares it."""

    id: int
    user: str = ""
    domain: str = ""
    station: int = 0  # MultiPoint StationId: 0 for a remote session, >= 1 for a local station
    # True: a direct member of Administrators; "group": a member only through a (nested local or
    # domain) group the agent can expand; "unresolvable": only through a group the agent cannot
    # expand (see ADMIN_KINDS); False: not an administrator.
    admin: bool | str = False
    state: str = "Active"  # WTS connect state name, one of CONNECT_STATES
    client: str = ""  # WTS client name (the remote computer), "" for local stations
    win_station: str = ""  # "" = derived: Services, Console, RDP-Tcp#<id>, RDP-Tcp


@dataclass
class Behaviour:
    """How a host behaves where Microsoft's documentation is silent.

    Each field is one of the open questions about MultiPoint that Microsoft does not answer; scenarios
    set them per host so the collection is tested against every plausible truth.
    """

    # Does Get-WmsSession list sessions whose WTS state is Disconnected?
    disconnected_listed: bool = True
    # The MultiPoint State a disconnected session shows: "unchanged" keeps RemoteConnection /
    # ConnectedToStation; any other text is shown as is (e.g. "Disconnected").
    wms_state_when_disconnected: str = "unchanged"
    # Disconnect-WmsSession on an id that does not exist: "error" (ItemNotFoundException, as
    # Close-WmsSession documents), "silent" (no output, no error) or "terminating" (the whole
    # call fails before it does anything, for every id it was given).
    unknown_id: str = "error"
    # Disconnect-WmsSession on a session that is already Disconnected: "noop" or "error".
    already_disconnected: str = "noop"
    # Name under which the module is installed: MultiPoint, WmsCmdlets or WmsCmdlets3.
    module_name: str = "MultiPoint"
    # Can PowerShell auto-load the module by command name (False: only Import-Module works)?
    module_autoload: bool = True
    # How long a successful disconnect takes before the WTS state reads Disconnected.
    disconnect_ms: int = 0
    # Sessions WTS lists but Get-WmsSession does not (for example a logon MultiPoint has not
    # picked up yet); MultiPoint's cmdlets treat their ids as unknown.
    wms_unlisted: list[int] = field(default_factory=list)
    # How Get-WmsSession writes its sessions: "per_session" (one object each) or "collection" (one
    # collection object holding them, as the 2016 help's "returns WmsSession collection" may mean).
    wms_output: str = "per_session"
    # The .NET type of Get-WmsSession's Id (2012) / SessionId (2016): "int32", "uint32" or "string".
    wms_id_type: str = "int32"
    # These sessions' UserName in Get-WmsSession differs from the WTS API's user name.
    wms_user_mismatch: list[int] = field(default_factory=list)
    # Where the cmdlets come from: a "module" (Get-Command's Module) or a "snapin" (Module is null).
    module_kind: str = "module"
    # WTSQuerySessionInformation for a session in a non-user state (Listen, Down, Init, Reset):
    # "ok" (an empty user) or "error" (the call fails).
    wts_query_non_user: str = "ok"


@dataclass
class ReusedId:
    """Faults.id_reuse: after the first read, the session with this id logs off and this user
    logs on with the same id (what Windows may do with a freed session id)."""

    id: int
    user: str
    domain: str = ""
    admin: bool = False


@dataclass
class Faults:
    """Faults injected into one host."""

    down: bool = False  # nothing listens on the host's port
    slow_ms: int = 0  # extra time every command takes
    # HTTP 500 WS-Man fault answering this WS-Man action ("Create", "Command", ...), or None
    http_500: str | None = None
    auth_failure: bool = False  # every credential is rejected with 401
    module_missing: bool = False  # the MultiPoint module is not installed (any generation)
    access_denied: bool = False  # MultiPoint cmdlets and WTS calls fail: not an elevated admin
    # Only WTSSendMessage is denied (the Message permission of the RDP listener was taken away):
    # warnings fail, disconnecting works.
    message_denied: bool = False
    disconnect_hangs: bool = False  # a disconnect never completes (callers must time out)
    disconnect_noop: bool = False  # a disconnect reports success but the session stays as it was
    # These session ids log off right after the first inventory the agent reads on this host
    # (the race between reading sessions and acting on them).
    logoff_race: list[int] = field(default_factory=list)
    # These session ids are taken over by another user right after the first inventory the agent
    # reads: the user that was read logs off, the one given here logs on with the same id.
    id_reuse: list[ReusedId] = field(default_factory=list)
    garbage_stdout: str | None = None  # "prefix": noise before the output; "replace": noise only
    stdout_bom: bool = False  # stdout starts with a UTF-8 byte-order mark (a console's encoding quirk)


@dataclass
class HostSpec:
    """Everything the simulator needs to serve one host."""

    name: str
    generation: str = "2016"
    auth: str = "ntlm"  # basic (HTTP), ntlm (HTTP + message encryption), https (TLS)
    https_auth: str = "ntlm"  # authentication used inside TLS when auth == "https"
    username: str = "admin"
    password: str = "Passw0rd!"
    latency_ms: int = 0  # added to every HTTP round trip
    powershell_startup_ms: int = 500  # added to every command, as on real Windows; 0 for fast tests
    max_envelope_kb: int = 500  # WinRM MaxEnvelopeSizekb
    computer_name: str = ""  # NetBIOS name; "" = name upper-cased, cut to 15 characters
    # Windows PowerShell: "2.0" (MultiPoint Server 2011 without WMF 3.0), "3.0", "4.0" or "5.1";
    # "" = what the generation ships with (3.0 for 2012, 5.1 otherwise).
    powershell_version: str = ""
    language_mode: str = "FullLanguage"  # or "ConstrainedLanguage" (an AppLocker or WDAC policy)
    sessions: list[SessionSpec] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)
    faults: Faults = field(default_factory=Faults)

    def netbios_name(self) -> str:
        """The host's computer name as Windows reports it."""
        return (self.computer_name or self.name).upper()[:15]
