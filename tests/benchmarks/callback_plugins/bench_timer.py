# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes each task's wall-clock seconds and status as a JSON line to $BENCH_TIMES, for compare.py."""
import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: per-task wall-clock seconds for the comparison benchmark
description: Benchmark helper of linuxnet.containers.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._start = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start[task._uuid] = time.monotonic()

    def _done(self, result, status):
        path = os.environ.get("BENCH_TIMES")
        if not path:
            return
        started = self._start.get(result._task._uuid, time.monotonic())
        data = result._result
        if status == "ok" and data.get("changed"):
            status = "changed"
        entry = {"task": result._task.get_name(), "action": result._task.action, "status": status,
                 "seconds": round(time.monotonic() - started, 3), "msg": str(data.get("msg", ""))[:500]}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "unreachable")
