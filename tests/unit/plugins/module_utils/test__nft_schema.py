# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The skeleton: sets and chains as data, rendered to nft text from their fields."""
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import FirewallState, desired_elements
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import (
    CHAINS,
    LEGACY,
    SPECS,
    ChainSpec,
    cidr,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET
from nft_samples import FRONT, STATE


def test_chains_are_data_and_their_headers_come_from_the_fields():
    by_name = {chain.name: chain for chain in CHAINS}
    assert [chain.name for chain in CHAINS] == ["guard", "forward", "same_bridge", "nat_prerouting", "nat_output",
                                                "nat_postrouting"]
    assert (by_name["guard"].type, by_name["guard"].hook, by_name["guard"].priority, by_name["guard"].policy) == \
        ("filter", "prerouting", -300, "accept")
    assert by_name["guard"].header() == "type filter hook prerouting priority -300; policy accept;"
    assert by_name["same_bridge"] == ChainSpec("same_bridge", by_name["same_bridge"].rules)
    assert by_name["same_bridge"].header() is None and by_name["same_bridge"].lines() == by_name["same_bridge"].rules
    assert by_name["nat_output"].lines()[0] == "type nat hook output priority -100; policy accept;"


def test_sets_render_their_declaration_and_elements():
    assert SPECS["pub_ip"].render((("127.0.0.1", "udp", 53), ("172.20.0.2", 53))) == \
        "127.0.0.1 . udp . 53 : 172.20.0.2 . 53"
    assert SPECS["same_bridge"].render(("lnc-a", "lnc-a")) == '"lnc-a" . "lnc-a"'
    assert SPECS["allowed"].declaration(["0.0.0.0/0 . tcp . 80 . 10.0.0.0/8"]) == (
        "set allowed { type ipv4_addr . inet_proto . inet_service . ipv4_addr; flags interval; "
        "elements = { 0.0.0.0/0 . tcp . 80 . 10.0.0.0/8 }; }")
    assert SPECS["pub_any"].declaration() == \
        "map pub_any { type inet_proto . inet_service : ipv4_addr . inet_service; }"
    assert INET.marker.startswith("skeleton_v2_")
    assert INET.marker_set.declaration() == "set %s { type inet_service; }" % INET.marker
    # 0.1.0's ip table keeps the marker it was written with, so a host upgraded from it is recognised
    assert LEGACY.marker == "skeleton_v2_" + LEGACY.marker[-8:] and LEGACY.marker != INET.marker
    assert (cidr("10.1.2.3/8"), cidr("10.1.2.3/32"), cidr("10.1.2.3")) == ("10.0.0.0/8", "10.1.2.3", "10.1.2.3")


def test_the_skeleton_is_static_the_per_packet_rules_look_up_sets():
    script = INET.script(desired_elements(STATE))
    rules = [line.strip() for line in script.splitlines() if line.startswith("    ") and "hook" not in line]
    assert len(rules) == 34 and script.startswith("table inet linuxnet_containers {")
    small = INET.script(desired_elements(FirewallState(networks=(FRONT,))))
    assert [line for line in small.splitlines() if line.startswith("    ")] == \
        [line for line in script.splitlines() if line.startswith("    ")]
    assert "priority -100" in script and "priority dstnat" not in script
