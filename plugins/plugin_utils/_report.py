# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: what happened on every host of a play, as JSON and Markdown.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path

from ansible_collections.multipoint.wms.plugins.plugin_utils._outcomes import (
    DONE_OUTCOMES,
    FAILED_OUTCOMES,
    UNCHANGED_OUTCOMES,
)


class HostStatus(StrEnum):
    """One host's line in the report: what happened to it as a whole."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    NOT_RUN = "not_run"


@dataclass
class HostEntry:
    """One host's line in the report."""

    name: str
    status: HostStatus
    reason: str = ""
    generation: str | None = None
    backend: str | None = None
    disconnected: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _session_line(s: Mapping) -> dict:
    return {
        "id": s.get("id"),
        "account": s.get("account") or "",
        "state_before": s.get("state_before"),
        "state_after": s.get("state_after"),
        "outcome": s.get("outcome"),
        "message": s.get("message") or "",
    }


def _skip_line(s: Mapping) -> dict:
    return {"id": s.get("id"), "account": s.get("account") or "", "state": s.get("state"), "reason": s.get("reason")}


def host_entry(name: str, disconnect: Mapping | None, warning: Mapping | None) -> HostEntry:
    """Classify one host from its registered session_disconnect (and session_message) results."""
    if not disconnect or disconnect.get("skipped") is True:
        reason = "the disconnect task did not run on this host"
        if disconnect and disconnect.get("skip_reason"):
            reason += f" ({disconnect['skip_reason']})"
        entry = HostEntry(name, HostStatus.NOT_RUN, reason)
    elif disconnect.get("unreachable"):
        entry = HostEntry(name, HostStatus.UNREACHABLE, str(disconnect.get("msg") or "unreachable"))
    else:
        sessions = list(disconnect.get("sessions") or [])
        if disconnect.get("failed"):
            status = HostStatus.FAILED
        else:
            status = HostStatus.CHANGED if disconnect.get("changed") else HostStatus.UNCHANGED
        entry = HostEntry(
            name,
            status,
            str(disconnect.get("msg") or "") if status is HostStatus.FAILED else "",
            generation=disconnect.get("generation"),
            backend=disconnect.get("backend"),
            disconnected=[_session_line(s) for s in sessions if s.get("outcome") in DONE_OUTCOMES],
            unchanged=[_session_line(s) for s in sessions if s.get("outcome") in UNCHANGED_OUTCOMES],
            failed=[_session_line(s) for s in sessions if s.get("outcome") in FAILED_OUTCOMES],
            skipped=[_skip_line(s) for s in disconnect.get("excluded") or []],
        )
        entry.notes.extend(str(w) for w in disconnect.get("warnings") or [])
    if warning and warning.get("skipped") is not True:
        if warning.get("unreachable") and entry.status is HostStatus.UNREACHABLE:
            entry.notes.append("no warning was sent: the host was unreachable")
        elif warning.get("unreachable") or warning.get("failed"):
            entry.notes.append(f"warning message not delivered everywhere: {warning.get('msg')}")
        entry.warned = list(warning.get("sent") or [])
    return entry


