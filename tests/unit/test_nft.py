# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables planner: elements from a state, parsing `nft -j` back, and the transaction between them."""
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    actual_elements,
    build_plan,
    desired_elements,
)

FRONT = FirewallNetwork("front", "lnc-front", "172.20.0.0/24", "172.20.0.1", True, True, False, True)
VAULT = FirewallNetwork("vault", "lnc-vault", "172.21.0.0/24", "172.21.0.1", True, False, True, True)
OPEN1 = FirewallNetwork("o1", "lnc-o1", "172.22.0.0/24", "172.22.0.1", False, True, False, False)
OPEN2 = FirewallNetwork("o2", "lnc-o2", "172.23.0.0/24", "172.23.0.1", True, True, False, False)


def test_elements_follow_each_network_option():
    elements = desired_elements(FirewallState(networks=(FRONT, VAULT, OPEN1, OPEN2)))
    assert elements["masq_subnets"] == {("172.20.0.0/24",), ("172.23.0.0/24",)}
    assert elements["internal"] == {("lnc-vault",)}
    assert (("lnc-front", "lnc-front"), "accept") in elements["fwd_pair"]
    assert (("lnc-vault", "lnc-vault"), "drop") in elements["fwd_pair"]
    cross = {key for key, verdict in elements["fwd_pair"] if key[0] != key[1]}
    assert cross == {("lnc-o1", "lnc-o2"), ("lnc-o2", "lnc-o1")}


def test_publishes_go_to_maps_and_sources_are_collapsed():
    state = FirewallState(networks=(FRONT,), publishes=(
        FirewallPublish("web", "tcp", None, 8080, "172.20.0.2", 80, "lnc-front"),
        FirewallPublish("web", "sctp", "127.0.0.1", 9090, "172.20.0.2", 90, "lnc-front",
                        ("10.0.0.0/8", "10.1.0.0/16", "198.51.100.7/32")),
    ))
    elements = desired_elements(state)
    assert elements["pub_any"] == {(("tcp", 8080), ("172.20.0.2", 80))}
    assert elements["pub_ip"] == {(("127.0.0.1", "sctp", 9090), ("172.20.0.2", 90))}
    assert elements["restricted"] == {("sctp", 9090)}
    assert elements["allowed"] == {("sctp", 9090, "10.0.0.0/8"), ("sctp", 9090, "198.51.100.7")}


def listing(elements_json):
    items = [{"table": {"family": "ip", "name": "linuxnet_containers"}}]
    for name, (kind, elem) in elements_json.items():
        items.append({kind: {"name": name, **({"elem": elem} if elem else {})}})
    rules = {"loopback_guard": 1, "filter_forward": 7, "nat_prerouting": 5, "nat_output": 3, "nat_postrouting": 3}
    for chain, count in rules.items():
        items += [{"rule": {"chain": chain}}] * count
    return {"nftables": items}


def parsed(state):
    """What `nft -j list table` shows once `state` is applied."""
    desired = desired_elements(state)
    json_elements = {}
    for name, items in desired.items():
        kind = "map" if name in ("fwd_pair", "pub_any", "pub_ip") else "set"
        rendered = []
        for item in items:
            if kind == "map":
                key, value = item
                value = {value: None} if isinstance(value, str) else {"concat": list(value)}
                rendered.append([{"concat": list(key)} if len(key) > 1 else key[0], value])
            else:
                rendered.append({"concat": list(item)} if len(item) > 1 else _prefix(item[0]))
        json_elements[name] = (kind, rendered)
    return listing(json_elements)


def _prefix(value):
    if isinstance(value, str) and "/" in value:
        address, length = value.split("/")
        return {"prefix": {"addr": address, "len": int(length)}}
    return value


def test_a_converged_table_needs_no_change_and_a_change_is_element_level():
    state = FirewallState(networks=(FRONT, OPEN1, OPEN2), publishes=(
        FirewallPublish("web", "udp", None, 5353, "172.20.0.2", 53, "lnc-front"),))
    actual, intact = actual_elements(parsed(state))
    assert intact
    plan = build_plan(desired_elements(state), actual, intact, empty=False)
    assert plan.changes == [] and plan.script == ""
    moved = FirewallState(networks=state.networks, publishes=(
        FirewallPublish("web", "udp", None, 5353, "172.20.0.3", 53, "lnc-front"),))
    plan = build_plan(desired_elements(moved), actual, intact, empty=False)
    assert plan.script.splitlines() == [
        "delete element ip linuxnet_containers pub_any { udp . 5353 : 172.20.0.2 . 53 }",
        "add element ip linuxnet_containers pub_any { udp . 5353 : 172.20.0.3 . 53 }",
    ]
    assert plan.flush_udp == [5353]


def test_missing_or_damaged_table_is_rebuilt_in_one_transaction_and_empty_state_deletes_it():
    state = FirewallState(networks=(FRONT,))
    created = build_plan(desired_elements(state), None, False, empty=False)
    assert created.changes == ["create table ip linuxnet_containers"]
    assert created.script.startswith("table ip linuxnet_containers {")
    actual = actual_elements(parsed(state))[0]
    rebuilt = build_plan(desired_elements(state), actual, False, empty=False)
    assert rebuilt.script.startswith("table ip linuxnet_containers\ndelete table ip linuxnet_containers\n")
    gone = build_plan(desired_elements(FirewallState()), actual, True, empty=True)
    assert gone.script == "delete table ip linuxnet_containers\n"
    assert build_plan(desired_elements(FirewallState()), None, False, empty=True).script == ""
    for plan in (created, rebuilt, gone):
        assert all("linuxnet_containers" in line or not line.strip().startswith(("table", "delete", "add"))
                   for line in plan.script.splitlines())
