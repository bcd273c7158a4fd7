# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our table read back from `nft -j list ruleset`: elements in whatever form nft prints them, and a skeleton
that is intact only when every set, chain and rule is the one we write."""
import copy

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import desired_elements
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_read import rule_text, table_view
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import LEGACY
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET
from nft_samples import STATE, listing, skeleton_rules


def test_numeric_protocols_and_named_services_are_read_as_we_write_them():
    listed = listing({})
    pub_any = next(item["map"] for item in listed["nftables"] if item.get("map", {}).get("name") == "pub_any")
    pub_any["elem"] = [[{"concat": [6, "http"]}, {"concat": ["172.20.0.2", 80]}]]
    assert table_view(listed)[0]["pub_any"] == {(("tcp", 80), ("172.20.0.2", 80))}


@pytest.mark.parametrize("damage", ["rule", "set", "marker"])
def test_a_damaged_or_older_skeleton_is_not_intact(damage):
    listed = listing(desired_elements(STATE), skeleton_ok=damage != "rule")
    if damage == "set":
        listed["nftables"] = [i for i in listed["nftables"] if i.get("set", {}).get("name") != "routed"]
    if damage == "marker":
        listed["nftables"][2]["set"]["name"] = "skeleton_v1_00000000"
    assert table_view(listed)[1] is False


def test_no_table_reads_as_none_and_other_tables_are_ignored():
    other = {"set": {"family": "ip", "table": "linuxnet_containers", "name": "bridges", "type": "ifname",
                     "elem": ["eth0"]}}
    assert table_view({"nftables": [{"metainfo": {}}, {"table": {"family": "ip", "name": "linuxnet_containers"}},
                                    other]}) == (None, False)
    assert table_view({"nftables": [{"table": {"family": "ip", "name": "linuxnet_containers"}}, other]},
                      LEGACY)[0] == {"bridges": {("eth0",)}}


# --- rules ---------------------------------------------------------------------------------------
def test_the_skeleton_as_nft_prints_it_reads_back_as_the_rules_we_write():
    read = {}
    for item in skeleton_rules():
        read.setdefault(item["rule"]["chain"], []).append(rule_text(item["rule"]))
    assert read == {chain.name: list(chain.rules) for chain in INET.chains}
    assert sum(len(rules) for rules in read.values()) == 34
    assert table_view(listing(desired_elements(STATE)))[1] is True


def test_0_1_0_ip_table_reads_back_intact_so_an_upgrade_finds_its_elements():
    desired = desired_elements(STATE)
    legacy = {name: items for name, items in desired.items() if name in LEGACY.specs}
    read = {}
    for item in skeleton_rules(LEGACY):
        read.setdefault(item["rule"]["chain"], []).append(rule_text(item["rule"]))
    assert read == {chain.name: list(chain.rules) for chain in LEGACY.chains}
    assert table_view(listing(legacy, skeleton=LEGACY), LEGACY) == (legacy, True)
    assert table_view(listing(legacy, skeleton=LEGACY)) == (None, False)


def meta(key, right, op="=="):
    return {"match": {"op": op, "left": {"meta": {"key": key}}, "right": right}}


def ct(key, right, op="in"):
    return {"match": {"op": op, "left": {"ct": {"key": key}}, "right": right}}


def edit_rule(text, expr):
    """An edit that replaces the first skeleton rule `text` by one with `expr`: the count stays the same."""
    def edit(items):
        next(item["rule"] for item in items if "rule" in item and rule_text(item["rule"]) == text)["expr"] = expr
    return edit


def edit_field(kind, name, **changes):
    def edit(items):
        next(item[kind] for item in items if item.get(kind, {}).get("name") == name).update(changes)
    return edit


def swap_forward_rules(items):
    forward = [i for i, item in enumerate(items) if item.get("rule", {}).get("chain") == "forward"]
    first, second = forward[2], forward[3]
    items[first], items[second] = items[second], items[first]


def comment_on_first_rule(items):
    next(item["rule"] for item in items if "rule" in item)["comment"] = "hand made"


SAME_COUNT_EDITS = {
    "verdict": edit_rule("oifname @bridges ct status dnat accept", [meta("oifname", "@bridges"), {"accept": None}]),
    "drop_to_accept": edit_rule("oifname @bridges drop", [meta("oifname", "@bridges"), {"accept": None}]),
    "operator": edit_rule("oifname != @bridges ip saddr @masq_subnets masquerade", [
        meta("oifname", "@bridges"),
        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@masq_subnets"}},
        {"masquerade": None}]),
    "bitmask_to_equality": edit_rule("ct status dnat accept", [ct("status", "dnat", "=="), {"accept": None}]),
    "set_reference": edit_rule("iifname @internal drop", [meta("iifname", "@routed"), {"drop": None}]),
    "literal_not_set": edit_rule("iifname @internal drop", [meta("iifname", "internal"), {"drop": None}]),
    "extra_counter": edit_rule("accept", [{"counter": {"packets": 0, "bytes": 0}}, {"accept": None}]),
    "unknown_statement": edit_rule("accept", [{"log": {"prefix": "x"}}, {"accept": None}]),
    "jump_target": edit_rule("iifname . oifname @same_bridge jump same_bridge", [
        {"match": {"op": "==", "left": {"concat": [{"meta": {"key": "iifname"}}, {"meta": {"key": "oifname"}}]},
                   "right": "@same_bridge"}}, {"goto": {"target": "same_bridge"}}]),
    "dnat_port_added": edit_rule("dnat ip to meta l4proto . th dport map @pub_any", [
        {"dnat": {"family": "ip", "addr": {"map": {"key": {"concat": [{"meta": {"key": "l4proto"}}, {
            "payload": {"protocol": "th", "field": "dport"}}]}, "data": "@pub_any"}}, "port": 80}}]),
    "empty_rule": edit_rule("accept", []),
    "rules_swapped": swap_forward_rules,
    "comment": comment_on_first_rule,
    "chain_priority": edit_field("chain", "forward", prio=10),
    "chain_policy": edit_field("chain", "nat_output", policy="drop"),
    "regular_chain_made_base": edit_field("chain", "same_bridge", type="filter", hook="input", prio=0,
                                          policy="accept"),
    "set_flag_added": edit_field("set", "bridges", flags=["interval"]),
    "set_flag_removed": edit_field("set", "allowed", flags=[]),
    "map_value_type": edit_field("map", "pub_ip", map="ipv4_addr"),
}


@pytest.mark.parametrize("edit", sorted(SAME_COUNT_EDITS))
def test_an_edit_with_the_same_counts_is_not_intact_and_elements_still_read(edit):
    desired = desired_elements(STATE)
    listed = listing(desired)
    before = [sum(1 for item in listed["nftables"] if kind in item) for kind in ("rule", "chain", "set", "map")]
    SAME_COUNT_EDITS[edit](listed["nftables"])
    assert [sum(1 for item in listed["nftables"] if kind in item) for kind in ("rule", "chain", "set", "map")] == before
    assert table_view(listed) == (desired, False)


def test_forms_other_nft_versions_print_for_one_item_lists_read_the_same():
    listed = listing(desired_elements(STATE))
    for item in listed["nftables"]:
        body = item.get("set") or item.get("map") or {}
        if body.get("flags") == ["interval"]:
            body["flags"] = "interval"
        for statement in item.get("rule", {}).get("expr", ()):
            left = statement.get("match", {}).get("left", {})
            if "fib" in left:
                left["fib"]["flags"] = "daddr"
            if statement.get("match", {}).get("right") == "dnat":
                statement["match"]["right"] = ["dnat"]
    assert table_view(listed)[1] is True


def test_rule_text_writes_literals_as_nft_does_and_knows_what_it_does_not_know():
    rule = copy.deepcopy(skeleton_rules()[0]["rule"])
    assert rule_text(rule) == "iifname @bridges ip daddr 127.0.0.0/8 drop"
    rule["expr"][0] = meta("iifname", "eth0", "!=")
    assert rule_text(rule) == 'iifname != "eth0" ip daddr 127.0.0.0/8 drop'
    rule["expr"][0] = ct("state", ["established", "related"], "==")
    assert rule_text(rule) == "ct state == established,related ip daddr 127.0.0.0/8 drop"
    for unknown in ({"match": {"op": "<", "left": {"meta": {"key": "mark"}}, "right": 1}},
                    {"match": {"op": "in", "left": {"meta": {"key": "iifname"}}, "right": "@bridges"}},
                    {"match": {"op": "==", "left": {"ct": {"key": "state", "dir": "original"}}, "right": "new"}},
                    {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": {"set": ["a", "b"]}}},
                    {"dnat": {"family": "ip", "addr": "10.0.0.1"}}, {"accept": {"x": 1}}, "accept", {}):
        rule["expr"][0] = unknown
        assert rule_text(rule) is None, unknown
