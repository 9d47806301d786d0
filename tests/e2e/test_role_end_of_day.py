"""The end_of_day role through ansible-playbook against a mixed simulated fleet.

One fleet for the whole module (reset before each test): MultiPoint 2012 and 2016 hosts, a plain
RDS host (generation none), a host that is down, one where the account is not an administrator,
one whose disconnects hang, a host with nothing to do and an empty one, with users the role must
leave alone (end_of_day_exclude_users and administrators). Every test checks the report the role
wrote against what the simulator says happened to every host and every session.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from wmssim.fleet.running import event_time

SCENARIO = r"""
description: end_of_day role e2e - mixed generations, RDS, down and failing hosts, exclusions
defaults:
  generation: "2016"
  auth: basic
  powershell_startup_ms: 0
  latency_ms: 0
hosts:
  - name: mps-2012
    generation: "2012"
    auth: ntlm
    sessions:
      - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
      - {id: 3, user: bob, domain: LAB, station: 2, state: Idle}
      - {id: 4, user: teacher01, domain: LAB, station: 3, state: Active}
      - {id: 5, user: itadmin, domain: LAB, station: 0, client: ADMIN-PC, admin: true, state: Active}
      - {id: 6, user: carol, domain: LAB, station: 4, state: Disconnected}
      - {id: 7, user: dave, domain: LAB, station: 0, client: PC-07, state: Connected}
  - name: mps-2016
    sessions:
      - {id: 2, user: erin, domain: LAB, station: 1, state: Active}
      - {id: 3, user: frank, domain: LAB, station: 0, client: PC-11, state: Active}
      - {id: 4, user: Teacher02, domain: LAB, station: 2, state: Idle}
      - {id: 8, user: mallory, domain: LAB, station: 3, state: Disconnected}
  - name: rds-01
    generation: "none"
    sessions:
      - {id: 2, user: grace, domain: LAB, state: Active, client: PC-101}
      - {id: 3, user: heidi, domain: LAB, state: Disconnected, client: PC-102}
      - {id: 4, user: rdsadmin, domain: LAB, admin: true, state: Active, client: PC-103}
      - {id: 5, user: ivan, domain: OTHER, state: Idle, client: PC-104}
  - name: mps-quiet
    sessions:
      - {id: 2, user: teacher03, domain: LAB, station: 1, state: Active}
      - {id: 3, user: judy, domain: LAB, station: 2, state: Disconnected}
  - name: mps-empty
    generation: "2012"
  - name: mps-down
    faults: {down: true}
  - name: mps-denied
    generation: "2012"
    faults: {access_denied: true}
    sessions:
      - {id: 2, user: ken, domain: LAB, station: 1, state: Active}
  - name: mps-stuck
    faults: {disconnect_hangs: true}
    sessions:
      - {id: 2, user: laura, domain: LAB, station: 1, state: Active}
      - {id: 3, user: teacher04, domain: LAB, station: 2, state: Active}
"""

HOSTS = ["mps-2012", "mps-2016", "rds-01", "mps-quiet", "mps-empty", "mps-down", "mps-denied", "mps-stuck"]
# What the scenario was built to produce: host status, and the ids the role must disconnect.
EXPECTED_STATUS = {
    "mps-2012": "changed", "mps-2016": "changed", "rds-01": "changed", "mps-quiet": "unchanged",
    "mps-empty": "unchanged", "mps-down": "unreachable", "mps-denied": "failed", "mps-stuck": "failed",
}
EXPECTED_DISCONNECTED = {"mps-2012": [2, 3, 7], "mps-2016": [2, 3], "rds-01": [2]}
EXPECTED_EXCLUDED = {"mps-2012": [4, 5], "mps-2016": [4], "rds-01": [4, 5], "mps-quiet": [2], "mps-stuck": [3]}
EXCLUDE_USERS = [r"*\teacher*", r"other\IVAN"]
# Quotes, PowerShell and cmd metacharacters, a JSON-looking tail, non-ASCII and a newline.
TRICKY_TEXT = (
    "Lab closes: \"save\" 'now' $env:USERNAME `whoami` $(Get-Date) ; & | < > %PATH% ^ C:\\Temp\\x\n"
    "Gr\u00fc\u00dfe, \u00e9l\u00e8ves \u2013 \u65e5\u672c\u8a9e {\"agent\": \"multipoint.wms\"}"
)
TRICKY_TITLE = "Fin de journ\u00e9e \u2013 \"lab\" \\ 100%"

ROLE = "multipoint.wms.end_of_day : "
PAUSE = ROLE + "Give them time to save their work"
DISCONNECT = ROLE + "Disconnect every selected session on this host"

PLAYBOOK = """
- name: End of day against the simulated fleet
  hosts: wms
  gather_facts: false
  roles:
    - role: multipoint.wms.end_of_day
