"""The fleet report accounts for every host, whatever happened to it."""

from __future__ import annotations

import json

from ansible_collections.multipoint.wms.plugins.plugin_utils._report import (
    build_report,
    host_values,
    new_run_id,
    write_report,
)


def _s(id, account, before, after, outcome, message=""):
    return {"id": id, "account": account, "state_before": before, "state_after": after, "outcome": outcome,
            "message": message}


HOSTVARS = {
    "mps-changed": {"end_of_day_disconnect": {
        "changed": True, "failed": False, "generation": "2012", "backend": "multipoint-2012",
        "sessions": [_s(2, "LAB\\a", "Active", "Disconnected", "disconnected"),
                     _s(3, "LAB\\b", "Disconnected", "Disconnected", "already_disconnected")],
        "excluded": [{"id": 4, "account": "LAB\\t", "state": "Active", "reason": "administrator (exclude_admins)"}],
        "unmatched_exclusions": ["LAB\\teacher01", "*\\principal"],
    }, "end_of_day_warning": {"changed": True, "sent": [2, 4], "sent_accounts": ["LAB\\a", "LAB\\t"]}},
    "mps-unchanged": {"end_of_day_disconnect": {"changed": False, "failed": False, "sessions": [], "excluded": [],
                                                "unmatched_exclusions": ["LAB\\teacher01"]},
                      "end_of_day_warning": {"skipped": True}},
    "mps-failed": {"end_of_day_disconnect": {
        "changed": True, "failed": True, "msg": "Failed to disconnect 1 of 2 targeted sessions: ...",
        "sessions": [_s(5, "LAB\\c", "Active", "Active", "timed_out", "did not finish within 5 s"),
                     _s(6, "LAB\\d", "Active", "Disconnected", "disconnected")],
        "excluded": [], "unmatched_exclusions": ["LAB\\teacher01", "*\\principal"]},
        "end_of_day_warning": {"failed": True, "msg": "Access denied on mps-failed", "sent": [], "sent_accounts": []}},
    "mps-down": {"end_of_day_disconnect": {"unreachable": True, "msg": "Failed to connect to the host via winrm"},
                 "end_of_day_warning": {"unreachable": True, "msg": "Failed to connect"}},
    "mps-later": {},
    "mps-when": {"end_of_day_disconnect": {"skipped": True, "skip_reason": "Conditional result was False"}},
}


def test_every_host_is_accounted_for():
    report = build_report("r1", False, list(HOSTVARS), HOSTVARS, "end_of_day_disconnect", "end_of_day_warning")
    status = {h.name: h.status for h in report.hosts}
    assert status == {"mps-changed": "changed", "mps-unchanged": "unchanged", "mps-failed": "failed",
                      "mps-down": "unreachable", "mps-later": "not_run", "mps-when": "not_run"}
    counts = report.counts()
    assert counts["hosts"] == 6 and counts["sessions_disconnected"] == 2 and counts["sessions_failed"] == 1
    assert counts["sessions_skipped"] == 1 and counts["sessions_unchanged"] == 1 and counts["sessions_warned"] == 2
    assert report.problem_hosts() == ["mps-failed", "mps-down"]
    failed = next(h for h in report.hosts if h.name == "mps-failed")
    assert failed.reason.startswith("Failed to disconnect") and failed.failed[0]["id"] == 5
    down = next(h for h in report.hosts if h.name == "mps-down")
    assert "winrm" in down.reason and down.warning == "no warning was sent: the host was unreachable"
    assert failed.warning == "disconnected without warning: Access denied on mps-failed"
    assert next(h for h in report.hosts if h.name == "mps-changed").warned == ["LAB\\a", "LAB\\t"]
    lines = report.summary_lines()
    assert "6 hosts - 1 changed, 1 unchanged, 1 failed, 1 unreachable, 2 not run" in lines[0]
    assert "2 warned" in lines[1]
    assert any(line.startswith("UNREACHABLE mps-down") for line in lines)
    # Matched on no host whose sessions were read: only LAB\teacher01 (mps-unchanged has no principal pattern).
    assert report.unmatched_exclusions() == ["LAB\\teacher01"]
    assert any("matched no session on any host" in line and "LAB\\teacher01" in line for line in lines)
    assert "WARNING mps-failed: disconnected without warning: Access denied on mps-failed" in lines


def test_files_for_machines_and_people(tmp_path):
    report = build_report("r2", True, list(HOSTVARS), HOSTVARS, "end_of_day_disconnect", "end_of_day_warning")
    paths = write_report(report, str(tmp_path), ["json", "markdown"])
    assert paths["json"].endswith("end-of-day-r2-check.json")
    data = json.loads(open(paths["json"]).read())
    assert data["mode"] == "check" and set(data["hosts"]) == set(HOSTVARS)
    assert data["hosts"]["mps-changed"]["skipped"][0]["reason"] == "administrator (exclude_admins)"
    md = open(paths["markdown"]).read()
    for host in HOSTVARS:
        assert f"| {host} |" in md
    assert "LAB\\\\a" not in md and "LAB\\a" in md
    assert "check (nothing was changed)" in md
    # Check-mode wording: nothing was sent, so nobody "was warned".
    assert "| would warn |" in md and "Would warn: LAB\\a, LAB\\t" in md and "| warned |" not in md
    assert data["exclusions_matched_nowhere"] == ["LAB\\teacher01"]
    assert "would be disconnected without warning" in data["hosts"]["mps-failed"]["warning"]
    assert [p.name for p in tmp_path.iterdir()] and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_two_runs_never_share_files(tmp_path):
    ids = {new_run_id() for _attempt in range(50)}
    assert len(ids) == 50
    for run_id in list(ids)[:2]:
        write_report(build_report(run_id, False, ["h"], {}, "d", "w"), str(tmp_path), ["json"])
    assert len(list(tmp_path.glob("end-of-day-*.json"))) == 2


class _HostVars(dict):
    """Like ansible's HostVars: get() templates (refused here), raw_get() gives the stored values, and an
    unknown host is an undefined marker, not a mapping."""

    def get(self, name, default=None):
        raise AssertionError("the report must not template the hosts' results again")

    def raw_get(self, name):
        return dict.get(self, name, object())


def test_results_are_read_as_stored_and_unknown_hosts_have_none():
    hostvars = _HostVars(HOSTVARS)
    assert host_values(hostvars, "mps-changed") is HOSTVARS["mps-changed"]
    assert host_values(hostvars, "not-in-inventory") == {}
    report = build_report("r1", False, ["mps-changed", "not-in-inventory"], hostvars, "end_of_day_disconnect",
                          "end_of_day_warning")
    assert [h.status for h in report.hosts] == ["changed", "not_run"]
