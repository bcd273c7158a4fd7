# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables adapter: one table the collection owns, changed in one atomic transaction per run.

The table's rules are a fixed skeleton that looks everything up in sets and maps, so per-packet work
does not grow with the number of networks or published ports, and a change between runs is only
element additions and deletions. The skeleton uses concatenations with intervals (nft 0.9.4+, Linux 5.6+;
Debian 12 ships nft 1.0.6).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import Runner

FAMILY = "ip"
FOREIGN_MARK = "linuxnet.containers"
TABLE = "linuxnet_containers"
SKELETON_VERSION = "v1"

# name -> (declaration, which key fields are interface names)
SETS = {
    "bridges": ("set bridges { type ifname; }", (0,)),
    "internal": ("set internal { type ifname; }", (0,)),
    "subnets": ("set subnets { type ipv4_addr; flags interval; }", ()),
    "masq_subnets": ("set masq_subnets { type ipv4_addr; flags interval; }", ()),
    "fwd_pair": ("map fwd_pair { type ifname . ifname : verdict; }", (0, 1)),
    "pub_any": ("map pub_any { type inet_proto . inet_service : ipv4_addr . inet_service; }", ()),
    "pub_ip": ("map pub_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }", ()),
    "restricted": ("set restricted { type inet_proto . inet_service; }", ()),
    "allowed": ("set allowed { type inet_proto . inet_service . ipv4_addr; flags interval; }", ()),
    "skeleton_" + SKELETON_VERSION: ("set skeleton_%s { type ifname; }" % SKELETON_VERSION, (0,)),
}

CHAINS = """
  chain loopback_guard {
    type filter hook prerouting priority -300; policy accept;
    iifname @bridges ip daddr 127.0.0.0/8 drop
  }
  chain filter_forward {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
    iifname . oifname vmap @fwd_pair
    iifname @bridges oifname @bridges drop
    iifname @internal drop
    oifname @internal drop
    oifname @bridges ct status dnat accept
    oifname @bridges drop
  }
  chain nat_prerouting {
    type nat hook prerouting priority -100; policy accept;
    ip daddr 127.0.0.0/8 return
    fib daddr type != local return
    meta l4proto . th dport @restricted meta l4proto . th dport . ip saddr != @allowed return
    dnat ip to ip daddr . meta l4proto . th dport map @pub_ip
    dnat ip to meta l4proto . th dport map @pub_any
  }
  chain nat_output {
    type nat hook output priority -100; policy accept;
    fib daddr type != local return
    dnat ip to ip daddr . meta l4proto . th dport map @pub_ip
    dnat ip to meta l4proto . th dport map @pub_any
  }
  chain nat_postrouting {
    type nat hook postrouting priority 100; policy accept;
    ip saddr 127.0.0.0/8 oifname @bridges masquerade
    ct status dnat ip saddr @subnets oifname @bridges masquerade
    ip saddr @masq_subnets oifname != @bridges masquerade
  }
"""
CHAIN_RULES = {"loopback_guard": 1, "filter_forward": 7, "nat_prerouting": 5, "nat_output": 3, "nat_postrouting": 3}


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
    """One host port to one endpoint port (ranges arrive expanded)."""

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
    # bridges to accept in other tables' forward chains that drop by policy (opt-in, per network)
    foreign_accept: Tuple[str, ...] = ()


@dataclass
class FirewallPlan:
    changes: List[str]
    script: str
    before: dict
    after: dict
    flush_udp: List[int] = field(default_factory=list)


Elements = Dict[str, Set[tuple]]


def desired_elements(state: FirewallState) -> Elements:
    """Every set and map element the state needs: (key fields...) or ((key fields), value)."""
    elements: Elements = {name: set() for name in SETS}
    networks = state.networks
    for net in networks:
        elements["bridges"].add((net.bridge,))
        elements["subnets"].add((net.subnet,))
        if net.internal:
            elements["internal"].add((net.bridge,))
        elif net.masquerade:
            elements["masq_subnets"].add((net.subnet,))
        elements["fwd_pair"].add(((net.bridge, net.bridge), "accept" if net.icc else "drop"))
        for other in networks:
            if other is not net and not (net.isolated or other.isolated or net.internal or other.internal):
                elements["fwd_pair"].add(((net.bridge, other.bridge), "accept"))
    allowed: Dict[tuple, list] = {}
    for pub in state.publishes:
        target = (pub.container_ip, pub.container_port)
        if pub.host_ip is None:
            elements["pub_any"].add(((pub.protocol, pub.host_port), target))
        else:
            elements["pub_ip"].add(((pub.host_ip, pub.protocol, pub.host_port), target))
        if pub.allowed_sources:
            elements["restricted"].add((pub.protocol, pub.host_port))
            allowed.setdefault((pub.protocol, pub.host_port), []).extend(
                ipaddress.IPv4Network(cidr) for cidr in pub.allowed_sources)
    for (protocol, port), cidrs in allowed.items():
        for cidr in ipaddress.collapse_addresses(cidrs):
            elements["allowed"].add((protocol, port, _cidr(str(cidr))))
    elements["skeleton_" + SKELETON_VERSION] = set()
    return elements


