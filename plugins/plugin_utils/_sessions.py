# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Session records as the agent reports them, and the connect states they can be in.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    CONNECT_STATES,
)

__all__ = ["CONNECT_STATES", "DISCONNECTABLE_STATES", "DISCONNECTED", "MESSAGE_STATES", "Session", "id_list"]

# States a user session can be disconnected from.
DISCONNECTABLE_STATES = ("Active", "Connected", "ConnectQuery", "Shadow", "Idle")
# States in which a user can read a message box.
MESSAGE_STATES = ("Active", "Connected", "Idle")
DISCONNECTED = "Disconnected"
# States of window stations that are not user sessions.
NON_USER_STATES = ("Listen", "Down", "Init", "Reset")


@dataclass(frozen=True, slots=True)
class Session:
    """One session on a host: who is in it, where, and its WTS connect state."""

    id: int
    user: str
    domain: str
    station: int | None
    client: str
    is_admin: bool | None
    connect_state: str
    wms_state: str | None
    wms_listed: bool
    win_station: str

    @classmethod
    def from_agent(cls, data: dict) -> Session:
        """Build a session from the agent's JSON object."""
        return cls(
            id=int(data["id"]),
            user=str(data.get("user") or ""),
            domain=str(data.get("domain") or ""),
            station=None if data.get("station") is None else int(data["station"]),
            client=str(data.get("client") or ""),
            is_admin=data.get("is_admin"),
            connect_state=str(data["connect_state"]),
            wms_state=data.get("wms_state"),
            wms_listed=bool(data.get("wms_listed", False)),
            win_station=str(data.get("win_station") or ""),
        )

    @property
    def account(self) -> str:
        """``DOMAIN\\user``, or the bare user name when the domain is unknown."""
        if not self.user:
            return ""
        return f"{self.domain}\\{self.user}" if self.domain else self.user

    def system_kind(self) -> str | None:
        """Why this is not a user session (never a disconnect candidate), or None."""
        if self.id == 0:
            return "services session"
        if self.connect_state in NON_USER_STATES:
            return "listener" if self.connect_state == "Listen" else f"window station in state {self.connect_state}"
        if not self.user:
            return "no user logged on"
        return None

    def describe(self) -> str:
        """One line for messages and diffs: ``5 LAB\\alice (station 2)``."""
        parts = [str(self.id)]
        if self.account:
            parts.append(self.account)
        if self.station:
            parts.append(f"(station {self.station})")
        elif self.client:
            parts.append(f"(from {self.client})")
        return " ".join(parts)

    def as_result(self) -> dict:
        """The session's fields as modules return them."""
        return {
            "id": self.id,
            "user": self.user,
            "domain": self.domain,
            "account": self.account,
            "station": self.station,
            "client": self.client,
            "is_admin": self.is_admin,
            "state": self.connect_state,
            "wms_state": self.wms_state,
            "win_station": self.win_station,
        }


def id_list(ids: list[int], shown: int = 20) -> str:
    """Ids for a message, the first ``shown`` of them and how many more."""
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")
