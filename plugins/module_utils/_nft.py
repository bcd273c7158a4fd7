# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables adapter: one table the collection owns, changed in one atomic transaction per run.

The table is a fixed skeleton of rules that look everything up in sets and maps, so per-packet work does
not grow with the number of networks or published ports, and a change between runs is only element
additions and deletions. The skeleton carries its version in the name of an empty marker set; a table
whose skeleton differs is replaced whole, in the same single transaction.

Requires nft 0.9.4+ on Linux 5.6+ (newer than the 0.9.3 baseline): ranges inside concatenated set keys
(`allowed_sources`) and NAT maps to `address . port`. Debian 12 ships nft 1.0.6 on Linux 6.1.

Published port ranges arrive expanded: one FirewallPublish per host port.

Decisions for a new forwarded connection (answers always pass), whether or not br_netfilter hands bridged
frames to the ip hooks (it shows them with iifname = oifname = the bridge):
  same bridge          a DNATed (published) connection passes; otherwise accepted unless icc is off
  internal network     nothing enters or leaves it through another interface
  into a bridge        DNATed (published) connections only, from anywhere, hairpin included
  bridge to bridge     both networks not isolated (and not internal)
  bridge to elsewhere  accepted here; masqueraded when the network masquerades
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._conntrack import Conntrack, UdpFlow
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import Runner

FAMILY = "ip"
NAME = "linuxnet_containers"
TARGET = "%s %s" % (FAMILY, NAME)
FOREIGN_MARK = "linuxnet.containers"
MIN_NFT = (0, 9, 4)
SKELETON_VERSION = "v2"
ANY = "0.0.0.0/0"
PROTOCOL_NAMES = {6: "tcp", 17: "udp", 132: "sctp"}


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
    # opt-in: bridges to accept in other tables' forward chains that drop (see foreign_accept_plan)
    foreign_accept: Tuple[str, ...] = ()