"""


# --- fixtures and helpers ----------------------------------------------------------------------

def role_vars(report_dir: Path, **extra) -> dict:
    values = {
        "end_of_day_exclude_users": EXCLUDE_USERS,
        "end_of_day_exclude_admins": True,
        "end_of_day_warning_text": "",
        "end_of_day_grace_seconds": 0,
        "end_of_day_timeout": 2,
        "end_of_day_report_dir": str(report_dir),
    }
    values.update(extra)
    return values


def report_files(report_dir: Path) -> list[Path]:
    return sorted(p for p in report_dir.iterdir() if not p.name.startswith("."))


def only_report(report_dir: Path) -> tuple[dict, str]:
    """The single report (JSON, Markdown) a run wrote into an empty folder."""
    files = report_files(report_dir)
    assert [p.suffix for p in files] == [".json", ".md"], files
    assert files[0].stem == files[1].stem
    return json.loads(files[0].read_text()), files[1].read_text()


def user_sessions(host_state: dict) -> dict[int, dict]:
    """The simulator's user sessions by id (without session 0 and the listener)."""
    return {s["id"]: s for s in host_state["sessions"] if s["id"] not in (0, 65536)}


def account(session: dict) -> str:
    return f"{session['domain']}\\{session['user']}" if session["domain"] else session["user"]


def events_of(host_state: dict, session_id: int, kind: str) -> list[dict]:
    return [e for e in host_state["events"] if e["session"] == session_id and e["kind"] == kind]


