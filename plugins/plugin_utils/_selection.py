# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Selecting sessions by user, administrator status and connect state.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import (
    DISCONNECTED,
    Session,
)


class PatternError(ValueError):
    """A user pattern that cannot be used."""


# Names of the control characters a pattern is most likely to hold by mistake.
_CONTROL_NAMES = {"\t": "TAB", "\n": "a line break", "\r": "a carriage return", "\x00": "NUL",
                  "\a": "BEL", "\b": "a backspace", "\f": "a form feed", "\v": "a vertical tab"}


def _control_problem(text: str) -> str | None:
    """Why a pattern with a control character can never match, with the likely YAML cause."""
    found = next((c for c in text if ord(c) < 32 or ord(c) == 127), None)
    if found is None:
        return None
    name = _CONTROL_NAMES.get(found, f"character {ord(found)}")
    shown = text.encode("unicode_escape").decode("ascii")
    return (f"'{shown}' holds a control character ({name}), so it can never match a user name; in a "
            f"double-quoted YAML string a backslash starts an escape (\\t is a TAB): write the pattern in "
            f"single quotes ('LAB\\teacher01') or double the backslash (\"LAB\\\\teacher01\")")


@dataclass(frozen=True, slots=True)
class UserPattern:
    """``DOMAIN\\user``, ``user@DOMAIN`` or bare ``user``, case-insensitive, ``*`` and ``?`` wildcards."""

    text: str
    domain: str | None
    user: str

    @classmethod
    def parse(cls, text: str) -> UserPattern:
        """Read one pattern; raise PatternError saying what is wrong."""
        value = text.strip()
        if not value:
            raise PatternError("an empty user name")
        problem = _control_problem(value)
        if problem:
            raise PatternError(problem)
        if value.count("\\") > 1:
            raise PatternError(f"'{text}' has more than one backslash")
        if "@" in value:
            return cls._parse_at_form(value)
        domain, sep, user = value.rpartition("\\")
        if sep and (not domain or not user):
            raise PatternError(f"'{text}' needs text on both sides of the backslash")
        return cls(text=value, domain=domain.lower() if sep else None, user=user.lower())

    @classmethod
    def _parse_at_form(cls, value: str) -> UserPattern:
        """``user@DOMAIN`` with a NetBIOS domain is ``DOMAIN\\user``; a DNS domain can never match."""
        user, domain = value.rsplit("@", 1) if "@" in value else ("", value)
        if "\\" in value or "@" in user or not user or not domain:
            raise PatternError(f"'{value}' mixes forms; write DOMAIN\\user or user@DOMAIN")
        if "." in domain:
            raise PatternError(
                f"'{value}' names a DNS domain, but sessions carry the short (NetBIOS) domain name, so it "
                f"could never match; write DOMAIN\\{user} with the short name (for example "
                f"{domain.split('.')[0].upper()}\\{user}) or just {user}")
        return cls(text=value, domain=domain.lower(), user=user.lower())

    def matches(self, session: Session) -> bool:
        """Whether the session's user (and domain, if the pattern has one) match."""
        if not session.user:
            return False
        if not _glob(session.user.lower(), self.user):
            return False
        return self.domain is None or _glob(session.domain.lower(), self.domain)


def _glob(name: str, pattern: str) -> bool:
    # Only * and ? are wildcards; a literal [ never starts a character class.
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


@dataclass(frozen=True)
class UserFilter:
    """Who to act on: ``users`` (None = everyone), minus ``exclude_users``, minus admins."""

    users: tuple[UserPattern, ...] | None = None
    exclude_users: tuple[UserPattern, ...] = ()
    exclude_admins: bool = False

    def exclusion(self, session: Session) -> str | None:
        """Why the filter leaves this session out, or None when it is kept."""
        if self.users is not None and not any(p.matches(session) for p in self.users):
            return "not matched by users"
        for pattern in self.exclude_users:
            if pattern.matches(session):
                return f"excluded by exclude_users ({pattern.text})"
        if self.exclude_admins:
            if session.is_admin:
                return "administrator (exclude_admins)"
            if session.is_admin is None:
                return "administrator status unknown on this host (exclude_admins)"
        return None


@dataclass(frozen=True, slots=True)
class Skip:
    """A user session left out of the selection, and why."""

    session: Session
    reason: str

    def as_result(self) -> dict:
        return {
            "id": self.session.id,
            "user": self.session.user,
            "domain": self.session.domain,
            "account": self.session.account,
            "state": self.session.connect_state,
            "reason": self.reason,
        }


@dataclass
class Selection:
    """User sessions to act on, user sessions left out, and sessions that are not user sessions."""

    targets: list[Session] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    system: list[Session] = field(default_factory=list)
    # exclude_users patterns that match no user session of the host (a typo protects nobody).
    unmatched_exclusions: list[str] = field(default_factory=list)


def select(
    sessions: list[Session],
    user_filter: UserFilter,
    states: tuple[str, ...],
    keep_disconnected: bool = False,
) -> Selection:
    """Split sessions into targets and skipped ones.

    A target is a user session that passes ``user_filter`` and whose connect state is in
    ``states``; with ``keep_disconnected``, Disconnected sessions that pass the filter are
    targets too (so that a disconnect reports them as already disconnected).
    """
    selection = Selection()
    for session in sorted(sessions, key=lambda s: s.id):
        if session.system_kind():
            selection.system.append(session)
            continue
        reason = user_filter.exclusion(session)
        if reason is None and session.connect_state not in states:
            if not (keep_disconnected and session.connect_state == DISCONNECTED):
                reason = f"state {session.connect_state} not in states"
        if reason is None:
            selection.targets.append(session)
        else:
            selection.skipped.append(Skip(session, reason))
    users = [s for s in sessions if not s.system_kind()]
    selection.unmatched_exclusions = [p.text for p in user_filter.exclude_users
                                      if not any(p.matches(s) for s in users)]
    return selection
