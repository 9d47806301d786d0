"""tools/bench.py on 3 hosts, run as ``make bench`` runs it: every measurement's code path runs,
so the bench cannot rot.

No timing or memory assertions (those are the benchmark's job, on its own sizes); only what is
exact whatever the machine: the commands each way costs, the sessions left connected, the shape
of the results file, that every check's verdict follows from its figure and target, and that the
exit code follows from the verdicts.
"""

from __future__ import annotations

import json
import operator
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "tools" / "bench.py"
OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory) -> tuple[int, dict]:
    work = tmp_path_factory.mktemp("bench")
    done = subprocess.run([sys.executable, str(BENCH), "--profile", "smoke", "--work", str(work)],
                          capture_output=True, text=True, timeout=900)
    assert (work / "results.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, json.loads((work / "results.json").read_text())


def _case(document: dict, name: str) -> dict:
    found = [case for case in document["cases"] if case["case"] == name]
    assert len(found) == 1, [case["case"] for case in document["cases"]]
    return found[0]


def test_smoke_run_passes_and_writes_results(smoke_results):
    rc, document = smoke_results
    assert rc == 0, document["misses"]
    assert document["passed"] is True
    assert document["machine"]["cpus"] >= 1
    assert document["machine"]["ansible_core"].count(".") == 2
    assert [case["case"] for case in document["cases"]] == ["capacity", "cost", "grace_3", "scale"]
    for case in document["cases"]:
        assert "error" not in case["figures"], case["figures"].get("error")
        assert case["checks"], case["case"]


def test_smoke_capacity_probes_every_sampled_host(smoke_results):
    figures = _case(smoke_results[1], "capacity")["figures"]
    assert figures["hosts"] == 3
    assert figures["exit_code"] == 0
    assert figures["probes_ok"] == figures["probes"]
    assert figures["rss_mib_after_start"] > 0


def test_smoke_scale_runs_every_way_over_the_first_hosts(smoke_results):
    figures = _case(smoke_results[1], "scale")["figures"]
    assert sorted(figures["sizes"]) == ["2", "3"]
    for size, ways in figures["sizes"].items():
        expected = {"floor_one_raw": [1], "floor_two_raw": [2], "two_agent_tasks": [4], "session_disconnect": [2],
                    "end_of_day_role": [4]}
        for way, commands in expected.items():
            assert ways[way]["rc"] == 0 and ways[way]["commands_per_host"] == commands, (size, way)
        assert ways["session_disconnect"]["left_connected"] == ways["end_of_day_role"]["left_connected"] == 0
        assert ways["two_agent_tasks"]["left_connected"] == 0
        assert ways["end_of_day_role"]["controller_cpu_seconds"] > 0
        assert ways["end_of_day_role"]["controller_peak_pss_mib"] > 0
        assert [t["action"].rsplit(".", 1)[-1] for t in ways["end_of_day_role"]["tasks"]].count("session_disconnect") == 1
    naive = figures["sizes"]["3"]["naive_loop"]
    # One listing plus one command per user session that is not an administrator's, on every host.
    assert naive["left_connected"] == 0 and naive["targeted_sessions"] > 0
    assert naive["commands"] == 3 + naive["targeted_sessions"]
    assert "naive_loop" not in figures["sizes"]["2"]


def test_smoke_cost_counts_commands_per_way(smoke_results):
    runs = _case(smoke_results[1], "cost")["figures"]["runs"]
    expected = {"session_disconnect session_id": 1, "end_of_day role, warning": 4}
    assert set(runs) == set(expected)
    for label, commands in expected.items():
        hosts = runs[label]["hosts"]
        assert len(hosts) == 6  # three generations, two session counts
        assert {row["commands"] for row in hosts.values()} == {commands}
        assert runs[label]["left_connected"] == 0
        for generation in ("2012", "2016", "none"):
            few = hosts[f"cost-{generation}-s2"]["messages_by_action"]
            many = hosts[f"cost-{generation}-s6"]["messages_by_action"]
            assert few == many
            assert few["Command"] == commands


def test_smoke_grace_times_the_tasks_between_warning_and_disconnect(smoke_results):
    figures = _case(smoke_results[1], "grace_3")["figures"]
    assert figures["rc"] == 0 and figures["left_connected"] == 0
    assert figures["paused"] is True
    assert figures["tasks_between"], "no task between the warning and the disconnect"
    # The pause itself lasts the grace period; the decision is what comes on top of it.
    assert figures["between_warning_and_disconnect_seconds"] >= figures["grace_seconds"]
    actions = [task["action"].rsplit(".", 1)[-1] for task in figures["tasks"]]
    assert actions.index("session_message") < actions.index("session_disconnect")


def test_every_verdict_follows_from_its_figure_and_target(smoke_results):
    rc, document = smoke_results
    checks = [check for case in document["cases"] for check in case["checks"]]
    assert any(check["target"] for check in checks)
    for check in checks:
        if not check["target"]:
            assert check["passed"] is None, check
            continue
        op, limit = check["target"].split()
        expected = check["value"] is not None and OPS[op](check["value"], float(limit))
        assert check["passed"] is expected, check
    misses = [check["name"] for check in checks if check["passed"] is False]
    assert document["misses"] == misses and document["passed"] is (not misses)
    assert rc == (1 if misses else 0)
