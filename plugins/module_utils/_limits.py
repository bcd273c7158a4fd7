# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel limits, said before they bite.

- A Linux bridge holds at most 1023 ports (BR_PORT_BITS = 10; the 1024th `master` fails with
  "Exchange full"): the change that would pass it is refused before anything is applied.
- Every namespace shares the host's neighbour tables: past `gc_thresh3` (1024 by default) the
  kernel drops entries and gateways stop answering. About two entries per bridge-mode
  attachment are needed (the endpoint's entry on the bridge, the gateway's in the endpoint).
  /proc/sys cannot read it from a non-initial network namespace; `ip ntable show` can.
"""

from __future__ import annotations

import re
from typing import List, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State

BRIDGE_PORTS = 1023
NEIGH_ENTRIES_PER_ATTACHMENT = 2


def check_bridge_ports(old: State, new: State, limit: int = BRIDGE_PORTS) -> None:
    """Refuse a state that would put more ports on a network's bridge than the kernel takes."""
    for name, network in sorted(new.networks.items()):
        ports = len(new.endpoints_on(name))
        if ports > limit and ports > len(old.endpoints_on(name)):
            raise Conflict("network %s would have %d endpoints on bridge %s, and a Linux bridge holds at most %d "
                           "ports; nothing was changed: put the further endpoints on another network"
                           % (name, ports, network.bridge, limit))


def attachments(state: State) -> int:
    return sum(len(endpoint.attachments) for endpoint in state.endpoints.values())


def neigh_warnings(state: State, gc_thresh3: Optional[int]) -> List[str]:
    """A warning when the managed bridge-mode attachments need more neighbour entries than the host keeps."""
    needed = attachments(state) * NEIGH_ENTRIES_PER_ATTACHMENT
    if gc_thresh3 is None or needed <= gc_thresh3:
        return []
    return ["%d bridge-mode attachments need about %d neighbour table entries, more than the host's "
            "net.ipv4.neigh.default.gc_thresh3 (%d), shared by every namespace: past it gateways stop answering; "
            "raise it (role variable container_networking_neigh_gc_thresh, or `ip ntable change name arp_cache "
            "thresh3 N`)" % (attachments(state), needed, gc_thresh3)]


def parse_thresh3(text: str) -> Optional[int]:
    match = re.search(r"\bthresh3 (\d+)", text)
    return int(match.group(1)) if match else None


def gc_thresh3(runner) -> Optional[int]:
    """The host's arp_cache gc_thresh3, through `ip ntable show` (None when it cannot be read)."""
    try:
        rc, out, _err = runner(["ip", "ntable", "show", "name", "arp_cache"], None)
    except OSError:
        return None
    return parse_thresh3(out) if rc == 0 else None
