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
    LEGACY,
    Element,
    Elements,
    Skeleton,
    cidr,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET

# the sets and maps that published ports fill (the others follow from the networks alone)
PUBLISH_SETS = frozenset(name + suffix for name in ("pub_any", "pub_ip", "restricted", "allowed", "routed_pub")
                         for suffix in ("", "6"))
ANY = "0.0.0.0/0"
ANY6 = "::/0"
ALL_IPV6 = "::"  # host_ip of a port published on every IPv6 address of the host only


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
    ipv6_subnet: Optional[str] = None
    gateway_mode_ipv4: str = "nat"
    gateway_mode_ipv6: str = "nat"


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
    container_ip6: Optional[str] = None   # the endpoint's IPv6 address, when the port is published on IPv6
    routed: Tuple[int, ...] = ()          # families (4, 6) whose gateway mode is routed on its network


@dataclass(frozen=True)
class FirewallState:
    networks: Tuple[FirewallNetwork, ...] = ()
    publishes: Tuple[FirewallPublish, ...] = ()
    # opt-in: bridges to accept in other tables' forward chains that drop (see _nft_foreign)
    foreign_accept: Tuple[str, ...] = ()
    # overlays: (VXLAN port, gateway) pairs whose ARP stays off the overlay (see _nft_overlay)
    overlay_guard: Tuple[Tuple[str, str], ...] = ()

    @property
    def skeleton(self) -> Skeleton:
        """The collection's one table, `inet linuxnet_containers`, whatever the families in use."""
        return INET


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
    """Every set and map element `state` needs, in the sets of its table (state.skeleton)."""
    elements: Elements = {spec.name: set() for spec in state.skeleton.sets}
    for net in state.networks:
        elements["bridges"].add((net.bridge,))
        elements["same_bridge"].add((net.bridge, net.bridge))
        if net.subnet:
            elements["subnets"].add((cidr(net.subnet),))
        if not net.icc:
            elements["icc_off"].add((net.bridge,))
        if net.internal:
            elements["internal"].add((net.bridge,))
        else:
            if not net.isolated:
                elements["routed"].add((net.bridge,))
            if net.masquerade and net.subnet and net.gateway_mode_ipv4 == "nat":
                elements["masq_subnets"].add((cidr(net.subnet),))
            for family, mode in ((4, net.gateway_mode_ipv4), (6, net.gateway_mode_ipv6 if net.ipv6_subnet else None)):
                if mode == "routed":
                    elements["routed%d" % family].add((net.bridge,))
        if net.ipv6_subnet:
            _network6(elements, net)
    sources: Dict[tuple, list] = {}
    for pub in state.publishes:
        for family, suffix, address, any_ in ((4, "", pub.container_ip, ANY), (6, "6", pub.container_ip6, ANY6)):
            if address is None or not _serves(pub.host_ip, family):
                continue
            target = (address, pub.container_port)
            if pub.host_ip in (None, ALL_IPV6):
                elements["pub_any" + suffix].add(((pub.protocol, pub.host_port), target))
            else:
                elements["pub_ip" + suffix].add(((pub.host_ip, pub.protocol, pub.host_port), target))
            if family in pub.routed:
                elements["routed_pub" + suffix].add((address, pub.protocol, pub.container_port))
            if pub.allowed_sources:
                key = (cidr(pub.host_ip) if pub.host_ip not in (None, ALL_IPV6) else any_, pub.protocol, pub.host_port)
                sources.setdefault((suffix, key), []).extend(
                    net for net in (ipaddress.ip_network(c, strict=False) for c in pub.allowed_sources)
                    if net.version == family)
    for (suffix, key), networks in sources.items():
        elements["restricted" + suffix].add(key)
        elements["allowed" + suffix].update(key + (cidr(str(net)),) for net in ipaddress.collapse_addresses(networks))
    return elements


def _serves(host_ip: Optional[str], family: int) -> bool:
    """Whether a publish on `host_ip` (None: every address of both families) takes clients of `family`."""
    if host_ip is None:
        return True
    return (":" in host_ip) == (family == 6)


def _network6(elements: Elements, net: FirewallNetwork) -> None:
    elements["subnets6"].add((cidr(net.ipv6_subnet),))
    if not net.internal and net.masquerade and net.gateway_mode_ipv6 == "nat":
        elements["masq_subnets6"].add((cidr(net.ipv6_subnet),))


# ---------------------------------------------------------------------------------------------
# Reading elements as a person does
# ---------------------------------------------------------------------------------------------
def _where(address: str) -> str:
    if address in (ANY, ANY6):
        return "*" if address == ANY else "[::]"
    return "[%s]" % address if ":" in address and "/" not in address else address


