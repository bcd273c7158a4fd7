# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""container_network and netns_endpoint on a real kernel, proved with packets, inside sandbox hosts."""
import os
import time

import pytest
from harness import SYSTEM_PYTHON

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
ENDPOINTS = [
    {"name": "web", "networks": [{"name": "front", "aliases": ["www"]}]},
    {"name": "client", "network": "front"},
    {"name": "box", "mode": "none"},
    {"name": "hostbox", "mode": "host"},
    {"name": "side", "mode": "container", "container": "web"},
]


def inode(sandbox, path):
    return int(sandbox.run(["stat", "-L", "-c", "%i", path]).stdout)


def links(sandbox, netns):
    return {link["ifname"]: link for link in sandbox.ip(netns, "addr")}


def test_four_modes_check_idempotence_diff_and_clean_teardown(sandbox):
    pristine = sandbox.snapshot()
    checked = sandbox.module(NET, name="front", subnet="172.20.0.0/16", check=True, diff=True)
    assert checked["changed"] and checked["diff"]["before"]["networks"]["front"] is None
    assert sandbox.snapshot() == pristine, "check mode changed the host"
    created = sandbox.module(NET, name="front", subnet="172.20.0.0/16", diff=True)
    assert created["changed"] and created["network"]["bridge"] == "lnc-front"
    assert created["diff"]["after"]["networks"]["front"]["gateway"] == "172.20.0.1"
    assert created["sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert sandbox.run(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout.strip() == "1"
    assert not sandbox.module(NET, name="front", subnet="172.20.0.0/16")["changed"]
    assert not sandbox.module(NET, name="front", subnet="172.20.0.0/16", check=True)["changed"]

    before_endpoints = sandbox.snapshot()
    planned = sandbox.module(EP, endpoints=ENDPOINTS, check=True, diff=True)
    assert planned["changed"] and sandbox.snapshot() == before_endpoints
    result = sandbox.module(EP, endpoints=ENDPOINTS, diff=True)
    assert result["changed"]
    assert result["diff"]["before"]["endpoints"]["web"] is None
    assert result["diff"]["after"]["endpoints"]["web"]["interfaces"][0]["ipv4_address"] == "172.20.0.2"
    again = sandbox.module(EP, endpoints=ENDPOINTS)
    assert not again["changed"], again["actions"]
    assert not sandbox.module(EP, endpoints=ENDPOINTS, check=True)["changed"]
    by_name = {e["name"]: e for e in again["endpoints"]}

    # none: only lo, up
    assert list(links(sandbox, "box")) == ["lo"] and "UP" in links(sandbox, "box")["lo"]["flags"]
    assert sandbox.request("box", "172.20.0.1", 9) is None
    # bridge: eth0 with its address, MAC derived from it, default route via the gateway
    web = links(sandbox, "web")["eth0"]
    assert web["address"] == "02:42:ac:14:00:02"
    assert [a["local"] for a in web["addr_info"] if a["family"] == "inet"] == ["172.20.0.2"]
    assert sandbox.ip("web", "route", "show", "default")[0]["gateway"] == "172.20.0.1"
    # host: the host's namespace
    assert inode(sandbox, "/run/netns/hostbox") == inode(sandbox, "/proc/1/ns/net")
    assert "uplink0" in links(sandbox, "hostbox")
    # container: the same namespace, IP and MAC as its target; services meet on 127.0.0.1
    assert by_name["side"]["netns_inode"] == by_name["web"]["netns_inode"] == inode(sandbox, "/run/netns/web")
    assert links(sandbox, "side")["eth0"]["address"] == web["address"]
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    assert sandbox.request("side", "127.0.0.1", 80) == "web 127.0.0.1"
    # bridge peers reach each other by name (and alias) and reach the gateway
    assert sandbox.request("client", "web", 80) == "web 172.20.0.3"
    assert sandbox.request("client", "www", 80) == "web 172.20.0.3"
    sandbox.serve(None, "172.20.0.1", 81, name="host")
    assert sandbox.request("web", "172.20.0.1", 81) == "host 172.20.0.2"
    hosts = sandbox.run(["cat", "/etc/hosts"], netns="client").stdout
    assert "172.20.0.2\tweb www" in hosts
    assert sandbox.run(["cat", "/etc/netns/side/hosts"]).stdout == sandbox.run(["cat", "/etc/netns/web/hosts"]).stdout
    resolv = sandbox.run(["cat", "/etc/netns/client/resolv.conf"]).stdout
    assert "nameserver 198.51.100.53" in resolv and "search sandbox.test" in resolv

    # teardown leaves nothing behind but the sysctl the collection reported
    removed = sandbox.module(EP, state="absent", endpoints=[{"name": e["name"]} for e in ENDPOINTS])
    assert removed["changed"]
    before_removal = sandbox.snapshot()
    assert sandbox.module(NET, name="front", state="absent", check=True)["changed"]
    assert sandbox.snapshot() == before_removal
    assert sandbox.module(NET, name="front", state="absent")["changed"]
    assert not sandbox.module(NET, name="front", state="absent")["changed"]
    after = sandbox.snapshot()
    assert after["links"] == pristine["links"]
    assert after["netns"] == pristine["netns"] == ["lan"]
    assert after["nft"] == pristine["nft"] == ""
    assert set(after["files"]) <= {"/var/lib/linuxnet-containers/state.json"}


def test_masquerade_icc_isolation_and_internal(sandbox):
    sandbox.module(NET, networks=[
        {"name": "nat", "subnet": "172.21.0.0/24"},
        {"name": "plain", "subnet": "172.22.0.0/24", "masquerade": False},
        {"name": "quiet", "subnet": "172.23.0.0/24", "icc": False},
        {"name": "vault", "subnet": "172.24.0.0/24", "internal": True},
        {"name": "open1", "subnet": "172.25.0.0/24", "isolated": False},
        {"name": "open2", "subnet": "172.26.0.0/24", "isolated": False},
    ])
    sandbox.module(EP, endpoints=[
        {"name": "n1", "network": "nat"}, {"name": "p1", "network": "plain"},
        {"name": "q1", "network": "quiet"}, {"name": "q2", "network": "quiet"},
        {"name": "v1", "network": "vault"}, {"name": "v2", "network": "vault"},
        {"name": "o1", "network": "open1"}, {"name": "o2", "network": "open2"},
    ])
    sandbox.serve("lan", "0.0.0.0", 7000, name="lan")
    sandbox.serve(None, "0.0.0.0", 7001, name="host")
    for name in ("n1", "q2", "v2", "o2"):
        sandbox.serve(name, "0.0.0.0", 80, name=name)
    # masquerade: the LAN sees the host's address; without it, the endpoint's own
    assert sandbox.request("n1", "198.51.100.2", 7000) == "lan 198.51.100.1"
    assert sandbox.request("p1", "198.51.100.2", 7000) == "lan 172.22.0.2"
    # icc=false: no endpoint-to-endpoint, still endpoint-to-gateway; bridge ports are isolated
    assert sandbox.request("q1", "172.23.0.3", 80, timeout=1) is None
    assert sandbox.request("q1", "172.23.0.1", 7001) == "host 172.23.0.2"
    assert sandbox.run(["cat", "/sys/class/net/%s/brport/isolated" % sandbox.module(
        EP, name="q1", network="quiet")["endpoint"]["interfaces"][0]["host_ifname"]]).stdout.strip() == "1"
    # icc (default): peers talk
    assert sandbox.request("v1", "172.24.0.3", 80) == "v2 172.24.0.2"
    # isolated (default): networks cannot reach each other; two non-isolated ones can
    assert sandbox.request("n1", "172.26.0.2", 80, timeout=1) is None
    assert sandbox.request("o1", "172.26.0.2", 80) == "o2 172.25.0.2"
    # internal: its own endpoints and the host only
    assert sandbox.request("v1", "198.51.100.2", 7000, timeout=1) is None
    assert sandbox.request("v1", "172.24.0.1", 7001) == "host 172.24.0.2"
    assert sandbox.request("n1", "172.24.0.3", 80, timeout=1) is None
    # unpublished ports are not reachable from the LAN even with a route
    assert sandbox.request("lan", "172.21.0.2", 80, timeout=1) is None
    # with br_netfilter on (bridged frames cross the forward hook), icc and icc=false still hold
    if os.path.exists("/proc/sys/net/bridge/bridge-nf-call-iptables"):
        sandbox.run(["sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"])
        assert sandbox.request("v1", "172.24.0.3", 80) == "v2 172.24.0.2"
        assert sandbox.request("q1", "172.23.0.3", 80, timeout=1) is None


def test_in_place_changes_refusals_and_recreate(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    changed = sandbox.module(NET, name="front", subnet="172.20.0.0/24", mtu=1400, icc=False)
    assert changed["changed"]
    host_if = sandbox.module(EP, name="web", network="front")["endpoint"]["interfaces"][0]["host_ifname"]
    assert links(sandbox, None)["lnc-front"]["mtu"] == 1400
    assert links(sandbox, None)[host_if]["mtu"] == 1400 and links(sandbox, "web")["eth0"]["mtu"] == 1400
    snapshot = sandbox.snapshot()
    failed = sandbox.module(NET, name="front", subnet="172.30.0.0/24", expect_failure=True)
    assert "would renumber attached endpoints web" in failed["msg"]
    failed = sandbox.module(NET, name="front", state="absent", expect_failure=True)
    assert "still has endpoints attached: web" in failed["msg"]
    failed = sandbox.module(EP, name="web", mode="host", expect_failure=True)
    assert failed["msg"].startswith("mode:") and "recreate" in failed["msg"]
    assert sandbox.snapshot() == snapshot
    # none <-> bridge switches in place; own -> host needs recreate
    old_inode = inode(sandbox, "/run/netns/web")
    assert sandbox.module(EP, name="web", mode="none")["changed"]
    assert inode(sandbox, "/run/netns/web") == old_inode and list(links(sandbox, "web")) == ["lo"]
    sandbox.module(EP, name="web", mode="host", recreate=True)
    assert inode(sandbox, "/run/netns/web") == inode(sandbox, "/proc/1/ns/net")


@pytest.mark.parametrize("module, args, field, words", [
    (NET, {"name": "other", "subnet": "172.20.1.0/24"}, "subnet", "overlaps network front"),
    (NET, {"name": "other", "subnet": "172.31.0.0/16", "gateway": "172.30.0.1"}, "gateway", "not a usable address"),
    (NET, {"name": "other", "bridge": "bridge-name-too-long"}, "bridge", "1 to 15"),
    (NET, {"name": "other", "subnet": "172.31.0.0/33"}, "subnet", "not an IPv4 CIDR"),
    (EP, {"name": "x", "network": "front", "ipv4_address": "172.20.0.2"}, "ipv4_address", "used by endpoint web"),
    (EP, {"name": "x", "network": "front", "ipv4_address": "10.1.1.1"}, "ipv4_address", "outside subnet"),
    (EP, {"name": "x", "network": "nope"}, "network", "does not exist"),
    (EP, {"name": "x", "mode": "container", "container": "ghost"}, "container", "does not exist"),
    (EP, {"name": "x", "mode": "container", "container": "web", "network": "front"}, "network",
     "conflicting options"),
    (EP, {"name": "x", "networks": [{"name": "front", "ifname": "a-very-long-ifname"}]}, "networks[0].ifname",
     "1 to 15"),
])
def test_bad_input_fails_before_any_change(sandbox, module, args, field, words):
    sandbox.module(NET, name="front", subnet="172.20.0.0/16")
    sandbox.module(EP, name="web", network="front", ipv4_address="172.20.0.2")
    snapshot = sandbox.snapshot()
    failed = sandbox.module(module, expect_failure=True, **args)
    assert failed["msg"].startswith(field + ":") and words in failed["msg"], failed["msg"]
    assert sandbox.snapshot() == snapshot


def test_rejoin_adoption_exclusive_and_leftovers(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, endpoints=[{"name": "web", "network": "front"},
                                  {"name": "side", "mode": "container", "container": "web"}])
    # the target goes away: the sharer keeps the namespace with only lo
    sandbox.module(EP, name="web", state="absent")
    assert list(links(sandbox, "side")) == ["lo"]
    sandbox.module(EP, name="web", network="front")
    rejoin = sandbox.module(EP, name="side", mode="container", container="web")
    assert rejoin["changed"] and inode(sandbox, "/run/netns/side") == inode(sandbox, "/run/netns/web")
    assert links(sandbox, "side")["eth0"]["address"] == "02:42:ac:14:00:02"
    assert not sandbox.module(EP, name="side", mode="container", container="web")["changed"]

    # adopt the namespace of a running process (a runtime's container), then attach it
    sleeper = sandbox.spawn(["unshare", "--net", "sleep", "600"])
    pid = None
    for _attempt in range(100):
        out = sandbox.run(["pgrep", "-n", "-x", "sleep"], check=False).stdout.split()
        if out and inode(sandbox, "/proc/%s/ns/net" % out[0]) != inode(sandbox, "/proc/1/ns/net"):
            pid = int(out[0])
            break
    assert pid and sleeper.poll() is None
    adopted = sandbox.module(EP, name="job", pid=pid, network="front")
    assert adopted["changed"] and inode(sandbox, "/run/netns/job") == inode(sandbox, "/proc/%d/ns/net" % pid)
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    assert sandbox.request("job", "web", 80) == "web 172.20.0.3"
    assert not sandbox.module(EP, name="job", pid=pid, network="front")["changed"]

    # exclusive: only what the list names stays; foreign bridges and namespaces are untouched
    sandbox.run(["ip", "link", "add", "docker0", "type", "bridge"])
    sandbox.run(["ip", "netns", "add", "foreign"])
    kept = sandbox.module(EP, exclusive=True, endpoints=[{"name": "web", "network": "front"}])
    assert kept["changed"]
    assert sorted(sandbox.run(["ls", "/run/netns"]).stdout.split()) == ["foreign", "lan", "web"]
    assert "docker0" in links(sandbox, None)

    # a namespace deleted behind our back keeps its record: the next run that names it makes it again
    address = sandbox.ip("web", "addr", "show", "eth0")[0]
    sandbox.run(["ip", "netns", "del", "web"])
    again = sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    assert again["changed"] and "collected" not in again
    back = sandbox.ip("web", "addr", "show", "eth0")[0]
    assert (back["address"], back["addr_info"][0]["local"]) == (address["address"], address["addr_info"][0]["local"])
    assert os.path.exists("/proc/%d/root/etc/netns/web/hosts" % sandbox.pid)


def test_debians_python3(sandbox):
    """The modules under the distribution's interpreter (the adapter needs nothing beyond its standard library)."""
    sandbox.module(NET, name="front", python=SYSTEM_PYTHON)
    result = sandbox.module(EP, python=SYSTEM_PYTHON, endpoints=[
        {"name": "a", "network": "front"}, {"name": "b", "network": "front"}, {"name": "c", "mode": "none"},
        {"name": "s", "mode": "container", "container": "a"}])
    assert result["changed"]
    assert not sandbox.module(EP, python=SYSTEM_PYTHON, endpoints=[
        {"name": "a", "network": "front"}, {"name": "b", "network": "front"}, {"name": "c", "mode": "none"},
        {"name": "s", "mode": "container", "container": "a"}])["changed"]
    sandbox.serve("a", "0.0.0.0", 80, name="a")
    assert sandbox.request("b", "a", 80) == "a 172.17.0.3"
    assert sandbox.request("s", "127.0.0.1", 80) == "a 127.0.0.1"


def test_foreign_forward_drop_policy_is_reported_in_check_mode_too(sandbox):
    sandbox.run(["nft", "-f", "-"], input="table ip filter {\n chain FORWARD {\n  type filter hook forward priority 0; "
                                          "policy drop;\n }\n}\n")
    checked = sandbox.module(NET, name="front", check=True)
    assert any("ip filter FORWARD drops forwarded traffic" in w for w in checked.get("warnings", []))
    result = sandbox.module(NET, name="front")
    assert any("ip filter FORWARD" in w for w in result.get("warnings", []))
    assert "policy drop" in sandbox.run(["nft", "list", "table", "ip", "filter"]).stdout


def test_opt_in_accept_rules_in_a_foreign_drop_policy_chain(sandbox):
    sandbox.run(["nft", "-f", "-"], input="table ip filter {\n chain FORWARD {\n  type filter hook forward priority 0; "
                                          "policy drop;\n }\n}\n")
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    sandbox.serve("lan", "0.0.0.0", 7000, name="lan")
    assert sandbox.request("web", "198.51.100.2", 7000, timeout=1) is None
    opted = sandbox.module(NET, name="front", subnet="172.20.0.0/24", accept_in_foreign_firewalls=True)
    assert opted["changed"] and not opted.get("warnings")
    assert sandbox.request("web", "198.51.100.2", 7000) == "lan 198.51.100.1"
    assert not sandbox.module(NET, name="front", subnet="172.20.0.0/24", accept_in_foreign_firewalls=True)["changed"]
    assert sandbox.run(["nft", "list", "chain", "ip", "filter", "FORWARD"]).stdout.count("linuxnet.containers") == 2
    sandbox.module(EP, name="web", state="absent")
    sandbox.module(NET, name="front", state="absent")
    foreign = sandbox.run(["nft", "list", "table", "ip", "filter"]).stdout
    assert "linuxnet.containers" not in foreign and "policy drop" in foreign


def test_a_running_workload_sees_peers_that_join_later(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    # a long-running workload keeps the hosts file ip netns exec mounted when it started
    sandbox.spawn(["sh", "-c", "while :; do cat /etc/hosts > /run/hosts-seen-by-web; sleep 0.2; done"], netns="web")
    sandbox.module(EP, name="db", network="front")
    for _attempt in range(50):
        seen = sandbox.run(["cat", "/run/hosts-seen-by-web"], check=False).stdout
        if "172.20.0.3\tdb" in seen:
            break
        time.sleep(0.1)
    assert "172.20.0.3\tdb" in seen