def _cidr(text: str) -> str:
    return text[:-3] if text.endswith("/32") else text


def _canon(value):
    if isinstance(value, dict):
        if "concat" in value:
            return tuple(_canon(v) for v in value["concat"])
        if "prefix" in value:
            return _cidr("%s/%d" % (value["prefix"]["addr"], value["prefix"]["len"]))
        if "elem" in value:
            return _canon(value["elem"]["val"])
        if "range" in value:
            return "%s-%s" % tuple(value["range"])
        if len(value) == 1:
            return next(iter(value))  # verdicts: {"accept": null}
    return value


def actual_elements(listing: dict) -> Tuple[Elements, bool]:
    """Elements of our table as `nft -j list table` shows them, and whether the skeleton is intact."""
    elements: Elements = {}
    rules: Dict[str, int] = {}
    for item in listing.get("nftables", ()):
        kind = next(iter(item))
        body = item[kind]
        if kind in ("set", "map"):
            found = set()
            for element in body.get("elem") or ():
                if kind == "map":
                    found.add((_as_tuple(_canon(element[0])), _as_value(_canon(element[1]))))
                else:
                    found.add(_as_tuple(_canon(element)))
            elements[body["name"]] = found
        elif kind == "rule":
            rules[body["chain"]] = rules.get(body["chain"], 0) + 1
    intact = set(elements) == set(SETS) and rules == CHAIN_RULES
    return elements, intact


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _as_value(value):
    return value if isinstance(value, (tuple, str)) else (value,)


def _render_field(value, quoted: bool) -> str:
    return '"%s"' % value if quoted else str(value)


def render_element(set_name: str, element) -> str:
    quoted = SETS[set_name][1]
    if set_name in ("fwd_pair", "pub_any", "pub_ip"):
        key, value = element
        rendered_value = value if isinstance(value, str) else " . ".join(str(v) for v in value)
        return "%s : %s" % (" . ".join(_render_field(v, i in quoted) for i, v in enumerate(key)), rendered_value)
    return " . ".join(_render_field(v, i in quoted) for i, v in enumerate(element))


def _describe(set_name: str, element) -> str:
    return "%s %s" % (set_name, render_element(set_name, element).replace('"', ""))


def build_plan(desired: Elements, actual: Optional[Elements], intact: bool, empty: bool) -> FirewallPlan:
    """The transaction that turns `actual` (None: no table) into `desired`. Pure."""
    target = "%s %s" % (FAMILY, TABLE)
    before = _summary(actual) if actual is not None else {}
    after = {} if empty else _summary(desired)
    if empty:
        if actual is None:
            return FirewallPlan([], "", before, after)
        return FirewallPlan(["delete table %s" % target], "delete table %s\n" % target, before, after,
                            _udp_ports(actual.get("pub_any", ()), actual.get("pub_ip", ())))
    if actual is None or not intact:
        lines = []
        if actual is not None:
            lines += ["table %s" % target, "delete table %s" % target]
        lines.append(_skeleton(desired))
        change = "create table %s" % target if actual is None else "rebuild table %s" % target
        flush = _udp_ports(actual.get("pub_any", ()), actual.get("pub_ip", ())) if actual else []
        return FirewallPlan([change], "\n".join(lines) + "\n", before, after, flush)
    changes, lines, removed_pubs = [], [], []
    for name in SETS:
        have, want = actual.get(name, set()), desired[name]
        gone, new = sorted(have - want, key=repr), sorted(want - have, key=repr)
        if gone:
            lines.append("delete element %s %s { %s }" % (target, name, ", ".join(render_element(name, e)
                                                                                  for e in gone)))
            changes += ["remove " + _describe(name, e) for e in gone]
            if name in ("pub_any", "pub_ip"):
                removed_pubs += gone
        if new:
            lines.append("add element %s %s { %s }" % (target, name, ", ".join(render_element(name, e)
                                                                               for e in new)))
            changes += ["add " + _describe(name, e) for e in new]
    return FirewallPlan(changes, "\n".join(lines) + ("\n" if lines else ""), before, after,
                        _udp_ports(removed_pubs, ()))


def _udp_ports(any_map, ip_map) -> List[int]:
    ports = {element[0][1] for element in any_map if element[0][0] == "udp"}
    ports |= {element[0][2] for element in ip_map if element[0][1] == "udp"}
    return sorted(ports)


