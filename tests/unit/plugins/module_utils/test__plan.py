# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planner tables: given a state and what the host has, which actions (and none on a converged host)."""
from collections import namedtuple

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._plan import HostView, Planner, bridge_mark, veth_mark
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import endpoint_spec, network_spec

Link = namedtuple("Link", "ifname kind mtu mac up alias master addresses isolated hairpin route_localnet",
                  defaults=(None, None))
View = namedtuple("View", "inode links default_gateway default_dev")
HOST_INODE = 1


def state_with(*endpoint_items):
    state = resolve_networks(State(), [network_spec({"name": "front", "subnet": "172.20.0.0/24"})], False, [], {}).state
    return resolve_endpoints(state, [endpoint_spec(i) for i in endpoint_items], False, lambda p: True, {}).state


def converged_view(state):
    """What the host looks like once `state` has been applied."""
    links, namespaces = {}, {}
    for net in state.networks.values():
        links[net.bridge] = Link(net.bridge, "bridge", net.mtu, "aa:aa:aa:aa:aa:aa", True, bridge_mark(net.name), None,
                                 ("%s/24" % net.gateway,), None)
    for index, endpoint in enumerate(state.endpoints.values()):
        inner = {"lo": Link("lo", None, 65536, "00:00:00:00:00:00", True, None, None, (), None)}
        for att in endpoint.attachments:
            net = state.networks[att.network]
            links[att.host_ifname] = Link(att.host_ifname, "veth", net.mtu, "ee:ee:ee:ee:ee:ee", True,
                                          veth_mark(endpoint.name, net.name), net.bridge, (), not net.icc)
            inner[att.ifname] = Link(att.ifname, "veth", net.mtu, att.mac_address, True, None, None,
                                     ("%s/24" % att.ipv4_address,), None)
        first = endpoint.attachments[0] if endpoint.attachments else None
        namespaces[endpoint.name] = View(100 + index, inner, state.networks[first.network].gateway if first else None,
                                         first.ifname if first else None)
    # the engine reads the files of the endpoints a run is about (file_scope): here every endpoint, none written yet
    return HostView(host_inode=HOST_INODE, links=links, namespaces=namespaces, inodes={},
                    files={name: {} for name in state.endpoints},
                    host_resolv_conf="nameserver 127.0.0.53\nsearch lab.example\n")


def ops(actions):
    return [a.op for a in actions]


def test_fresh_host_creates_bridge_namespace_and_veth():
    state = state_with({"name": "web", "network": "front"})
    empty = HostView(host_inode=HOST_INODE, links={}, namespaces={"web": None}, inodes={}, files={})
    planner = Planner(State(), state, empty)
    assert ops(planner.network("front")) == ["create_bridge", "add_address"]
    assert ops(planner.endpoint("web")) == ["create_netns", "create_veth", "add_address", "set_default_route"]


def test_converged_host_needs_nothing_but_files():
    state = state_with({"name": "web", "network": "front"}, {"name": "side", "mode": "container", "container": "web"},
                       {"name": "job", "mode": "none"})
    view = converged_view(state)
    view.namespaces["side"] = view.namespaces["web"]
    view.inodes["/run/netns/web"] = view.namespaces["web"].inode
    planner = Planner(state, state, view)
    assert planner.network("front") == []
    for name in ("web", "side", "job"):
        assert planner.endpoint(name) == [], name


@pytest.mark.parametrize("drift, expected", [
    (lambda v: v.links.update({"lnc-front": v.links["lnc-front"]._replace(mtu=9000)}), ["set_mtu"]),
    (lambda v: v.links.update({"lnc-front": v.links["lnc-front"]._replace(up=False)}), ["set_up"]),
    (lambda v: v.links.update({"lnc-front": v.links["lnc-front"]._replace(addresses=("172.20.0.9/24",))}),
     ["del_address", "add_address"]),  # old first: promote_secondaries is off by default
])
def test_network_drift_is_repaired(drift, expected):
    state = state_with()
    view = converged_view(state)
    drift(view)
    assert ops(Planner(state, state, view).network("front")) == expected


