# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPv4 part of the skeleton of the one nftables table the collection owns (`inet linuxnet_containers`, see
_nft_schema6, which adds the IPv6 twins): its sets and chains as data, and their nft text.

The skeleton is fixed: its rules look everything up in sets and maps, so per-packet work does not grow with
the number of networks or published ports, and a change between runs is only element additions and
deletions. It carries its version in the name of an empty marker set.

Requires nft 0.9.4+ on Linux 5.6+ (newer than the 0.9.3 baseline): ranges inside concatenated set keys
(`allowed_sources`) and NAT maps to `address . port`. Debian 12 ships nft 1.0.6 on Linux 6.1.

Decisions for a new forwarded connection (answers always pass), whether or not br_netfilter hands bridged
frames to the ip hooks (it shows them with iifname = oifname = the bridge):
  same bridge          a DNATed (published) connection passes; otherwise accepted unless icc is off
  internal network     nothing enters or leaves it through another interface
  into a bridge        DNATed (published) connections only, from anywhere, hairpin included
  bridge to bridge     both networks not isolated (and not internal)
  bridge to elsewhere  accepted here; masqueraded when the network masquerades
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Set, Tuple

FAMILY = "ip"  # 0.1.0's table; ours is inet (_nft_schema6.INET)
NAME = "linuxnet_containers"
SKELETON_VERSION = "v2"

Element = tuple  # a set element: key fields; a map element: (key fields, value fields)
Elements = Dict[str, Set[Element]]


@functools.lru_cache(maxsize=8192)   # a run compares every map element read with the desired one: 10,000 calls at
def cidr(text: str) -> str:          # 5,000 publishes, on a few hundred distinct addresses
    """An address or network as elements hold it: a host without its /32 (/128), a network by its network
    address."""
    network = ipaddress.ip_network(text, strict=False)
    return str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)


@dataclass(frozen=True)
class SetSpec:
    name: str
    key: Tuple[str, ...]
    data: Optional[str] = None  # map value type
    interval: bool = False

    @property
    def data_kinds(self) -> Tuple[str, ...]:
        return tuple(self.data.split(" . ")) if self.data else ()

    def render(self, element: Element) -> str:
        """One element in nft syntax."""
        def join(kinds, values):
            return " . ".join('"%s"' % v if kind == "ifname" else str(v) for kind, v in zip(kinds, values))

        if self.data:
            key, value = element
            return "%s : %s" % (join(self.key, key), join(self.data_kinds, value))
        return join(self.key, element)

    def declaration(self, elements: Sequence[str] = ()) -> str:
        kind = "map" if self.data else "set"
        body = "type %s%s;" % (" . ".join(self.key), " : " + self.data if self.data else "")
        if self.interval:
            body += " flags interval;"
        if elements:
            body += " elements = { %s };" % ", ".join(elements)
        return "%s %s { %s }" % (kind, self.name, body)


@dataclass(frozen=True)
class ChainSpec:
    """A chain of the skeleton; type, hook, priority and policy are None for a regular chain."""

    name: str
    rules: Tuple[str, ...]
    type: Optional[str] = None
    hook: Optional[str] = None
    priority: Optional[int] = None
    policy: Optional[str] = None

    def header(self) -> Optional[str]:
        """The base chain's first line, None for a regular chain."""
        if self.hook is None:
            return None
        return "type %s hook %s priority %d; policy %s;" % (self.type, self.hook, self.priority, self.policy)

    def lines(self) -> Tuple[str, ...]:
        header = self.header()
        return ((header,) if header else ()) + self.rules


def _base_chain(name: str, type_: str, hook: str, priority: int, rules: Tuple[str, ...]) -> ChainSpec:
    return ChainSpec(name, rules, type_, hook, priority, "accept")


