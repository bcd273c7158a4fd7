# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a plan is applied: its actions in order, through the adapter call each names (`calls`, by op).

Two kinds of consecutive actions go together: deletions of host links, as one netlink request (the kernel then
waits for one RCU grace period for all of them instead of one per veth, tens of ms each), and removals of namespace
names, on a few threads (_teardown.remove_all: each unmount waits for a grace period of its own, and threads share
them). An adapter's OSError is raised as a KernelError that names the actions that failed.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._teardown import remove_all


def apply(calls: Dict[str, Callable[..., Any]], actions: Sequence[Any],
          delete_links: Callable[[List[str]], None]) -> None:
    """Every action (_plan.Action) in order; `delete_links(ifnames)` deletes host links in one request."""
    for batch in batches(actions):
        if len(batch) > 1 and batch[0].op == "remove_netns":
            remove_all(lambda action: applied(calls, [action]), batch)
        else:
            applied(calls, batch, delete_links)


def applied(calls: Dict[str, Callable[..., Any]], batch: Sequence[Any], delete_links=None) -> None:
    """One action, or a batch of host link deletions in one request; an OSError names what failed."""
    try:
        if len(batch) > 1:
            delete_links([action.kwargs["ifname"] for action in batch])
        else:
            calls[batch[0].op](**batch[0].kwargs)
    except KernelError:
        raise
    except OSError as exc:
        raise KernelError("%s failed: %s" % ("; ".join(a.text for a in batch), exc)) from None


def _batchable(action: Any) -> Optional[str]:
    if action.op == "delete_link" and action.kwargs.get("netns") is None:
        return "delete_link"
    return "remove_netns" if action.op == "remove_netns" else None


def batches(actions: Sequence[Any]) -> List[List[Any]]:
    """The actions in order, each alone, but consecutive deletions of host links as one batch, and consecutive
    removals of namespace names as one."""
    found: List[List[Any]] = []
    for action in actions:
        kind = _batchable(action)
        if kind is not None and found and _batchable(found[-1][-1]) == kind:
            found[-1].append(action)
        else:
            found.append([action])
    return found
