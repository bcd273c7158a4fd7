# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The single and batch forms every changing module shares, and the edge where errors become fail_json.

A module's options live in _options (documented in the module's DOCUMENTATION); from them this
file builds the batch form (the same options as items of a list, a top-level `state`, and
`exclusive`) and runs the whole main() for one kind of object (see _kinds). network_state takes
the same items in three lists at once (see _compose).
"""

from __future__ import annotations

import copy
from typing import Dict, List, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.containers.plugins.module_utils._codecache import imports_done
from ansible_collections.linuxnet.containers.plugins.module_utils._engine import Engine
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._exit import exit_plain, fail
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import Kind
from ansible_collections.linuxnet.containers.plugins.module_utils._options import STATE
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import module_runner

__all__ = ["batch_argument_spec", "batch_items", "fail", "finish", "run_batch_module", "specs_from"]


def batch_argument_spec(options: dict, batch_key: str, key: str = "name") -> dict:
    """The single form's options at top level, plus `batch_key`: a list of items taking the same options.

    `key` is the option that names an object; required in every item."""
    item = copy.deepcopy(options)
    item[key] = dict(type="str", required=True)
    spec = copy.deepcopy(options)
    spec["state"] = dict(STATE, default="present")
    spec[batch_key] = dict(type="list", elements="dict", options=item)
    spec["exclusive"] = dict(type="bool", default=False)
    return spec


def batch_items(params: dict, options: dict, batch_key: str) -> Tuple[List[Tuple[dict, str]], bool]:
    """[(item params, field prefix)] for the single or the batch form; top-level state fills the gaps."""
    items = params.get(batch_key)
    exclusive = params.get("exclusive")
    if items is None:
        if exclusive:
            raise InvalidOption("exclusive", "only meaningful with a list", "list every object under %s" % batch_key)
        return [({key: params.get(key) for key in options}, "")], False
    stray = [key for key in options if key != "state" and params.get(key) not in (None, [], {})]
    if stray:
        raise InvalidOption(stray[0], "a top-level %s does not apply to the items of %s" % (stray[0], batch_key),
                            "set it on each item instead")
    result = []
    for index, item in enumerate(items):
        item = dict(item)
        item["state"] = item.get("state") or params["state"]
        result.append((item, "%s[%d]." % (batch_key, index)))
    return result, bool(exclusive)


def specs_from(kind: Kind, items: List[Tuple[dict, str]]) -> Tuple[list, Dict[str, str]]:
    """Parsed specs, and the field prefix of each object by name, for error messages."""
    specs, where = [], {}
    for item, prefix in items:
        spec = kind.parse(item, prefix)
        specs.append(spec)
        where[getattr(spec, kind.key)] = prefix
    return specs, where


def run_batch_module(kind: Kind, options: dict) -> None:
    """The whole main() of a module that manages objects of `kind`, in a single and a batch form."""
    imports_done()
    module = AnsibleModule(argument_spec=batch_argument_spec(options, kind.batch_key, kind.key),
                           mutually_exclusive=[(kind.key, kind.batch_key)],
                           required_one_of=[(kind.key, kind.batch_key)], supports_check_mode=True)
    try:
        items, exclusive = batch_items(module.params, options, kind.batch_key)
        specs, where = specs_from(kind, items)
        with Engine.open(module_runner(module), module.check_mode, module._diff) as engine:
            outcome = engine.reconcile(kind, specs, exclusive, where)
    except Exception as exc:  # pylint: disable=broad-except
        fail(module, exc)
    finish(module, outcome, single=module.params[kind.batch_key] is None)


def finish(module, outcome, single: bool) -> None:
    """A run's outcome as the module's result: warnings, the kind's results, and diff mode's before/after."""
    for warning in outcome.warnings:
        module.warn(warning)
    result = outcome.result(single=single)
    if module._diff:
        result["diff"] = {"before": outcome.before, "after": outcome.after}
    exit_plain(module, result)