def describe(set_name: str, element: Element) -> str:
    """An element as a person reads it (the IPv6 sets, named *6, as their IPv4 twins with [addresses])."""
    base = set_name[:-1] if set_name.endswith("6") and set_name != "routed6" else set_name
    if base == "pub_any":
        (proto, port), (address, target_port) = element
        return "published port %s %s:%d -> %s:%d" % (proto, "[::]" if base != set_name else "*", port,
                                                     _where(address), target_port)
    if base == "pub_ip":
        (host_ip, proto, port), (address, target_port) = element
        return "published port %s %s:%d -> %s:%d" % (proto, _where(host_ip), port, _where(address), target_port)
    if base == "restricted":
        return "source restriction on %s %s:%d" % (element[1], _where(element[0]), element[2])
    if base == "allowed":
        return "allowed source %s for %s %s:%d" % (element[3], element[1], _where(element[0]), element[2])
    if base == "routed_pub":
        return "routed access to %s %s:%d" % (element[1], _where(element[0]), element[2])
    text = {
        "routed4": "routed IPv4 gateway (no NAT) on %s",
        "routed6": "routed IPv6 gateway (no NAT) on %s",
        "bridges": "bridge %s",
        "same_bridge": "same-bridge rules of %s",
        "icc_off": "icc off on %s",
        "internal": "internal network on %s",
        "routed": "routing between %s and other non-isolated networks",
        "subnets": "subnet %s",
        "masq_subnets": "masquerade of %s",
    }[base]
    return text % _where(element[0]) if base != set_name else text % element[0]


def summary(elements: Optional[Elements]) -> dict:
    """What the table holds, for diff mode; {} for no table."""
    if elements is None:
        return {}
    return {name: sorted(describe(name, e) for e in items) for name, items in sorted(elements.items()) if items}


def udp_flows(elements: Dict[str, Iterable[Element]]) -> Set[UdpFlow]:
    """The UDP (host address or None, port) pairs whose mapping or restriction `elements` touch."""
    flows: Set[UdpFlow] = set()
    for suffix, every in (("", None), ("6", ALL_IPV6)):
        for key, _value in elements.get("pub_any" + suffix, ()):
            if key[0] == "udp":
                flows.add((every, key[1]))
        for key, _value in elements.get("pub_ip" + suffix, ()):
            if key[1] == "udp":
                flows.add((key[0], key[2]))
        for name in ("restricted" + suffix, "allowed" + suffix):
            for element in elements.get(name, ()):
                if element[1] == "udp":
                    flows.add((every if element[0] in (ANY, ANY6) else element[0], element[2]))
    return flows


# ---------------------------------------------------------------------------------------------
# The transaction
# ---------------------------------------------------------------------------------------------
def _element_lines(verb: str, skeleton: Skeleton, set_name: str, items: Sequence[Element]) -> List[str]:
    if not items:
        return []
    rendered = ", ".join(skeleton.specs[set_name].render(e) for e in items)
    return ["%s element %s %s { %s }" % (verb, skeleton.target, set_name, rendered)]


def other_skeleton(skeleton: Skeleton) -> Skeleton:
    """The table of ours that `skeleton` replaces: 0.1.0's `ip linuxnet_containers` for the inet table."""
    return LEGACY if skeleton is INET else INET


def build_plan(desired: Optional[Elements], actual: Optional[Elements], intact: bool, skeleton: Skeleton = INET,
               stale: Optional[Elements] = None) -> FirewallPlan:
    """The transaction that turns `actual` into `desired` (None: no table, for either), in `skeleton`'s table.
    `stale`: the elements of our table in the other family (0.1.0's `ip` table, on a host upgraded from it): it
    is deleted in the same transaction, so no published port stops answering in between."""
    target = skeleton.target
    have = actual if actual is not None else (stale or {})
    want = desired or {}
    names = list(skeleton.specs) + sorted(set(have) - set(skeleton.specs))
    gone = {name: sorted(have.get(name, set()) - want.get(name, set())) for name in names}
    new = {name: sorted(want.get(name, set()) - have.get(name, set())) for name in names}
    element_changes = ["remove " + describe(name, e) for name in names for e in gone[name]]
    element_changes += ["add " + describe(name, e) for name in names for e in new[name]]
    flows = sorted(udp_flows(gone) | udp_flows(new), key=lambda flow: (flow[1], flow[0] or ""))
    before, after = summary(actual if actual is not None else stale), summary(desired)
    old_target = other_skeleton(skeleton).target
    drop_stale = "delete table %s\n" % old_target if stale is not None else ""
    if desired is None:
        tables = ([target] if actual is not None else []) + ([old_target] if stale is not None else [])
        if not tables:
            return FirewallPlan([], "", before, after)
        return FirewallPlan(["delete table %s" % table for table in tables] + element_changes,
                            "".join("delete table %s\n" % table for table in tables), before, after, flows)
    if actual is None:
        if stale is not None:
            replaced = "replace table %s by %s (%s), in one transaction" % (old_target, target, skeleton.marker)
            return FirewallPlan([replaced] + element_changes, drop_stale + skeleton.script(desired), before, after,
                                flows)
        return FirewallPlan(["create table %s (%s)" % (target, skeleton.marker)] + element_changes,
                            skeleton.script(desired), before, after, flows)
    if not intact:
        script = "table %s\ndelete table %s\n%s%s" % (target, target, drop_stale, skeleton.script(desired))
        return FirewallPlan(["rebuild table %s: its skeleton is not %s" % (target, skeleton.marker)] + element_changes,
                            script, before, after, flows)
    lines = [drop_stale.strip()] if drop_stale else []
    for name in names:
        lines += _element_lines("delete", skeleton, name, gone[name])
    for name in names:
        lines += _element_lines("add", skeleton, name, new[name])
    changes = (["delete table %s" % old_target] if stale is not None else []) + element_changes
    return FirewallPlan(changes, "".join(line + "\n" for line in lines), before, after, flows)
