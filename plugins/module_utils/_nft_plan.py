# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the firewall should hold, and the one transaction that gets our table there (pure).

A state becomes set and map elements; the plan between two sets of elements is element deletions and
additions when the skeleton is intact, the whole table (re)created otherwise, with readable changes, the
diff-mode summaries and the UDP flows whose conntrack entries must go.

Published port ranges arrive expanded: one FirewallPublish per host port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._conntrack import UdpFlow
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import (
    MARKER,
    SETS,
    SPECS,
    TARGET,
    Element,
    Elements,
    cidr,
    skeleton_script,
)

ANY = "0.0.0.0/0"


@dataclass(frozen=True)
class FirewallNetwork:
    name: str
    bridge: str
    subnet: str
    gateway: str
    masquerade: bool
    icc: bool
    internal: bool
    isolated: bool


@dataclass(frozen=True)
class FirewallPublish:
    """One host port to one endpoint port (ranges arrive expanded, one instance per port)."""

    endpoint: str
    protocol: str
    host_ip: Optional[str]
    host_port: int
    container_ip: str
    container_port: int
    bridge: str
    allowed_sources: Tuple[str, ...] = ()


@dataclass(frozen=True)
class FirewallState:
    networks: Tuple[FirewallNetwork, ...] = ()
    publishes: Tuple[FirewallPublish, ...] = ()
    # opt-in: bridges to accept in other tables' forward chains that drop (see _nft_foreign)
    foreign_accept: Tuple[str, ...] = ()
    # overlays: (VXLAN port, gateway) pairs whose ARP stays off the overlay (see _nft_overlay)
    overlay_guard: Tuple[Tuple[str, str], ...] = ()


@dataclass
class FirewallPlan:
    changes: List[str]
    script: str
    before: dict
    after: dict
    flush_udp: List[UdpFlow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Desired elements
# ---------------------------------------------------------------------------------------------
def desired_elements(state: FirewallState) -> Elements:
    """Every set and map element `state` needs."""
    elements: Elements = {spec.name: set() for spec in SETS}
    for net in state.networks:
        elements["bridges"].add((net.bridge,))
        elements["same_bridge"].add((net.bridge, net.bridge))
        elements["subnets"].add((cidr(net.subnet),))
        if not net.icc:
            elements["icc_off"].add((net.bridge,))
        if net.internal:
            elements["internal"].add((net.bridge,))
        else:
            if not net.isolated:
                elements["routed"].add((net.bridge,))
            if net.masquerade:
                elements["masq_subnets"].add((cidr(net.subnet),))
    sources: Dict[tuple, list] = {}
    for pub in state.publishes:
        target = (pub.container_ip, pub.container_port)
        if pub.host_ip is None:
            elements["pub_any"].add(((pub.protocol, pub.host_port), target))
        else:
            elements["pub_ip"].add(((pub.host_ip, pub.protocol, pub.host_port), target))
        if pub.allowed_sources:
            key = (cidr(pub.host_ip) if pub.host_ip else ANY, pub.protocol, pub.host_port)
            sources.setdefault(key, []).extend(ipaddress.IPv4Network(c, strict=False) for c in pub.allowed_sources)
    for key, networks in sources.items():
        elements["restricted"].add(key)
        elements["allowed"].update(key + (cidr(str(net)),) for net in ipaddress.collapse_addresses(networks))
    return elements


# ---------------------------------------------------------------------------------------------
# Reading elements as a person does
# ---------------------------------------------------------------------------------------------
def _where(address: str) -> str:
    return "*" if address == ANY else address


def describe(set_name: str, element: Element) -> str:
    """An element as a person reads it."""
    if set_name == "pub_any":
        (proto, port), (address, target_port) = element
        return "published port %s *:%d -> %s:%d" % (proto, port, address, target_port)
    if set_name == "pub_ip":
        (host_ip, proto, port), (address, target_port) = element
        return "published port %s %s:%d -> %s:%d" % (proto, host_ip, port, address, target_port)
    if set_name == "restricted":
        return "source restriction on %s %s:%d" % (element[1], _where(element[0]), element[2])
    if set_name == "allowed":
        return "allowed source %s for %s %s:%d" % (element[3], element[1], _where(element[0]), element[2])
    text = {
        "bridges": "bridge %s",
        "same_bridge": "same-bridge rules of %s",
        "icc_off": "icc off on %s",
        "internal": "internal network on %s",
        "routed": "routing between %s and other non-isolated networks",
        "subnets": "subnet %s",
        "masq_subnets": "masquerade of %s",
    }[set_name]
    return text % element[0]


def summary(elements: Optional[Elements]) -> dict:
    """What the table holds, for diff mode; {} for no table."""
    if elements is None:
        return {}
    return {name: sorted(describe(name, e) for e in items) for name, items in sorted(elements.items()) if items}


def udp_flows(elements: Dict[str, Iterable[Element]]) -> Set[UdpFlow]:
    """The UDP (host address or None, port) pairs whose mapping or restriction `elements` touch."""
    flows: Set[UdpFlow] = set()
    for key, _value in elements.get("pub_any", ()):
        if key[0] == "udp":
            flows.add((None, key[1]))
    for key, _value in elements.get("pub_ip", ()):
        if key[1] == "udp":
            flows.add((key[0], key[2]))
    for name in ("restricted", "allowed"):
        for element in elements.get(name, ()):
            if element[1] == "udp":
                flows.add((None if element[0] == ANY else element[0], element[2]))
    return flows


# ---------------------------------------------------------------------------------------------
# The transaction
# ---------------------------------------------------------------------------------------------
def _element_lines(verb: str, set_name: str, items: Sequence[Element]) -> List[str]:
    if not items:
        return []
    rendered = ", ".join(SPECS[set_name].render(e) for e in items)
    return ["%s element %s %s { %s }" % (verb, TARGET, set_name, rendered)]


def build_plan(desired: Optional[Elements], actual: Optional[Elements], intact: bool) -> FirewallPlan:
    """The transaction that turns `actual` into `desired` (None: no table, for either)."""
    have = actual or {}
    want = desired or {}
    gone = {name: sorted(have.get(name, set()) - want.get(name, set())) for name in SPECS}
    new = {name: sorted(want.get(name, set()) - have.get(name, set())) for name in SPECS}
    element_changes = ["remove " + describe(name, e) for name in SPECS for e in gone[name]]
    element_changes += ["add " + describe(name, e) for name in SPECS for e in new[name]]
    flows = sorted(udp_flows(gone) | udp_flows(new), key=lambda flow: (flow[1], flow[0] or ""))
    before, after = summary(actual), summary(desired)
    if desired is None:
        if actual is None:
            return FirewallPlan([], "", before, after)
        return FirewallPlan(["delete table %s" % TARGET] + element_changes, "delete table %s\n" % TARGET,
                            before, after, flows)
    if actual is None:
        return FirewallPlan(["create table %s (%s)" % (TARGET, MARKER)] + element_changes, skeleton_script(desired),
                            before, after, flows)
    if not intact:
        script = "table %s\ndelete table %s\n%s" % (TARGET, TARGET, skeleton_script(desired))
        return FirewallPlan(["rebuild table %s: its skeleton is not %s" % (TARGET, MARKER)] + element_changes,
                            script, before, after, flows)
    lines = []
    for name in SPECS:
        lines += _element_lines("delete", name, gone[name])
    for name in SPECS:
        lines += _element_lines("add", name, new[name])
    return FirewallPlan(element_changes, "".join(line + "\n" for line in lines), before, after, flows)
