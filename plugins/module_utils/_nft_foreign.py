# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Other tables (pure): their forward chains that drop, and our opt-in accept rules in them.

Another firewall's forward chain that drops by policy, or by a final unconditional drop, drops our networks'
traffic whatever our table accepts. Detection is read-only; on request (FirewallState.foreign_accept) each
such chain gets one accept rule per bridge and direction at its head, marked with our comment, and marked
rules that are no longer wanted go again.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import FAMILY, NAME

FOREIGN_MARK = "linuxnet.containers"


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
        if not isinstance(body, dict) or (body.get("family") in (FAMILY, "inet") and body.get("table") == NAME):
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
