"""AWX / Automation Platform job slicing, rehearsed with ansible-runner (what AWX runs playbooks with).

The inventory is cut the way AWX cuts it (hosts ordered by name, slice n of N gets every Nth host
from the n-th on, every group kept), the slices run concurrently against one simulated fleet with
the variables AWX gives each slice job (its own awx_job_id, the slice workflow's
awx_workflow_job_id), and their set_stats artifacts (the ``artifact_data`` of ansible-runner's
``playbook_on_stats`` event, which AWX stores) are combined as AWX combines them for the next
workflow node: one shallow dict update per finished job, in the order the jobs finished. Then
``playbooks/merge_report.yml`` runs as that next node (its own, different awx_workflow_job_id).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import ansible_runner
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLICES = 3
SLICE_WORKFLOW = 4710  # the workflow job AWX makes of the sliced job template
OUTER_WORKFLOW = 4700  # the workflow the merge node belongs to

SCENARIO = r"""
description: job slicing - nine hosts of every generation, one down
defaults:
  auth: basic
  sessions:
    - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
    - {id: 3, user: bob, domain: LAB, station: 2, state: Idle}
    - {id: 4, user: teacher, domain: LAB, station: 3, admin: true, state: Active}
    - {id: 5, user: carol, domain: LAB, station: 4, state: Disconnected}
hosts:
  - {name: lab-a1, generation: "2016"}
  - {name: lab-a2, generation: "2012", auth: ntlm}
  - {name: lab-a3, generation: "none"}
  - {name: lab-b1, generation: "2016", auth: ntlm}
  - {name: lab-b2, generation: "2012"}
  - {name: lab-b3, generation: "none", auth: ntlm}
  - {name: lab-c1, generation: "2016"}
  - {name: lab-c2, generation: "2012"}
  - {name: lab-c3, generation: "2016", faults: {down: true}}
