# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""session_message: show a message box in the chosen sessions (WTSSendMessage, through the agent).

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import (
    AgentReply,
    Runner,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._errors import (
    checked,
    noise_warning,
    session_error_message,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._options import (
    MessageOptions,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._outcomes import Outcome
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    inventory_request,
    message_request,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._selection import (
    Skip,
    select,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import (
    Session,
    id_list,
)


@dataclass
class MessageOutcome:
    """What happened to the message for one session."""

    id: int
    session: Session | None
    outcome: Outcome
    message: str = ""

    def as_result(self) -> dict:
        if self.session is not None:
            data = self.session.as_result()
        else:
            data = {"id": self.id, "user": "", "domain": "", "account": "", "state": None}
        data["outcome"] = self.outcome.value
        data["message"] = self.message
        return data


@dataclass
class MessageReport:
    """Everything session_message reports for one host."""

    host: str
    check_mode: bool
    missing: str
    backend: str | None = None
    generation: str | None = None
    outcomes: list[MessageOutcome] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    commands: int = 0
    unmatched_exclusions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ids(self, *outcomes: Outcome) -> list[int]:
        return [o.id for o in self.outcomes if o.outcome in outcomes]

    def accounts(self, *outcomes: Outcome) -> list[str]:
        """The accounts of the sessions with these outcomes, in order (who got the message)."""
        return [o.session.account for o in self.outcomes if o.outcome in outcomes and o.session and o.session.account]

    def to_result(self) -> dict:
        failed = self.ids(Outcome.FAILED) + (self.ids(Outcome.NOT_FOUND) if self.missing == "fail" else [])
        sent = self.ids(Outcome.SENT, Outcome.WOULD_SEND)
        verb = "Would send" if self.check_mode else "Sent"
        msg = f"{verb} the message to {len(sent)} session{'s' if len(sent) != 1 else ''} on {self.host}"
        if self.skipped:
            msg += f"; {len(self.skipped)} skipped"
        if failed:
            msg = f"Failed to send the message to {len(failed)} session(s) ({', '.join(map(str, failed))}); " + msg
        result = {
            "changed": bool(sent),
            "failed": bool(failed),
            "msg": msg,
            "backend": self.backend,
            "generation": self.generation,
            "sessions": [o.as_result() for o in self.outcomes],
            "excluded": [s.as_result() for s in self.skipped],
            "sent": sent,
            "sent_accounts": self.accounts(Outcome.SENT, Outcome.WOULD_SEND),
            "failed_ids": failed,
            "unmatched_exclusions": list(self.unmatched_exclusions),
            "notes": list(self.notes),
            "agent_commands": self.commands,
        }
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result


def _ask(run: Runner, request: dict, opts: MessageOptions, report: MessageReport) -> AgentReply:
    """One agent command; a request that failed as a whole fails the task."""
    reply = checked(run(request), report.host, opts.backend)
    report.commands += 1
    report.backend, report.generation = reply.backend, reply.generation
    noise = noise_warning(reply, report.host)
    if noise:
        report.warnings.append(noise)
    note = reply.fallback_note(opts.backend)
    if note and note not in report.notes:
        report.notes.append(note)
    return reply


def run_message(run: Runner, opts: MessageOptions, check_mode: bool, host: str) -> MessageReport:
    """Send (or, in check mode, only plan) the message; check mode never calls WTSSendMessage."""
    report = MessageReport(host=host, check_mode=check_mode, missing=opts.missing)
    accounts = None
    selected: dict[int, Session] = {}
    if opts.session_ids is None:
        inventory = _ask(run, inventory_request(opts.backend), opts, report)
        selection = select(inventory.sessions, opts.user_filter, opts.states)
        report.skipped = selection.skipped
        report.unmatched_exclusions = selection.unmatched_exclusions
        selected = {s.id: s for s in selection.targets}
        ids = list(selected)
        accounts = [selected[i].account for i in ids]
    else:
        ids = list(opts.session_ids)
        if check_mode:
            inventory = _ask(run, inventory_request(opts.backend), opts, report)
    if not ids:
        return report
    if check_mode:
        for session_id in ids:
            session = inventory.session(session_id)
            if session is None:
                _not_found(report, session_id, host)
            elif session.connect_state not in opts.states or session.system_kind():
                report.skipped.append(Skip(session, _not_reachable(session)))
            else:
                report.outcomes.append(MessageOutcome(session_id, session, Outcome.WOULD_SEND))
        _warn_not_found(report)
        return report
    request = message_request(opts.backend, ids, opts.states, opts.title, opts.text, opts.display_seconds,
                              accounts=accounts)
    reply = _ask(run, request, opts, report)
    for session_id in ids:
        result, session = reply.result(session_id), reply.session(session_id)
        if result is None:
            report.outcomes.append(MessageOutcome(session_id, session, Outcome.FAILED, "the agent did not report on this session"))
        elif result.action == "skipped" and (result.reason == "absent" or session is None):
            _not_found(report, session_id, host, selected.get(session_id))
        elif result.action == "skipped" and result.reason == "user_changed":
            was = selected[session_id].account if session_id in selected else "?"
            text = (f"session {session_id} on {host} now belongs to {session.account or 'nobody'}, not to {was} who "
                    "was selected; no message sent")
            report.outcomes.append(MessageOutcome(session_id, selected.get(session_id, session), Outcome.USER_CHANGED,
                                                  text))
            report.warnings.append(text)
        elif result.action == "skipped":
            report.skipped.append(Skip(session, _not_reachable(session)))
        elif result.error is not None:
            report.outcomes.append(MessageOutcome(session_id, session, Outcome.FAILED, session_error_message(result.error)))
        else:
            report.outcomes.append(MessageOutcome(session_id, session, Outcome.SENT))
    _warn_not_found(report)
    return report


def _not_reachable(session: Session) -> str:
    kind = session.system_kind()
    if kind:
        return f"{kind}: nobody can read a message there"
    return f"state {session.connect_state}: nobody can read a message there now"


def _not_found(report: MessageReport, session_id: int, host: str, selected: Session | None = None) -> None:
    """The id is gone; ``selected`` is the session as it was read when it was chosen (all=true)."""
    text = f"session {session_id} not found on {host}" if selected is None else \
        f"session {session_id} ended before the message was sent on {host}"
    report.outcomes.append(MessageOutcome(session_id, selected, Outcome.NOT_FOUND, text))


def _warn_not_found(report: MessageReport) -> None:
    """One warning for every id that was not found, however many there are."""
    gone = report.ids(Outcome.NOT_FOUND)
    if not gone or report.missing != "ignore":
        return
    if len(gone) == 1:
        report.warnings.append(f"session {gone[0]} not found on {report.host}; no message sent (missing=ignore)")
    else:
        report.warnings.append(
            f"{len(gone)} sessions not found on {report.host} ({id_list(gone)}); no message sent (missing=ignore)"
        )
