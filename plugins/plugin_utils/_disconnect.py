# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""session_disconnect: choose the sessions, ask the agent to act, judge what really happened.

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
    ELEVATION_HINT,
    ErrorClass,
    checked,
    classify,
    noise_warning,
    session_error_message,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._options import (
    DisconnectOptions,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._outcomes import Outcome
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    disconnect_request,
    inventory_request,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._selection import (
    Skip,
    select,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._sessions import (
    DISCONNECTABLE_STATES,
    DISCONNECTED,
    Session,
    id_list,
)


@dataclass
class SessionOutcome:
    """What happened to one targeted session."""

    id: int
    session: Session | None
    state_after: str | None
    outcome: Outcome
    message: str = ""

    def as_result(self) -> dict:
        if self.session is not None:
            data = self.session.as_result()
            data.pop("state")
        else:
            data = {"id": self.id, "user": "", "domain": "", "account": "", "station": None,
                    "client": "", "is_admin": None, "wms_state": None, "win_station": ""}
        data["state_before"] = self.session.connect_state if self.session else None
        data["state_after"] = self.state_after
        data["outcome"] = self.outcome.value
        data["message"] = self.message
        return data


@dataclass
class DisconnectReport:
    """Everything session_disconnect reports for one host."""

    host: str
    check_mode: bool
    missing: str
    backend: str | None = None
    generation: str | None = None
    outcomes: list[SessionOutcome] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    commands: int = 0
    unmatched_exclusions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Check mode: whether the prediction was checked by the host (-WhatIf) or is only inferred.
    verified: bool | None = None

    def ids(self, *outcomes: Outcome) -> list[int]:
        return [o.id for o in self.outcomes if o.outcome in outcomes]

    def failed_ids(self) -> list[int]:
        """Ids that fail the task, in the order targeted."""
        if self.missing == "fail":
            return self.ids(Outcome.FAILED, Outcome.TIMED_OUT, Outcome.NOT_FOUND)
        return self.ids(Outcome.FAILED, Outcome.TIMED_OUT)

    def unchanged_ids(self) -> list[int]:
        """Ids left as they were (already disconnected, taken over by another user, or gone with
        missing=ignore), in order."""
        if self.missing == "ignore":
            return self.ids(Outcome.ALREADY_DISCONNECTED, Outcome.USER_CHANGED, Outcome.NOT_FOUND)
        return self.ids(Outcome.ALREADY_DISCONNECTED, Outcome.USER_CHANGED)

    def summary(self) -> str:
        done = self.ids(Outcome.WOULD_DISCONNECT if self.check_mode else Outcome.DISCONNECTED)
        verb = "Would disconnect" if self.check_mode else "Disconnected"
        parts = [f"{verb} {len(done)} session{'s' if len(done) != 1 else ''}" + (f" ({id_list(done)})" if done else "")]
        for outcome, label in ((Outcome.ALREADY_DISCONNECTED, "already disconnected"), (Outcome.NOT_FOUND, "not found"),
                               (Outcome.USER_CHANGED, "now another user's (left alone)"),
                               (Outcome.TIMED_OUT, "timed out"), (Outcome.FAILED, "failed")):
            ids = self.ids(outcome)
            if ids:
                parts.append(f"{len(ids)} {label} ({id_list(ids)})")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped by the filters")
        text = "; ".join(parts) + f" on {self.host}"
        failed = self.failed_ids()
        if failed:
            text = f"Failed to disconnect {len(failed)} of {len(self.outcomes)} targeted sessions: " + text
        return text

    def to_result(self, diff: bool) -> dict:
        failed = self.failed_ids()
        result = {
            "changed": bool(self.ids(Outcome.DISCONNECTED, Outcome.WOULD_DISCONNECT)),
            "failed": bool(failed),
            "msg": self.summary(),
            "backend": self.backend,
            "generation": self.generation,
            "sessions": [o.as_result() for o in self.outcomes],
            "excluded": [s.as_result() for s in self.skipped],
            "disconnected": self.ids(Outcome.DISCONNECTED, Outcome.WOULD_DISCONNECT),
            "unchanged": self.unchanged_ids(),
            "failed_ids": failed,
            "unmatched_exclusions": list(self.unmatched_exclusions),
            "notes": list(self.notes),
            "agent_commands": self.commands,
        }
        if self.check_mode:
            result["verified"] = self.verified
        if self.warnings:
            result["warnings"] = list(self.warnings)
        if diff:
            result["diff"] = self.diff()
        return result

    def diff(self) -> dict:
        before, after = [], []
        for o in self.outcomes:
            label = o.session.describe() if o.session else str(o.id)
            before.append(f"session {label}: {o.session.connect_state if o.session else 'absent'}\n")
            after.append(f"session {label}: {o.state_after or 'absent'}\n")
        return {
            "before_header": f"{self.host}: connect state before",
            "after_header": f"{self.host}: connect state after" + (" (predicted, check mode)" if self.check_mode else ""),
            "before": "".join(before),
            "after": "".join(after),
        }


def _call_name(backend: str | None) -> str:
    return "WTSDisconnectSession" if backend == "wts" else "Disconnect-WmsSession"


def run_disconnect(run: Runner, opts: DisconnectOptions, check_mode: bool, host: str) -> DisconnectReport:
    """Disconnect the sessions ``opts`` targets on one host (one agent command per id list)."""
    report = DisconnectReport(host=host, check_mode=check_mode, missing=opts.missing)
    selected: dict[int, Session] = {}  # all=true: each target as it was read, to act on that user only
    if opts.session_ids is not None:
        ids = list(opts.session_ids)
        act_states = DISCONNECTABLE_STATES
        accounts = None
    else:
        inventory = checked(run(inventory_request(opts.backend)), host, opts.backend)
        _took(report, inventory, opts.backend)
        selection = select(inventory.sessions, opts.user_filter, opts.states, keep_disconnected=True)
        report.skipped = selection.skipped
        report.unmatched_exclusions = selection.unmatched_exclusions
        for session in selection.targets:
            if session.connect_state == DISCONNECTED:
                report.outcomes.append(SessionOutcome(session.id, session, DISCONNECTED, Outcome.ALREADY_DISCONNECTED))
            else:
                selected[session.id] = session
        ids = list(selected)
        act_states = opts.states
        accounts = [selected[i].account for i in ids]
    if not ids:
        return report
    request = disconnect_request(opts.backend, ids, act_states, opts.timeout, what_if=check_mode, accounts=accounts)
    reply = checked(run(request), host, opts.backend)
    _took(report, reply, opts.backend)
    if check_mode:
        report.verified = reply.backend != "wts"
    for session_id in ids:
        outcome = _judge(session_id, reply, check_mode, selected.get(session_id), opts.timeout, host)
        if outcome is None:  # its state changed to one the filters leave out
            session = reply.session(session_id)
            report.skipped.append(Skip(session, f"state changed to {session.connect_state} before acting"))
            continue
        report.outcomes.append(outcome)
    if selected:
        report.outcomes.sort(key=lambda o: o.id)
    _warn_about(report, opts.missing)
    if check_mode:
        _check_nothing_changed(report, reply)
    return report


def _took(report: DisconnectReport, reply: AgentReply, backend: str) -> None:
    """One more agent command: what it says about the host."""
    report.commands += 1
    report.backend, report.generation = reply.backend, reply.generation
    _note_noise(report, reply)
    note = reply.fallback_note(backend)
    if note and note not in report.notes:
        report.notes.append(note)


def _warn_about(report: DisconnectReport, missing: str) -> None:
    gone = [o for o in report.outcomes if o.outcome == Outcome.NOT_FOUND]
    if gone and missing == "ignore":
        if len(gone) == 1:
            report.warnings.append(f"{gone[0].message}; counted as unchanged (missing=ignore)")
        else:
            report.warnings.append(
                f"{len(gone)} sessions not found on {report.host} ({id_list([o.id for o in gone])}); counted as "
                "unchanged (missing=ignore)"
            )
    for outcome in report.outcomes:
        if outcome.outcome == Outcome.USER_CHANGED:
            report.warnings.append(outcome.message)


def _judge(session_id: int, reply: AgentReply, check_mode: bool, selected: Session | None, timeout: int,
           host: str) -> SessionOutcome | None:
    """The outcome for one id, from the states read before and after acting: what is true.

    ``selected`` is the session as the selection read it (all=true), None for an explicit id.
    """
    result = reply.result(session_id)
    before = reply.session(session_id)
    after = reply.after_session(session_id)
    explicit = selected is None
    if result is None:
        return SessionOutcome(session_id, before, None, Outcome.FAILED, "the agent did not report on this session")
    if result.action == "skipped":
        if result.reason == "absent" or before is None:
            text = "does not exist" if explicit else "ended before it could be disconnected"
            return SessionOutcome(session_id, selected, None, Outcome.NOT_FOUND, f"session {session_id} {text} on {host}")
        if result.reason == "user_changed":
            now = before.account or "nobody"
            return SessionOutcome(
                session_id, selected or before, before.connect_state, Outcome.USER_CHANGED,
                f"session {session_id} on {host} now belongs to {now}, not to {selected.account if selected else '?'} "
                "who was selected; left alone (the selected user logged off and the id was reused)")
        if before.connect_state == DISCONNECTED:
            return SessionOutcome(session_id, before, DISCONNECTED, Outcome.ALREADY_DISCONNECTED)
        if not explicit:
            return None
        kind = before.system_kind()
        why = f"is a {kind}, not a user session" if kind else f"is in state {before.connect_state}"
        return SessionOutcome(session_id, before, before.connect_state, Outcome.FAILED,
                              f"session {session_id} {why}; it cannot be disconnected")
    error = result.error
    if check_mode:
        return _predict(session_id, reply, before, host)
    if after is None:
        note = f" ({error.describe()})" if error else ""
        return SessionOutcome(session_id, before, None, Outcome.NOT_FOUND,
                              f"session {session_id} ended before it was disconnected{note}")
    if after.connect_state == DISCONNECTED:
        note = f"disconnected, although the call reported {error.describe()}" if error else ""
        return SessionOutcome(session_id, before, DISCONNECTED, Outcome.DISCONNECTED, note)
    state = after.connect_state
    if error is not None:
        if classify(error) is ErrorClass.TIMEOUT:
            return SessionOutcome(session_id, before, state, Outcome.TIMED_OUT,
                                  f"{_call_name(reply.backend)} did not finish within {timeout} s "
                                  f"({error.describe()}); the session is still {state}")
        return SessionOutcome(session_id, before, state, Outcome.FAILED, session_error_message(error))
    return SessionOutcome(session_id, before, state, Outcome.TIMED_OUT,
                          f"{_call_name(reply.backend)} reported success, but the session was still {state} "
                          f"after {timeout} s")


def _predict(session_id: int, reply: AgentReply, before: Session | None, host: str) -> SessionOutcome:
    """Check mode: what would happen, and how sure that is.

    MultiPoint ran the real call with -WhatIf. The WTS API has no what-if: the prediction rests on
    what the host said about the account, and says so.
    """
    error = reply.result(session_id).error
    state = before.connect_state if before else None
    if error is not None:
        if classify(error) is ErrorClass.NO_SUCH_SESSION:
            return SessionOutcome(session_id, None, None, Outcome.NOT_FOUND,
                                  f"session {session_id} not found on {host} ({error.describe()})")
        return SessionOutcome(session_id, before, state, Outcome.FAILED, session_error_message(error))
    if reply.backend != "wts":
        return SessionOutcome(session_id, before, DISCONNECTED, Outcome.WOULD_DISCONNECT,
                              f"would be disconnected ({_call_name(reply.backend)} -WhatIf)")
    if reply.host.get("elevated") is False:
        return SessionOutcome(session_id, before, state, Outcome.FAILED,
                              "would fail: the account is not an elevated administrator on the host, so "
                              f"WTSDisconnectSession would be denied (unverified: the WTS API has no what-if); "
                              f"{ELEVATION_HINT}")
    return SessionOutcome(session_id, before, DISCONNECTED, Outcome.WOULD_DISCONNECT,
                          "would be disconnected (unverified: the WTS API has no what-if; the account is an "
                          "elevated administrator)")


def _check_nothing_changed(report: DisconnectReport, reply: AgentReply) -> None:
    """Check mode: the states read after the -WhatIf call must equal those read before it."""
    for after in reply.after:
        before = reply.session(after.id)
        if before is not None and before.connect_state != after.connect_state:
            report.warnings.append(
                f"session {after.id} changed from {before.connect_state} to {after.connect_state} "
                "during the check-mode run (not caused by -WhatIf, which changes nothing)"
            )


def _note_noise(report: DisconnectReport, reply: AgentReply) -> None:
    warning = noise_warning(reply, report.host)
    if warning:
        report.warnings.append(warning)
