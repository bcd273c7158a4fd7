# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""driver: overlay: input, resolution, the planner's VXLAN part and the bridge-family ARP guard."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _nft_overlay as nft_overlay
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._overlay import (
    default_vni,
    overlay_mac,
    vxlan_ifname,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import Link
from ansible_collections.linuxnet.containers.plugins.module_utils._plan import Action, HostView, Planner, bridge_mark
from ansible_collections.linuxnet.containers.plugins.module_utils._plan_overlay import VxlanView, network_actions
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import endpoint_spec, network_spec

UNDERLAY = ("192.0.2.11", {"192.0.2.11": 1500, "127.0.0.1": 65536})
BASE = {"name": "ov", "driver": "overlay", "subnet": "10.7.0.0/24", "ip_range": "10.7.0.64/26",
        "peers": ["192.0.2.13", "192.0.2.12"], "peer_slices": ["10.7.0.128/26"]}


def networks(state, *items):
    return resolve_networks(state, [network_spec(i) for i in items], False, [], {}, underlay=lambda: UNDERLAY).state


def test_defaults_vni_from_name_local_from_default_route_mtu_from_underlay():
    net = networks(State(), BASE).networks["ov"]
    assert net.vni == default_vni("ov") and 1 <= net.vni < 1 << 24
    assert net.local_address == "192.0.2.11" and net.mtu == 1450
    assert net.peers == ("192.0.2.12", "192.0.2.13")
    assert networks(State(), dict(BASE, mtu=1400)).networks["ov"].mtu == 1400


def test_left_out_options_are_kept_and_peers_change_in_place():
    state = networks(State(), BASE)
    again = networks(state, {"name": "ov", "driver": "overlay", "peers": ["192.0.2.12"]}).networks["ov"]
    assert again.peers == ("192.0.2.12",) and again.vni == state.networks["ov"].vni and again.overlay


def test_mac_depends_on_the_network_name_only():
    assert overlay_mac("ov") == overlay_mac("ov") != overlay_mac("other")
    assert overlay_mac("ov").startswith("02:")


@pytest.mark.parametrize("item, match", [
    (dict(BASE, driver="vlan"), "driver: 'vlan' is not a driver"),
    ({"name": "b", "driver": "bridge", "vni": 5}, "vni: only used with driver: overlay"),
    (dict(BASE, vni=0), "vni: 0 is outside"),
    (dict(BASE, peers=["192.0.2.12", "192.0.2.12"]), "peers: a peer is listed twice"),
])
def test_input_refused(item, match):
    with pytest.raises(InvalidOption, match=match):
        network_spec(item)


@pytest.mark.parametrize("item, match", [
    (dict(BASE, local_address="192.0.2.99"), "local_address: 192.0.2.99 is not an address of this host"),
    (dict(BASE, peers=["192.0.2.11"]), "peers: 192.0.2.11 is this host's own local_address"),
    (dict(BASE, ip_range="10.7.0.128/25"), "ip_range: 10.7.0.128/25 overlaps 10.7.0.128/26"),
    (dict(BASE, peer_slices=["10.7.0.128/26", "10.7.0.160/27"]), "peer_slices: 10.7.0.160/27 overlaps"),
    (dict(BASE, ip_range=None), "ip_range: other hosts have slices"),
    ({"name": "ov", "driver": "overlay"}, "subnet: an overlay network needs its subnet"),
    ({"name": "b", "vni": 5}, "vni: only used with driver: overlay"),
])
def test_resolution_refused(item, match):
    with pytest.raises(InvalidOption, match=match):
        networks(State(), item)


def test_vni_used_by_another_network_is_refused():
    state = networks(State(), BASE)
    with pytest.raises(InvalidOption, match="vni: VNI %d is already used by network ov" % default_vni("ov")):
        networks(state, {"name": "x", "driver": "overlay", "subnet": "10.8.0.0/24", "vni": default_vni("ov")})


def test_static_address_in_another_hosts_slice_or_of_a_remote_endpoint_is_refused():
    state = networks(State(), dict(BASE, remote_endpoints=[{"name": "far", "address": "10.7.0.200"}]))
    for address, match in (("10.7.0.130", "another host's slice"), ("10.7.0.200", "endpoint far on another host")):
        with pytest.raises(InvalidOption, match=match):
            resolve_endpoints(state, [endpoint_spec({"name": "e", "network": "ov", "ipv4_address": address})],
                              False, lambda path: False, {})
    ok = resolve_endpoints(state, [endpoint_spec({"name": "e", "network": "ov"})], False, lambda p: False, {}).state
    assert ok.endpoints["e"].attachments[0].ipv4_address == "10.7.0.65"
    with pytest.raises(Conflict, match="endpoint e has 10.7.0.65, which is in another host's slice"):
        networks(ok, {"name": "ov", "subnet": "10.7.0.0/24", "ip_range": "10.7.0.128/26", "peer_slices": ["10.7.0.64/26"]})


def _link(name, kind, **extra):
    values = dict(ifname=name, index=1, kind=kind, mtu=1450, mac="02:00:00:00:00:01", up=True, alias=None,
                  master=None, addresses=(), isolated=None)
    values.update(extra)
    return Link(**values)


def test_planner_creates_the_vxlan_then_keeps_the_fdb_in_step_with_peers():
    state = networks(State(), BASE)
    net = state.networks["ov"]
    vx = vxlan_ifname(net.vni)
    view = HostView(host_inode=1, links={}, namespaces={}, inodes={}, files={})
    ops = [a.op for a in network_actions(Planner(State(), state, view), "ov")]
    assert ops == ["create_bridge", "add_address", "set_mac", "create_vxlan", "fdb_add", "fdb_add"]
    links = {net.bridge: _link(net.bridge, "bridge", mac=overlay_mac("ov"), alias=bridge_mark("ov"),
                               addresses=("10.7.0.1/24",)),
             vx: _link(vx, "vxlan", master=net.bridge, alias=bridge_mark("ov"), isolated=False, hairpin=False)}
    vxlans = {vx: VxlanView(vni=net.vni, local="192.0.2.11", port=4789, learning=False,
                            peers=("192.0.2.12", "192.0.2.14"))}
    view = HostView(host_inode=1, links=links, namespaces={}, inodes={}, files={}, vxlans=vxlans)
    actions = network_actions(Planner(state, state, view), "ov")
    assert [(a.op, a.kwargs.get("peer")) for a in actions] == [("fdb_del", "192.0.2.14"), ("fdb_add", "192.0.2.13")]
    removed = network_actions(Planner(state, State(), view), "ov")
    assert [a.kwargs["ifname"] for a in removed if a.op == "delete_link"] == [net.bridge, vx]
    assert isinstance(actions[0], Action)


def test_arp_guard_table_created_changed_by_element_and_deleted():
    changes, script, _before, after = nft_overlay.changes({"nftables": []}, [("vx-1", "10.7.0.1")])
    assert changes == ["create table bridge linuxnet_overlay"] and '"vx-1" . 10.7.0.1' in script
    assert after == {"overlay_guard": [["vx-1", "10.7.0.1"]]}
    ruleset = {"nftables": [{"table": {"family": "bridge", "name": "linuxnet_overlay"}},
                            {"set": {"family": "bridge", "table": "linuxnet_overlay", "name": "guarded",
                                     "elem": [{"concat": ["vx-1", "10.7.0.1"]}]}}]
               + [{"chain": {"family": "bridge", "table": "linuxnet_overlay", "name": c, "hook": h,
                             "policy": "accept"}} for c, h, _port in nft_overlay.CHAINS]
               + [{"rule": {"family": "bridge", "table": "linuxnet_overlay", "chain": c}}
                  for c, _hook, _port in nft_overlay.CHAINS for _copy in range(2)]}
    assert nft_overlay.changes(ruleset, [("vx-1", "10.7.0.1")])[:2] == ([], "")
    changes, script, _before, _after = nft_overlay.changes(ruleset, [("vx-2", "10.8.0.1")])
    assert script == ('delete element bridge linuxnet_overlay guarded { "vx-1" . 10.7.0.1 }\n'
                      'add element bridge linuxnet_overlay guarded { "vx-2" . 10.8.0.1 }\n')
    assert nft_overlay.changes(ruleset, [])[1] == "delete table bridge linuxnet_overlay\n"
    ruleset["nftables"].pop()
    assert nft_overlay.changes(ruleset, [("vx-1", "10.7.0.1")])[0] == [
        "replace the edited table bridge linuxnet_overlay"]
