# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of one end-of-day run (AWX job slices, or by-hand shares of an inventory) merged into
the one fleet report of the run.

Each part records itself twice: compact, with ``set_stats`` (AWX combines the artifacts of all
slices and gives them to the next workflow node as extra variables), and in full, in its own
report files (``end-of-day-<run>-<part>.json``). The merge reads the first when it has them and
the second otherwise, and accounts for every host of the inventory exactly once.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ansible_collections.multipoint.wms.plugins.plugin_utils._report import (
    STATS_PREFIX,
    FleetReport,
    HostEntry,
    HostStatus,
    now,
)

PART_RECORD = "multipoint.wms end_of_day part"
REPORT = "multipoint.wms end_of_day"


class PartError(ValueError):
    """A part that cannot be read; the message names where it came from."""


@dataclass
class Part:
    """One part of a run, as a merge reads it."""

    part: str
    run_id: str
    check_mode: bool
    written: str
    hosts: dict[str, HostEntry]
    source: str  # the set_stats key, or the file

    def summary(self) -> dict:
        return {"part": self.part, "written": self.written, "hosts": len(self.hosts), "source": self.source}


def parts_from_vars(task_vars: Mapping) -> list[Part]:
    """The parts that reached this play as (combined set_stats) variables."""
    parts = []
    for key in sorted(k for k in task_vars if str(k).startswith(STATS_PREFIX)):
        record = task_vars[key]
        if not isinstance(record, Mapping) or record.get("report") != PART_RECORD:
            raise PartError(f"{key}: not a part of an end-of-day run (expected the record the role's set_stats writes)")
        try:
            hosts = {str(name): HostEntry.from_compact(str(name), data) for name, data in record["hosts"].items()}
            parts.append(Part(str(record["part"] or "run"), str(record["run_id"]), record["mode"] == "check",
                              str(record["written"]), hosts, key))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise PartError(f"{key}: a part record that cannot be read ({type(err).__name__}: {err})") from None
    return parts


def parts_from_files(directory: str, run_id: str) -> list[Part]:
    """The parts of ``run_id`` whose report files are in ``directory`` (never the merged report)."""
    parts = []
    for path in sorted(Path(directory).expanduser().glob(f"end-of-day-{run_id}-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise PartError(f"{path}: cannot be read ({err})") from None
        if not isinstance(data, dict) or data.get("report") != REPORT or not data.get("part"):
            continue  # a whole run's report, or not ours
        if data.get("run_id") != run_id:
            continue
        try:
            hosts = {str(name): HostEntry.from_json(str(name), entry) for name, entry in data["hosts"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise PartError(f"{path}: a part report that cannot be read ({type(err).__name__}: {err})") from None
        parts.append(Part(str(data["part"]), run_id, data.get("mode") == "check", str(data.get("written")), hosts,
                          str(path)))
    return parts


def merge(run_id: str, check_mode: bool, hosts: list[str], parts: list[Part]) -> FleetReport:
    """One report with every host of ``hosts`` exactly once (and any other host a part reported)."""
    notes = []
    ignored = [p for p in parts if p.check_mode != check_mode]
    if ignored:
        mode = "check-mode" if not check_mode else "real"
        notes.append(f"left out {len(ignored)} {mode} part(s) of this run: " + ", ".join(p.part for p in ignored))
    used = sorted((p for p in parts if p.check_mode == check_mode), key=lambda p: (p.written, p.part))
    owners: dict[str, list[Part]] = {}
    for part in used:
        for name in part.hosts:
            owners.setdefault(name, []).append(part)
    entries = []
    wanted = list(dict.fromkeys(hosts))
    extra = [name for name in owners if name not in set(wanted)]
    for name in wanted + extra:
        found = owners.get(name)
        if not found:
            entries.append(HostEntry(name, HostStatus.NOT_RUN, "no part of the run reported this host (its slice "
                                                               "failed before writing its report, or never ran)"))
            continue
        entry = found[-1].hosts[name]  # the latest part that reported it
        if len(found) > 1:
            entry.notes.append("reported by parts " + ", ".join(p.part for p in found) + f"; this is {found[-1].part}'s")
        if name in extra:
            entry.notes.append("not in the inventory the merge ran with")
        entries.append(entry)
    return FleetReport(run_id=run_id, check_mode=check_mode, written=now(), hosts=entries,
                       merged_from=[p.summary() for p in used], notes=notes)
