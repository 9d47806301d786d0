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


@dataclass
class SessionSpec:
    """One session as the scenario declares it."""

    id: int
    user: str = ""
    domain: str = ""
    station: int = 0  # MultiPoint StationId: 0 for a remote session, >= 1 for a local station
    admin: bool = False
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
    # Close-WmsSession documents) or "silent" (no output, no error).
    unknown_id: str = "error"
    # Disconnect-WmsSession on a session that is already Disconnected: "noop" or "error".
    already_disconnected: str = "noop"
    # Name under which the module is installed: MultiPoint, WmsCmdlets or WmsCmdlets3.
    module_name: str = "MultiPoint"
    # Can PowerShell auto-load the module by command name (False: only Import-Module works)?
    module_autoload: bool = True
    # How long a successful disconnect takes before the WTS state reads Disconnected.
    disconnect_ms: int = 0


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
    sessions: list[SessionSpec] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)
    faults: Faults = field(default_factory=Faults)

    def netbios_name(self) -> str:
        """The host's computer name as Windows reports it."""
        return (self.computer_name or self.name).upper()[:15]
