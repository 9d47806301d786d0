"""The parts of one run (AWX job slices) merge into one report with every host exactly once."""

from __future__ import annotations

import json

import pytest

from ansible_collections.multipoint.wms.plugins.plugin_utils._report import (
    STATS_PREFIX,
    build_report,
    write_report,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._report_merge import (
    PartError,
    merge,
    parts_from_files,
    parts_from_vars,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._report_task import part_for
from ansible_collections.multipoint.wms.tests.unit.plugins.plugin_utils.test_report import HOSTVARS

INVENTORY = ["mps-changed", "mps-unchanged", "mps-failed", "mps-down", "mps-later", "mps-when", "mps-lost"]


def _part(name: str, hosts: list[str], check: bool = False, run_id: str = "awx-7"):
    return build_report(run_id, check, hosts, HOSTVARS, "end_of_day_disconnect", "end_of_day_warning", part=name)


def _as_artifacts(*reports) -> dict:
    """What AWX gives the next workflow node: the slices' set_stats data, combined."""
    combined: dict = {}
    for report in reports:
        combined.update({report.stats_key(): json.loads(json.dumps(report.part_record()))})
    return combined


def test_a_part_record_is_compact_and_names_no_account():
    record = _part("job8", ["mps-changed", "mps-failed"]).part_record()
    assert record["run_id"] == "awx-7" and record["part"] == "job8" and record["mode"] == "run"
    changed = record["hosts"]["mps-changed"]
    assert changed["status"] == "changed" and changed["warned"] == 2
    assert changed["ids"] == {"disconnected": [2], "unchanged": [3], "skipped": [4], "failed": []}
    text = json.dumps(record)
    for account in ("LAB\\a", "LAB\\b", "LAB\\t", "LAB\\c", "LAB\\d"):  # the sessions' users
        assert json.dumps(account) not in text
    assert _part("job8", []).stats_key() == STATS_PREFIX + "job8"


def test_merge_accounts_for_every_inventory_host_once():
    first = _part("job8", ["mps-changed", "mps-unchanged", "mps-failed"])
    second = _part("job9", ["mps-down", "mps-later", "mps-when"])
    parts = parts_from_vars({**_as_artifacts(first, second), "unrelated": 1})
    report = merge("awx-7", False, INVENTORY, parts)
    status = {h.name: h.status.value for h in report.hosts}
    assert [h.name for h in report.hosts] == INVENTORY
    assert status == {"mps-changed": "changed", "mps-unchanged": "unchanged", "mps-failed": "failed",
                      "mps-down": "unreachable", "mps-later": "not_run", "mps-when": "not_run",
                      "mps-lost": "not_run"}
    lost = next(h for h in report.hosts if h.name == "mps-lost")
    assert "no part of the run reported this host" in lost.reason
    # The counts of the whole run are the sums of the parts' counts.
    counts = report.counts()
    for key in ("sessions_disconnected", "sessions_unchanged", "sessions_skipped", "sessions_failed",
                "sessions_warned"):
        assert counts[key] == first.counts()[key] + second.counts()[key], key
    assert [p["part"] for p in report.merged_from] == ["job8", "job9"]
    assert report.unmatched_exclusions() == ["LAB\\teacher01"]


def test_a_host_in_two_parts_is_taken_once_from_the_later_part():
    early = _part("job8", ["mps-changed"])
    early.written = "2026-11-23T18:00:00+00:00"
    late = _part("job9", ["mps-changed", "mps-failed"])
    late.written = "2026-11-23T18:05:00+00:00"
    report = merge("awx-7", False, ["mps-changed", "mps-failed"], parts_from_vars(_as_artifacts(late, early)))
    changed = [h for h in report.hosts if h.name == "mps-changed"]
    assert len(changed) == 1 and "this is job9's" in changed[0].notes[-1]


def test_hosts_outside_the_inventory_are_kept_with_a_note():
    part = _part("job8", ["mps-changed", "mps-failed"])
    report = merge("awx-7", False, ["mps-changed"], parts_from_vars(_as_artifacts(part)))
    assert [h.name for h in report.hosts] == ["mps-changed", "mps-failed"]
    assert "not in the inventory" in report.hosts[1].notes[-1]


def test_check_mode_merges_only_check_mode_parts():
    real = _part("job8", ["mps-changed"])
    rehearsal = _part("job9", ["mps-failed"], check=True)
    report = merge("awx-7", True, ["mps-changed", "mps-failed"], parts_from_vars(_as_artifacts(real, rehearsal)))
    assert {h.name: h.status.value for h in report.hosts} == {"mps-changed": "not_run", "mps-failed": "failed"}
    assert report.notes and "real part" in report.notes[0]


def test_parts_from_files_read_each_part_and_never_the_merged_report(tmp_path):
    write_report(_part("a", ["mps-changed"], run_id="evening"), str(tmp_path), ["json", "markdown"])
    write_report(_part("b", ["mps-failed"], run_id="evening"), str(tmp_path), ["json"])
    write_report(_part("c", ["mps-down"], run_id="evening-2"), str(tmp_path), ["json"])  # another run
    merged = merge("evening", False, INVENTORY[:3], parts_from_files(str(tmp_path), "evening"))
    write_report(merged, str(tmp_path), ["json"])
    parts = parts_from_files(str(tmp_path), "evening")
    assert sorted(p.part for p in parts) == ["a", "b"]
    report = merge("evening", False, INVENTORY[:3], parts)
    changed = next(h for h in report.hosts if h.name == "mps-changed")
    # From files, the accounts are there too.
    assert changed.disconnected[0]["account"] == "LAB\\a" and changed.warned == ["LAB\\a", "LAB\\t"]
    assert {h.name: h.status.value for h in report.hosts} == {
        "mps-changed": "changed", "mps-unchanged": "not_run", "mps-failed": "failed"}
    data = json.loads((tmp_path / "end-of-day-evening.json").read_text())
    assert data["part"] is None and [p["part"] for p in data["merged_from"]] == ["a", "b"]


def test_a_part_that_is_not_ours_is_refused_with_its_key():
    with pytest.raises(PartError, match=STATS_PREFIX + "job1"):
        parts_from_vars({STATS_PREFIX + "job1": {"hosts": []}})


@pytest.mark.parametrize("given,task_vars,expected", [
    ("mine", {"awx_job_id": 9, "awx_workflow_job_id": 7}, "mine"),
    (None, {"awx_job_id": 9, "awx_workflow_job_id": 7}, "job9"),
    (None, {"tower_job_id": 9, "tower_workflow_job_id": 7}, "job9"),
    (None, {"awx_job_id": 9}, None),  # a job outside a workflow is a whole run
    (None, {}, None),
])
def test_the_part_of_an_awx_slice_is_its_job(given, task_vars, expected):
    assert part_for(given, task_vars) == expected
