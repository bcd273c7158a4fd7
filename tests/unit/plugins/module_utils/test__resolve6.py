# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import ipaddress

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Network, State
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import endpoint_spec, network_spec

MACHINE_ID = "0123456789abcdef0123456789abcdef"


def networks(state, *items, routes6=()):
    return resolve_networks(state, [network_spec(i) for i in items], False, [], {}, list(routes6), MACHINE_ID).state


def endpoints(state, *items):
    return resolve_endpoints(state, [endpoint_spec(i) for i in items], False, lambda path: False, {}).state


def test_ula_pool_is_derived_from_the_machine_id_and_stable():
    pool = ipam.ula_pool(MACHINE_ID)
    assert pool.prefixlen == 48 and str(pool).startswith("fd") and pool == ipam.ula_pool(MACHINE_ID)
    assert ipam.ula_pool("another") != pool


def test_auto_ipv6_subnets_skip_host_routes_and_other_networks_and_stay_stable():
    pool = ipam.ula_pool(MACHINE_ID)
    first, second, third = list(pool.subnets(new_prefix=64))[:3]
    state = networks(State(), {"name": "a", "enable_ipv6": True}, {"name": "b", "enable_ipv6": True},
                     routes6=[str(first)])
    assert state.networks["a"].ipv6_subnet == str(second) and state.networks["b"].ipv6_subnet == str(third)
    assert state.networks["a"].ipv6_gateway == str(second.network_address + 1)
    again = networks(state, {"name": "a"}, routes6=[str(first), str(second)])
    assert again.networks["a"].ipv6_subnet == str(second)
    assert again.networks["a"].subnet == state.networks["a"].subnet


def test_ipv6_only_network_has_no_ipv4():
    state = networks(State(), {"name": "six", "enable_ipv4": False, "enable_ipv6": True})
    six = state.networks["six"]
    assert (six.subnet, six.gateway, six.ip_range) == (None, None, None)
    state = endpoints(state, {"name": "e", "network": "six"})
    attachment = state.endpoints["e"].attachments[0]
    assert attachment.ipv4_address is None and attachment.ipv6_address.endswith("::2")
    assert attachment.mac_address.startswith("02:42:")
    with pytest.raises(InvalidOption, match="ipv4_address: network six is IPv6-only"):
        endpoints(state, {"name": "f", "network": "six", "ipv4_address": "172.20.0.5"})


def test_overlapping_ipv6_subnets_are_refused():
    state = networks(State(), {"name": "a", "enable_ipv6": True, "ipv6_subnet": "fd00:6::/64"})
    with pytest.raises(InvalidOption, match="ipv6_subnet: fd00:6::/48 overlaps network a"):
        networks(state, {"name": "b", "enable_ipv6": True, "ipv6_subnet": "fd00:6::/48"})
    with pytest.raises(InvalidOption, match="ipv6_subnet: network a does not have IPv6"):
        networks(State(), {"name": "a", "ipv6_subnet": "fd00:6::/64"})


def test_static_and_allocated_ipv6_addresses_are_stable_and_checked():
    state = networks(State(), {"name": "d", "subnet": "172.20.0.0/24", "enable_ipv6": True,
                               "ipv6_subnet": "fd00:6::/64", "ipv6_ip_range": "fd00:6::100/120"},
                     {"name": "v4", "subnet": "172.21.0.0/24"})
    state = endpoints(state, {"name": "a", "network": "d"}, {"name": "b", "network": "d", "ipv6_address": "fd00:6::b"})
    assert state.endpoints["a"].attachments[0].ipv6_address == "fd00:6::100"
    assert state.endpoints["b"].attachments[0].ipv6_address == "fd00:6::b"
    again = endpoints(state, {"name": "c", "network": "d"}, {"name": "a", "network": "d"})
    assert again.endpoints["a"].attachments[0].ipv6_address == "fd00:6::100"
    assert again.endpoints["c"].attachments[0].ipv6_address == "fd00:6::101"
    for address, message in (("fd00:6::b", "already used by endpoint b"), ("fd00:7::1", "outside ipv6_subnet"),
                             ("fd00:6::1", "gateway")):
        with pytest.raises(InvalidOption, match=message):
            endpoints(state, {"name": "x", "network": "d", "ipv6_address": address})
    with pytest.raises(InvalidOption, match="ipv6_address: network v4 has no IPv6"):
        endpoints(state, {"name": "x", "network": "v4", "ipv6_address": "fd00:6::9"})


def test_switching_a_family_with_endpoints_attached_is_refused():
    state = endpoints(networks(State(), {"name": "d", "subnet": "172.20.0.0/24"}), {"name": "a", "network": "d"})
    with pytest.raises(Conflict, match="enable_ipv6: changing False to True would renumber attached endpoints a"):
        networks(state, {"name": "d", "enable_ipv6": True})


def test_stores_of_0_2_0_load_with_ipv4_only_defaults():
    old = {"name": "front", "bridge": "lnc-front", "subnet": "172.20.0.0/16", "gateway": "172.20.0.1",
           "ip_range": None, "mtu": 1500, "masquerade": True, "icc": True, "internal": False, "isolated": True}
    network = Network.from_dict(old)
    assert (network.enable_ipv4, network.enable_ipv6, network.ipv6_subnet) == (True, False, None)
    assert (network.gateway_mode_ipv4, network.gateway_mode_ipv6) == ("nat", "nat")
    attachment = {"network": "front", "ifname": "eth0", "ipv4_address": "172.20.0.2",
                  "mac_address": "02:42:ac:14:00:02", "host_ifname": "lnvx"}
    state = State.from_dict({"networks": {"front": old},
                             "endpoints": {"e": {"name": "e", "mode": "bridge", "attachments": [attachment]}}})
    assert state.endpoints["e"].attachments[0].ipv6_address is None


def test_allocate6_skips_the_subnet_router_and_gateway():
    assert ipam.allocate6("fd00::/64", "fd00::1", None, []) == "fd00::2"
    with pytest.raises(Conflict, match="no free address"):
        ipam.allocate6("fd00::/126", "fd00::1", None, ["fd00::2", "fd00::3"])
    assert ipaddress.IPv6Address(ipam.first_host6("fd00:1::/64")) == ipaddress.IPv6Address("fd00:1::1")


def test_a_new_endpoint_listed_first_never_takes_an_address_another_keeps():
    state = networks(State(), {"name": "d", "subnet": "172.20.0.0/24", "enable_ipv6": True,
                               "ipv6_subnet": "fd00:6::/64"})
    state = endpoints(state, {"name": "a", "network": "d"})
    again = endpoints(state, {"name": "c", "network": "d"}, {"name": "a", "network": "d"})
    assert again.endpoints["a"].attachments[0].addresses == ("172.20.0.2", "fd00:6::2")
    assert again.endpoints["c"].attachments[0].addresses == ("172.20.0.3", "fd00:6::3")
