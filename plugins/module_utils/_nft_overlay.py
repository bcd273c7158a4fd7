# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge-family table that keeps each host's gateway to itself on overlay networks. Pure.

Every host of an overlay network is the gateway of its own endpoints, with the same address and MAC. ARP
that names the gateway address (as sender or target) must therefore never cross the VXLAN port: a remote
host would answer for, or ask as, a gateway that is local everywhere. The table `bridge linuxnet_overlay`
drops such ARP entering from (prerouting) or leaving by (forward, output) a VXLAN port listed in its set
`guarded` (ifname . gateway). Endpoint-to-endpoint ARP and all IP traffic pass untouched. It exists only
while an overlay network does, and is changed element by element (or replaced whole when its skeleton was
edited), in the same `nft -f` transaction as the collection's ip table.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Set, Tuple

TABLE = "bridge linuxnet_overlay"
SET = "guarded"
CHAINS = (("guard_in", "prerouting", "iifname"), ("guard_fwd", "forward", "oifname"), ("guard_out", "output", "oifname"))
RULES_PER_CHAIN = 2

Pair = Tuple[str, str]


def _element(pair: Pair) -> str:
    return '"%s" . %s' % pair


def render(pairs: Sequence[Pair]) -> str:
    """The whole table in nft syntax, with its elements."""
    lines = ["table %s {" % TABLE, "  set %s {" % SET, "    type ifname . ipv4_addr"]
    if pairs:
        lines.append("    elements = { %s }" % ", ".join(_element(pair) for pair in sorted(pairs)))
    lines.append("  }")
    for chain, hook, port in CHAINS:
        lines += ["  chain %s {" % chain, "    type filter hook %s priority 0; policy accept;" % hook,
                  "    %s . arp daddr ip @%s drop" % (port, SET), "    %s . arp saddr ip @%s drop" % (port, SET), "  }"]
    return "\n".join(lines + ["}"]) + "\n"


def read(ruleset: dict) -> Tuple[Optional[Set[Pair]], bool]:
    """(our elements, or None without the table; whether its skeleton is intact) from `nft -j list ruleset`."""
    items = ruleset.get("nftables") or []
    found, elements, chains, rules = False, set(), set(), {}
    for item in items:
        kind, body = next(iter(item.items())) if isinstance(item, dict) and item else (None, None)
        if not isinstance(body, dict) or body.get("family") != "bridge":
            continue
        if body.get("table", body.get("name")) != "linuxnet_overlay":
            continue
        if kind == "table":
            found = True
        elif kind == "set" and body.get("name") == SET:
            for element in body.get("elem") or ():
                concat = element.get("concat") if isinstance(element, dict) else None
                if concat and len(concat) == 2:
                    elements.add((str(concat[0]), str(concat[1])))
        elif kind == "chain":
            chains.add((body.get("name"), body.get("hook"), body.get("policy", "accept")))
        elif kind == "rule":
            rules[body.get("chain")] = rules.get(body.get("chain"), 0) + 1
    if not found:
        return None, True
    intact = (chains == {(chain, hook, "accept") for chain, hook, _port in CHAINS}
              and all(rules.get(chain) == RULES_PER_CHAIN for chain, _hook, _port in CHAINS))
    return elements, intact


def changes(ruleset: dict, wanted: Sequence[Pair]) -> Tuple[List[str], str, dict, dict]:
    """(what changes, nft script, before, after) turning the table into `wanted` (empty: no table)."""
    actual, intact = read(ruleset)
    wanted_set = set(wanted)
    before = {"overlay_guard": sorted(list(p) for p in actual)} if actual else {}
    after = {"overlay_guard": sorted(list(p) for p in wanted_set)} if wanted_set else {}
    if not wanted_set:
        if actual is None:
            return [], "", {}, {}
        return ["delete table %s" % TABLE], "delete table %s\n" % TABLE, before, after
    if actual is None or not intact:
        text = "create" if actual is None else "replace the edited"
        script = ("table %s\ndelete table %s\n" % (TABLE, TABLE) if actual is not None else "") + render(wanted)
        return ["%s table %s" % (text, TABLE)], script, before, after
    lines, script = [], ""
    for verb, pairs in (("delete", actual - wanted_set), ("add", wanted_set - actual)):
        for pair in sorted(pairs):
            lines.append("%s ARP guard of gateway %s on %s" % (verb, pair[1], pair[0]))
            script += "%s element %s %s { %s }\n" % (verb, TABLE, SET, _element(pair))
    return lines, script, before if lines else {}, after if lines else {}
