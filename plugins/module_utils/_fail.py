# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place an error becomes fail_json. A file of its own so that container_network_info, which only reads,
imports it without the engine (every module_utils file a module imports is parsed by the controller and compiled
on the managed node on each run)."""

from __future__ import annotations

import traceback

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import LinuxnetError


def fail(module, exc: Exception) -> None:
    """fail_json with the error's message; a LinuxnetError's details (the field, a refused nft script) go along."""
    if isinstance(exc, LinuxnetError):
        details = {key: value for key, value in exc.details.items() if value is not None}
        module.fail_json(msg=exc.msg, **details)
    module.fail_json(msg="unexpected error: %s" % exc, exception=traceback.format_exc())
