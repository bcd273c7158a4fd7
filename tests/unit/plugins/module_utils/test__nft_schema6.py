# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inet table: every state uses it, its IPv6 elements, and the swap from 0.1.0's ip table in one transaction."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    build_plan,
    desired_elements,
    udp_flows,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import LEGACY
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET

V4 = FirewallNetwork("front", "lnc-front", "172.20.0.0/24", "172.20.0.1", True, True, False, True)
DUAL = FirewallNetwork("dual", "lnc-dual", "172.21.0.0/24", "172.21.0.1", True, True, False, True,
                       ipv6_subnet="fd00:6::/64")
ROUTED = FirewallNetwork("r", "lnc-r", "172.22.0.0/24", "172.22.0.1", True, True, False, True,
                         ipv6_subnet="fd00:7::/64", gateway_mode_ipv6="routed")


def test_every_state_uses_the_inet_table_ipv4_only_too():
    assert FirewallState().skeleton is INET and FirewallState(networks=(V4,)).skeleton is INET
    assert FirewallState(networks=(V4, DUAL)).skeleton is INET
    routed4 = FirewallNetwork("r4", "lnc-r4", "172.23.0.0/24", "172.23.0.1", True, True, False, True,
                              gateway_mode_ipv4="routed")
    assert FirewallState(networks=(routed4,)).skeleton is INET
    assert INET.family == "inet" and LEGACY.family == "ip" and INET.marker != LEGACY.marker
    assert {spec.name for spec in LEGACY.sets} < {spec.name for spec in INET.sets}


def test_dual_stack_networks_and_publishes_become_elements_of_both_families():
    publish = FirewallPublish("web", "tcp", None, 8080, "172.21.0.2", 80, "lnc-dual",
                              ("2001:db8::/32", "198.51.100.0/24"), container_ip6="fd00:6::2")
    only6 = FirewallPublish("web", "udp", "::", 53, "172.21.0.2", 53, "lnc-dual", (), container_ip6="fd00:6::2")
    elements = desired_elements(FirewallState(networks=(DUAL, ROUTED), publishes=(publish, only6)))
    assert elements["subnets6"] == {("fd00:6::/64",), ("fd00:7::/64",)}
    assert elements["masq_subnets6"] == {("fd00:6::/64",)} and elements["routed6"] == {("lnc-r",)}
    assert elements["pub_any"] == {(("tcp", 8080), ("172.21.0.2", 80))}
    assert elements["pub_any6"] == {(("tcp", 8080), ("fd00:6::2", 80)), (("udp", 53), ("fd00:6::2", 53))}
    assert elements["restricted6"] == {("::/0", "tcp", 8080)} and elements["restricted"] == {("0.0.0.0/0", "tcp", 8080)}
    assert elements["allowed6"] == {("::/0", "tcp", 8080, "2001:db8::/32")}
    assert elements["allowed"] == {("0.0.0.0/0", "tcp", 8080, "198.51.100.0/24")}
    assert udp_flows(elements) == {("::", 53)}


def test_routed_publishes_open_the_container_port_on_its_own_address():
    publish = FirewallPublish("web", "tcp", None, 8080, "172.22.0.2", 80, "lnc-r", (), container_ip6="fd00:7::2",
                              routed=(6,))
    elements = desired_elements(FirewallState(networks=(ROUTED,), publishes=(publish,)))
    assert elements["routed_pub6"] == {("fd00:7::2", "tcp", 80)} and elements["routed_pub"] == set()
    assert elements["masq_subnets"] == {("172.22.0.0/24",)} and elements["masq_subnets6"] == set()


@pytest.mark.parametrize("networks", [(V4,), (V4, DUAL)], ids=["ipv4_only", "dual_stack"])
def test_the_0_1_0_ip_table_is_replaced_by_the_inet_table_in_one_transaction(networks):
    old = {name: items for name, items in desired_elements(FirewallState(networks=(V4,))).items()
           if name in LEGACY.specs}
    new = desired_elements(FirewallState(networks=networks))
    plan = build_plan(new, None, False, INET, stale=old)
    assert plan.changes[0].startswith("replace table ip linuxnet_containers by inet linuxnet_containers")
    assert plan.script.startswith("delete table ip linuxnet_containers\ntable inet linuxnet_containers {")
    assert plan.script.count("delete table") == 1
    if networks == (V4,):  # the same elements: diff mode shows no difference, only the table moving
        assert plan.before == plan.after and plan.changes == [plan.changes[0]]
    both = build_plan(new, new, True, INET, stale=old)
    assert both.script == "delete table ip linuxnet_containers\n" and both.changes[0] == \
        "delete table ip linuxnet_containers"
    gone = build_plan(None, None, False, INET, stale=old)
    assert gone.script == "delete table ip linuxnet_containers\n"