def check_report_against_fleet(report: dict, before: dict, after: dict, check_mode: bool,
                               expected_status: dict[str, str] = EXPECTED_STATUS) -> None:
    """Every host and every session of the report agrees with the simulator, and nothing is lost."""
    assert report["report"] == "multipoint.wms end_of_day"
    assert report["mode"] == ("check" if check_mode else "run")
    assert sorted(report["hosts"]) == sorted(HOSTS), "every host of the play is in the report"
    done_outcome = "would_disconnect" if check_mode else "disconnected"
    for name, entry in report["hosts"].items():
        now, was = after[name], before[name]
        assert entry["status"] == expected_status[name], (name, entry)
        if entry["status"] == "unreachable":
            assert now.get("down") is True
            assert entry["reason"], name
            assert not (entry["disconnected"] or entry["unchanged"] or entry["skipped"] or entry["failed"])
            continue
        sim_now, sim_was = user_sessions(now), user_sessions(was)
        listed = [s["id"] for key in ("disconnected", "unchanged", "failed", "skipped") for s in entry[key]]
        if entry["status"] in ("changed", "unchanged"):
            assert entry["generation"] == now["generation"], name
            assert entry["reason"] == "", name
        if entry["status"] == "failed" and not listed:
            # Failed before it could read the sessions: nothing on the host may have changed.
            assert entry["reason"] and now["events"] == [] and sim_now == sim_was, name
        else:
            assert sorted(listed) == sorted(sim_was), f"{name}: every user session is accounted for once"
        for line in entry["disconnected"]:
            sid = line["id"]
            assert line["outcome"] == done_outcome
            assert line["account"] == account(sim_was[sid])
            assert line["state_before"] == sim_was[sid]["state"] != "Disconnected"
            assert line["state_after"] == "Disconnected"
            changes = events_of(now, sid, "state")
            if check_mode:
                assert sim_now[sid]["state"] == sim_was[sid]["state"], f"{name}/{sid} changed in check mode"
                assert changes == []
            else:
                assert sim_now[sid]["state"] == "Disconnected", f"{name}/{sid}"
                assert [(e["from"], e["to"]) for e in changes] == [(sim_was[sid]["state"], "Disconnected")]
        for line in entry["unchanged"]:
            sid = line["id"]
            assert line["outcome"] == "already_disconnected"
            assert sim_was[sid]["state"] == sim_now[sid]["state"] == "Disconnected" == line["state_before"]
            assert events_of(now, sid, "state") == []
        for line in entry["skipped"]:
            sid = line["id"]
            assert line["account"] == account(sim_was[sid]) and line["reason"]
            assert sim_now[sid]["state"] == sim_was[sid]["state"] == line["state"], f"{name}/{sid} touched"
            assert events_of(now, sid, "state") == [] and sim_now[sid]["messages"] == []
        for line in entry["failed"]:
            sid = line["id"]
            assert sim_now[sid]["state"] != "Disconnected", f"{name}/{sid} reported failed but disconnected"
            assert line["message"], f"{name}/{sid}: a failed session says why"
        reported = {s["id"] for s in entry["disconnected"]}
        moved = {e["session"] for e in now["events"] if e["kind"] == "state"}
        assert moved <= reported, f"{name}: sessions changed that the report does not list: {moved - reported}"
        assert not [e for e in now["events"] if e["kind"] == "logoff"], "disconnect never logs anybody off"
    counts = report["summary"]
    hosts = report["hosts"].values()
    assert counts["hosts"] == len(HOSTS)
    for status in ("changed", "unchanged", "failed", "unreachable", "not_run"):
        assert counts[status] == sum(1 for h in hosts if h["status"] == status), status
    assert sum(counts[s] for s in ("changed", "unchanged", "failed", "unreachable", "not_run")) == len(HOSTS)
    for key in ("disconnected", "unchanged", "skipped", "failed", "warned"):
        assert counts[f"sessions_{key}"] == sum(len(h[key]) for h in hosts), key


def ids(lines: list[dict]) -> list[int]:
    return sorted(line["id"] for line in lines)


