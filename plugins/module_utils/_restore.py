# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore and status: the whole store replayed through the modules' own planner. Pure.

`restore` rebuilds every network and endpoint of the store (after a reboot, or a flushed
ruleset); `status` is the same plan in check mode: what differs from the store. Both come
from Engine.replay, so they can never disagree with what a module run would do.

An adopted endpoint (`pid`, `netns_path`) cannot be made again: when its name is gone, or no
longer points at its process, it is reported and left for the next playbook run to adopt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._models import State, netns_path

Inode = Callable[[str], Optional[int]]

# Which part of the host an action's op changes, as `status` names it.
AREAS = {
    "apply_firewall": "firewall",
    "set_sysctl": "sysctls",
    "write_text": "files",
    "remove_file": "files",
    "remove_endpoint_dir": "files",
    "create_bridge": "networks",
}


def restorable(state: State, inode: Inode) -> Tuple[Set[str], Dict[str, str]]:
    """The endpoints a restore can rebuild, and the ones it cannot, with the reason."""
    skipped: Dict[str, str] = {}
    for name, endpoint in sorted(state.endpoints.items()):
        if not endpoint.adopted:
            continue
        held = inode(netns_path(name))
        if held is None:
            skipped[name] = ("adopted from %s, whose namespace is gone (its process ended, or the host rebooted); "
                             "the next playbook run adopts it again" % endpoint.adopted)
        elif inode(endpoint.adopted) != held:
            skipped[name] = ("adopted from %s, which no longer holds the namespace %s names; "
                             "the next playbook run adopts it again" % (endpoint.adopted, netns_path(name)))
    for name in sorted(state.endpoints):
        owner = state.namespace_owner(name)
        if name not in skipped and (owner is None or owner.name in skipped):
            skipped[name] = "shares the namespace of %s, which cannot be restored" % (
                owner.name if owner else state.endpoints[name].container)
    return set(state.endpoints) - set(skipped), skipped


def pending_removals(old: State, new: State) -> dict:
    """The endpoints whose teardown this run owes: removed now, or left unfinished by a run killed halfway."""
    removed = {name: endpoint for name, endpoint in old.endpoints.items() if name not in new.endpoints}
    removed.update({name: endpoint for name, endpoint in old.pending.items()
                    if name not in new.endpoints and name not in removed})
    return removed


def area(op: str, kwargs: dict) -> str:
    if op in AREAS:
        return AREAS[op]
    if kwargs.get("netns_path") or kwargs.get("netns") or op.endswith("_netns") or op == "set_default_route":
        return "endpoints"
    return "links"


@dataclass
class Report:
    """What a restore did, or what status found, for the command to print."""

    state: State
    actions: List = field(default_factory=list)       # _plan.Action
    skipped: Dict[str, str] = field(default_factory=dict)
    applied: bool = False

    @property
    def drift(self) -> bool:
        return bool(self.actions or self.skipped)

    def areas(self) -> List[str]:
        return sorted({area(action.op, action.kwargs) for action in self.actions})

    def lines(self) -> List[str]:
        state = self.state
        ports = sum(publish.count for publishes in state.published.values() for publish in publishes)
        lines = ["managed: %d networks, %d endpoints, %d published ports"
                 % (len(state.networks), len(state.endpoints), ports)]
        verb = "restored" if self.applied else "differs"
        lines += ["%s: %s: %s" % (verb, area(action.op, action.kwargs), action.text) for action in self.actions]
        lines += ["cannot restore endpoint %s: %s" % (name, reason) for name, reason in sorted(self.skipped.items())]
        if self.applied:
            lines.append("restore: %d changes" % len(self.actions) if self.actions else "restore: nothing to do")
        elif self.drift:
            areas = self.areas() + (["adopted endpoints"] if self.skipped else [])
            lines.append("status: drift in %s" % ", ".join(areas))
        else:
            lines.append("status: the host matches the store")
        return lines