@dataclass
class FirewallPlan:
    changes: List[str]
    script: str
    before: dict
    after: dict
    flush_udp: List[UdpFlow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The skeleton
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetSpec:
    name: str
    key: Tuple[str, ...]
    data: Optional[str] = None  # map value type
    interval: bool = False

    def declaration(self, elements: Sequence[str] = ()) -> str:
        kind = "map" if self.data else "set"
        body = "type %s%s;" % (" . ".join(self.key), " : " + self.data if self.data else "")
        if self.interval:
            body += " flags interval;"
        if elements:
            body += " elements = { %s };" % ", ".join(elements)
        return "%s %s { %s }" % (kind, self.name, body)


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
# name, base chain header (None: a regular chain), rules
CHAINS = (
    ("guard", "type filter hook prerouting priority -300; policy accept;", (
        "iifname @bridges ip daddr 127.0.0.0/8 drop",
    )),
    ("forward", "type filter hook forward priority 0; policy accept;", (
        "ct state established,related accept",
        "iifname . oifname @same_bridge jump same_bridge",
        "iifname @internal drop",
        "oifname @internal drop",
        "oifname @bridges ct status dnat accept",
        "iifname @routed oifname @routed accept",
        "oifname @bridges drop",
    )),
    ("same_bridge", None, (
        "ct status dnat accept",
        "oifname @icc_off drop",
        "accept",
    )),
    ("nat_prerouting", "type nat hook prerouting priority -100; policy accept;", (
        "fib daddr type != local return",
        "ip daddr 127.0.0.0/8 return",
        "ip daddr . meta l4proto . th dport @restricted "
        "ip daddr . meta l4proto . th dport . ip saddr != @allowed return",
    ) + DNAT_RULES),
    ("nat_output", "type nat hook output priority -100; policy accept;", (
        "fib daddr type != local return",
    ) + DNAT_RULES),
    ("nat_postrouting", "type nat hook postrouting priority 100; policy accept;", (
        "oifname @bridges ip saddr 127.0.0.0/8 masquerade",
        "oifname @bridges ct status dnat ip saddr @subnets masquerade",
        "oifname != @bridges ip saddr @masq_subnets masquerade",
    )),
)


def _skeleton_text() -> str:
    lines = [spec.declaration() for spec in SETS]
    for name, header, rules in CHAINS:
        lines.append("chain %s { %s %s }" % (name, header or "", "; ".join(rules)))
    return "\n".join(lines)


MARKER = "skeleton_%s_%s" % (SKELETON_VERSION, hashlib.sha256(_skeleton_text().encode()).hexdigest()[:8])

Element = tuple  # a set element: key fields; a map element: (key fields, value fields)
Elements = Dict[str, Set[Element]]


# ---------------------------------------------------------------------------------------------
# Desired elements (pure)
# ---------------------------------------------------------------------------------------------
def _cidr(text: str) -> str:
    network = ipaddress.IPv4Network(text, strict=False)
    return str(network.network_address) if network.prefixlen == 32 else str(network)


def desired_elements(state: FirewallState) -> Elements:
    """Every set and map element `state` needs."""
    elements: Elements = {spec.name: set() for spec in SETS}
    for net in state.networks:
        elements["bridges"].add((net.bridge,))
        elements["same_bridge"].add((net.bridge, net.bridge))
        elements["subnets"].add((_cidr(net.subnet),))
        if not net.icc:
            elements["icc_off"].add((net.bridge,))
        if net.internal:
            elements["internal"].add((net.bridge,))
        else:
            if not net.isolated:
                elements["routed"].add((net.bridge,))
            if net.masquerade:
                elements["masq_subnets"].add((_cidr(net.subnet),))
    sources: Dict[tuple, list] = {}
    for pub in state.publishes:
        target = (pub.container_ip, pub.container_port)
        if pub.host_ip is None:
            elements["pub_any"].add(((pub.protocol, pub.host_port), target))
        else:
            elements["pub_ip"].add(((pub.host_ip, pub.protocol, pub.host_port), target))
        if pub.allowed_sources:
            key = (_cidr(pub.host_ip) if pub.host_ip else ANY, pub.protocol, pub.host_port)
            sources.setdefault(key, []).extend(ipaddress.IPv4Network(c, strict=False) for c in pub.allowed_sources)
    for key, networks in sources.items():
        elements["restricted"].add(key)
        elements["allowed"].update(key + (_cidr(str(net)),) for net in ipaddress.collapse_addresses(networks))
    return elements


# ---------------------------------------------------------------------------------------------
# Reading `nft -j list ruleset` back (pure)
# ---------------------------------------------------------------------------------------------
def _field(kind: str, value):
    """One key or value field as desired_elements writes it, whatever form nft printed."""
    if isinstance(value, dict):
        if "prefix" in value:
            return _cidr("%s/%d" % (value["prefix"]["addr"], value["prefix"]["len"]))
        if "range" in value:
            return "%s-%s" % tuple(value["range"])
        if "elem" in value:
            return _field(kind, value["elem"]["val"])
    if kind == "inet_proto":
        return PROTOCOL_NAMES.get(value, value) if isinstance(value, int) else value
    if kind == "inet_service" and not isinstance(value, int):
        try:
            return int(value)
        except ValueError:
            return socket.getservbyname(value)
    if kind == "ipv4_addr":
        return _cidr(value)
    return value


def _fields(kinds: Sequence[str], value) -> tuple:
    if isinstance(value, dict) and "elem" in value:
        value = value["elem"]["val"]
    parts = value["concat"] if isinstance(value, dict) and "concat" in value else [value]
    return tuple(_field(kind, part) for kind, part in zip(kinds, parts))


def _types(value) -> Tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def table_view(ruleset: dict) -> Tuple[Optional[Elements], bool]:
    """Our table's elements (None: no table) and whether its skeleton is exactly the current one."""
    ours = []
    for item in ruleset.get("nftables", ()):
        kind, body = next(iter(item.items()))
        if isinstance(body, dict) and body.get("family") == FAMILY and \
                body.get("name" if kind == "table" else "table") == NAME:
            ours.append((kind, body))
    if not any(kind == "table" for kind, _body in ours):
        return None, False
    elements: Elements = {}
    declared: Dict[str, tuple] = {}
    chains: Dict[str, tuple] = {}
    rules: Dict[str, int] = {}
    for kind, body in ours:
        if kind in ("set", "map"):
            data = body.get("map")
            declared[body["name"]] = (_types(body.get("type")), data if isinstance(data, str) else None,
                                      "interval" in body.get("flags", ()))
            spec = SPECS.get(body["name"])
            if spec is None:
                continue
            found = set()
            for element in body.get("elem") or ():
                if spec.data:
                    found.add((_fields(spec.key, element[0]), _fields(spec.data.split(" . "), element[1])))
                else:
                    found.add(_fields(spec.key, element))
            elements[body["name"]] = found
        elif kind == "chain":
            chains[body["name"]] = (body.get("type"), body.get("hook"), body.get("prio"), body.get("policy"))
            rules.setdefault(body["name"], 0)
        elif kind == "rule":
            rules[body["chain"]] = rules.get(body["chain"], 0) + 1
    return elements, declared == _expected_sets() and (chains, rules) == _expected_chains()


def _expected_sets() -> Dict[str, tuple]:
    expected = {spec.name: (spec.key, spec.data, spec.interval) for spec in SETS}
    expected[MARKER] = (("inet_service",), None, False)
    return expected


def _expected_chains() -> Tuple[Dict[str, tuple], Dict[str, int]]:
    chains, rules = {}, {}
    for name, header, body in CHAINS:
        if header:
            words = header.replace(";", "").split()
            chains[name] = (words[1], words[3], int(words[5]), words[7])
        else:
            chains[name] = (None, None, None, None)
        rules[name] = len(body)
    return chains, rules


# ---------------------------------------------------------------------------------------------
# The transaction (pure)
# ---------------------------------------------------------------------------------------------
def render_element(set_name: str, element: Element) -> str:
    spec = SPECS[set_name]

    def join(kinds, values):
        return " . ".join('"%s"' % v if kind == "ifname" else str(v) for kind, v in zip(kinds, values))

    if spec.data:
        key, value = element
        return "%s : %s" % (join(spec.key, key), join(spec.data.split(" . "), value))
    return join(spec.key, element)


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


def _udp_flows(elements: Dict[str, Iterable[Element]]) -> Set[UdpFlow]:
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


def _element_lines(verb: str, set_name: str, items: Sequence[Element]) -> List[str]:
    if not items:
        return []
    return ["%s element %s %s { %s }" % (verb, TARGET, set_name, ", ".join(render_element(set_name, e) for e in items))]


def _skeleton(desired: Elements) -> str:
    lines = ["table %s {" % TARGET, "  set %s { type inet_service; }" % MARKER]
    for spec in SETS:
        lines.append("  " + spec.declaration([render_element(spec.name, e) for e in sorted(desired[spec.name])]))
    for name, header, rules in CHAINS:
        lines.append("  chain %s {" % name)
        lines += ["    " + line for line in ((header,) if header else ()) + rules]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def build_plan(desired: Optional[Elements], actual: Optional[Elements], intact: bool) -> FirewallPlan:
    """The transaction that turns `actual` into `desired` (None: no table, for either). Pure."""
    have = actual or {}
    want = desired or {}
    gone = {name: sorted(have.get(name, set()) - want.get(name, set())) for name in SPECS}
    new = {name: sorted(want.get(name, set()) - have.get(name, set())) for name in SPECS}
    element_changes = ["remove " + describe(name, e) for name in SPECS for e in gone[name]]
    element_changes += ["add " + describe(name, e) for name in SPECS for e in new[name]]
    flows = sorted(_udp_flows(gone) | _udp_flows(new), key=lambda flow: (flow[1], flow[0] or ""))
    before, after = summary(actual), summary(desired)
    if desired is None:
        if actual is None:
            return FirewallPlan([], "", before, after)
        return FirewallPlan(["delete table %s" % TARGET] + element_changes, "delete table %s\n" % TARGET,
                            before, after, flows)
    if actual is None:
        return FirewallPlan(["create table %s (%s)" % (TARGET, MARKER)] + element_changes, _skeleton(desired),
                            before, after, flows)
    if not intact:
        script = "table %s\ndelete table %s\n%s" % (TARGET, TARGET, _skeleton(desired))
        return FirewallPlan(["rebuild table %s: its skeleton is not %s" % (TARGET, MARKER)] + element_changes,
                            script, before, after, flows)
    lines = []
    for name in SPECS:
        lines += _element_lines("delete", name, gone[name])
    for name in SPECS:
        lines += _element_lines("add", name, new[name])
    return FirewallPlan(element_changes, "".join(line + "\n" for line in lines), before, after, flows)


# ---------------------------------------------------------------------------------------------
# Other tables: forward chains that drop, and our opt-in accept rules in them (pure)
# ---------------------------------------------------------------------------------------------
def _final_drop(rule: dict) -> bool:
    """Whether a rule drops or rejects every packet that reaches it."""
    statements = [next(iter(item)) for item in rule.get("expr", ()) if isinstance(item, dict)]
    return bool(statements) and statements[-1] in ("drop", "reject") and \
        set(statements[:-1]) <= {"counter", "log"}


def _marked_rule(rule: dict) -> Optional[dict]:
    if not str(rule.get("comment", "")).startswith(FOREIGN_MARK):
        return None
    direction = bridge = None
    for item in rule.get("expr", ()):
        match = item.get("match") if isinstance(item, dict) else None
        if match and match.get("op") == "==" and isinstance(match.get("right"), str):
            key = (match.get("left") or {}).get("meta", {}).get("key")
            if key in ("iifname", "oifname"):
                direction, bridge = key, match["right"]
    return {"family": rule["family"], "table": rule["table"], "chain": rule["chain"], "handle": rule["handle"],
            "direction": direction, "bridge": bridge}


def foreign_view(ruleset: dict) -> Tuple[List[dict], List[dict]]:
    """Other tables' forward base chains (ip, inet) that drop by policy or by a final unconditional drop,
    each {family, table, chain, policy, final_drop}; and our marked accept rules anywhere outside our table."""
    chains: Dict[tuple, dict] = {}
    last_rule: Dict[tuple, dict] = {}
    marked = []
    for item in ruleset.get("nftables", ()):
        kind, body = next(iter(item.items()))
        if not isinstance(body, dict) or (body.get("family") == FAMILY and body.get("table") == NAME):
            continue
        if kind == "chain" and body.get("hook") == "forward" and body.get("family") in ("ip", "inet"):
            chains[(body["family"], body["table"], body["name"])] = body
        elif kind == "rule":
            mark = _marked_rule(body)
            if mark:
                marked.append(mark)
            else:
                last_rule[(body["family"], body["table"], body["chain"])] = body
    drops = []
    for key, chain in sorted(chains.items()):
        final_drop = key in last_rule and _final_drop(last_rule[key])
        if chain.get("policy") == "drop" or final_drop:
            drops.append({"family": key[0], "table": key[1], "chain": key[2], "policy": chain.get("policy"),
                          "final_drop": final_drop})
    return drops, marked


def _chain_ref(item: dict) -> str:
    return "%s %s %s" % (item["family"], item["table"], item["chain"])


def foreign_accept_changes(drops: Sequence[dict], marked: Sequence[dict], bridges: Sequence[str]):
    """(changes, script lines, before, after) that leave exactly one accept rule per bridge and direction,
    marked with our comment, at the head of every chain in `drops`, and no marked rule anywhere else."""
    want = {(_chain_ref(chain), direction, bridge)
            for chain in drops for bridge in bridges for direction in ("oifname", "iifname")}
    kept = set()
    changes, lines = [], []
    for rule in sorted(marked, key=lambda r: (_chain_ref(r), str(r["direction"]), str(r["bridge"]), r["handle"])):
        key = (_chain_ref(rule), rule["direction"], rule["bridge"])
        if key in want and key not in kept:
            kept.add(key)
            continue
        lines.append("delete rule %s handle %d" % (key[0], rule["handle"]))
        changes.append("remove accept rule %s %s from %s" % (key[1], key[2], key[0]))
    for key in sorted(want - kept):
        lines.append('insert rule %s %s "%s" counter accept comment "%s"' % (key[0], key[1], key[2], FOREIGN_MARK))
        changes.append("insert accept rule %s %s into %s" % (key[1], key[2], key[0]))
    before = sorted("%s: %s %s" % (_chain_ref(rule), rule["direction"], rule["bridge"]) for rule in marked)
    after = sorted("%s: %s %s" % key for key in want)
    return changes, lines, before, after


# ---------------------------------------------------------------------------------------------
# The adapter
# ---------------------------------------------------------------------------------------------
def parse_version(text: str) -> Optional[Tuple[int, int, int]]:
    found = re.search(r"v(\d+)\.(\d+)(?:\.(\d+))?", text)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)) if found else None


