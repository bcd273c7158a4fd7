# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict


@pytest.mark.parametrize("taken, expected", [
    ([], "172.17.0.0/16"),
    (["172.17.0.0/16"], "172.18.0.0/16"),
    (["172.17.5.0/24", "172.18.0.0/15"], "172.20.0.0/16"),
    (["172.16.0.0/12"], "192.168.0.0/20"),
    (["172.16.0.0/12", "192.168.0.0/24"], "192.168.16.0/20"),
    (["10.0.0.0/8"], "172.17.0.0/16"),
])
def test_pick_subnet_skips_what_is_taken_in_dockers_order(taken, expected):
    assert ipam.pick_subnet(taken) == expected


def test_pick_subnet_fails_when_every_pool_is_taken():
    with pytest.raises(Conflict, match="subnet"):
        ipam.pick_subnet(["172.16.0.0/12", "192.168.0.0/16"])


@pytest.mark.parametrize("subnet, gateway, ip_range, used, expected", [
    ("172.20.0.0/16", "172.20.0.1", None, [], "172.20.0.2"),
    ("172.20.0.0/16", "172.20.0.1", None, ["172.20.0.2", "172.20.0.3"], "172.20.0.4"),
    ("172.20.0.0/16", "172.20.0.5", None, [], "172.20.0.1"),
    ("172.20.0.0/16", "172.20.0.1", "172.20.5.0/24", [], "172.20.5.1"),
    ("10.9.0.0/30", "10.9.0.1", None, [], "10.9.0.2"),
])
def test_allocate_takes_the_lowest_free_address(subnet, gateway, ip_range, used, expected):
    assert ipam.allocate(subnet, gateway, ip_range, used) == expected


def test_allocate_fails_when_full_and_names_the_field():
    with pytest.raises(Conflict, match="ipv4_address: no free address left in 10.9.0.0/30"):
        ipam.allocate("10.9.0.0/30", "10.9.0.1", None, ["10.9.0.2"])


def test_mac_follows_dockers_scheme():
    assert ipam.mac_from_ipv4("172.17.0.2") == "02:42:ac:11:00:02"


def test_names_fit_ifnamsiz_and_are_stable():
    assert ipam.default_bridge_name("front") == "lnc-front"
    long_name = ipam.default_bridge_name("a-very-long-network-name")
    assert len(long_name) == 15 and long_name == ipam.default_bridge_name("a-very-long-network-name")
    assert long_name != ipam.default_bridge_name("a-very-long-network-name2")
    veth = ipam.host_ifname("web", "front")
    assert len(veth) == 15 and veth.startswith("lnv") and veth == ipam.host_ifname("web", "front")
    assert veth != ipam.host_ifname("web", "back")
