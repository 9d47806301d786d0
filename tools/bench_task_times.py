"""Callback plugin for the benchmark: how long each task of a play took, as JSON lines.

Not loaded from here: tools/bench_fleet.py copies this file into a folder of its own and points
ANSIBLE_CALLBACK_PLUGINS at it (ansible imports every file of a callback folder). The linear
strategy runs one task on every host before the next, so a task lasts from its start to the next
task's start (or the end of the play). Each line: task name, action, seconds, results by status.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_task_times
type: aggregate
short_description: time every task, for tools/bench.py
description: Writes one JSON line per task to the file named by $BENCH_TASK_TIMES.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("BENCH_TASK_TIMES", "")
        self._task: dict | None = None

    def _close(self) -> None:
        if self._task is None or not self._path:
            self._task = None
            return
        self._task["seconds"] = round(time.monotonic() - self._task.pop("_begin"), 3)
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(self._task) + "\n")
        self._task = None

    def _start(self, task) -> None:
        self._close()
        self._task = {"task": task.get_name(), "action": task.action,
                      "run_once": bool(task.run_once), "results": {}, "_begin": time.monotonic()}

    def _count(self, status: str) -> None:
        if self._task is not None:
            results = self._task["results"]
            results[status] = results.get(status, 0) + 1

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def v2_runner_on_ok(self, result, **kwargs):
        self._count("ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._count("failed")

    def v2_runner_on_skipped(self, result, **kwargs):
        self._count("skipped")

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._count("unreachable")

    def v2_playbook_on_stats(self, stats):
        self._close()
