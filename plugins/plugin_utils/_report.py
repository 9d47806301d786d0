# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: what happened on every host of a play, as JSON and Markdown.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

import json
import os
import re
import secrets
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


RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# A part of a run (an AWX slice, or a by-hand share of the inventory): its name in file names and
# in the set_stats key, so it must also be a valid identifier tail.
PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,49}$")
# The set_stats key of one part: AWX combines the artifacts of all slices with a shallow update,
# so each slice must use a key of its own.
STATS_PREFIX = "multipoint_wms_end_of_day_part_"
# The session lists a part keeps per host: ids only (kind -> HostEntry field).
ID_KINDS = ("disconnected", "unchanged", "skipped", "failed")


def new_run_id() -> str:
    """Time of the run plus a random part, so that two runs never share report files."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


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
    warned: list[str] = field(default_factory=list)  # accounts warned (check mode: that would be)
    warning: str = ""  # what went wrong with the warning on this host, if anything
    notes: list[str] = field(default_factory=list)
    # exclude_users patterns that matched no session here; None when the host's sessions were not read
    unmatched_exclusions: list[str] | None = None
    # How many accounts were warned when only the count is known (a host merged from a part).
    warned_count: int | None = None

    def warned_total(self) -> int:
        return self.warned_count if self.warned_count is not None else len(self.warned)

    def compact(self) -> dict:
        """What a part records of this host: status, reason, the ids per kind, counts; no accounts."""
        record = {"status": self.status.value, "reason": self.reason, "generation": self.generation,
                  "backend": self.backend,
                  "ids": {kind: [s.get("id") for s in getattr(self, kind)] for kind in ID_KINDS},
                  "warned": self.warned_total(), "warning": self.warning, "notes": list(self.notes),
                  "unmatched_exclusions": self.unmatched_exclusions}
        return record

    @classmethod
    def from_json(cls, name: str, data: Mapping) -> HostEntry:
        """A host line read back from a report's JSON file (``FleetReport.to_dict``)."""
        lists = {k: list(data.get(k) or []) for k in (*ID_KINDS, "warned", "notes")}
        return cls(name, HostStatus(data.get("status")), str(data.get("reason") or ""), data.get("generation"),
                   data.get("backend"), warning=str(data.get("warning") or ""),
                   unmatched_exclusions=data.get("unmatched_exclusions"), warned_count=data.get("warned_count"),
                   **lists)

    @classmethod
    def from_compact(cls, name: str, record: Mapping) -> HostEntry:
        """A host line rebuilt from a part's record: sessions by id only."""
        ids = record.get("ids") or {}
        status = HostStatus(record.get("status"))

        def lines(kind: str) -> list[dict]:
            return [{"id": i, "account": "", "state_before": None, "state_after": None, "outcome": kind,
                     "message": ""} for i in ids.get(kind) or []]

        skipped = [{"id": i, "account": "", "state": None, "reason": ""} for i in ids.get("skipped") or []]
        return cls(name, status, str(record.get("reason") or ""), record.get("generation"), record.get("backend"),
                   disconnected=lines("disconnected"), unchanged=lines("unchanged"), skipped=skipped,
                   failed=lines("failed"), warning=str(record.get("warning") or ""),
                   notes=[str(n) for n in record.get("notes") or []],
                   unmatched_exclusions=record.get("unmatched_exclusions"),
                   warned_count=int(record.get("warned") or 0))


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


def _failed(result: Mapping | None) -> bool:
    return bool(result) and bool(result.get("failed") or result.get("unreachable") or result.get("unreachable_host"))


def _unreachable(result: Mapping | None) -> bool:
    return bool(result) and bool(result.get("unreachable") or result.get("unreachable_host"))


def host_entry(name: str, disconnect: Mapping | None, warning: Mapping | None, check_mode: bool = False) -> HostEntry:
    """Classify one host from its registered session_disconnect (and session_message) results."""
    warned = bool(warning) and warning.get("skipped") is not True
    warning_failed = warned and _failed(warning)
    warning_msg = str(warning.get("msg") or "") if warned else ""
    if not disconnect or disconnect.get("skipped") is True:
        if warning_failed:
            # The warning failed the host (end_of_day_unwarned: leave), so it was left alone.
            status = HostStatus.UNREACHABLE if _unreachable(warning) else HostStatus.FAILED
            entry = HostEntry(name, status, f"left alone: the warning could not be sent: {warning_msg}")
        else:
            reason = "the disconnect task did not run on this host"
            if disconnect and disconnect.get("skip_reason"):
                reason += f" ({disconnect['skip_reason']})"
            entry = HostEntry(name, HostStatus.NOT_RUN, reason)
    elif _unreachable(disconnect):
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
            unmatched_exclusions=list(disconnect.get("unmatched_exclusions") or []),
        )
        entry.notes.extend(str(n) for n in disconnect.get("notes") or [])
        if check_mode and disconnect.get("verified") is False:
            entry.notes.append("prediction not verified by the host: the WTS API has no what-if (the account is an "
                               "elevated administrator, so the disconnect is expected to work)")
        entry.notes.extend(str(w) for w in disconnect.get("warnings") or [])
    if warned:
        entry.warned = list(warning.get("sent_accounts") or [])
        if warning_failed and entry.status is HostStatus.UNREACHABLE and _unreachable(warning):
            entry.warning = "no warning was sent: the host was unreachable"
        elif warning_failed and not entry.warned:
            verb = "would be disconnected" if check_mode else "disconnected"
            if entry.status in (HostStatus.CHANGED, HostStatus.UNCHANGED, HostStatus.FAILED) and entry.disconnected:
                entry.warning = f"{verb} without warning: {warning_msg}"
            else:
                entry.warning = f"the warning could not be sent: {warning_msg}"
        elif warning_failed:
            entry.warning = f"the warning did not reach every session: {warning_msg}"
    return entry


