# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A foreign namespace as container_network_info shows it: both families, gateways on their interfaces."""
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import Link, NetnsView
from ansible_collections.linuxnet.containers.plugins.module_utils._views import foreign_view


def link(ifname, addresses=(), addresses6=()):
    return Link(ifname=ifname, index=2, kind=None, mtu=1500, mac="02:00:00:00:00:01", up=True, alias=None,
                master=None, addresses=addresses, isolated=None, addresses6=addresses6)


def test_foreign_namespaces_show_ipv6_addresses_and_gateways():
    view = NetnsView(inode=9, links={"lo": link("lo", ("127.0.0.1/8",)),
                                     "eth0": link("eth0", ("10.0.0.2/24",), ("2001:db8::2/64", "fd00::2/64")),
                                     "eth1": link("eth1", (), ("fd01::2/64",))},
                     default_gateway="10.0.0.1", default_dev="eth0", default_gateway6="fd01::1", default_dev6="eth1")
    shown = foreign_view("cni-1", "/run/netns/cni-1", 9, view)
    assert (shown["managed"], shown["mode"], shown["netns_inode"]) == (False, None, 9)
    by_name = {i["ifname"]: i for i in shown["interfaces"]}
    assert [i["ifname"] for i in shown["interfaces"]] == ["eth0", "eth1", "lo"]
    assert by_name["eth0"]["ipv6_addresses"] == ["2001:db8::2/64", "fd00::2/64"]
    assert (by_name["eth0"]["gateway"], by_name["eth0"]["ipv6_gateway"]) == ("10.0.0.1", None)
    assert (by_name["eth1"]["gateway"], by_name["eth1"]["ipv6_gateway"]) == (None, "fd01::1")
    assert by_name["eth1"]["addresses"] == [] and by_name["lo"]["ipv6_addresses"] == []
