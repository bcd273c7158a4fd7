# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables planner without root: elements from a state, `nft -j` read back, the transaction between."""
import json

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._conntrack import flush_argv, nothing_to_delete
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import (
    MARKER,
    SETS,
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    Nftables,
    build_plan,
    desired_elements,
    foreign_accept_changes,
    foreign_view,
    parse_version,
    table_view,
)

FRONT = FirewallNetwork("front", "lnc-front", "172.20.0.0/24", "172.20.0.1", True, True, False, True)
SOLO = FirewallNetwork("solo", "lnc-solo", "172.21.0.0/24", "172.21.0.1", True, False, False, True)
VAULT = FirewallNetwork("vault", "lnc-vault", "172.22.0.0/24", "172.22.0.1", True, True, True, False)
PLAIN = FirewallNetwork("plain", "lnc-plain", "172.23.0.0/24", "172.23.0.1", False, True, False, False)
WEB = FirewallPublish("web", "tcp", None, 8080, "172.20.0.2", 80, "lnc-front")
DNS = FirewallPublish("web", "udp", "127.0.0.1", 53, "172.20.0.2", 53, "lnc-front")


def elements_of(*networks, publishes=()):
    found = desired_elements(FirewallState(networks=networks, publishes=tuple(publishes)))
    return {name: items for name, items in found.items() if items}


@pytest.mark.parametrize("network, expected", [
    (FRONT, {"bridges": {("lnc-front",)}, "same_bridge": {("lnc-front", "lnc-front")},
             "subnets": {("172.20.0.0/24",)}, "masq_subnets": {("172.20.0.0/24",)}}),
    (SOLO, {"bridges": {("lnc-solo",)}, "same_bridge": {("lnc-solo", "lnc-solo")}, "icc_off": {("lnc-solo",)},
            "subnets": {("172.21.0.0/24",)}, "masq_subnets": {("172.21.0.0/24",)}}),
    # internal: no masquerade and no routing to other networks, whatever masquerade and isolated say
    (VAULT, {"bridges": {("lnc-vault",)}, "same_bridge": {("lnc-vault", "lnc-vault")},
             "internal": {("lnc-vault",)}, "subnets": {("172.22.0.0/24",)}}),
    (PLAIN, {"bridges": {("lnc-plain",)}, "same_bridge": {("lnc-plain", "lnc-plain")}, "routed": {("lnc-plain",)},
             "subnets": {("172.23.0.0/24",)}}),
], ids=["default", "icc_off", "internal", "not_isolated_no_masquerade"])
def test_each_network_option_becomes_elements(network, expected):
    assert elements_of(network) == expected


@pytest.mark.parametrize("publish, expected", [
    (WEB, {"pub_any": {(("tcp", 8080), ("172.20.0.2", 80))}}),
    (DNS, {"pub_ip": {(("127.0.0.1", "udp", 53), ("172.20.0.2", 53))}}),
    (FirewallPublish("web", "sctp", "198.51.100.1", 9, "172.20.0.2", 9, "lnc-front",
                     ("10.0.0.0/8", "10.1.0.0/16", "198.51.100.7/32", "192.0.2.9/24")),
     {"pub_ip": {(("198.51.100.1", "sctp", 9), ("172.20.0.2", 9))},
      "restricted": {("198.51.100.1", "sctp", 9)},
      "allowed": {("198.51.100.1", "sctp", 9, "10.0.0.0/8"), ("198.51.100.1", "sctp", 9, "192.0.2.0/24"),
                  ("198.51.100.1", "sctp", 9, "198.51.100.7")}}),
    (FirewallPublish("web", "tcp", None, 8080, "172.20.0.2", 80, "lnc-front", ("198.51.100.2",)),
     {"pub_any": {(("tcp", 8080), ("172.20.0.2", 80))}, "restricted": {("0.0.0.0/0", "tcp", 8080)},
      "allowed": {("0.0.0.0/0", "tcp", 8080, "198.51.100.2")}}),
], ids=["any_address", "one_address", "sources_collapsed_and_normalised", "sources_on_every_address"])
def test_each_publish_becomes_map_elements(publish, expected):
    found = elements_of(publishes=[publish])
    assert found == expected