@dataclass
class FleetReport:
    """The whole report of one run."""

    run_id: str
    check_mode: bool
    written: str
    hosts: list[HostEntry]
    part: str | None = None  # this report is one part of the run (an AWX slice)
    merged_from: list[dict] | None = None  # this report merges these parts (part, written, hosts)
    notes: list[str] = field(default_factory=list)  # about the report as a whole

    def counts(self) -> dict:
        by_status = Counter(h.status for h in self.hosts)
        return {
            "hosts": len(self.hosts),
            **{status.value: by_status.get(status, 0) for status in HostStatus},
            "sessions_disconnected": sum(len(h.disconnected) for h in self.hosts),
            "sessions_unchanged": sum(len(h.unchanged) for h in self.hosts),
            "sessions_skipped": sum(len(h.skipped) for h in self.hosts),
            "sessions_failed": sum(len(h.failed) for h in self.hosts),
            "sessions_warned": sum(h.warned_total() for h in self.hosts),
        }

    def unmatched_exclusions(self) -> list[str]:
        """exclude_users patterns that matched no session on any host whose sessions were read."""
        read = [h.unmatched_exclusions for h in self.hosts if h.unmatched_exclusions is not None]
        if not read:
            return []
        return [p for p in read[0] if all(p in other for other in read[1:])]

    def unwarned_hosts(self) -> list[str]:
        """Hosts where the warning went wrong (the reason is in each host's ``warning``)."""
        return [h.name for h in self.hosts if h.warning]

    def problem_hosts(self) -> list[str]:
        return [h.name for h in self.hosts if h.status in (HostStatus.FAILED, HostStatus.UNREACHABLE)]

    def summary_lines(self) -> list[str]:
        c = self.counts()
        verb = "would be disconnected" if self.check_mode else "disconnected"
        warn = "would be warned" if self.check_mode else "warned"
        lines = [
            f"End of day {self.run_id}{' (check mode: nothing was changed)' if self.check_mode else ''}: "
            f"{c['hosts']} hosts - {c['changed']} changed, {c['unchanged']} unchanged, {c['failed']} failed, "
            f"{c['unreachable']} unreachable, {c['not_run']} not run",
            f"Sessions: {c['sessions_disconnected']} {verb}, {c['sessions_unchanged']} unchanged, "
            f"{c['sessions_skipped']} skipped, {c['sessions_failed']} failed, {c['sessions_warned']} {warn}",
        ]
        unmatched = self.unmatched_exclusions()
        if unmatched:
            lines.append("Exclusions that matched no session on any host (a typo protects nobody): "
                         + ", ".join(unmatched))
        for h in self.hosts:
            if h.status in (HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.NOT_RUN):
                lines.append(f"{h.status.value.upper()} {h.name}: {h.reason}")
        for h in self.hosts:
            if h.warning and h.status not in (HostStatus.UNREACHABLE, HostStatus.NOT_RUN):
                lines.append(f"WARNING {h.name}: {h.warning}")
        lines.extend(f"NOTE {note}" for note in self.notes)
        return lines

    def part_record(self) -> dict:
        """This report as one part of its run, compact, for set_stats and a later merge."""
        return {"report": "multipoint.wms end_of_day part", "run_id": self.run_id, "part": self.part,
                "mode": "check" if self.check_mode else "run", "written": self.written,
                "hosts": {h.name: h.compact() for h in self.hosts}}

    def stats_key(self) -> str:
        return STATS_PREFIX + (self.part or "run")

    def to_dict(self) -> dict:
        return {
            "report": "multipoint.wms end_of_day",
            "run_id": self.run_id,
            "mode": "check" if self.check_mode else "run",
            "written": self.written,
            "part": self.part,
            "merged_from": self.merged_from,
            "notes": self.notes,
            "summary": self.counts(),
            "exclusions_matched_nowhere": self.unmatched_exclusions(),
            "hosts_with_warning_problems": self.unwarned_hosts(),
            "hosts": {h.name: {**{k: v for k, v in asdict(h).items() if k not in ("name", "warned_count")},
                               "status": h.status.value, "warned_count": h.warned_total()}
                      for h in self.hosts},
        }

    def to_markdown(self) -> str:
        c = self.counts()
        done = "would disconnect" if self.check_mode else "disconnected"
        warned = "would warn" if self.check_mode else "warned"
        title = f"{self.run_id}, part {self.part}" if self.part else self.run_id
        out = [
            f"# End-of-day report {title}",
            "",
            f"Written {self.written}. Mode: **{'check (nothing was changed)' if self.check_mode else 'run'}**.",
            "",
            "| hosts | changed | unchanged | failed | unreachable | not run |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {c['hosts']} | {c['changed']} | {c['unchanged']} | {c['failed']} | {c['unreachable']} | {c['not_run']} |",
            "",
            f"| sessions | {done} | unchanged | skipped | failed | {warned} |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| | {c['sessions_disconnected']} | {c['sessions_unchanged']} | {c['sessions_skipped']} "
            f"| {c['sessions_failed']} | {c['sessions_warned']} |",
            "",
        ]
        if self.merged_from is not None:
            out += [f"Merged from {len(self.merged_from)} part(s): "
                    + (", ".join(f"{_md(p['part'])} ({p['hosts']} hosts)" for p in self.merged_from) or "none")
                    + ". Sessions are listed by id; each part's own report has the accounts.", ""]
        for note in self.notes:
            out += [f"Note: {_md(note)}", ""]
        unmatched = self.unmatched_exclusions()
        if unmatched:
            out += ["**Exclusions that matched no session on any host** (a typo protects nobody): "
                    + ", ".join(f"`{p}`" for p in unmatched), ""]
        out += [
            "## Hosts",
            "",
            f"| host | status | generation | {done} | unchanged | skipped | failed | {warned} | reason |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        order = {s: i for i, s in enumerate((HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.NOT_RUN,
                                             HostStatus.CHANGED, HostStatus.UNCHANGED))}
        hosts = sorted(self.hosts, key=lambda h: (order[h.status], h.name))
        for h in hosts:
            out.append(
                f"| {_md(h.name)} | {h.status.value} | {h.generation or ''} | {len(h.disconnected)} | {len(h.unchanged)} "
                f"| {len(h.skipped)} | {len(h.failed)} | {h.warned_total()} | {_md(h.reason)} |"
            )
        for h in hosts:
            rows = [("disconnected" if not self.check_mode else "would disconnect", s) for s in h.disconnected]
            rows += [("failed", s) for s in h.failed] + [("unchanged", s) for s in h.unchanged]
            if not rows and not h.skipped and not h.notes and not h.warned_total() and not h.warning:
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
            if h.warned:
                out += ["", f"{'Would warn' if self.check_mode else 'Warned'}: " + ", ".join(_md(a) for a in h.warned)]
            elif h.warned_total():
                out += ["", f"{'Would warn' if self.check_mode else 'Warned'}: {h.warned_total()} session(s)"]
            if h.warning:
                out += ["", f"Warning: {_md(h.warning)}"]
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


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def host_values(hostvars: Mapping, name: str) -> Mapping:
    """One host's variables as they were stored, not templated again (``HostVars.raw_get``).

    The registered results are data the modules returned: templating them again would only cost
    time (about 9 ms a host at 25 sessions), and a host that is not in the inventory has none.
    """
    raw_get = getattr(hostvars, "raw_get", None)
    values = raw_get(name) if raw_get is not None else hostvars.get(name)
    return values if isinstance(values, Mapping) else {}


def build_report(
    run_id: str, check_mode: bool, hosts: list[str], hostvars: Mapping, disconnect_var: str, warning_var: str,
    part: str | None = None,
) -> FleetReport:
    """A report line for every host of the play, whatever happened to it."""
    entries = []
    for name in hosts:
        values = host_values(hostvars, name)
        entries.append(host_entry(name, values.get(disconnect_var), values.get(warning_var), check_mode))
    return FleetReport(run_id=run_id, check_mode=check_mode, written=now(), hosts=entries, part=part)


def report_stem(run_id: str, part: str | None, check_mode: bool) -> str:
    """``end-of-day-<run>[-<part>][-check]``: parts of one run never share files."""
    return f"end-of-day-{run_id}" + (f"-{part}" if part else "") + ("-check" if check_mode else "")


def write_report(report: FleetReport, directory: str, formats: list[str]) -> dict[str, str]:
    """Write the report's files (atomically); the run id keeps different runs apart."""
    folder = Path(directory).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    stem = report_stem(report.run_id, report.part, report.check_mode)
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
