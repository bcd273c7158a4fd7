# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `inet` table: the collection's one table, for both families (an IPv4-only host too).

It holds every set of 0.1.0's IPv4-only `ip` table and their IPv6 twins (`*6`, keyed by ipv6_addr), so each packet is
still one lookup per rule, whatever the number of publishes; rules that name `ip` or `ip6` match that family
only. A host that still has 0.1.0's `ip` table has it replaced by this one in the run's one transaction.
Beyond the IPv4-only table's decisions:
  routed gateway mode  the bridge's family is not masqueraded; from outside, new connections reach endpoints on
                       their own addresses only at published container ports (@routed_pub, @routed_pub6) and
                       for ICMP
  IPv6 publishes       DNAT to the endpoint's IPv6 address (@pub_any6, @pub_ip6), the same host port as IPv4
"""

from __future__ import annotations

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import (
    CHAINS,
    SETS,
    ChainSpec,
    SetSpec,
    Skeleton,
)


def _twin(spec: SetSpec) -> SetSpec:
    """The IPv6 twin of an IPv4 set: the same name with 6, ipv6_addr for ipv4_addr."""
    def six(kind):
        return kind.replace("ipv4_addr", "ipv6_addr") if kind else kind
    return SetSpec(spec.name + "6", tuple(six(kind) for kind in spec.key), six(spec.data), spec.interval)


ROUTED_PUB = SetSpec("routed_pub", ("ipv4_addr", "inet_proto", "inet_service"))
SETS6 = tuple(_twin(spec) for spec in SETS if "ipv4_addr" in " ".join(spec.key + (spec.data or "",))) + (
    SetSpec("routed4", ("ifname",)),
    SetSpec("routed6", ("ifname",)),
    ROUTED_PUB,
    _twin(ROUTED_PUB),
)

DNAT6_RULES = ("dnat ip6 to ip6 daddr . meta l4proto . th dport map @pub_ip6",
               "dnat ip6 to meta l4proto . th dport map @pub_any6")


def _chain(name: str) -> ChainSpec:
    return next(chain for chain in CHAINS if chain.name == name)


def _with(chain: ChainSpec, before: str, added, after: bool = False) -> ChainSpec:
    """`chain` with `added` rules inserted before (or after) its rule `before`."""
    rules = list(chain.rules)
    index = rules.index(before) + (1 if after else 0)
    rules[index:index] = list(added)
    return ChainSpec(chain.name, tuple(rules), chain.type, chain.hook, chain.priority, chain.policy)


NAT_PREROUTING = _chain("nat_prerouting")
CHAINS6 = (
    _with(_chain("guard"), "iifname @bridges ip daddr 127.0.0.0/8 drop", (
        "iifname @bridges ip6 daddr ::1 drop",), after=True),
    _with(_chain("forward"), "iifname @routed oifname @routed accept", (
        "oifname @routed4 ip daddr . meta l4proto . th dport @routed_pub accept",
        "oifname @routed6 ip6 daddr . meta l4proto . th dport @routed_pub6 accept",
        "oifname @routed4 meta l4proto icmp accept",
        "oifname @routed6 meta l4proto ipv6-icmp accept",
    )),
    _chain("same_bridge"),
    _with(NAT_PREROUTING, NAT_PREROUTING.rules[-2], (
        "ip6 daddr . meta l4proto . th dport @restricted6 "
        "ip6 daddr . meta l4proto . th dport . ip6 saddr != @allowed6 return",
    ) + DNAT6_RULES),
    _with(_chain("nat_output"), "fib daddr type != local return", DNAT6_RULES, after=True),
    _with(_chain("nat_postrouting"), "oifname != @bridges ip saddr @masq_subnets masquerade", (
        "oifname @bridges ct status dnat ip6 saddr @subnets6 masquerade",
        "oifname != @bridges ip6 saddr @masq_subnets6 masquerade",
    ), after=True),
)

INET = Skeleton("inet", SETS + SETS6, CHAINS6)
