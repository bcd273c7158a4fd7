# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter's pure half: records from netlink messages (the stand-ins are in conftest.py), a bridge's
fixed MAC, broadcast addresses."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    addresses_by_index,
    bridge_mac,
    broadcast_of,
    default_route,
    links_from,
    links_with_addresses,
    main_table_destinations,
    split_cidr,
)


def test_bridge_mac_is_stable_unicast_locally_administered_and_apart_from_endpoint_macs():
    mac = bridge_mac("lnc-front")
    assert mac == bridge_mac("lnc-front") != bridge_mac("lnc-back")
    first = int(mac[:2], 16)
    assert first & 0x02 and not first & 0x01
    assert len(mac.split(":")) == 6 and not mac.startswith("02:42:")


@pytest.mark.parametrize("cidr, broadcast", [("172.17.0.1/16", "172.17.255.255"), ("10.0.0.9/24", "10.0.0.255"),
                                             ("10.0.0.0/31", None), ("10.0.0.1/32", None)])
def test_broadcast_is_set_as_brd_plus_would(cidr, broadcast):
    assert broadcast_of(cidr) == broadcast


def test_split_cidr_keeps_the_host_address():
    assert split_cidr("172.31.0.2/24") == ("172.31.0.2", 24)
    with pytest.raises(ValueError):
        split_cidr("172.31.0.300/24")


def test_links_read_kind_master_port_flags_alias_and_sorted_addresses(message, link_message):
    messages = [
        link_message(1, "lo", flags=1, IFLA_MTU=65536, IFLA_ADDRESS="00:00:00:00:00:00"),
        link_message(2, "br0", kind="bridge", IFLA_IFALIAS="linuxnet.containers network=front"),
        link_message(3, "veth1", kind="veth", master=2, port={"IFLA_BRPORT_ISOLATED": 1, "IFLA_BRPORT_MODE": 0}),
        link_message(4, "old", kind="veth", master=2, port={"IFLA_BRPORT_MODE": 1}, flags=0, IFLA_IFALIAS=""),
        message({"IFLA_IFNAME": "tun0"}, index=5, flags=0),
    ]
    addresses = addresses_by_index([
        message({"IFA_LOCAL": "172.31.0.1", "IFA_ADDRESS": "172.31.0.1"}, index=2, prefixlen=24),
        message({"IFA_ADDRESS": "10.9.0.1"}, index=2, prefixlen=8),
        message({"IFA_LOCAL": "172.31.0.10", "IFA_ADDRESS": "172.31.0.10"}, index=2, prefixlen=24),
    ])
    links = links_from(messages, addresses)
    assert links["br0"].addresses == ("10.9.0.1/8", "172.31.0.1/24", "172.31.0.10/24")
    assert (links["br0"].kind, links["br0"].alias, links["br0"].master, links["br0"].isolated) == \
        ("bridge", "linuxnet.containers network=front", None, None)
    assert (links["veth1"].master, links["veth1"].isolated, links["veth1"].hairpin, links["veth1"].up) == \
        ("br0", True, False, True)
    assert (links["old"].isolated, links["old"].hairpin, links["old"].up, links["old"].alias) == \
        (None, True, False, None)
    assert (links["lo"].kind, links["lo"].mtu, links["lo"].index) == (None, 65536, 1)
    assert (links["tun0"].mac, links["tun0"].mtu, links["tun0"].addresses) == ("", 0, ())


def test_one_address_dump_of_both_families_is_split_by_family(message, link_message):
    messages = [link_message(2, "br0", kind="bridge")]
    addresses = [message({"IFA_ADDRESS": "fd00::1"}, index=2, prefixlen=64, family=10),
                 message({"IFA_LOCAL": "172.31.0.1", "IFA_ADDRESS": "172.31.0.1"}, index=2, prefixlen=24, family=2),
                 message({"IFA_ADDRESS": "fd00::2"}, index=2, prefixlen=64, family=10)]
    link = links_with_addresses(iter(messages), iter(addresses))["br0"]
    assert link.addresses == ("172.31.0.1/24",)
    assert link.addresses6 == ("fd00::1/64", "fd00::2/64")


def test_host_routes_are_the_main_table_without_default_unique_and_sorted(route):
    messages = [route(None, 0, RTA_GATEWAY="198.51.100.2"), route("198.51.100.0", 24), route("10.98.0.0", 16),
                route("10.98.0.0", 16, RTA_PRIORITY=50), route("10.99.0.0", 16, table=1000),
                route("172.16.0.0", 12), route("9.0.0.0", 8)]
    assert main_table_destinations(messages) == ["9.0.0.0/8", "10.98.0.0/16", "172.16.0.0/12", "198.51.100.0/24"]


def test_the_default_route_is_the_lowest_metric_one(route):
    names = {2: "eth0", 3: "eth1"}
    assert default_route([], names) == (None, None)
    assert default_route([route("172.31.0.0", 24, RTA_OIF=2)], names) == (None, None)
    assert default_route([route(None, 0, RTA_GATEWAY="10.0.0.1", RTA_OIF=3, RTA_PRIORITY=100),
                          route(None, 0, RTA_GATEWAY="172.31.0.1", RTA_OIF=2),
                          route(None, 0, table=1000, RTA_GATEWAY="192.0.2.1", RTA_OIF=2)], names) == \
        ("172.31.0.1", "eth0")
