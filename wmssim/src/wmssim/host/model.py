"""The state of one simulated host: its sessions, the event log and the counters.

A ``Host`` holds what Windows would know about its Remote Desktop sessions (WTS connect state,
window station, user) and what the MultiPoint service adds (station, ``State``, ``IsAdmin``).
Everything that changes a session goes through ``Host`` so that it lands in the event log.
``cmdlets`` turns cmdlet and WTS API calls into these operations; the wire layer only calls
``count_message`` and ``count_command``.

Memory matters (a fleet holds 500 hosts of 25 sessions in one process): sessions, messages and
events are slotted dataclasses, and a session's message list only exists once it has one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from ..spec import CONNECT_STATES, Behaviour, Faults, HostSpec

SERVICES_ID = 0  # session 0: services, no user, never listed by MultiPoint
LISTENER_ID = 65536  # the RDP-Tcp listener as WTSEnumerateSessions reports it on Windows
DISCONNECTED = "Disconnected"
WMS_REMOTE = "RemoteConnection"  # Get-WmsSession State of a remote session (StationId 0)
WMS_STATION = "ConnectedToStation"  # ... of a session on a local station (StationId >= 1)


@dataclass(slots=True)
class Message:
    """A message box shown in a session (WTSSendMessage)."""

    title: str
    text: str
    display_seconds: int


@dataclass(slots=True)
class Session:
    """One session as Windows and MultiPoint see it."""

    id: int
    user: str
    domain: str
    station: int | None  # MultiPoint StationId; None for session 0 and the listener
    client: str
    admin: bool | str  # True, False, "group" or "unresolvable" (spec.SessionSpec.admin)
    state: str  # WTS connect state name
    win_station: str
    system: bool = False  # session 0 or the listener: not a user session
    messages: list[Message] | None = None


@dataclass(slots=True)
class Event:
    """One entry of the event log: a state change, a logoff or a message."""

    time: float
    session: int
    from_state: str | None
    to_state: str | None  # None: the session is gone (logged off)
    cause: str
    kind: str  # "state", "logoff", "logon" or "message"

    def to_dict(self) -> dict:
        stamp = datetime.fromtimestamp(self.time, timezone.utc).isoformat(timespec="milliseconds")
        return {
            "time": stamp.replace("+00:00", "Z"),
            "session": self.session,
            "from": self.from_state,
            "to": self.to_state,
            "cause": self.cause,
            "kind": self.kind,
        }


def derived_win_station(session_id: int, station: int) -> str:
    """The window station name Windows shows when the scenario does not set one."""
    if session_id == SERVICES_ID:
        return "Services"
    if session_id == LISTENER_ID:
        return "RDP-Tcp"
    return "Console" if station >= 1 else f"RDP-Tcp#{session_id}"


class Host:
    """A simulated Windows host: sessions, event log and counters, built from a ``HostSpec``."""

    def __init__(self, spec: HostSpec) -> None:
        self.spec = spec
        self.computer = spec.netbios_name()
        self.sessions: dict[int, Session] = {}
        self.events: list[Event] = []
        self.messages_by_action: dict[str, int] = {}
        self.commands = 0
        self.agent_requests: list[dict] = []
        self._logoff_race_pending = bool(spec.faults.logoff_race or spec.faults.id_reuse)
        self._add(Session(SERVICES_ID, "", "", None, "", False, DISCONNECTED, "Services", True))
        self._add(Session(LISTENER_ID, "", "", None, "", False, "Listen", "RDP-Tcp", True))
        seen: set[int] = set()
        for item in spec.sessions:
            if item.id in seen:
                raise ValueError(f"host {spec.name}: session id {item.id} is declared twice")
            if item.state not in CONNECT_STATES:
                raise ValueError(f"host {spec.name}: session {item.id} has unknown state {item.state!r}")
            seen.add(item.id)
            win_station = item.win_station or derived_win_station(item.id, item.station)
            self._add(
                Session(
                    item.id, item.user, item.domain, item.station, item.client, item.admin,
                    item.state, win_station,
                )
            )

    def _add(self, session: Session) -> None:
        self.sessions[session.id] = session

    # --- what the scenario says --------------------------------------------------------------
    @property
    def generation(self) -> str:
        return self.spec.generation

    @property
    def behaviour(self) -> Behaviour:
        return self.spec.behaviour

    @property
    def faults(self) -> Faults:
        return self.spec.faults

    @property
    def module_installed(self) -> bool:
        """Whether a MultiPoint module is installed (a 2012 or 2016 host without the fault)."""
        return self.generation in ("2012", "2016") and not self.faults.module_missing

    # --- reading -------------------------------------------------------------------------------
    def session(self, session_id: int) -> Session | None:
        return self.sessions.get(session_id)

    def ordered_sessions(self) -> list[Session]:
        """Every session, by id (the order WTSEnumerateSessions uses)."""
        return sorted(self.sessions.values(), key=lambda s: s.id)

    def wms_state(self, session: Session) -> str | None:
        """The text of MultiPoint's ``State`` for a session; None for session 0, the listener and
        hosts without MultiPoint."""
        if session.system or session.station is None or self.generation == "none":
            return None
        shown = self.behaviour.wms_state_when_disconnected
        if session.state == DISCONNECTED and shown != "unchanged":
            return shown
        return WMS_STATION if session.station >= 1 else WMS_REMOTE

    def listed_by_multipoint(self, session: Session) -> bool:
        """Whether ``Get-WmsSession`` lists the session (Behaviour.disconnected_listed)."""
        if session.system or session.id in self.behaviour.wms_unlisted:
            return False
        return session.state != DISCONNECTED or self.behaviour.disconnected_listed

    # --- changing ------------------------------------------------------------------------------
    def set_state(self, session_id: int, new_state: str, cause: str) -> bool:
        """Move a session to a connect state; logs an event when the state changes."""
        if new_state not in CONNECT_STATES:
            raise ValueError(f"unknown connect state {new_state!r}")
        session = self.sessions.get(session_id)
        if session is None or session.state == new_state:
            return False
        self.events.append(Event(time.time(), session_id, session.state, new_state, cause, "state"))
        session.state = new_state
        return True

    def log_off(self, session_id: int, cause: str) -> bool:
        """The session ends and disappears; logs an event."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return False
        self.events.append(Event(time.time(), session_id, session.state, None, cause, "logoff"))
        return True

    def show_message(self, session_id: int, title: str, text: str, display_seconds: int, cause: str) -> bool:
        """Record a message box shown in a session; logs an event."""
        session = self.sessions.get(session_id)
        if session is None:
            return False
        if session.messages is None:
            session.messages = []
        session.messages.append(Message(title, text, display_seconds))
        self.events.append(Event(time.time(), session_id, session.state, session.state, cause, "message"))
        return True

    def after_agent_inventory(self) -> list[int]:
        """Faults.logoff_race and id_reuse, once, after the agent's first read: the listed sessions
        log off; for id_reuse another user logs on with the same id at once."""
        if not self._logoff_race_pending:
            return []
        self._logoff_race_pending = False
        gone = [sid for sid in self.faults.logoff_race if self.log_off(sid, "fault: logoff_race")]
        for reuse in self.faults.id_reuse:
            old = self.sessions.get(reuse.id)
            self.log_off(reuse.id, "fault: id_reuse")
            station = old.station if old else 0
            client = old.client if old else ""
            win_station = old.win_station if old else derived_win_station(reuse.id, station or 0)
            self._add(Session(reuse.id, reuse.user, reuse.domain, station, client, reuse.admin, "Active", win_station))
            self.events.append(Event(time.time(), reuse.id, None, "Active", "fault: id_reuse", "logon"))
            gone.append(reuse.id)
        return gone

    # --- counters ------------------------------------------------------------------------------
    def count_message(self, action: str) -> None:
        """One WS-Man message (Create, Command, Send, Receive, Signal, Delete, ...)."""
        self.messages_by_action[action] = self.messages_by_action.get(action, 0) + 1

    def count_command(self) -> None:
        """One WS-Man Command (a process started)."""
        self.commands += 1

    def record_agent_request(self, action: str | None, what_if: bool, ids: list[int]) -> None:
        """What the agent was asked to do (for ``state``)."""
        self.agent_requests.append({"action": action, "what_if": what_if, "ids": list(ids)})

    # --- reporting -----------------------------------------------------------------------------
    def state(self) -> dict:
        """The JSON-ready state ``wmssim state`` prints for this host."""
        return {
            "generation": self.generation,
            "computer": self.computer,
            "sessions": [self._session_state(s) for s in self.ordered_sessions()],
            "events": [event.to_dict() for event in self.events],
            "messages": sum(self.messages_by_action.values()),
            "messages_by_action": dict(self.messages_by_action),
            "commands": self.commands,
            "agent_requests": [dict(r, ids=list(r["ids"])) for r in self.agent_requests],
        }

    def _session_state(self, session: Session) -> dict:
        return {
            "id": session.id,
            "user": session.user,
            "domain": session.domain,
            "station": session.station,
            "client": session.client,
            "admin": session.admin,
            "state": session.state,
            "wms_state": self.wms_state(session),
            "win_station": session.win_station,
            "messages": [
                {"title": m.title, "text": m.text, "display_seconds": m.display_seconds}
                for m in session.messages or ()
            ],
        }
