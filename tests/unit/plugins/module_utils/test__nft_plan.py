# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elements from a state, and the transaction between what the table holds and what it should hold."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    build_plan,
    desired_elements,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_read import table_view
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET
from nft_samples import DNS, FRONT, PLAIN, SOLO, STATE, VAULT, WEB, elements_of, listing


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


def test_reading_back_what_we_wrote_finds_it_converged():
    desired = desired_elements(STATE)
    actual, intact = table_view(listing(desired))
    assert intact and actual == desired
    plan = build_plan(desired, actual, intact)
    assert (plan.changes, plan.script, plan.flush_udp) == ([], "", [])
    assert plan.before == plan.after and plan.after["pub_ip"] == ["published port udp 127.0.0.1:53 -> 172.20.0.2:53"]


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
        'delete element inet linuxnet_containers bridges { "lnc-plain" }',
        'delete element inet linuxnet_containers same_bridge { "lnc-plain" . "lnc-plain" }',
        'delete element inet linuxnet_containers routed { "lnc-plain" }',
        "delete element inet linuxnet_containers subnets { 172.23.0.0/24 }",
        "delete element inet linuxnet_containers pub_any { udp . 5353 : 172.20.0.2 . 53 }",
        "delete element inet linuxnet_containers pub_ip { 127.0.0.1 . udp . 53 : 172.20.0.2 . 53 }",
        "delete element inet linuxnet_containers restricted { 0.0.0.0/0 . udp . 5353 }",
        "delete element inet linuxnet_containers allowed { 0.0.0.0/0 . udp . 5353 . 10.0.0.0/8 }",
        "add element inet linuxnet_containers pub_ip { 127.0.0.1 . udp . 53 : 172.20.0.3 . 53 }"]
    assert plan.flush_udp == [("127.0.0.1", 53), (None, 5353)]
    assert plan.after["bridges"] == ["bridge lnc-front", "bridge lnc-solo", "bridge lnc-vault"]


def test_create_rebuild_delete_and_nothing():
    desired = desired_elements(STATE)
    created = build_plan(desired, None, False)
    assert created.changes[0] == "create table inet linuxnet_containers (%s)" % INET.marker
    assert "add published port tcp *:8080 -> 172.20.0.2:80" in created.changes
    assert created.script.startswith("table inet linuxnet_containers {\n  set %s" % INET.marker)
    assert created.script == INET.script(desired)
    assert created.before == {} and created.flush_udp == [("127.0.0.1", 53), (None, 5353)]
    actual = table_view(listing(desired, skeleton_ok=False))[0]
    rebuilt = build_plan(desired, actual, False)
    assert rebuilt.changes == ["rebuild table inet linuxnet_containers: its skeleton is not %s" % INET.marker]
    assert rebuilt.script.startswith("table inet linuxnet_containers\ndelete table inet linuxnet_containers\n"
                                     "table inet linuxnet_containers {")
    assert rebuilt.flush_udp == []
    gone = build_plan(None, actual, True)
    assert gone.script == "delete table inet linuxnet_containers\n" and gone.after == {}
    assert gone.changes[0] == "delete table inet linuxnet_containers"
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
                assert line.split()[:3] in (["table", "inet", "linuxnet_containers"],
                                            ["delete", "table", "inet"], ["add", "element", "inet"],
                                            ["delete", "element", "inet"]), line
                assert "linuxnet_containers" in line