def test_foreign_interface_with_the_bridge_name_is_a_conflict():
    state = state_with()
    view = converged_view(state)
    view.links["lnc-front"] = view.links["lnc-front"]._replace(alias=None)
    with pytest.raises(Conflict, match="bridge: interface lnc-front exists and is not managed"):
        Planner(state, state, view).network("front")


def test_endpoint_drift_is_repaired():
    state = state_with({"name": "web", "network": "front"})
    view = converged_view(state)
    host = state.endpoints["web"].attachments[0].host_ifname
    view.links[host] = view.links[host]._replace(isolated=True, master=None)
    inner = view.namespaces["web"].links
    inner["eth0"] = inner["eth0"]._replace(mac="02:00:00:00:00:01", up=False)
    view.namespaces["web"] = view.namespaces["web"]._replace(default_gateway=None)
    assert ops(Planner(state, state, view).endpoint("web")) == ["set_port", "set_mac", "set_up", "set_default_route"]


def test_missing_peer_recreates_the_veth():
    state = state_with({"name": "web", "network": "front"})
    view = converged_view(state)
    del view.namespaces["web"].links["eth0"]
    assert ops(Planner(state, state, view).endpoint("web")) == ["delete_link", "create_veth", "add_address",
                                                                "set_default_route"]


def test_sharer_rejoins_a_recreated_target():
    state = state_with({"name": "web", "network": "front"}, {"name": "side", "mode": "container", "container": "web"})
    view = converged_view(state)
    view.namespaces["side"] = view.namespaces["web"]._replace(inode=555)
    view.inodes["/run/netns/web"] = view.namespaces["web"].inode
    assert ops(Planner(state, state, view).endpoint("side")) == ["remove_netns", "bind_netns"]


def test_removal_deletes_veths_and_name():
    state = state_with({"name": "web", "network": "front"})
    view = converged_view(state)
    after = state.copy()
    after.endpoints.pop("web")
    assert ops(Planner(state, after, view).endpoint("web")) == ["delete_link", "remove_netns"]


def test_files_hosts_list_peers_and_aliases_and_drop_loopback_resolvers():
    state = state_with({"name": "a", "networks": [{"name": "front", "aliases": ["api"]}]},
                       {"name": "b", "network": "front", "etc_hosts": {"db.example": "10.1.2.3"}},
                       {"name": "s", "mode": "container", "container": "b"})
    planner = Planner(State(), state, converged_view(state))
    files_b = planner.endpoint_files(state.endpoints["b"])
    assert "172.20.0.3\tb\n" in files_b["hosts"]
    assert "172.20.0.2\ta api\n" in files_b["hosts"]
    assert "10.1.2.3\tdb.example\n" in files_b["hosts"]
    assert "nameserver" not in files_b["resolv.conf"]
    assert "search lab.example" in files_b["resolv.conf"]
    assert planner.endpoint_files(state.endpoints["s"]) == files_b
    writes = [a.kwargs["path"] for a in planner.files()]
    assert "/etc/netns/s/hosts" in writes and "/etc/netns/a/resolv.conf" in writes


def test_the_joined_hosts_block_renders_what_the_walk_over_every_peer_renders():
    state = state_with({"name": "web", "network": "front"},
                       {"name": "db", "network": "front", "etc_hosts": {"backup": "10.0.0.9"}},
                       {"name": "api", "network": "front"})
    planner = Planner(state, state, converged_view(state))
    fast = {name: planner.endpoint_files(state.endpoints[name])["hosts"] for name in ("web", "db", "api")}
    walked = Planner(state, state, converged_view(state))
    walked.endpoint_files(state.endpoints["web"])
    walked._files._blocks["front"] = None   # pylint: disable=protected-access
    assert fast == {name: walked.endpoint_files(state.endpoints[name])["hosts"] for name in ("web", "db", "api")}
    assert fast["db"].endswith("\n172.20.0.3\tdb\n172.20.0.4\tapi\n172.20.0.2\tweb\n10.0.0.9\tbackup\n")