# --- tests -------------------------------------------------------------------------------------
def test_run_warns_waits_disconnects_and_reports_every_host_and_session(fleet, tmp_path):
    fleet.reset()
    before = fleet.state()
    grace = 2
    started = time.monotonic()
    run = fleet.playbook(PLAYBOOK, extra_vars=role_vars(
        tmp_path, end_of_day_warning_text=TRICKY_TEXT, end_of_day_warning_title=TRICKY_TITLE,
        end_of_day_grace_seconds=grace, end_of_day_timeout=1))
    elapsed = time.monotonic() - started
    after = fleet.state()
    assert run.rc == 2, run.stdout[-3000:]
    report, markdown = only_report(tmp_path)
    check_report_against_fleet(report, before, after, check_mode=False)
    hosts = report["hosts"]

    # What the scenario was built for, host by host.
    for name, expected in EXPECTED_DISCONNECTED.items():
        assert ids(hosts[name]["disconnected"]) == expected, name
    for name, expected in EXPECTED_EXCLUDED.items():
        assert ids(hosts[name]["skipped"]) == expected, name
    assert ids(hosts["mps-2012"]["unchanged"]) == [6] and ids(hosts["mps-2016"]["unchanged"]) == [8]
    assert ids(hosts["rds-01"]["unchanged"]) == [3] and ids(hosts["mps-quiet"]["unchanged"]) == [3]
    assert [(h, hosts[h]["generation"], hosts[h]["backend"]) for h in ("mps-2012", "mps-2016", "rds-01")] == [
        ("mps-2012", "2012", "multipoint-2012"), ("mps-2016", "2016", "multipoint-2016"), ("rds-01", "none", "wts")]
    reasons = {s["id"]: s["reason"] for s in hosts["mps-2012"]["skipped"]}
    assert "exclude_users" in reasons[4] and "admin" in reasons[5]
    assert "admin" in {s["id"]: s["reason"] for s in hosts["rds-01"]["skipped"]}[4]
    assert user_sessions(after["mps-empty"]) == {} and hosts["mps-empty"]["disconnected"] == []
    assert "access denied" in hosts["mps-denied"]["reason"].lower()
    assert user_sessions(after["mps-denied"])[2]["state"] == "Active"
    stuck = hosts["mps-stuck"]
    assert [(s["id"], s["outcome"]) for s in stuck["failed"]] == [(2, "timed_out")]
    assert "2" in stuck["reason"] and stuck["disconnected"] == []
    assert report["summary"]["sessions_disconnected"] == 6 and report["summary"]["sessions_failed"] == 1

    # The warning: exactly as written, only in the selected sessions, before the disconnect,
    # and the grace period really waited (once for the whole fleet).
    warned_somewhere = 0
    for name in HOSTS:
        if after[name].get("down"):
            continue
        selected = {s["id"] for s in hosts[name]["disconnected"] + hosts[name]["failed"]}
        sim_was = user_sessions(before[name])
        assert sorted(hosts[name]["warned"]) == sorted(account(sim_was[i]) for i in selected), name
        for sid, session in user_sessions(after[name]).items():
            if sid not in selected:
                assert session["messages"] == [], f"{name}/{sid} got a warning it should not have"
                continue
            warned_somewhere += 1
            assert session["messages"] == [
                {"title": TRICKY_TITLE, "text": TRICKY_TEXT, "display_seconds": grace}], f"{name}/{sid}"
            message, = events_of(after[name], sid, "message")
            for change in events_of(after[name], sid, "state"):
                assert after[name]["events"].index(message) < after[name]["events"].index(change)
                assert event_time(change) - event_time(message) >= grace - 0.1, f"{name}/{sid}: grace not waited"
    assert warned_somewhere == 7  # 6 disconnected + laura on the stuck host
    assert hosts["mps-stuck"]["warned"] == ["LAB\\laura"]
    pause = run.one(PAUSE, "mps-2012")
    assert pause["status"] == "ok" and pause["result"]["elapsed"] >= grace
    assert elapsed >= grace
    assert len(run.of(PAUSE)) == 1, "the grace period is waited once"

    # The failing hosts failed (the unreachable one too), after the report was written for all.
    recap = run.recap()
    for name in ("mps-down", "mps-denied", "mps-stuck"):
        assert recap[name]["failed"] == 1 and recap[name]["unreachable"] == 0, (name, recap[name])
        assert run.one(DISCONNECT, name)["status"] == "failed"
    for name in ("mps-2012", "mps-2016", "rds-01", "mps-quiet", "mps-empty"):
        assert recap[name]["failed"] == 0, name
    assert "unreachable" in run.one(DISCONNECT, "mps-down")["result"]["msg"]
    assert run.one(DISCONNECT, "mps-down")["result"]["unreachable_host"] is True
    # Per host, only the warning and the disconnect ran (besides Ansible's own check of the arguments).
    per_host = [t for t in run.tasks if not t["run_once"]]
    assert [t["action"] for t in per_host] == [
        "ansible.builtin.validate_argument_spec", "multipoint.wms.session_message", "multipoint.wms.session_disconnect"]
    # An undelivered warning is in the report (access denied: nobody on the host was warned).
    assert hosts["mps-denied"]["warning"].startswith("the warning could not be sent"), hosts["mps-denied"]
    assert "WARNING mps-denied: the warning could not be sent" in run.stdout

    # The Markdown: every host, readable, with the sessions of the changed hosts.
    check_markdown(markdown, report)


