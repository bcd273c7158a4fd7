# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""driver: overlay with real packets across three sandbox hosts joined by an underlay (tests/integration/fabric.py).

Ansible reaches each host as its own inventory host through community.docker.nsenter. One fabric serves the
whole module test (building it costs seconds); the steps run in order on it.
"""
import json
import os
import time

import pytest
from fabric import INTERNET_ADDRESS, SWITCH_ADDRESS, Fabric, underlay_address
from harness import TOOLS, VENV_PYTHON

NET = "ov"
SUBNET = "10.77.0.0/24"
SLICES = ["10.77.0.64/26", "10.77.0.128/26", "10.77.0.192/26"]
ADDRESSES = ["10.77.0.65", "10.77.0.129", "10.77.0.193"]


def network_task(index, count=3, **extra):
    peers = [underlay_address(i) for i in range(count) if i != index]
    args = dict(name=NET, driver="overlay", subnet=SUBNET, ip_range=SLICES[index], peers=peers,
                peer_slices=[s for i, s in enumerate(SLICES[:count]) if i != index])
    args.update(extra)
    return args


def play(tasks_for):
    """One play per host, so each host gets its own arguments."""
    return [{"hosts": name, "gather_facts": False, "tasks": tasks_for(index)}
            for index, name in enumerate(["host1", "host2", "host3"])]


def converge_tasks(index, count=3, remote=True):
    remote_endpoints = [{"name": "web%d" % (i + 1), "address": ADDRESSES[i]} for i in range(count) if i != index]
    return [
        {"name": "network", "linuxnet.containers.container_network": network_task(
            index, count, **({"remote_endpoints": remote_endpoints} if remote else {}))},
        {"name": "endpoint", "linuxnet.containers.netns_endpoint": {
            "name": "web%d" % (index + 1), "network": NET}},
        {"name": "publish", "linuxnet.containers.port_publish": {
            "endpoint": "web%d" % (index + 1), "ports": ["8%d80:8080" % (index + 1)]}},
    ]


def by_host(results, task):
    return {r["host"]: r for r in results if r["task"] == task}


@pytest.fixture(scope="module")
def fabric():
    with Fabric(3) as built:
        yield built


def fdb(host, vni):
    out = host.run(["bridge", "-j", "fdb", "show", "dev", "vx-%d" % vni]).stdout
    entries = json.loads(out or "[]")
    return sorted(e["dst"] for e in entries if e.get("mac") == "00:00:00:00:00:00" and "dst" in e)


def test_overlay_across_three_hosts(fabric):
    # converge: network with its peers and slices, one endpoint per host, a published port per host
    results = fabric.playbook(play(converge_tasks))
    networks = by_host(results, "network")
    assert all(r["status"] == "changed" for r in networks.values()), networks
    first = networks["host1"]["result"]["network"]
    assert first["driver"] == "overlay" and first["local_address"] == underlay_address(0)
    assert first["peers"] == [underlay_address(1), underlay_address(2)] and first["mtu"] == 1450
    vni = first["vni"]
    assert {r["result"]["network"]["vni"] for r in networks.values()} == {vni}
    endpoints = by_host(results, "endpoint")
    assert [endpoints["host%d" % (i + 1)]["result"]["endpoint"]["interfaces"][0]["ipv4_address"]
            for i in range(3)] == ADDRESSES
    hosts = fabric.hosts
    # the same bridge MAC everywhere, a VXLAN port with the peers' flood entries
    macs = {host.ip(None, "link", "show", first["bridge"])[0]["address"] for host in hosts}
    assert len(macs) == 1
    for index, host in enumerate(hosts):
        assert fdb(host, vni) == sorted(underlay_address(i) for i in range(3) if i != index)
        vx = host.ip(None, "-d", "link", "show", "vx-%d" % vni)[0]
        assert vx["master"] == first["bridge"] and vx["mtu"] == 1450
        assert vx["linkinfo"]["info_data"].get("learning") is False
    # endpoints on different hosts reach each other by address and by name
    hosts[1].serve("web2", ADDRESSES[1], 7000)
    hosts[2].serve("web3", ADDRESSES[2], 7000)
    assert hosts[0].request("web1", ADDRESSES[1], 7000) == "web2 %s" % ADDRESSES[0]
    assert hosts[0].request("web1", "web3", 7000) == "web3 %s" % ADDRESSES[0]
    assert hosts[1].request("web2", "web3", 7000) == "web3 %s" % ADDRESSES[1]
    # 1400 bytes with DF set cross the overlay
    hosts[2].spawn([VENV_PYTHON, os.path.join(TOOLS, "df_probe.py"), "serve", ADDRESSES[2], 7001], netns="web3")
    probe = _retry(lambda: hosts[0].run([VENV_PYTHON, os.path.join(TOOLS, "df_probe.py"), ADDRESSES[2], 7001, 1400],
                                        netns="web1", check=False))
    assert probe.returncode == 0 and probe.stdout.strip() == "1400", probe.stderr
    # outbound from each host is masqueraded as that host's underlay address
    fabric.switch.serve(None, INTERNET_ADDRESS, 9000, name="internet")
    for index, host in enumerate(hosts):
        assert host.request("web%d" % (index + 1), INTERNET_ADDRESS, 9000) == "internet %s" % underlay_address(index)
    # a port published on one host answers a client on the underlay
    hosts[1].serve("web2", ADDRESSES[1], 8080)
    assert fabric.switch.request(None, underlay_address(1), 8280) == "web2 %s" % SWITCH_ADDRESS
    # the gateway answers locally only: no ARP for it crosses the overlay
    ruleset = hosts[0].run(["nft", "list", "table", "bridge", "linuxnet_overlay"]).stdout
    assert "vx-%d" % vni in ruleset

    # a second run changes nothing on any host; check mode neither
    before = [host.snapshot() for host in hosts]
    again = fabric.playbook(play(converge_tasks))
    assert [r for r in again if r["status"] != "ok"] == []
    fabric.playbook(play(converge_tasks), check=True)
    assert [host.snapshot() for host in hosts] == before

    # bad input is refused before any change
    def refused(index, task):
        out = fabric.playbook([{"hosts": "host%d" % (index + 1), "gather_facts": False, "tasks": [dict(
            task, name="bad", ignore_errors=True)]}])
        assert out[-1]["status"] == "failed", out
        return out[-1]["result"]["msg"]

    assert "another host's slice" in refused(0, {"linuxnet.containers.netns_endpoint": {
        "name": "intruder", "network": NET, "ipv4_address": "10.77.0.140"}})
    assert "overlaps" in refused(0, {"linuxnet.containers.container_network": dict(
        network_task(0), ip_range="10.77.0.128/25")})
    assert "not an address of this host" in refused(0, {"linuxnet.containers.container_network": dict(
        network_task(0), local_address="192.0.2.99")})
    assert "already used by network" in refused(0, {"linuxnet.containers.container_network": {
        "name": "other", "driver": "overlay", "subnet": "10.78.0.0/24", "vni": vni}})
    assert [host.snapshot() for host in hosts] == before

    # host3 leaves: the others' FDBs and hosts files forget it, their endpoints are untouched
    results = fabric.playbook(play(lambda index: converge_tasks(index, count=2)), limit="host1,host2")
    for index in range(2):
        assert fdb(hosts[index], vni) == [underlay_address(1 - index)]
        hosts_file = hosts[index].run(["cat", "/etc/netns/web%d/hosts" % (index + 1)]).stdout
        assert "web3" not in hosts_file and "web%d" % (2 - index) in hosts_file
    actions = [a for r in by_host(results, "network").values() for a in r["result"]["actions"]]
    assert actions and all("peer" in a or "hosts" in a for a in actions), actions

    # teardown leaves nothing on any host
    teardown = [
        {"linuxnet.containers.netns_endpoint": {"endpoints": [], "exclusive": True}},
        {"linuxnet.containers.container_network": {"networks": [], "exclusive": True}},
    ]
    fabric.playbook([{"hosts": "all", "gather_facts": False, "tasks": teardown}])
    for host in hosts:
        snap = host.snapshot()
        assert not [link for link in snap["links"] if link["kind"] in ("vxlan", "bridge") or
                    (link["alias"] or "").startswith("linuxnet")], snap["links"]
        assert snap["netns"] == ["lan"]
        assert "linuxnet" not in snap["nft"]
        assert [path for path in snap["files"] if not path.endswith("state.json")] == []


def _retry(call, attempts=20):
    for _attempt in range(attempts):
        result = call()
        if result.returncode == 0:
            return result
        time.sleep(0.1)
    return result


def test_fabric_hosts_are_isolated_sandboxes(fabric):
    pids = {host.pid for host in fabric.hosts}
    assert len(pids) == 3
    routes = [json.dumps(host.ip(None, "route", "show", "default")) for host in fabric.hosts]
    assert all(SWITCH_ADDRESS in route for route in routes)


ROLE_PLAY = [{"hosts": "overlay_hosts", "gather_facts": False,
              "roles": [{"role": "linuxnet.containers.container_networking"}]}]


def role_inventory(fabric, members, absent=()):
    """One overlay network for the group (as group_vars would hold it), one endpoint per host."""
    inventory = fabric.inventory(hostvars={name: {
        "container_networking_endpoints": [{"name": "app%d" % (index + 1), "network": "shared"}],
        "container_networking_state": "absent" if name in absent else "present",
    } for index, name in enumerate(fabric.names)})
    group = inventory["all"]["children"]["overlay_hosts"]
    group["hosts"] = {name: group["hosts"][name] for name in members}
    group["vars"] = {
        "container_networking_overlay_group": "overlay_hosts",
        "container_networking_install_prerequisites": False,
        "container_networking_networks": [{"name": "shared", "driver": "overlay", "subnet": "10.88.0.0/24"}],
    }
    return inventory


def test_role_spans_the_group(fabric):
    hosts = fabric.hosts
    results = fabric.playbook(ROLE_PLAY, inventory=role_inventory(fabric, fabric.names))
    infos = {r["host"]: r["result"] for r in results if r["task"].endswith("for the other hosts of the overlay group")}
    assert set(infos) == set(fabric.names)
    slices = set()
    for index, name in enumerate(fabric.names):
        network = next(n for n in infos[name]["networks"] if n["name"] == "shared")
        assert network["local_address"] == underlay_address(index) and network["vni"]
        slices.add(network["ip_range"])
    assert slices == {"10.88.0.32/27", "10.88.0.64/27", "10.88.0.96/27"}
    # endpoints on every host resolve each other by name; the facts know the remote endpoints
    hosts[2].serve("app3", "0.0.0.0", 7100, name="app3")
    assert (hosts[0].request("app1", "app3", 7100) or "").startswith("app3 10.88.0.")
    info = hosts[0].run(["cat", "/etc/netns/app1/hosts"]).stdout
    assert "app2" in info and "app3" in info
    again = fabric.playbook(ROLE_PLAY, inventory=role_inventory(fabric, fabric.names))
    assert [r["task"] for r in again if r["status"] == "changed"] == []
    # host3 leaves the group: the others forget it on the next run
    fabric.playbook(ROLE_PLAY, inventory=role_inventory(fabric, fabric.names[:2]))
    vni = next(n for n in infos["host1"]["networks"] if n["name"] == "shared")["vni"]
    for index in range(2):
        assert fdb(hosts[index], vni) == [underlay_address(1 - index)]
        assert "app3" not in hosts[index].run(["cat", "/etc/netns/app%d/hosts" % (index + 1)]).stdout
    # state absent on host2 removes only its part
    fabric.playbook(ROLE_PLAY, inventory=role_inventory(fabric, fabric.names[:2], absent=("host2",)))
    assert not [l for l in hosts[1].ip(None, "link") if l["ifname"].startswith("vx-")]
    assert fdb(hosts[0], vni) == []
    assert "app2" not in hosts[0].run(["cat", "/etc/netns/app1/hosts"]).stdout
