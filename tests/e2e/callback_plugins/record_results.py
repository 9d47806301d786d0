"""Test-only callback: every task result as one JSON line in $RECORD_RESULTS_FILE."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record_results
type: aggregate
short_description: write task results as JSON lines for the tests
description: Used by tests/e2e only.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status: str, result) -> None:
        path = os.environ.get("RECORD_RESULTS_FILE")
        if not path:
            return
        data = {
            "host": result.host.get_name(),
            "task": result.task.get_name(),
            "action": result.task.action,
            "status": status,
            "result": json.loads(json.dumps(dict(result.result), default=str)),
        }
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(data) + "\n")

    def v2_runner_on_ok(self, result, **kwargs):
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._write("failed", result)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._write("unreachable", result)

    def v2_runner_on_skipped(self, result, **kwargs):
        self._write("skipped", result)