def test_non_isolated_networks_are_one_element_each_not_pairs():
    others = [FirewallNetwork("n%d" % i, "lnc-n%d" % i, "10.%d.0.0/24" % i, "10.%d.0.1" % i, True, True, False, False)
              for i in range(50)]
    assert len(elements_of(*others)["routed"]) == 50


# --- reading nft -j back -------------------------------------------------------------------------
def nft_json(value, kind):
    """How nft 1.0.6 prints one field."""
    if kind == "ipv4_addr" and "/" in value:
        address, length = value.split("/")
        return {"prefix": {"addr": address, "len": int(length)}}
    return value


def nft_key(kinds, values):
    parts = [nft_json(v, k) for k, v in zip(kinds, values)]
    return {"concat": parts} if len(parts) > 1 else parts[0]


def listing(elements, skeleton_ok=True, foreign=()):
    """`nft -j list ruleset` once `elements` are in our table (and `foreign` items elsewhere)."""
    from ansible_collections.linuxnet.containers.plugins.module_utils import _nft
    items = [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "ip", "name": "linuxnet_containers"}},
             {"set": {"family": "ip", "table": "linuxnet_containers", "name": MARKER, "type": "inet_service"}}]
    for spec in SETS:
        body = {"family": "ip", "table": "linuxnet_containers", "name": spec.name,
                "type": list(spec.key) if len(spec.key) > 1 else spec.key[0]}
        if spec.interval:
            body["flags"] = ["interval"]
        rendered = []
        for element in elements.get(spec.name, ()):
            if spec.data:
                rendered.append([nft_key(spec.key, element[0]), nft_key(spec.data.split(" . "), element[1])])
            else:
                rendered.append(nft_key(spec.key, element))
        if rendered:
            body["elem"] = rendered
        if spec.data:
            body["map"] = spec.data
        items.append({"map" if spec.data else "set": body})
    for name, header, rules in _nft.CHAINS:
        chain = {"family": "ip", "table": "linuxnet_containers", "name": name}
        if header:
            words = header.replace(";", "").split()
            chain.update(type=words[1], hook=words[3], prio=int(words[5]), policy=words[7])
        items.append({"chain": chain})
        count = len(rules) - (0 if skeleton_ok or name != "forward" else 1)
        items += [{"rule": {"family": "ip", "table": "linuxnet_containers", "chain": name}}] * count
    return {"nftables": items + list(foreign)}


STATE = FirewallState(networks=(FRONT, SOLO, VAULT, PLAIN), publishes=(
    WEB, DNS, FirewallPublish("web", "udp", None, 5353, "172.20.0.2", 53, "lnc-front", ("10.0.0.0/8",))))


def test_reading_back_what_we_wrote_finds_it_converged():
    desired = desired_elements(STATE)
    actual, intact = table_view(listing(desired))
    assert intact and actual == desired
    plan = build_plan(desired, actual, intact)
    assert (plan.changes, plan.script, plan.flush_udp) == ([], "", [])
    assert plan.before == plan.after and plan.after["pub_ip"] == ["published port udp 127.0.0.1:53 -> 172.20.0.2:53"]


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
    other = {"set": {"family": "inet", "table": "linuxnet_containers", "name": "bridges", "type": "ifname",
                     "elem": ["eth0"]}}
    assert table_view({"nftables": [{"metainfo": {}}, {"table": {"family": "inet", "name": "linuxnet_containers"}},
                                    other]}) == (None, False)