"""


def awx_slice_inventory(inventory: dict, slice_number: int, slice_count: int) -> dict:
    """The inventory AWX gives slice ``slice_number`` (1-based) of ``slice_count``: hosts ordered by name,
    ``hosts[slice_number - 1::slice_count]``, every group kept (an empty group stays)."""
    group = inventory["all"]["children"]["wms"]
    names = sorted(group["hosts"])[slice_number - 1::slice_count]
    return {"all": {"vars": inventory["all"].get("vars", {}),
                    "children": {"wms": {"hosts": {name: group["hosts"][name] for name in names}}}}}


def run_slices(fleet, work: Path, extravars_for) -> list[tuple[int, object]]:
    """Every slice at once; the runners in the order their jobs finished."""
    inventory = yaml.safe_load(fleet.inventory.read_text())
    finished: list[tuple[int, object]] = []
    lock = threading.Lock()

    def done(job_id: int, runner_obj) -> None:
        with lock:
            finished.append((job_id, runner_obj))

    threads = []
    for number in range(1, SLICES + 1):
        folder = work / f"slice{number}"
        folder.mkdir(parents=True)
        (folder / "inventory.yml").write_text(yaml.safe_dump(awx_slice_inventory(inventory, number, SLICES)))
        job_id = SLICE_WORKFLOW + number
        extravars = {"awx_job_id": job_id, "tower_job_id": job_id, "awx_workflow_job_id": SLICE_WORKFLOW,
                     "tower_workflow_job_id": SLICE_WORKFLOW, **extravars_for(number)}
        thread, _ = ansible_runner.run_async(
            private_data_dir=str(folder), playbook=str(REPO / "playbooks" / "end_of_day.yml"),
            inventory=str(folder / "inventory.yml"), extravars=extravars, envvars=_env(), quiet=True,
            finished_callback=lambda runner_obj, job_id=job_id: done(job_id, runner_obj))
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=600)
    assert len(finished) == SLICES
    return finished


def _env() -> dict:
    return {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".venv" / "collections")}


def artifacts_of(runner_obj) -> dict:
    """What AWX stores as the job's artifacts: the stats event's artifact_data."""
    stats = [e for e in runner_obj.events if e.get("event") == "playbook_on_stats"]
    return stats[-1]["event_data"].get("artifact_data") or {} if stats else {}


def combined_artifacts(finished: list[tuple[int, object]]) -> dict:
    """AWX's artifacts for the next node: every finished job's, one shallow update each, in the order
    the jobs finished (then by id)."""
    combined: dict = {}
    for _, runner_obj in finished:
        combined.update(artifacts_of(runner_obj))
    return combined


def run_merge(fleet, work: Path, artifacts: dict, reports: Path):
    folder = work / "merge"
    folder.mkdir()
    extravars = {**artifacts, "awx_job_id": OUTER_WORKFLOW + 1, "awx_workflow_job_id": OUTER_WORKFLOW,
                 "end_of_day_report_dir": str(reports)}
    return ansible_runner.run(private_data_dir=str(folder), playbook=str(REPO / "playbooks" / "merge_report.yml"),
                              inventory=str(fleet.inventory), extravars=extravars, envvars=_env(), quiet=True)


def merged_report(reports: Path) -> dict:
    (path,) = [p for p in reports.glob("end-of-day-awx-*.json") if not p.name.endswith(tuple(
        f"-job{SLICE_WORKFLOW + n}.json" for n in range(1, SLICES + 1)))]
    return json.loads(path.read_text())


@pytest.fixture
def reports(tmp_path) -> Path:
    return tmp_path / "reports"


def test_slices_merge_into_one_report_that_matches_the_fleet(sim, tmp_path, reports):
    finished = run_slices(sim, tmp_path, lambda n: {"end_of_day_grace_seconds": 0,
                                                    "end_of_day_report_dir": str(reports)})
    for _, runner_obj in finished:
        assert runner_obj.rc in (0, 2), runner_obj.stdout.read()[-3000:]
    artifacts = combined_artifacts(finished)
    # One key per slice, so the shallow update lost nothing.
    assert sorted(artifacts) == [f"multipoint_wms_end_of_day_part_job{SLICE_WORKFLOW + n}" for n in (1, 2, 3)]
    assert {part["run_id"] for part in artifacts.values()} == {f"awx-{SLICE_WORKFLOW}"}
    # Each slice wrote its own local files; none overwrote another's.
    names = sorted(p.name for p in reports.glob("*.json"))
    assert names == [f"end-of-day-awx-{SLICE_WORKFLOW}-job{SLICE_WORKFLOW + n}.json" for n in (1, 2, 3)]

    merge = run_merge(sim, tmp_path, artifacts, reports)
    assert merge.rc == 2, merge.stdout.read()[-3000:]  # one host was unreachable: the merge fails the job
    report = merged_report(reports)
    assert report["run_id"] == f"awx-{SLICE_WORKFLOW}" and report["part"] is None
    state = sim.state()
    assert sorted(report["hosts"]) == sorted(state)  # every host of the inventory, exactly once
    assert report["summary"]["hosts"] == 9 and [p["hosts"] for p in report["merged_from"]] == [3, 3, 3]
    for host, entry in report["hosts"].items():
        disconnected_by_sim = sorted(e["session"] for e in state[host]["events"]
                                     if e["kind"] == "state" and e.get("to") == "Disconnected")
        assert sorted(s["id"] for s in entry["disconnected"]) == disconnected_by_sim, host
        if host == "lab-c3":
            assert entry["status"] == "unreachable"
        else:
            assert entry["status"] == "changed" and disconnected_by_sim == [2, 3]
            assert entry["warned_count"] == 2


def test_a_slice_that_fails_outright_leaves_its_hosts_not_run(sim, tmp_path, reports):
    def extravars(number: int) -> dict:
        bad = {"end_of_day_timeout": 0} if number == 2 else {}  # refused before any host is contacted
        return {"end_of_day_grace_seconds": 0, "end_of_day_report_dir": str(reports), **bad}

    finished = run_slices(sim, tmp_path, extravars)
    failed = [job for job, runner_obj in finished if artifacts_of(runner_obj) == {}]
    assert failed == [SLICE_WORKFLOW + 2]
    merge = run_merge(sim, tmp_path, combined_artifacts(finished), reports)
    assert merge.rc == 2
    report = merged_report(reports)
    inventory_order = sorted(sim.state())
    second_slice = inventory_order[1::SLICES]
    state = sim.state()
    for host in second_slice:
        assert report["hosts"][host]["status"] == "not_run"
        assert state[host]["events"] == [] and state[host]["commands"] == 0
    assert sorted(report["hosts"]) == inventory_order
    assert report["summary"]["not_run"] == 3
