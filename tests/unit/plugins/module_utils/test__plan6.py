# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner's IPv6 actions: the gateway on the bridge, an endpoint's address, route and no-SLAAC settings."""
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import Link, NetnsView
from ansible_collections.linuxnet.containers.plugins.module_utils._plan import HostView, Planner, bridge_mark, veth_mark
from ansible_collections.linuxnet.containers.plugins.module_utils._plan6 import uplink_sysctls
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import endpoint_spec, network_spec


def state_with(**network):
    spec = network_spec(dict(name="d", subnet="172.20.0.0/24", enable_ipv6=True, ipv6_subnet="fd00:6::/64", **network))
    state = resolve_networks(State(), [spec], False, [], {}).state
    return resolve_endpoints(state, [endpoint_spec({"name": "web", "network": "d"})], False, lambda p: True, {}).state


def link(ifname, kind, alias, addresses=(), addresses6=(), master=None):
    return Link(ifname=ifname, index=2, kind=kind, mtu=1500, mac="02:42:ac:14:00:02", up=True, alias=alias,
                master=master, addresses=addresses, isolated=False if master else None,
                hairpin=True if master else None, addresses6=addresses6)


def converged(state, conf=None, addresses6=("fd00:6::2/64",), gateway6="fd00:6::1"):
    attachment = state.endpoints["web"].attachments[0]
    links = {"lnc-d": link("lnc-d", "bridge", bridge_mark("d"), ("172.20.0.1/24",), ("fd00:6::1/64",)),
             attachment.host_ifname: link(attachment.host_ifname, "veth", veth_mark("web", "d"), master="lnc-d")}
    inner = {"lo": link("lo", None, None), "eth0": link("eth0", "veth", None, ("172.20.0.2/24",), addresses6)}
    namespace = NetnsView(inode=7, links=inner, default_gateway="172.20.0.1", default_dev="eth0",
                          default_gateway6=gateway6, default_dev6="eth0",
                          ipv6_conf={"eth0": conf if conf is not None else {"accept_ra": "0", "autoconf": "0"}})
    return HostView(host_inode=1, links=links, namespaces={"web": namespace}, inodes={}, files={})


def ops(actions):
    return [(a.op, a.kwargs.get("cidr") or a.kwargs.get("gateway") or a.kwargs.get("values")) for a in actions]


def test_a_converged_dual_stack_host_needs_nothing():
    state = state_with()
    planner = Planner(state, state, converged(state))
    assert planner.network("d") == [] and planner.endpoint("web") == []


def test_a_new_network_gets_both_gateways_and_a_new_endpoint_its_ipv6_side():
    state = state_with()
    view = HostView(host_inode=1, links={}, namespaces={"web": None}, inodes={}, files={})
    planner = Planner(State(), state, view)
    assert ops(planner.network("d"))[1:] == [("add_address", "172.20.0.1/24"), ("add_address6", "fd00:6::1/64")]
    planned = ops(planner.endpoint("web"))
    assert ("set_netns_ipv6_conf", {"accept_ra": "0", "autoconf": "0"}) in planned
    assert ("add_address6", "fd00:6::2/64") in planned and ("set_default_route6", "fd00:6::1") in planned
    assert planned.index(("set_netns_ipv6_conf", {"accept_ra": "0", "autoconf": "0"})) < \
        planned.index(("add_address6", "fd00:6::2/64"))


def test_drift_is_repaired():
    state = state_with()
    assert ops(Planner(state, state, converged(state, conf={"accept_ra": "1", "autoconf": "0"})).endpoint("web")) == \
        [("set_netns_ipv6_conf", {"accept_ra": "0"})]
    assert ops(Planner(state, state, converged(state, addresses6=("fd00:6::9/64",))).endpoint("web")) == \
        [("del_address", "fd00:6::9/64"), ("add_address6", "fd00:6::2/64")]
    assert ops(Planner(state, state, converged(state, gateway6=None)).endpoint("web")) == \
        [("set_default_route6", "fd00:6::1")]


def test_hosts_files_carry_both_families():
    state = state_with()
    hosts = Planner(state, state, converged(state)).endpoint_files(state.endpoints["web"])["hosts"]
    assert "172.20.0.2\tweb" in hosts and "fd00:6::2\tweb" in hosts


def test_uplinks_that_rely_on_router_advertisements_get_accept_ra_2():
    assert uplink_sysctls({"eth0": "1", "eth1": "0", "eth2": "2"}) == {
        "net.ipv6.conf.eth0.accept_ra": "2", "net.ipv6.conf.eth2.accept_ra": "2"}


HOST_RESOLVERS = ("nameserver 127.0.0.53\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"
                  "nameserver fe80::1%uplink0\nnameserver ::1\nsearch lab.example\n")


def resolv_conf_of(network, endpoint=None):
    spec = network_spec(dict(name="d", **network))
    state = resolve_networks(State(), [spec], False, [], {}).state
    item = dict({"name": "web", "network": "d"}, **(endpoint or {}))
    state = resolve_endpoints(state, [endpoint_spec(item)], False, lambda p: True, {}).state
    view = converged(state)
    view = HostView(host_inode=1, links=view.links, namespaces=view.namespaces, inodes={}, files={},
                    host_resolv_conf=HOST_RESOLVERS)
    files_ = Planner(state, state, view).endpoint_files(state.endpoints["web"])
    return files_["resolv.conf"], files_["hosts"]


def nameservers(text):
    return [line.split()[1] for line in text.splitlines() if line.startswith("nameserver ")]


def test_default_resolvers_are_the_hosts_of_the_endpoints_families_never_loopback_link_local_or_the_gateway():
    ipv4 = nameservers(resolv_conf_of({"subnet": "172.20.0.0/24"})[0])
    dual = nameservers(resolv_conf_of({"subnet": "172.20.0.0/24", "enable_ipv6": True,
                                       "ipv6_subnet": "fd00:6::/64"})[0])
    only6 = nameservers(resolv_conf_of({"enable_ipv4": False, "enable_ipv6": True, "ipv6_subnet": "fd00:6::/64"})[0])
    assert (ipv4, dual, only6) == (["192.0.2.53"], ["192.0.2.53", "2001:db8::53"], ["2001:db8::53"])
    assert "fd00:6::1" not in only6 and "172.20.0.1" not in dual


def test_ipv6_dns_and_etc_hosts_are_rendered_as_given():
    conf, hosts = resolv_conf_of({"enable_ipv4": False, "enable_ipv6": True, "ipv6_subnet": "fd00:6::/64"},
                                 {"dns": ["2001:db8::35", "192.0.2.35"], "etc_hosts": {"db.example": "fd00:9::5"}})
    assert nameservers(conf) == ["2001:db8::35", "192.0.2.35"]  # explicit servers are kept whatever the family
    assert "fd00:9::5\tdb.example\n" in hosts and "fd00:6::2\tweb\n" in hosts