def check_markdown(markdown: str, report: dict) -> None:
    """Spot checks of the raw text, then of what a reader sees once it is rendered."""
    lines = markdown.splitlines()
    assert lines[0] == f"# End-of-day report {report['run_id']}"
    summary = report["summary"]
    assert (f"| {summary['hosts']} | {summary['changed']} | {summary['unchanged']} | {summary['failed']} "
            f"| {summary['unreachable']} | {summary['not_run']} |") in lines
    host_rows = [line for line in lines if line.split(" | ", 1)[0].lstrip("| ") in report["hosts"]]
    assert len(host_rows) == len(HOSTS)
    # Problems first, so that they are what an admin reads first.
    order = [row.split(" | ")[1] for row in host_rows]
    assert order == sorted(order, key=["failed", "unreachable", "not_run", "changed", "unchanged"].index)

    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(markdown)
    formatting = {t.type for t in tokens for t in [t, *(t.children or [])]} & {
        "em_open", "link_open", "s_open", "html_inline", "html_block", "code_inline"}
    assert formatting == set(), "names, reasons and patterns must not turn into formatting"
    rows, paragraphs, row = [], [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append("".join(c.content for c in token.children if c.type == "text"))
        elif token.type == "inline":
            paragraphs.append("".join(c.content if c.type == "text" else " " for c in token.children))
        elif token.type == "tr_close":
            rows.append(row)
            row = None
    shown = {r[0]: r for r in rows if r and r[0] in report["hosts"]}
    assert sorted(shown) == sorted(HOSTS), "every host has a row in the host table"
    for name, cells in shown.items():
        entry = report["hosts"][name]
        assert cells[1:] == [entry["status"], entry["generation"] or "",
                             *(str(len(entry[k])) for k in ("disconnected", "unchanged", "skipped", "failed", "warned")),
                             entry["reason"]], name
    for name, entry in report["hosts"].items():
        for s in entry["disconnected"] + entry["unchanged"] + entry["failed"]:
            assert [str(s["id"]), s["account"], s["state_before"] or "", s["state_after"] or "", s["outcome"],
                    s["message"]] in rows, (name, s)
        if entry["skipped"]:
            line = "Skipped: " + "; ".join(f"{s['id']} {s['account']} ({s['reason']})" for s in entry["skipped"])
            assert line in paragraphs, (line, paragraphs)
        for note in entry["notes"]:
            assert f"Note: {note}" in paragraphs
        if entry["warned"]:
            verb = "Would warn" if report["mode"] == "check" else "Warned"
            assert f"{verb}: " + ", ".join(entry["warned"]) in paragraphs, (name, paragraphs)
        if entry["warning"]:
            assert f"Warning: {entry['warning']}" in paragraphs


def test_check_mode_changes_nothing_and_reports_what_would_happen(fleet, tmp_path):
    fleet.reset()
    before = fleet.state()
    started = time.monotonic()
    run = fleet.playbook(PLAYBOOK, check=True, diff=True, extra_vars=role_vars(
        tmp_path, end_of_day_warning_text="Closing soon", end_of_day_grace_seconds=120,
        end_of_day_fail_hosts=False))
    elapsed = time.monotonic() - started
    after = fleet.state()
    assert run.rc == 0, run.stdout[-3000:]
    assert elapsed < 110, "check mode must not wait the grace period"
    assert {r["status"] for r in run.of(PAUSE)} == {"skipped"}

    for name in HOSTS:
        if after[name].get("down"):
            continue
        assert after[name]["events"] == [], f"{name}: something changed in check mode"
        assert all(s["messages"] == [] for s in after[name]["sessions"])
        assert user_sessions(after[name]) == user_sessions(before[name])
        requests = after[name]["agent_requests"]
        assert {r["action"] for r in requests} <= {"inventory", "disconnect"}, requests
        assert all(r["what_if"] for r in requests if r["action"] == "disconnect"), requests

    files = report_files(tmp_path)
    assert [p.name.endswith(("-check.json", "-check.md")) for p in files] == [True, True], files
    report, markdown = only_report(tmp_path)
    # The same hosts fail in check mode: access denied and down. The stuck host's disconnect is
    # only predicted (-WhatIf), so it would be "changed".
    check_report_against_fleet(report, before, after, check_mode=True,
                               expected_status=dict(EXPECTED_STATUS, **{"mps-stuck": "changed"}))
    hosts = report["hosts"]
    for name, expected_ids in dict(EXPECTED_DISCONNECTED, **{"mps-stuck": [2]}).items():
        would = ids(hosts[name]["disconnected"])
        assert would == expected_ids, name
        sim = user_sessions(before[name])
        assert all(sim[i]["state"] in ("Active", "Connected", "Idle") for i in would)
        assert sorted(hosts[name]["warned"]) == sorted(account(sim[i]) for i in expected_ids), f"{name}: would warn"
    assert "Mode: **check (nothing was changed)**" in markdown and "| would_disconnect |" in markdown
    assert report["summary"]["sessions_disconnected"] == 7
    check_markdown(markdown, report)

    # --diff: every targeted session with its state before and the predicted state after.
    for name in EXPECTED_DISCONNECTED:
        result = run.one(DISCONNECT, name)["result"]
        diff = result["diff"]
        assert "predicted" in diff["after_header"]
        for line in hosts[name]["disconnected"]:
            label = f"session {line['id']} {line['account']}"
            assert re.search(rf"^{re.escape(label)}.*: {line['state_before']}$", diff["before"], re.M), diff
            assert re.search(rf"^{re.escape(label)}.*: Disconnected$", diff["after"], re.M), diff
            assert re.search(rf"^-{re.escape(label)}.*: {line['state_before']}$", run.stdout, re.M)
            assert re.search(rf"^\+{re.escape(label)}.*: Disconnected$", run.stdout, re.M)
        for line in hosts[name]["unchanged"]:
            label = f"session {line['id']} {line['account']}"
            assert re.search(rf"^{re.escape(label)}.*: Disconnected$", diff["before"], re.M)


def test_fail_hosts_false_passes_but_reports_failures_and_runs_never_overwrite(fleet, tmp_path):
    fleet.reset()
    before = fleet.state()
    first = fleet.playbook(PLAYBOOK, extra_vars=role_vars(tmp_path, end_of_day_fail_hosts=False,
                                                          end_of_day_timeout=1))
    after = fleet.state()
    assert first.rc == 0, first.stdout[-3000:]
    report, _ = only_report(tmp_path)
    check_report_against_fleet(report, before, after, check_mode=False)
    assert report["summary"]["failed"] == 2 and report["summary"]["unreachable"] == 1
    assert all(counts["failed"] == 0 for counts in first.recap().values()), first.recap()
    assert any(re.search(r"FAILED mps-denied: .*ccess denied", line) for line in first.stdout.splitlines())
    assert "UNREACHABLE mps-down" in first.stdout

    # A second run on the same day, into the same folder: new files, the first run's untouched.
    first_files = {p.name: p.read_text() for p in report_files(tmp_path)}
    second = fleet.playbook(PLAYBOOK, extra_vars=role_vars(tmp_path, end_of_day_fail_hosts=False,
                                                           end_of_day_timeout=1))
    assert second.rc == 0, second.stdout[-3000:]
    files = report_files(tmp_path)
    assert len(files) == 4
    assert {p.name: p.read_text() for p in files if p.name in first_files} == first_files
    new = [p for p in files if p.name not in first_files]
    assert sorted(p.suffix for p in new) == [".json", ".md"]
    again = json.loads(next(p for p in new if p.suffix == ".json").read_text())
    assert again["run_id"] != report["run_id"]
    # Nothing left to do on the healthy hosts; the broken ones are still broken.
    assert {n: h["status"] for n, h in again["hosts"].items()} == dict(
        EXPECTED_STATUS, **{"mps-2012": "unchanged", "mps-2016": "unchanged", "rds-01": "unchanged"})
    assert again["summary"]["sessions_disconnected"] == 0


def test_every_healthy_host_passes(fleet, tmp_path):
    fleet.reset()
    healthy = "mps-2012:mps-2016:rds-01:mps-quiet:mps-empty"
    run = fleet.playbook(PLAYBOOK, extra_vars=role_vars(tmp_path), args=["--limit", healthy])
    assert run.rc == 0, run.stdout[-3000:]
    report, markdown = only_report(tmp_path)
    assert sorted(report["hosts"]) == sorted(healthy.split(":"))
    assert report["summary"]["failed"] == report["summary"]["unreachable"] == 0
    assert report["summary"]["sessions_disconnected"] == 6
    state = fleet.state()
    assert state["mps-denied"]["messages"] == 0 and state["mps-stuck"]["messages"] == 0