@dataclass
class FleetReport:
    """The whole report of one run."""

    run_id: str
    check_mode: bool
    written: str
    hosts: list[HostEntry]

    def counts(self) -> dict:
        by_status = Counter(h.status for h in self.hosts)
        return {
            "hosts": len(self.hosts),
            **{status.value: by_status.get(status, 0) for status in HostStatus},
            "sessions_disconnected": sum(len(h.disconnected) for h in self.hosts),
            "sessions_unchanged": sum(len(h.unchanged) for h in self.hosts),
            "sessions_skipped": sum(len(h.skipped) for h in self.hosts),
            "sessions_failed": sum(len(h.failed) for h in self.hosts),
            "sessions_warned": sum(len(h.warned) for h in self.hosts),
        }

    def problem_hosts(self) -> list[str]:
        return [h.name for h in self.hosts if h.status in (HostStatus.FAILED, HostStatus.UNREACHABLE)]

    def summary_lines(self) -> list[str]:
        c = self.counts()
        verb = "would be disconnected" if self.check_mode else "disconnected"
        lines = [
            f"End of day {self.run_id}{' (check mode: nothing was changed)' if self.check_mode else ''}: "
            f"{c['hosts']} hosts - {c['changed']} changed, {c['unchanged']} unchanged, {c['failed']} failed, "
            f"{c['unreachable']} unreachable, {c['not_run']} not run",
            f"Sessions: {c['sessions_disconnected']} {verb}, {c['sessions_unchanged']} unchanged, "
            f"{c['sessions_skipped']} skipped, {c['sessions_failed']} failed",
        ]
        for h in self.hosts:
            if h.status in (HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.NOT_RUN):
                lines.append(f"{h.status.value.upper()} {h.name}: {h.reason}")
        return lines

    def to_dict(self) -> dict:
        return {
            "report": "multipoint.wms end_of_day",
            "run_id": self.run_id,
            "mode": "check" if self.check_mode else "run",
            "written": self.written,
            "summary": self.counts(),
            "hosts": {h.name: {**{k: v for k, v in asdict(h).items() if k != "name"}, "status": h.status.value}
                      for h in self.hosts},
        }

    def to_markdown(self) -> str:
        c = self.counts()
        out = [
            f"# End-of-day report {self.run_id}",
            "",
            f"Written {self.written}. Mode: **{'check (nothing was changed)' if self.check_mode else 'run'}**.",
            "",
            "| hosts | changed | unchanged | failed | unreachable | not run |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {c['hosts']} | {c['changed']} | {c['unchanged']} | {c['failed']} | {c['unreachable']} | {c['not_run']} |",
            "",
            "| sessions | disconnected | unchanged | skipped | failed | warned |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| | {c['sessions_disconnected']} | {c['sessions_unchanged']} | {c['sessions_skipped']} "
            f"| {c['sessions_failed']} | {c['sessions_warned']} |",
            "",
            "## Hosts",
            "",
            "| host | status | generation | disconnected | unchanged | skipped | failed | reason |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        order = {s: i for i, s in enumerate((HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.NOT_RUN,
                                             HostStatus.CHANGED, HostStatus.UNCHANGED))}
        hosts = sorted(self.hosts, key=lambda h: (order[h.status], h.name))
        for h in hosts:
            out.append(
                f"| {_md(h.name)} | {h.status.value} | {h.generation or ''} | {len(h.disconnected)} | {len(h.unchanged)} "
                f"| {len(h.skipped)} | {len(h.failed)} | {_md(h.reason)} |"
            )
        for h in hosts:
            rows = [("disconnected" if not self.check_mode else "would disconnect", s) for s in h.disconnected]
            rows += [("failed", s) for s in h.failed] + [("unchanged", s) for s in h.unchanged]
            if not rows and not h.skipped and not h.notes:
                continue
            out += ["", f"### {_md(h.name)}", ""]
            if rows:
                out += ["| session | account | before | after | outcome | message |", "| ---: | --- | --- | --- | --- | --- |"]
                for label, s in rows:
                    out.append(
                        f"| {s['id']} | {_md(s['account'])} | {s['state_before'] or ''} | {s['state_after'] or ''} "
                        f"| {s['outcome']} | {_md(s['message'])} |"
                    )
            if h.skipped:
                out += ["", "Skipped: " + "; ".join(f"{s['id']} {_md(s['account'])} ({_md(s['reason'])})" for s in h.skipped)]
            for note in h.notes:
                out += ["", f"Note: {_md(note)}"]
        return "\n".join(out) + "\n"


# CommonMark reads a backslash before ASCII punctuation as an escape; these characters format text.
_MD_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MD_FORMATTING = frozenset("*`|<[]~&")


def _md(text: str | None) -> str:
    """Text that reads as written once the Markdown is rendered, on one line.

    Wildcard patterns such as ``*\\teacher*`` would otherwise turn into emphasis and lose their
    stars. A backslash is doubled only where Markdown would take it for an escape, and ``_`` is
    escaped only where it could start or end emphasis, so ``LAB\\svc_backup`` stays as it is.
    """
    text = " ".join((text or "").splitlines())
    out = []
    for i, ch in enumerate(text):
        before = text[i - 1] if i > 0 else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\" and after and after in _MD_PUNCTUATION:
            out.append("\\\\")
        elif ch in _MD_FORMATTING or (ch == "_" and not (before.isalnum() and after.isalnum())):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def build_report(
    run_id: str, check_mode: bool, hosts: list[str], hostvars: Mapping, disconnect_var: str, warning_var: str
) -> FleetReport:
    """A report line for every host of the play, whatever happened to it."""
    entries = []
    for name in hosts:
        values = hostvars.get(name) or {}
        entries.append(host_entry(name, values.get(disconnect_var), values.get(warning_var)))
    written = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return FleetReport(run_id=run_id, check_mode=check_mode, written=written, hosts=entries)


def write_report(report: FleetReport, directory: str, formats: list[str]) -> dict[str, str]:
    """Write the report's files (atomically); the run id keeps different runs apart."""
    folder = Path(directory).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"end-of-day-{report.run_id}" + ("-check" if report.check_mode else "")
    paths = {}
    for fmt in formats:
        if fmt == "json":
            text = json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"
            path = folder / f"{stem}.json"
        else:
            text = report.to_markdown()
            path = folder / f"{stem}.md"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        paths[fmt] = str(path)
    return paths