# --- the transaction -----------------------------------------------------------------------------
def test_a_change_is_element_deletes_and_adds_with_readable_changes_and_udp_flushes():
    desired = desired_elements(STATE)
    actual, intact = table_view(listing(desired))
    moved = FirewallState(networks=(FRONT, SOLO, VAULT), publishes=(
        WEB, FirewallPublish("web", "udp", "127.0.0.1", 53, "172.20.0.3", 53, "lnc-front")))
    plan = build_plan(desired_elements(moved), actual, intact)
    assert plan.changes == [
        "remove bridge lnc-plain", "remove same-bridge rules of lnc-plain",
        "remove routing between lnc-plain and other non-isolated networks", "remove subnet 172.23.0.0/24",
        "remove published port udp *:5353 -> 172.20.0.2:53", "remove published port udp 127.0.0.1:53 -> 172.20.0.2:53",
        "remove source restriction on udp *:5353", "remove allowed source 10.0.0.0/8 for udp *:5353",
        "add published port udp 127.0.0.1:53 -> 172.20.0.3:53"]
    assert plan.script.splitlines() == [
        'delete element ip linuxnet_containers bridges { "lnc-plain" }',
        'delete element ip linuxnet_containers same_bridge { "lnc-plain" . "lnc-plain" }',
        'delete element ip linuxnet_containers routed { "lnc-plain" }',
        "delete element ip linuxnet_containers subnets { 172.23.0.0/24 }",
        "delete element ip linuxnet_containers pub_any { udp . 5353 : 172.20.0.2 . 53 }",
        "delete element ip linuxnet_containers pub_ip { 127.0.0.1 . udp . 53 : 172.20.0.2 . 53 }",
        "delete element ip linuxnet_containers restricted { 0.0.0.0/0 . udp . 5353 }",
        "delete element ip linuxnet_containers allowed { 0.0.0.0/0 . udp . 5353 . 10.0.0.0/8 }",
        "add element ip linuxnet_containers pub_ip { 127.0.0.1 . udp . 53 : 172.20.0.3 . 53 }"]
    assert plan.flush_udp == [("127.0.0.1", 53), (None, 5353)]
    assert plan.after["bridges"] == ["bridge lnc-front", "bridge lnc-solo", "bridge lnc-vault"]


def test_create_rebuild_delete_and_nothing():
    desired = desired_elements(STATE)
    created = build_plan(desired, None, False)
    assert created.changes[0] == "create table ip linuxnet_containers (%s)" % MARKER
    assert "add published port tcp *:8080 -> 172.20.0.2:80" in created.changes
    assert created.script.startswith("table ip linuxnet_containers {\n  set %s" % MARKER)
    assert created.before == {} and created.flush_udp == [("127.0.0.1", 53), (None, 5353)]
    actual = table_view(listing(desired, skeleton_ok=False))[0]
    rebuilt = build_plan(desired, actual, False)
    assert rebuilt.changes == ["rebuild table ip linuxnet_containers: its skeleton is not %s" % MARKER]
    assert rebuilt.script.startswith("table ip linuxnet_containers\ndelete table ip linuxnet_containers\n"
                                     "table ip linuxnet_containers {")
    assert rebuilt.flush_udp == []
    gone = build_plan(None, actual, True)
    assert gone.script == "delete table ip linuxnet_containers\n" and gone.after == {}
    assert gone.changes[0] == "delete table ip linuxnet_containers"
    nothing = build_plan(None, None, False)
    assert (nothing.changes, nothing.script, nothing.before, nothing.after) == ([], "", {}, {})


def test_every_script_touches_only_our_table():
    desired = desired_elements(STATE)
    actual = table_view(listing(desired))[0]
    plans = [build_plan(desired, None, False), build_plan(desired, actual, False), build_plan(None, actual, True),
             build_plan(desired_elements(FirewallState(networks=(FRONT,))), actual, True)]
    for plan in plans:
        for line in plan.script.splitlines():
            if not line.startswith((" ", "}")):
                assert line.split()[:3] in (["table", "ip", "linuxnet_containers"],
                                            ["delete", "table", "ip"], ["add", "element", "ip"],
                                            ["delete", "element", "ip"]), line
                assert "linuxnet_containers" in line


