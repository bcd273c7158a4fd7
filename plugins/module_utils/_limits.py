# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel limits, said before they bite.

- A Linux bridge holds at most 1023 ports (BR_PORT_BITS = 10; the 1024th `master` fails with
  "Exchange full"): the change that would pass it is refused before anything is applied.
- Every namespace shares the host's neighbour tables: past `gc_thresh3` (1024 by default) the
  kernel drops entries and gateways stop answering. About two entries per bridge-mode
  attachment are needed (the endpoint's entry on the bridge, the gateway's in the endpoint).
  /proc/sys cannot read it from a non-initial network namespace; netlink can (RTM_GETNEIGHTBL, what
  `ip ntable show` asks; that command is the fallback).
"""

from __future__ import annotations

import re
import socket
import struct
from typing import Callable, List, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._rtnl import Rtnl

BRIDGE_PORTS = 1023
RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL = 64, 66
NDTA_NAME, NDTA_THRESH3 = 1, 4
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


def neigh_limit(runner, read: Optional[Callable[[], Optional[int]]] = None) -> Optional[int]:
    """The host's arp_cache gc_thresh3: from netlink, else from `ip ntable show` (None when neither answers)."""
    found = (read or ntable_thresh3)()
    return found if found is not None else gc_thresh3(runner)


def ntable_thresh3(name: str = "arp_cache", family: int = socket.AF_INET,
                   library: Callable[..., Rtnl] = Rtnl) -> Optional[int]:
    """gc_thresh3 of the kernel's neighbour table `name`, from an RTM_GETNEIGHTBL dump of `family` (_rtnl's
    dump_until), over a socket of its own, closed at the first answer that carries it: the table comes first,
    then one entry per interface (as many as there are veths), which is never read. None when the kernel does
    not answer so. `library`: what opens the socket (tests)."""
    try:
        rtnl = library(timeout=5)
    except (KernelError, OSError):
        return None
    try:
        return rtnl.dump_until("read the neighbour table %s" % name, RTM_GETNEIGHTBL, struct.pack("=Bxxx", family),
                               lambda msg_type, data, start, end: thresh3_of(msg_type, data[start:end], name))
    except (KernelError, OSError, struct.error):
        return None
    finally:
        rtnl.close()


def thresh3_of(msg_type: int, body: bytes, name: str) -> Optional[int]:
    """gc_thresh3 of table `name` in one message of an RTM_GETNEIGHTBL dump; None when it holds no such table."""
    if msg_type != RTM_NEWNEIGHTBL or len(body) < 4:
        return None
    attrs = dict(codec.iter_attrs(body, 4))
    if attrs.get(NDTA_NAME, b"").split(b"\0", 1)[0] == name.encode() and NDTA_THRESH3 in attrs:
        return struct.unpack("=I", attrs[NDTA_THRESH3])[0]
    return None