class Nftables:
    TABLE = (FAMILY, NAME)

    def __init__(self, runner: Runner):
        self.run = runner
        self.conntrack = Conntrack(runner)

    def require(self) -> None:
        try:
            rc, out, _err = self.run(["nft", "--version"], None)
        except OSError:
            rc, out = 127, ""
        version = parse_version(out) if rc == 0 else None
        if version is None or version < MIN_NFT:
            found = "found %s" % out.strip() if version else "nft not found"
            raise MissingDependency("install the nftables package (nft %s+; %s)"
                                    % (".".join(map(str, MIN_NFT)), found))

    def _ruleset(self) -> dict:
        rc, out, err = self.run(["nft", "-j", "list", "ruleset"], None)
        if rc != 0:
            raise KernelError("nft -j list ruleset failed: %s" % err.strip())
        return json.loads(out or "{}")

    def plan(self, desired: FirewallState) -> FirewallPlan:
        """What turns the ruleset into `desired`: our table, plus the opt-in accept rules elsewhere."""
        ruleset = self._ruleset()
        actual, intact = table_view(ruleset)
        wanted = desired_elements(desired) if desired.networks or desired.publishes else None
        plan = build_plan(wanted, actual, intact)
        drops, marked = foreign_view(ruleset)
        changes, lines, before, after = foreign_accept_changes(drops, marked, sorted(set(desired.foreign_accept)))
        if changes:
            plan.changes += changes
            plan.script += "".join(line + "\n" for line in lines)
        for summary_, listed in ((plan.before, before), (plan.after, after)):
            if listed:
                summary_["foreign_accept"] = listed
        if plan.flush_udp:
            self.conntrack.require()
        return plan

    def apply(self, plan: FirewallPlan) -> None:
        """One atomic `nft -f -` transaction, then the conntrack flushes."""
        if plan.script:
            rc, _out, err = self.run(["nft", "-f", "-"], plan.script)
            if rc != 0:
                raise KernelError("nftables refused the change, nothing was applied: %s" % err.strip(),
                                  script=plan.script)
        self.conntrack.flush_udp(plan.flush_udp)

    def foreign_forward_drops(self) -> List[dict]:
        """Read-only: other tables' forward chains that drop what we do not explicitly accept there."""
        return foreign_view(self._ruleset())[0]

    def foreign_accept_plan(self, bridges: Sequence[str]) -> FirewallPlan:
        """Accept rules for `bridges` in every foreign forward chain that drops (marked with our comment);
        marked rules for other bridges, or in chains that no longer drop, go. Apply with apply()."""
        drops, marked = foreign_view(self._ruleset())
        changes, lines, before, after = foreign_accept_changes(drops, marked, sorted(set(bridges)))
        return FirewallPlan(changes, "".join(line + "\n" for line in lines),
                            {"foreign_accept": before}, {"foreign_accept": after})

    def foreign_accept_removal_plan(self) -> FirewallPlan:
        """Every accept rule we put into another table, removed."""
        return self.foreign_accept_plan(())