def test_the_skeleton_is_static_the_per_packet_rules_look_up_sets():
    script = build_plan(desired_elements(STATE), None, False).script
    rules = [line.strip() for line in script.splitlines() if line.startswith("    ") and "hook" not in line]
    assert len(rules) == 22
    small = build_plan(desired_elements(FirewallState(networks=(FRONT,))), None, False).script
    assert [line for line in small.splitlines() if line.startswith("    ")] == \
        [line for line in script.splitlines() if line.startswith("    ")]
    assert "priority -100" in script and "priority dstnat" not in script


# --- other tables --------------------------------------------------------------------------------
def chain(family, table, name, hook="forward", policy="accept"):
    return {"chain": {"family": family, "table": table, "name": name, "type": "filter", "hook": hook, "prio": 0,
                      "policy": policy}}


def rule(family, table, chain_name, expr, handle=1, comment=None):
    body = {"family": family, "table": table, "chain": chain_name, "handle": handle, "expr": expr}
    if comment:
        body["comment"] = comment
    return {"rule": body}


def ours(chain_ref, direction, bridge, handle):
    family, table, name = chain_ref.split()
    return rule(family, table, name, [{"match": {"op": "==", "left": {"meta": {"key": direction}}, "right": bridge}},
                                      {"counter": {"packets": 0, "bytes": 0}}, {"accept": None}],
                handle, "linuxnet.containers")


FOREIGN = [
    chain("ip", "filter", "FORWARD", policy="drop"),
    rule("ip", "filter", "FORWARD", [{"counter": None}, {"jump": {"target": "DOCKER-USER"}}], 3),
    chain("inet", "firewalld", "filter_FORWARD"),
    rule("inet", "firewalld", "filter_FORWARD", [{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}], 9),
    chain("inet", "quiet", "fwd"),
    rule("inet", "quiet", "fwd", [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "x"}},
                                  {"drop": None}]),
    chain("bridge", "br", "forward", policy="drop"),
    chain("ip", "filter", "INPUT", hook="input", policy="drop"),
    chain("ip", "linuxnet_containers", "forward", policy="drop"),
]


def test_foreign_forward_drops_by_policy_or_final_unconditional_drop_only():
    drops, marked = foreign_view({"nftables": FOREIGN})
    assert drops == [
        {"family": "inet", "table": "firewalld", "chain": "filter_FORWARD", "policy": "accept", "final_drop": True},
        {"family": "ip", "table": "filter", "chain": "FORWARD", "policy": "drop", "final_drop": False}]
    assert marked == []


def test_foreign_accept_rules_are_inserted_once_kept_and_removed():
    drops = foreign_view({"nftables": FOREIGN})[0]
    changes, lines, before, after = foreign_accept_changes(drops, [], ["lnc-front"])
    assert lines == [
        'insert rule inet firewalld filter_FORWARD iifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule inet firewalld filter_FORWARD oifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule ip filter FORWARD iifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule ip filter FORWARD oifname "lnc-front" counter accept comment "linuxnet.containers"']
    assert len(changes) == 4 and before == [] and len(after) == 4
    installed = FOREIGN + [ours("ip filter FORWARD", "iifname", "lnc-front", 20),
                           ours("ip filter FORWARD", "oifname", "lnc-front", 21),
                           ours("inet firewalld filter_FORWARD", "iifname", "lnc-front", 22),
                           ours("inet firewalld filter_FORWARD", "oifname", "lnc-front", 23),
                           ours("inet quiet fwd", "oifname", "lnc-old", 24)]
    drops, marked = foreign_view({"nftables": installed})
    assert len(marked) == 5
    changes, lines, _before, _after = foreign_accept_changes(drops, marked, ["lnc-front"])
    assert lines == ["delete rule inet quiet fwd handle 24"]
    duplicated = installed + [ours("ip filter FORWARD", "iifname", "lnc-front", 25)]
    expected = ["delete rule inet quiet fwd handle 24", "delete rule ip filter FORWARD handle 25"]
    assert foreign_accept_changes(*foreign_view({"nftables": duplicated}), ["lnc-front"])[1] == expected
    changes, lines, _before, after = foreign_accept_changes(drops, marked, [])
    assert sorted(lines) == ["delete rule inet firewalld filter_FORWARD handle 22",
                             "delete rule inet firewalld filter_FORWARD handle 23",
                             "delete rule inet quiet fwd handle 24",
                             "delete rule ip filter FORWARD handle 20", "delete rule ip filter FORWARD handle 21"]
    assert after == []


