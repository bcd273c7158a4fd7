# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container_network run that touches no endpoint reads the networks' part of the host alone (bridges, VXLAN
devices, the table without its published ports' elements): it still repairs what is its own, re-renders the
endpoints of a network it has to rebuild, and sweeps leftover bridges; leftover veths and the published ports'
elements are the endpoint and publish runs' to repair."""
import json

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
PUB = "linuxnet.containers.port_publish"
HOST = "198.51.100.1"
TABLE = ["inet", "linuxnet_containers"]
COUNT = 4
NETWORKS = [{"name": "front", "subnet": "172.20.0.0/24"}, {"name": "back", "subnet": "172.21.0.0/24"}]
ENDPOINTS = [{"name": "e%d" % i, "network": "front"} for i in range(COUNT)]
PUBLISHED = [{"endpoint": "e%d" % i, "ports": ["%d:80" % (8080 + i)]} for i in range(COUNT)]


def host_links(sandbox):
    return {link["ifname"]: link for link in json.loads(sandbox.run(["ip", "-d", "-j", "link"]).stdout)}


def elements(sandbox, name):
    listed = json.loads(sandbox.run(["nft", "-j", "list", "set" if name != "pub_any" else "map"] + TABLE
                                    + [name]).stdout)["nftables"]
    return [item for item in listed if "set" in item or "map" in item][0].popitem()[1].get("elem", [])


def networks(sandbox, **kwargs):
    return sandbox.module(NET, networks=NETWORKS, **kwargs)


def test_a_network_run_beside_endpoints_repairs_its_own_and_sweeps_leftover_bridges(sandbox):
    networks(sandbox)
    sandbox.module(EP, endpoints=ENDPOINTS)
    sandbox.module(PUB, endpoints=PUBLISHED)
    for i in range(COUNT):
        sandbox.serve("e%d" % i, "0.0.0.0", 80, name="e%d" % i)
    assert not networks(sandbox)["changed"]
    assert sandbox.request("lan", HOST, 8081) == "e1 198.51.100.2"

    # our leftovers (marked, their object in no record): the bridge goes now, the veth in an endpoints run
    sandbox.run(["ip", "link", "add", "lnc-gone", "type", "bridge"])
    sandbox.run(["ip", "link", "set", "lnc-gone", "alias", "linuxnet.containers network=gone"])
    sandbox.run(["ip", "link", "add", "lnv-left", "type", "veth", "peer", "name", "lnv-leftp"])
    sandbox.run(["ip", "link", "set", "lnv-left", "alias", "linuxnet.containers endpoint=ghost network=front"])
    checked = networks(sandbox, check=True)
    assert checked["actions"] == ["delete leftover bridge lnc-gone of network gone"]
    assert "lnc-gone" in host_links(sandbox)
    assert networks(sandbox)["actions"] == ["delete leftover bridge lnc-gone of network gone"]
    assert "lnc-gone" not in host_links(sandbox) and "lnv-left" in host_links(sandbox)
    assert sandbox.module(EP, endpoints=ENDPOINTS)["actions"] == ["delete leftover veth lnv-left of endpoint ghost"]
    assert "lnv-left" not in host_links(sandbox)

    # the bridge of a network without endpoints: made again, nothing else
    sandbox.run(["ip", "link", "del", "lnc-back"])
    assert networks(sandbox)["actions"] == ["create bridge lnc-back (mtu 1500) for network back",
                                            "add gateway 172.21.0.1/24 to lnc-back"]
    # the bridge of a network with endpoints: made again, and its endpoints attached to it again
    sandbox.run(["ip", "link", "del", "lnc-front"])
    assert sandbox.request("lan", HOST, 8081, timeout=1) is None
    rebuilt = networks(sandbox)["actions"]
    assert rebuilt[0] == "create bridge lnc-front (mtu 1500) for network front"
    attached = [action for action in rebuilt if action.startswith("attach ")]
    assert len(attached) == COUNT and all(action.endswith(" to lnc-front (isolated off)") for action in attached)
    assert {link.get("master") for name, link in host_links(sandbox).items() if name.startswith("lnv")} == {
        "lnc-front"}
    assert sandbox.request("lan", HOST, 8081) == "e1 198.51.100.2"

    # a chain flushed by hand: the table is rebuilt whole, published ports included
    sandbox.run(["nft", "flush", "chain"] + TABLE + ["nat_prerouting"])
    assert sandbox.request("lan", HOST, 8082, timeout=1) is None
    repaired = networks(sandbox)["actions"]
    assert len(repaired) == 1 and repaired[0].startswith("nftables: rebuild table inet linuxnet_containers")
    assert sandbox.request("lan", HOST, 8082) == "e2 198.51.100.2"

    # an element of a network's set deleted by hand: put back, element by element
    sandbox.run(["nft", "delete", "element"] + TABLE + ["subnets", "{ 172.21.0.0/24 }"])
    assert networks(sandbox)["actions"] == ["nftables: add subnet 172.21.0.0/24"]
    # a network's set emptied by hand: the whole table is compared, and the set filled again
    sandbox.run(["nft", "flush", "set"] + TABLE + ["bridges"])
    assert networks(sandbox)["actions"] == ["nftables: add bridge lnc-back; add bridge lnc-front"]
    assert sorted(elements(sandbox, "bridges")) == ["lnc-back", "lnc-front"]

    # a published port's element deleted by hand: a network run does not read them; a publish run repairs it
    sandbox.run(["nft", "delete", "element"] + TABLE + ["pub_any", "{ tcp . 8083 }"])
    assert not networks(sandbox)["changed"]
    assert sandbox.request("lan", HOST, 8083, timeout=1) is None
    assert sandbox.module(PUB, endpoints=PUBLISHED)["actions"] == [
        "nftables: add published port tcp *:8083 -> 172.20.0.5:80"]
    assert sandbox.request("lan", HOST, 8083) == "e3 198.51.100.2"
    assert len(elements(sandbox, "pub_any")) == COUNT
    assert not networks(sandbox)["changed"] and not networks(sandbox, check=True)["changed"]
