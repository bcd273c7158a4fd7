# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module's run ends: the one place an error becomes fail_json, and the result printed.

A file of its own, importing nothing of the engine, so that container_network_info, which only reads, ends its run
the same way without the engine (every module_utils file a module imports is parsed by the controller and compiled
on the managed node on each run).
"""

from __future__ import annotations

import json
import sys
import traceback

from ansible.module_utils.common.warnings import get_deprecations, get_warnings

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import LinuxnetError


def fail(module, exc: Exception) -> None:
    """fail_json with the error's message; a LinuxnetError's details (the field, a refused nft script) go along."""
    if isinstance(exc, LinuxnetError):
        details = {key: value for key, value in exc.details.items() if value is not None}
        module.fail_json(msg=exc.msg, **details)
    module.fail_json(msg="unexpected error: %s" % exc, exception=traceback.format_exc())


def exit_plain(module, result: dict) -> None:
    """exit_json(**result), for a result made of JSON's own types, without walking it twice when nothing needs it.

    Before printing, exit_json copies every value of a result to scrub no_log values, then encodes it with
    Ansible's encoder for tagged types: at 1000 endpoints that is 30,000 values and a third of a second. With no
    no_log value to scrub (no option of this collection is no_log) and no warning or deprecation to encode, both
    return the result as it is, so it is printed as exit_json prints it: its JSON, with `invocation`, on a line of
    its own. Anything else (a warning, a value json cannot encode) goes through exit_json."""
    if module.no_log_values or get_warnings() or get_deprecations():
        module.exit_json(**result)
    try:
        text = json.dumps(dict(result, invocation={"module_args": module.params}), separators=(",", ":"))
    except (TypeError, ValueError):
        module.exit_json(**result)
    # exit_json's own two last steps, on the text made above (ansible-bad-function: this is exit_json's job, done as
    # exit_json does it; the checks above send every other result through exit_json)
    print("\n%s" % text)  # pylint: disable=ansible-bad-function
    sys.exit(0)  # pylint: disable=ansible-bad-function