# --- the adapter with a fake runner --------------------------------------------------------------
class FakeRunner:
    def __init__(self, responses):
        self.responses = responses
        self.calls = []

    def __call__(self, argv, stdin=None):
        self.calls.append((list(argv), stdin))
        for prefix, response in self.responses:
            if list(argv[:len(prefix)]) == prefix:
                if isinstance(response, Exception):
                    raise response
                return response
        raise AssertionError("unexpected %s" % (argv,))


@pytest.mark.parametrize("response, ok", [
    ((0, "nftables v1.0.6 (Lester Gooch #5)\n", ""), True),
    ((0, "nftables v0.9.4 (Jive at Five)\n", ""), True),
    ((0, "nftables v0.9.3 (Topsy)\n", ""), False),
    ((127, "", "nft: not found"), False),
    (FileNotFoundError("nft"), False),
])
def test_require_names_the_package_and_version(response, ok):
    nft = Nftables(FakeRunner([(["nft", "--version"], response)]))
    if ok:
        nft.require()
    else:
        with pytest.raises(MissingDependency, match="install the nftables package"):
            nft.require()
    assert parse_version("nftables v1.0.6 (Lester Gooch #5)") == (1, 0, 6)


def test_plan_reads_once_apply_runs_one_transaction_then_flushes_udp():
    runner = FakeRunner([(["nft", "-j", "list", "ruleset"], (0, json.dumps({"nftables": FOREIGN}), "")),
                         (["conntrack", "--version"], (0, "conntrack v1.4.7", "")),
                         (["nft", "-f", "-"], (0, "", "")),
                         (["conntrack", "-D"], (1, "", "conntrack v1.4.7: 0 flow entries have been deleted.\n"))])
    nft = Nftables(runner)
    plan = nft.plan(STATE)
    assert [call[0][:2] for call in runner.calls] == [["nft", "-j"], ["conntrack", "--version"]]
    nft.apply(plan)
    assert [call[0] for call in runner.calls[2:]] == [
        ["nft", "-f", "-"],
        ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "53", "--orig-dst", "127.0.0.1"],
        ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "5353"]]
    assert runner.calls[2][1] == plan.script


def test_apply_reports_nfts_error_and_conntrack_failures():
    nft = Nftables(FakeRunner([(["nft", "-f", "-"], (1, "", "Error: Could not process rule: No such file\n"))]))
    with pytest.raises(KernelError, match="No such file") as raised:
        nft.apply(build_plan(desired_elements(STATE), None, False))
    assert raised.value.details["script"].startswith("table ip linuxnet_containers {")
    broken = Nftables(FakeRunner([(["conntrack", "-D"], (2, "", "Operation not permitted"))]))
    with pytest.raises(KernelError, match="not permitted"):
        broken.apply(build_plan(None, None, False).__class__([], "", {}, {}, [(None, 53)]))


def test_plan_with_udp_flushes_needs_the_conntrack_tool_before_anything_changes():
    nft = Nftables(FakeRunner([(["nft", "-j", "list", "ruleset"], (0, '{"nftables": []}', "")),
                               (["conntrack", "--version"], FileNotFoundError("conntrack"))]))
    with pytest.raises(MissingDependency, match="conntrack"):
        nft.plan(STATE)
    assert Nftables(FakeRunner([(["nft", "-j"], (0, '{"nftables": []}', ""))])).plan(FirewallState()).changes == []


def test_conntrack_argv_and_outcome():
    assert flush_argv((None, 53)) == ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "53"]
    assert flush_argv(("10.0.0.1", 53))[-2:] == ["--orig-dst", "10.0.0.1"]
    assert nothing_to_delete(1, "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.")
    assert not nothing_to_delete(1, "Operation not permitted")
