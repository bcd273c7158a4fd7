# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module shares: option specs, the single/batch form, and the edge where errors
become fail_json."""

from __future__ import annotations

import copy
import traceback
from typing import Callable, Dict, List, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.containers.plugins.module_utils._engine import Engine
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption, LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import module_runner

STATE = dict(type="str", choices=["present", "absent"])

NETWORK_OPTIONS = dict(
    name=dict(type="str"),
    state=STATE,
    bridge=dict(type="str"),
    subnet=dict(type="str"),
    gateway=dict(type="str"),
    ip_range=dict(type="str"),
    mtu=dict(type="int"),
    masquerade=dict(type="bool"),
    icc=dict(type="bool"),
    internal=dict(type="bool"),
    isolated=dict(type="bool"),
    accept_in_foreign_firewalls=dict(type="bool"),
)

ATTACHMENT_OPTIONS = dict(
    name=dict(type="str", required=True),
    ipv4_address=dict(type="str"),
    mac_address=dict(type="str"),
    ifname=dict(type="str"),
    aliases=dict(type="list", elements="str", default=[]),
)

ENDPOINT_OPTIONS = dict(
    name=dict(type="str"),
    state=STATE,
    mode=dict(type="str", choices=["none", "bridge", "host", "container"]),
    network=dict(type="str"),
    networks=dict(type="list", elements="dict", options=ATTACHMENT_OPTIONS),
    ipv4_address=dict(type="str"),
    mac_address=dict(type="str"),
    container=dict(type="str"),
    netns_path=dict(type="str"),
    pid=dict(type="int"),
    dns=dict(type="list", elements="str"),
    dns_search=dict(type="list", elements="str"),
    dns_options=dict(type="list", elements="str"),
    etc_hosts=dict(type="dict"),
    recreate=dict(type="bool"),
)


PUBLISH_OPTIONS = dict(
    endpoint=dict(type="str"),
    state=STATE,
    network=dict(type="str"),
    ports=dict(type="list", elements="raw", default=[]),
    allowed_sources=dict(type="list", elements="str", default=[]),
)


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


def specs_from(items: List[Tuple[dict, str]], parse: Callable, key: str = "name") -> Tuple[list, Dict[str, str]]:
    """Parsed specs, and the field prefix of each object by name, for error messages."""
    specs, where = [], {}
    for item, prefix in items:
        spec = parse(item, prefix)
        specs.append(spec)
        where[getattr(spec, key)] = prefix
    return specs, where


def run_batch_module(options: dict, batch_key: str, parse: Callable, apply: Callable, returns: Callable,
                     key: str = "name") -> None:
    """The whole main() of a module with a single and a batch form.

    `parse(params, prefix)` makes a spec, `apply(engine, specs, exclusive, where)` runs the engine, and
    `returns(outcome, names, single)` gives the module's return values."""
    module = AnsibleModule(argument_spec=batch_argument_spec(options, batch_key, key),
                           mutually_exclusive=[(key, batch_key)], required_one_of=[(key, batch_key)],
                           supports_check_mode=True)
    try:
        items, exclusive = batch_items(module.params, options, batch_key)
        specs, where = specs_from(items, parse, key)
        with Engine(module_runner(module), module.check_mode) as engine:
            outcome = apply(engine, specs, exclusive, where)
    except Exception as exc:  # pylint: disable=broad-except
        fail(module, exc)
    names = [getattr(spec, key) for spec in specs]
    finish(module, outcome, **returns(outcome, names, module.params[batch_key] is None))


def fail(module, exc: Exception) -> None:
    if isinstance(exc, LinuxnetError):
        module.fail_json(msg=exc.msg, **({"field": exc.field} if isinstance(exc, InvalidOption) else {}))
    module.fail_json(msg="unexpected error: %s" % exc, exception=traceback.format_exc())


def finish(module, outcome, **returns) -> None:
    for warning in outcome.warnings:
        module.warn(warning)
    result = outcome.result()
    result.update(returns)
    if module._diff:
        result["diff"] = {"before": outcome.before, "after": outcome.after}
    module.exit_json(**result)