def _skeleton(desired: Elements) -> str:
    lines = ["table %s %s {" % (FAMILY, TABLE)]
    for name, (declaration, _quoted) in SETS.items():
        items = sorted(desired[name], key=repr)
        if items:
            rendered = ", ".join(render_element(name, element) for element in items)
            declaration = declaration[:-1] + " elements = { %s }; }" % rendered
        lines.append("  " + declaration)
    lines.append(CHAINS.rstrip())
    lines.append("}")
    return "\n".join(lines)


def _summary(elements: Elements) -> dict:
    return {name: sorted(render_element(name, e).replace('"', "") for e in items)
            for name, items in sorted(elements.items()) if items}


class Nftables:
    def __init__(self, runner: Runner):
        self.run = runner

    def require(self) -> None:
        try:
            rc = self.run(["nft", "--version"], None)[0]
        except OSError:
            rc = 127
        if rc != 0:
            raise MissingDependency("the nft tool is missing on the managed node: apt install nftables, "
                                    "dnf install nftables (nft 0.9.4 or newer)")

    def _listing(self) -> Optional[dict]:
        rc, out, err = self.run(["nft", "-j", "list", "table", FAMILY, TABLE], None)
        if rc != 0:
            if "No such file" in err or "does not exist" in err:
                return None
            raise KernelError("nft list table %s %s failed: %s" % (FAMILY, TABLE, err.strip()))
        return json.loads(out)

    def plan(self, desired: FirewallState) -> FirewallPlan:
        listing = self._listing()
        actual, intact = actual_elements(listing) if listing is not None else (None, False)
        empty = not desired.networks and not desired.publishes
        plan = build_plan(desired_elements(desired), actual, intact, empty)
        changes, lines = self._foreign_accepts(tuple(sorted(desired.foreign_accept)))
        if changes:
            plan.changes += changes
            plan.script += "".join(line + "\n" for line in lines)
        return plan

    def _foreign_accepts(self, bridges: Tuple[str, ...]):
        """Our accept rules in other tables' drop-policy forward chains: exactly one pair per chain for
        `bridges`, marked with a comment naming them (by digest), none when `bridges` is empty."""
        mark = "%s accept %s" % (FOREIGN_MARK, hashlib.sha256(",".join(bridges).encode()).hexdigest()[:12])
        names = "{ %s }" % ", ".join('"%s"' % bridge for bridge in bridges)
        changes, lines = [], []
        chains = self.foreign_forward_drops()
        for chain in chains:
            where = "%(family)s %(table)s %(chain)s" % chain
            ours = [rule for rule in self._rules(chain) if rule.get("comment", "").startswith(FOREIGN_MARK)]
            if bridges and len(ours) == 2 and all(rule.get("comment") == mark for rule in ours):
                continue
            for rule in ours:
                lines.append("delete rule %s handle %d" % (where, rule["handle"]))
            if bridges:
                lines.append('insert rule %s iifname %s accept comment "%s"' % (where, names, mark))
                lines.append('insert rule %s oifname %s accept comment "%s"' % (where, names, mark))
                changes.append("accept bridges %s in %s" % (", ".join(bridges), where))
            elif ours:
                changes.append("remove our accept rules from %s" % where)
        return changes, lines

    def _rules(self, chain: dict) -> List[dict]:
        rc, out, _err = self.run(["nft", "-j", "list", "chain", chain["family"], chain["table"], chain["chain"]],
                                 None)
        if rc != 0:
            return []
        return [item["rule"] for item in json.loads(out).get("nftables", ()) if "rule" in item]

    def apply(self, plan: FirewallPlan) -> None:
        if not plan.script:
            return
        rc, out, err = self.run(["nft", "-f", "-"], plan.script)
        if rc != 0:
            raise KernelError("nftables refused the change (%s); nothing was applied. Script:\n%s"
                              % (err.strip(), plan.script))
        for port in plan.flush_udp:
            self.run(["conntrack", "-D", "-p", "udp", "--orig-port-dst", str(port)], None)

    def foreign_forward_drops(self) -> List[dict]:
        """Other tables' forward base chains with a drop policy: they drop our traffic whatever we accept."""
        rc, out, err = self.run(["nft", "-j", "list", "chains"], None)
        if rc != 0:
            return []
        found = []
        for item in json.loads(out).get("nftables", ()):
            chain = item.get("chain")
            if not chain or chain.get("table") == TABLE or chain.get("family") not in ("ip", "inet"):
                continue
            if chain.get("hook") == "forward" and chain.get("policy") == "drop":
                found.append({"family": chain["family"], "table": chain["table"], "chain": chain["name"],
                              "policy": "drop"})
        return found
