"""Ansible callback of wmssim's playbook harness: task results and task times as JSON lines.

Enabled by ``wmssim.fleet.playbooks`` (ANSIBLE_CALLBACK_PLUGINS points at this folder, which
holds nothing else because ansible imports every file of a callback folder). Each line of
$WMSSIM_RECORD_FILE is one record: ``{"kind": "result", "host", "task", "action", "status",
"result"}`` for every host's result, ``{"kind": "task", "task", "action", "run_once", "seconds",
"results"}`` for every task. Under the linear strategy a task lasts from its start to the next
task's start (or the end of the play).
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: wmssim_record
type: aggregate
short_description: record task results and times as JSON lines (wmssim's playbook harness)
description: Writes one JSON line per host result and per task to the file named by $WMSSIM_RECORD_FILE.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wmssim_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("WMSSIM_RECORD_FILE", "")
        self._results = os.environ.get("WMSSIM_RECORD_RESULTS", "1") == "1"
        self._task: dict | None = None

    def _append(self, record: dict) -> None:
        if self._path:
            with open(self._path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, default=str) + "\n")

    def _close_task(self) -> None:
        if self._task is not None:
            self._task["seconds"] = round(time.monotonic() - self._task.pop("_begin"), 3)
            self._append(self._task)
        self._task = None

    def _start_task(self, task) -> None:
        self._close_task()
        self._task = {"kind": "task", "task": task.get_name(), "action": task.action,
                      "run_once": bool(task.run_once), "results": {}, "_begin": time.monotonic()}

    def _result(self, status: str, result) -> None:
        if self._task is not None:
            counts = self._task["results"]
            counts[status] = counts.get(status, 0) + 1
        if self._results:
            self._append({
                "kind": "result",
                "host": result._host.get_name(),
                "task": result._task.get_name(),
                "action": result._task.action,
                "status": status,
                "result": json.loads(json.dumps(dict(result._result), default=str)),
            })

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start_task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start_task(task)

    def v2_runner_on_ok(self, result, **kwargs):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._result("failed", result)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._result("unreachable", result)

    def v2_runner_on_skipped(self, result, **kwargs):
        self._result("skipped", result)

    def v2_playbook_on_stats(self, stats):
        self._close_task()
