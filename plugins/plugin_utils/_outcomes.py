# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What happened to one targeted session: the one vocabulary of disconnect, message and the report.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The ``outcome`` of a session in module results and in the fleet report."""

    DISCONNECTED = "disconnected"
    WOULD_DISCONNECT = "would_disconnect"  # check mode
    ALREADY_DISCONNECTED = "already_disconnected"
    SENT = "sent"
    WOULD_SEND = "would_send"  # check mode
    NOT_FOUND = "not_found"  # the session did not exist, or ended before the agent acted
    USER_CHANGED = "user_changed"  # the selected user left and another one now has the session id
    TIMED_OUT = "timed_out"
    FAILED = "failed"


# How the report counts each outcome.
DONE_OUTCOMES = frozenset({Outcome.DISCONNECTED, Outcome.WOULD_DISCONNECT})
UNCHANGED_OUTCOMES = frozenset({Outcome.ALREADY_DISCONNECTED, Outcome.NOT_FOUND, Outcome.USER_CHANGED})
FAILED_OUTCOMES = frozenset({Outcome.FAILED, Outcome.TIMED_OUT})
