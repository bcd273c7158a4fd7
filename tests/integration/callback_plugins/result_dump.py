# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes every task result as a JSON line to $RESULT_DUMP, for the test harness."""
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: result_dump
type: notification
short_description: dump task results as JSON lines for tests
description: Test helper of linuxnet.containers.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "result_dump"
    CALLBACK_NEEDS_ENABLED = False

    def _dump(self, result, status):
        path = os.environ.get("RESULT_DUMP")
        if not path:
            return
        data = dict(result._result)
        if status == "ok" and data.get("changed"):
            status = "changed"
        if status in ("failed", "unreachable"):
            data["failed"] = True
        entry = {"task": result._task.get_name(), "host": result._host.get_name(), "status": status,
                 "result": data}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._dump(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._dump(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._dump(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._dump(result, "unreachable")