ADDR_PORT = "ipv4_addr . inet_service"
SETS = (
    SetSpec("bridges", ("ifname",)),
    SetSpec("same_bridge", ("ifname", "ifname")),
    SetSpec("icc_off", ("ifname",)),
    SetSpec("internal", ("ifname",)),
    SetSpec("routed", ("ifname",)),
    SetSpec("subnets", ("ipv4_addr",), interval=True),
    SetSpec("masq_subnets", ("ipv4_addr",), interval=True),
    SetSpec("pub_any", ("inet_proto", "inet_service"), ADDR_PORT),
    SetSpec("pub_ip", ("ipv4_addr", "inet_proto", "inet_service"), ADDR_PORT),
    SetSpec("restricted", ("ipv4_addr", "inet_proto", "inet_service"), interval=True),
    SetSpec("allowed", ("ipv4_addr", "inet_proto", "inet_service", "ipv4_addr"), interval=True),
)
SPECS = {spec.name: spec for spec in SETS}

DNAT_RULES = ("dnat ip to ip daddr . meta l4proto . th dport map @pub_ip",
              "dnat ip to meta l4proto . th dport map @pub_any")
CHAINS = (
    _base_chain("guard", "filter", "prerouting", -300, (
        "iifname @bridges ip daddr 127.0.0.0/8 drop",
    )),
    _base_chain("forward", "filter", "forward", 0, (
        "ct state established,related accept",
        "iifname . oifname @same_bridge jump same_bridge",
        "iifname @internal drop",
        "oifname @internal drop",
        "oifname @bridges ct status dnat accept",
        "iifname @routed oifname @routed accept",
        "oifname @bridges drop",
    )),
    ChainSpec("same_bridge", (
        "ct status dnat accept",
        "oifname @icc_off drop",
        "accept",
    )),
    _base_chain("nat_prerouting", "nat", "prerouting", -100, (
        "fib daddr type != local return",
        "ip daddr 127.0.0.0/8 return",
        "ip daddr . meta l4proto . th dport @restricted "
        "ip daddr . meta l4proto . th dport . ip saddr != @allowed return",
    ) + DNAT_RULES),
    _base_chain("nat_output", "nat", "output", -100, (
        "fib daddr type != local return",
    ) + DNAT_RULES),
    _base_chain("nat_postrouting", "nat", "postrouting", 100, (
        "oifname @bridges ip saddr 127.0.0.0/8 masquerade",
        "oifname @bridges ct status dnat ip saddr @subnets masquerade",
        "oifname != @bridges ip saddr @masq_subnets masquerade",
    )),
)


@dataclass(frozen=True)
class Skeleton:
    """One version of our table: its family, sets and chains, and the marker set naming that version."""

    family: str
    sets: Tuple[SetSpec, ...]
    chains: Tuple[ChainSpec, ...]

    @property
    def target(self) -> str:
        return "%s %s" % (self.family, NAME)

    @property
    def specs(self) -> Dict[str, SetSpec]:
        return {spec.name: spec for spec in self.sets}

    def text(self) -> str:
        lines = [] if self.family == FAMILY else ["family %s" % self.family]
        lines += [spec.declaration() for spec in self.sets]
        for chain in self.chains:
            lines.append("chain %s { %s %s }" % (chain.name, chain.header() or "", "; ".join(chain.rules)))
        return "\n".join(lines)

    @property
    def marker(self) -> str:
        return "skeleton_%s_%s" % (SKELETON_VERSION, hashlib.sha256(self.text().encode()).hexdigest()[:8])

    @property
    def marker_set(self) -> SetSpec:
        return SetSpec(self.marker, ("inet_service",))

    def script(self, desired: Elements) -> str:
        """The whole table in nft syntax, holding `desired`."""
        lines = ["table %s {" % self.target, "  " + self.marker_set.declaration()]
        for spec in self.sets:
            lines.append("  " + spec.declaration([spec.render(e) for e in sorted(desired.get(spec.name, ()))]))
        for chain in self.chains:
            lines.append("  chain %s {" % chain.name)
            lines += ["    " + line for line in chain.lines()]
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"


# 0.1.0's table (family ip, IPv4 only): no longer written, only read back and replaced by the inet table of
# _nft_schema6 in the same transaction, on the first run after an upgrade.
LEGACY = Skeleton(FAMILY, SETS, CHAINS)
