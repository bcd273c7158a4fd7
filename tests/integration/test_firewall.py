# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables adapter on a real kernel, inside sandbox hosts, proved with real packets.

Bridges, veths and namespaces are made by hand with `ip` (as the engine would), the sysctls the engine
owns (ip_forward, per-bridge route_localnet, hairpin and isolated bridge ports) are set by hand, and the
adapter runs inside the sandbox through tools/firewall_driver.py.
"""
import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from harness import COLLECTIONS, TOOLS, VENV_PYTHON

HOST = "198.51.100.1"
LAN, LAN2 = "198.51.100.2", "198.51.100.3"
TABLE = ("inet", "linuxnet_containers")
DRIVER = os.path.join(TOOLS, "firewall_driver.py")


def network(name, subnet, masquerade=True, icc=True, internal=False, isolated=True):
    prefix = subnet.rsplit(".", 1)[0]
    return {"name": name, "bridge": "lnc-" + name, "subnet": subnet, "gateway": prefix + ".1",
            "masquerade": masquerade, "icc": icc, "internal": internal, "isolated": isolated}


def publish(endpoint, host_port, container_ip, container_port=80, protocol="tcp", host_ip=None, bridge="lnc-front",
            allowed_sources=()):
    return {"endpoint": endpoint, "protocol": protocol, "host_ip": host_ip, "host_port": host_port,
            "container_ip": container_ip, "container_port": container_port, "bridge": bridge,
            "allowed_sources": list(allowed_sources)}


def batch(sandbox, commands):
    """Runs argv lists inside the sandbox in one process, stopping at the first failure."""
    script = ("import json,subprocess,sys\n"
              "for argv in json.load(sys.stdin): subprocess.run(argv, check=True)\n")
    sandbox.run([VENV_PYTHON, "-c", script], input=json.dumps(commands))


def build(sandbox, networks, endpoints, br_netfilter=True, isolate_ports=()):
    """Bridges with their gateways, one namespace per endpoint (name, network, address) on a hairpin port."""
    commands = [["sysctl", "-qw", "net.ipv4.ip_forward=1",
                 "net.bridge.bridge-nf-call-iptables=%d" % int(br_netfilter)]]
    for net in networks:
        bridge, length = net["bridge"], net["subnet"].split("/")[1]
        commands += [["ip", "link", "add", bridge, "type", "bridge"],
                     ["ip", "addr", "add", "%s/%s" % (net["gateway"], length), "dev", bridge],
                     ["ip", "link", "set", bridge, "up"]]
    by_name = {net["name"]: net for net in networks}
    for name, net_name, address in endpoints:
        net = by_name[net_name]
        port = "ve-" + name
        commands += [["ip", "netns", "add", name],
                     ["ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", name],
                     ["ip", "link", "set", port, "master", net["bridge"], "up"],
                     ["bridge", "link", "set", "dev", port, "hairpin", "on"]
                     + (["isolated", "on"] if net_name in isolate_ports else []),
                     ["ip", "-n", name, "link", "set", "lo", "up"],
                     ["ip", "-n", name, "addr", "add", "%s/%s" % (address, net["subnet"].split("/")[1]), "dev", "eth0"],
                     ["ip", "-n", name, "link", "set", "eth0", "up"],
                     ["ip", "-n", name, "route", "add", "default", "via", net["gateway"]]]
    batch(sandbox, commands)


def driver(sandbox, command, state=None, *args, expect_error=False):
    proc = sandbox.run([VENV_PYTHON, DRIVER, command] + list(args), check=False,
                       input=json.dumps(state) if state is not None else None,
                       env=dict(os.environ, PYTHONPATH=COLLECTIONS))
    result = json.loads(proc.stdout) if proc.stdout.strip() else {}
    if expect_error:
        assert proc.returncode == 1 and "error" in result, proc.stderr
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return result


def apply(sandbox, networks=(), publishes=(), foreign_accept=()):
    return driver(sandbox, "apply", {"networks": list(networks), "publishes": list(publishes),
                                     "foreign_accept": list(foreign_accept)})


def plan(sandbox, networks=(), publishes=(), foreign_accept=()):
    return driver(sandbox, "plan", {"networks": list(networks), "publishes": list(publishes),
                                    "foreign_accept": list(foreign_accept)})


def probe(sandbox, cases, timeout=1):
    """Many requests at once (a blocked path costs its whole timeout): {label: reply or None}."""
    def one(case):
        netns, ip, port = case[:3]
        options = case[3] if len(case) > 3 else {}
        return sandbox.request(netns, ip, port, timeout=timeout, **options)

    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        return dict(zip(cases, pool.map(one, cases.values())))


def foreign_ruleset(sandbox):
    """Every ruleset object outside our table, as nft shows it."""
    foreign = []
    for item in json.loads(sandbox.run(["nft", "-s", "-j", "list", "ruleset"]).stdout)["nftables"]:
        kind, body = next(iter(item.items()))
        if kind != "metainfo" and (body["family"], body["name" if kind == "table" else "table"]) != TABLE:
            foreign.append(item)
    return foreign


def table_text(sandbox):
    return sandbox.run(["nft", "-s", "list", "table"] + list(TABLE)).stdout


def serve_everywhere(sandbox, names, port=80, protos=("tcp",)):
    for name in names:
        for proto in protos:
            sandbox.serve(name, "0.0.0.0", port, proto=proto, name=name)


# ---------------------------------------------------------------------------------------------
FRONT = network("front", "172.20.0.0/24")
SOLO = network("solo", "172.21.0.0/24", icc=False)
PLAIN = network("plain", "172.22.0.0/24", masquerade=False, isolated=False)
OPEN = network("open", "172.23.0.0/24", isolated=False)
VAULT = network("vault", "172.24.0.0/24", internal=True)
POLICY_ENDPOINTS = [("web", "front", "172.20.0.2"), ("peer", "front", "172.20.0.3"),
                    ("s1", "solo", "172.21.0.2"), ("s2", "solo", "172.21.0.3"),
                    ("p1", "plain", "172.22.0.2"), ("o1", "open", "172.23.0.2"),
                    ("v1", "vault", "172.24.0.2"), ("v2", "vault", "172.24.0.3")]


@pytest.mark.parametrize("br_netfilter", [True, False], ids=["br_netfilter", "no_br_netfilter"])
def test_network_options_with_real_packets(sandbox, br_netfilter):
    """masquerade, icc, isolated and internal; unsolicited inbound is dropped. Without br_netfilter, icc=false
    rests on the bridge ports' isolated flag (the engine sets it); with it, on our rule alone."""
    networks = [FRONT, SOLO, PLAIN, OPEN, VAULT]
    build(sandbox, networks, POLICY_ENDPOINTS, br_netfilter=br_netfilter,
          isolate_ports=() if br_netfilter else ("solo",))
    assert sandbox.run(["sysctl", "-n", "net.bridge.bridge-nf-call-iptables"]).stdout.strip() == str(int(br_netfilter))
    serve_everywhere(sandbox, [name for name, _net, _ip in POLICY_ENDPOINTS] + ["lan"], protos=("tcp", "udp"))
    sandbox.serve(None, "0.0.0.0", 7001, name="host")
    apply(sandbox, networks, [publish("s1", 8090, "172.21.0.2", bridge="lnc-solo"),
                              publish("v1", 8091, "172.24.0.2", bridge="lnc-vault")])
    got = probe(sandbox, {
        # masquerade: the LAN sees the host; without it, the endpoint's own address
        "web->lan": ("web", LAN, 80), "web->lan udp": ("web", LAN, 80, {"proto": "udp"}),
        "p1->lan": ("p1", LAN, 80),
        # icc on: endpoints of one network reach each other; icc off: they do not, but reach the host
        "web->peer": ("web", "172.20.0.3", 80), "s1->s2": ("s1", "172.21.0.3", 80),
        "s2->s1 udp": ("s2", "172.21.0.2", 80, {"proto": "udp"}), "s1->gateway": ("s1", "172.21.0.1", 7001),
        # isolated (default): no traffic with other networks; two non-isolated networks route to each other
        "web->s1": ("web", "172.21.0.2", 80), "s1->web": ("s1", "172.20.0.2", 80),
        "web->p1": ("web", "172.22.0.2", 80), "p1->web": ("p1", "172.20.0.2", 80),
        "p1->o1": ("p1", "172.23.0.2", 80), "o1->p1": ("o1", "172.22.0.2", 80),
        # internal: only itself and the host
        "v1->v2": ("v1", "172.24.0.3", 80), "v1->lan": ("v1", LAN, 80), "v1->gateway": ("v1", "172.24.0.1", 7001),
        "v1->p1": ("v1", "172.22.0.2", 80), "p1->v1": ("p1", "172.24.0.2", 80), "lan->v1": ("lan", "172.24.0.2", 80),
        # unsolicited inbound to a bridge is dropped, masquerading or not; the host reaches its networks
        "lan->web": ("lan", "172.20.0.2", 80), "lan->p1": ("lan", "172.22.0.2", 80),
        "lan->p1 udp": ("lan", "172.22.0.2", 80, {"proto": "udp"}), "host->web": (None, "172.20.0.2", 80),
        "web->gateway": ("web", "172.20.0.1", 7001),
        # published ports: icc off still lets s2 use s1's published port; nothing reaches into or out of internal
        "s2->s1 published": ("s2", HOST, 8090), "lan->s1 published": ("lan", HOST, 8090),
        "lan->v1 published": ("lan", HOST, 8091), "v1->s1 published": ("v1", HOST, 8090),
    })
    assert got == {
        "web->lan": "lan " + HOST, "web->lan udp": "lan " + HOST, "p1->lan": "lan 172.22.0.2",
        "web->peer": "peer 172.20.0.2", "s1->s2": None, "s2->s1 udp": None, "s1->gateway": "host 172.21.0.2",
        "web->s1": None, "s1->web": None, "web->p1": None, "p1->web": None,
        "p1->o1": "o1 172.22.0.2", "o1->p1": "p1 172.23.0.2",
        "v1->v2": "v2 172.24.0.2", "v1->lan": None, "v1->gateway": "host 172.24.0.2", "v1->p1": None,
        "p1->v1": None, "lan->v1": None,
        "lan->web": None, "lan->p1": None, "lan->p1 udp": None, "host->web": "web 172.20.0.1",
        "web->gateway": "host 172.20.0.2",
        "s2->s1 published": "s1 172.21.0.1", "lan->s1 published": "s1 " + LAN,
        "lan->v1 published": None, "v1->s1 published": None,
    }


def route_loopback_away(sandbox, netns, via):
    """Make `netns` send 127.0.0.0/8 to `via`, as a hostile neighbour would."""
    batch(sandbox, [["ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1",
                     "net.ipv4.conf.eth0.route_localnet=1"],
                    ["ip", "-n", netns, "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local"],
                    ["ip", "-n", netns, "route", "del", "local", "127.0.0.1", "dev", "lo", "table", "local"],
                    ["ip", "-n", netns, "route", "add", "127.0.0.0/8", "via", via, "dev", "eth0"]])


def half_open(sandbox, port):
    """Connections the host's stack answered (SYN received) on a local port."""
    return sandbox.run(["ss", "-Htn", "state", "syn-recv", "sport = :%d" % port]).stdout.strip()


def test_loopback_is_unreachable_from_a_bridge_even_with_route_localnet(sandbox):
    """route_localnet=1 on a bridge (needed for 127.0.0.1 publishes) lets an endpoint's packets for 127.0.0.1
    into the host's loopback-only services through the gateway (the answers die as martians, the packets do
    not); the guard chain drops them before they reach anything."""
    build(sandbox, [FRONT], [("web", "front", "172.20.0.2")])
    sandbox.run(["sysctl", "-qw", "net.ipv4.conf.lnc-front.route_localnet=1"])
    route_loopback_away(sandbox, "web", "172.20.0.1")
    for port in (7002, 7003):
        sandbox.serve(None, "127.0.0.1", port, name="loopback")
    sandbox.request("web", "127.0.0.1", 7002, timeout=0.3)
    assert half_open(sandbox, 7002), "without the guard the SYN reaches the loopback service"
    apply(sandbox, [FRONT])
    assert sandbox.request(None, "127.0.0.1", 7003) == "loopback 127.0.0.1"
    assert sandbox.request("web", "127.0.0.1", 7003, timeout=0.3) is None
    assert half_open(sandbox, 7003) == ""


@pytest.mark.parametrize("br_netfilter", [True, False], ids=["br_netfilter", "no_br_netfilter"])
def test_published_ports_on_every_path(sandbox, br_netfilter):
    other = network("other", "172.25.0.0/24")
    build(sandbox, [FRONT, other], [("web", "front", "172.20.0.2"), ("peer", "front", "172.20.0.3"),
                                    ("o1", "other", "172.25.0.2")], br_netfilter=br_netfilter)
    sandbox.run(["sysctl", "-qw", "net.ipv4.conf.lnc-front.route_localnet=1"])
    serve_everywhere(sandbox, ["web", "peer"], protos=("tcp", "udp"))
    sandbox.serve("web", "0.0.0.0", 81, name="web81")
    publishes = [
        publish("web", 8080, "172.20.0.2"),
        publish("web", 5353, "172.20.0.2", protocol="udp"),
        publish("web", 8081, "172.20.0.2", host_ip="127.0.0.1"),
        publish("web", 8082, "172.20.0.2", host_ip=HOST),
        publish("web", 8083, "172.20.0.2", allowed_sources=[LAN + "/32"]),
        publish("peer", 8084, "172.20.0.3", host_ip=HOST, allowed_sources=["198.51.100.0/30", "10.0.0.0/8"]),
    ] + [publish("web", 9000 + offset, "172.20.0.2", 80 + offset) for offset in range(3)]
    result = apply(sandbox, [FRONT, other], publishes)
    assert "add published port tcp 127.0.0.1:8081 -> 172.20.0.2:80" in result["changes"]
    got = probe(sandbox, {
        # from another host: the client's address is preserved
        "lan tcp": ("lan", HOST, 8080), "lan udp": ("lan", HOST, 5353, {"proto": "udp"}),
        # from the host itself, on its own address and on 127.0.0.1, with no proxy process
        "host own address": (None, HOST, 8080), "host loopback": (None, "127.0.0.1", 8080),
        "host loopback udp": (None, "127.0.0.1", 5353, {"proto": "udp"}),
        "host loopback-only port": (None, "127.0.0.1", 8081),
        # a port bound to 127.0.0.1 never answers another host, on any address
        "lan to loopback-only port": ("lan", HOST, 8081),
        # host_ip: only that address
        "lan host_ip port": ("lan", HOST, 8082), "host host_ip port": (None, HOST, 8082),
        "host host_ip port on loopback": (None, "127.0.0.1", 8082),
        # hairpin: another endpoint, the endpoint itself, via the host address or the gateway, another network
        "peer hairpin": ("peer", HOST, 8080), "web own port": ("web", HOST, 8080),
        "peer via gateway": ("peer", "172.20.0.1", 8080), "other network hairpin": ("o1", HOST, 8080),
        # allowed_sources: one LAN client in, another kept out; restrictions follow the host address too
        "allowed client": ("lan", HOST, 8083, {"source": LAN}), "other client": ("lan", HOST, 8083, {"source": LAN2}),
        "allowed client host_ip": ("lan", HOST, 8084, {"source": LAN2}),
        # a range maps port by port
        "range 9000": ("lan", HOST, 9000), "range 9001": ("lan", HOST, 9001), "range 9002": ("lan", HOST, 9002),
        # unpublished ports stay closed
        "lan to the endpoint": ("lan", "172.20.0.2", 80), "unpublished host port": ("lan", HOST, 8089),
    })
    assert got == {
        "lan tcp": "web " + LAN, "lan udp": "web " + LAN,
        "host own address": "web " + HOST, "host loopback": "web 172.20.0.1", "host loopback udp": "web 172.20.0.1",
        "host loopback-only port": "web 172.20.0.1", "lan to loopback-only port": None,
        "lan host_ip port": "web " + LAN, "host host_ip port": "web " + HOST, "host host_ip port on loopback": None,
        "peer hairpin": "web 172.20.0.1", "web own port": "web 172.20.0.1", "peer via gateway": "web 172.20.0.1",
        "other network hairpin": "web 172.20.0.1",
        "allowed client": "web " + LAN, "other client": None, "allowed client host_ip": "peer " + LAN2,
        "range 9000": "web " + LAN, "range 9001": "web81 " + LAN, "range 9002": None,
        "lan to the endpoint": None, "unpublished host port": None,
    }
    # even a LAN host that routes 127.0.0.0/8 to us never reaches a published port through 127.0.0.1
    route_loopback_away(sandbox, "lan", HOST)
    assert probe(sandbox, {"loopback-only": ("lan", "127.0.0.1", 8081), "every address": ("lan", "127.0.0.1", 8080),
                           "udp": ("lan", "127.0.0.1", 5353, {"proto": "udp"})}, timeout=0.5) \
        == {"loopback-only": None, "every address": None, "udp": None}
    translated = sandbox.run(["conntrack", "-L", "--orig-dst", "127.0.0.1", "--dst-nat"], check=False).stdout
    assert "198.51.100.2" not in translated, translated
    # no userland proxy: nothing on the host listens on the published ports
    assert sandbox.run(["ss", "-ltunH", "sport >= :8080 and sport <= :9002"]).stdout.strip() == ""


def test_sctp_publish(sandbox):
    build(sandbox, [FRONT], [("web", "front", "172.20.0.2")])
    apply(sandbox, [FRONT], [publish("web", 7300, "172.20.0.2", 7300, protocol="sctp")])
    assert "sctp . 7300 : 172.20.0.2 . 7300" in table_text(sandbox)
    supported = sandbox.run([VENV_PYTHON, "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, "
                                                "socket.IPPROTO_SCTP)"], check=False).returncode == 0
    if not supported:
        pytest.skip("this kernel has no SCTP sockets: the map element is in place, the packets cannot be sent")
    sandbox.serve("web", "0.0.0.0", 7300, proto="sctp", name="web")
    assert sandbox.request("lan", HOST, 7300, proto="sctp") == "web " + LAN


def conntrack_udp(sandbox, port):
    proc = sandbox.run(["conntrack", "-L", "-p", "udp", "--orig-port-dst", str(port)], check=False)
    return [line for line in proc.stdout.splitlines() if line.strip()]


def test_udp_conntrack_is_flushed_when_a_mapping_changes_or_appears(sandbox):
    build(sandbox, [FRONT], [("web", "front", "172.20.0.2"), ("peer", "front", "172.20.0.3")])
    serve_everywhere(sandbox, ["web", "peer"], protos=("udp",))
    client = {"proto": "udp", "source": LAN, "source_port": 40000}
    apply(sandbox, [FRONT], [publish("web", 5353, "172.20.0.2", protocol="udp")])
    assert sandbox.request("lan", HOST, 5353, **client) == "web " + LAN
    assert len(conntrack_udp(sandbox, 5353)) == 1
    # the mapping moves to peer: without the flush the client's flow would stick to web
    moved = apply(sandbox, [FRONT], [publish("peer", 5353, "172.20.0.3", protocol="udp")])
    assert moved["flush_udp"] == [[None, 5353]]
    assert conntrack_udp(sandbox, 5353) == []
    assert sandbox.request("lan", HOST, 5353, **client) == "peer " + LAN
    # a flow that began before its port was published (nothing answered) takes the new mapping at once
    assert sandbox.request("lan", HOST, 5400, timeout=0.5, **client) is None
    assert len(conntrack_udp(sandbox, 5400)) == 1
    added = apply(sandbox, [FRONT], [publish("peer", 5353, "172.20.0.3", protocol="udp"),
                                     publish("web", 5400, "172.20.0.2", protocol="udp", host_ip=HOST)])
    assert added["flush_udp"] == [[HOST, 5400]]
    assert sandbox.request("lan", HOST, 5400, **client) == "web " + LAN
    assert sandbox.request("lan", HOST, 5353, **client) == "peer " + LAN  # an unchanged mapping keeps its flow
    # removal flushes as well; nothing to flush is fine
    removed = apply(sandbox, [FRONT], [publish("web", 5400, "172.20.0.2", protocol="udp", host_ip=HOST)])
    assert removed["flush_udp"] == [[None, 5353]] and conntrack_udp(sandbox, 5353) == []


HOST_FIREWALL = """
table inet host_fw {
  set admins { type ipv4_addr; elements = { 192.0.2.7 }; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @admins accept
  }
}
table ip nat {
  chain POSTROUTING { type nat hook postrouting priority srcnat; policy accept; }
}
"""


def test_converge_change_repair_and_remove_without_touching_other_tables(sandbox):
    build(sandbox, [FRONT], [("web", "front", "172.20.0.2")])
    sandbox.run(["nft", "-f", "-"], input=HOST_FIREWALL)
    pristine = foreign_ruleset(sandbox)
    networks, publishes = [FRONT, SOLO], [publish("web", 8080, "172.20.0.2")]
    created = apply(sandbox, networks, publishes)
    assert created["changes"][0].startswith("create table inet linuxnet_containers")
    assert created["before"] == {} and created["after"]["pub_any"] == ["published port tcp *:8080 -> 172.20.0.2:80"]
    # converged: a second plan of the same state has nothing to do, and says so exactly
    again = plan(sandbox, networks, publishes)
    assert again["changes"] == [] and again["script"] == "" and again["before"] == again["after"] == created["after"]
    # a change is element additions and deletions in our table, nothing else
    changed = apply(sandbox, [FRONT], [publish("web", 8080, "172.20.0.2", 81)])
    assert changed["changes"] == ["remove bridge lnc-solo", "remove same-bridge rules of lnc-solo",
                                  "remove icc off on lnc-solo", "remove subnet 172.21.0.0/24",
                                  "remove masquerade of 172.21.0.0/24",
                                  "remove published port tcp *:8080 -> 172.20.0.2:80",
                                  "add published port tcp *:8080 -> 172.20.0.2:81"]
    assert all(line.startswith(("delete element inet linuxnet_containers ", "add element inet linuxnet_containers "))
               for line in changed["script"].splitlines())
    assert plan(sandbox, [FRONT], [publish("web", 8080, "172.20.0.2", 81)])["changes"] == []
    # a damaged skeleton (a rule deleted by hand) is rebuilt whole in one transaction, elements kept
    handle = sandbox.run(["nft", "-a", "list", "chain", "inet", "linuxnet_containers", "forward"]).stdout
    handle = [line.split("# handle ")[1] for line in handle.splitlines() if "ct status dnat accept" in line][0]
    sandbox.run(["nft", "delete", "rule", "inet", "linuxnet_containers", "forward", "handle", handle])
    repaired = apply(sandbox, [FRONT], [publish("web", 8080, "172.20.0.2", 81)])
    assert repaired["changes"][0].startswith("rebuild table") and len(repaired["changes"]) == 1
    assert "oifname @bridges ct status dnat accept" in table_text(sandbox)
    assert plan(sandbox, [FRONT], [publish("web", 8080, "172.20.0.2", 81)])["changes"] == []
    # a failing transaction changes nothing and reports nft's error
    bad = driver(sandbox, "apply", {"networks": [network("x" * 20, "172.26.0.0/24")]}, expect_error=True)
    assert "nftables refused the change" in bad["error"] and "lnc-front" in table_text(sandbox)
    assert "lnc-xxxx" not in table_text(sandbox)
    # nothing leaks: the empty state deletes the table; other tables never changed
    assert foreign_ruleset(sandbox) == pristine
    removed = apply(sandbox)
    assert removed["changes"][0] == "delete table inet linuxnet_containers" and removed["after"] == {}
    assert sandbox.run(["nft", "list", "tables"]).stdout.split() == ["table", "inet", "host_fw", "table", "ip", "nat"]
    assert foreign_ruleset(sandbox) == pristine
    assert plan(sandbox)["changes"] == []


def our_rules(sandbox):
    """(chain, rule text, handle) of every rule in our table, in order, as nft prints them."""
    found, chain = [], None
    for line in sandbox.run(["nft", "-s", "-a", "list", "table"] + list(TABLE)).stdout.splitlines():
        words = line.split()
        if words[:1] == ["chain"]:
            chain = words[1]
        elif "# handle " in line and words[:1] not in (["table"], ["set"], ["map"]):
            text, handle = line.split(" # handle ")
            found.append((chain, text.strip(), handle.strip()))
    return found


# (chain, the skeleton's rule, the hand edit that replaces it); the last one edits the chain itself
HAND_EDITS = {
    "verdict": ("forward", "oifname @bridges ct status dnat accept", "oifname @bridges accept"),
    "operator": ("nat_postrouting", "oifname != @bridges ip saddr @masq_subnets masquerade",
                 "oifname @bridges ip saddr @masq_subnets masquerade"),
    "bitmask_to_equality": ("forward", "oifname @bridges ct status dnat accept",
                            "oifname @bridges ct status == dnat accept"),
    "set_reference": ("guard", "iifname @bridges ip daddr 127.0.0.0/8 drop",
                      "iifname @routed ip daddr 127.0.0.0/8 drop"),
    "extra_statement": ("nat_prerouting", "ip daddr 127.0.0.0/8 return", "ip daddr 127.0.0.0/8 counter return"),
    "chain_policy": ("forward", None, "policy drop;"),
}


@pytest.mark.parametrize("edit", sorted(HAND_EDITS))
def test_a_hand_edited_skeleton_with_the_same_rule_count_is_repaired(sandbox, edit):
    """The untouched skeleton reads back as intact (no rebuild on every run); a rule replaced by hand, the
    number of rules unchanged, is found and the table rebuilt whole on the next run, elements kept."""
    chain, original, replacement = HAND_EDITS[edit]
    build(sandbox, [FRONT], [("web", "front", "172.20.0.2")])
    serve_everywhere(sandbox, ["web"])
    state = ([FRONT], [publish("web", 8080, "172.20.0.2")])
    apply(sandbox, *state)
    untouched = plan(sandbox, *state)
    assert untouched["changes"] == [] and untouched["script"] == ""
    skeleton = [(rule_chain, text) for rule_chain, text, _handle in our_rules(sandbox)]
    assert probe(sandbox, {"unsolicited": ("lan", "172.20.0.2", 80)}) == {"unsolicited": None}
    if original is None:
        sandbox.run(["nft", "chain"] + list(TABLE) + [chain, "{", "type", "filter", "hook", "forward", "priority",
                                                      "0;", replacement, "}"])
    else:
        handle = [h for rule_chain, text, h in our_rules(sandbox) if (rule_chain, text) == (chain, original)][0]
        sandbox.run(["nft", "replace", "rule"] + list(TABLE) + [chain, "handle", handle] + replacement.split())
        edited = [(rule_chain, text) for rule_chain, text, _handle in our_rules(sandbox)]
        assert len(edited) == len(skeleton) and (chain, replacement) in edited and (chain, original) not in edited
    if edit == "verdict":
        # what the edit does: the LAN reaches an endpoint on an unpublished port
        assert probe(sandbox, {"unsolicited": ("lan", "172.20.0.2", 80)}) == {"unsolicited": "web " + LAN}
    found = plan(sandbox, *state)
    assert len(found["changes"]) == 1 and found["changes"][0].startswith("rebuild table inet linuxnet_containers")
    assert found["before"] == found["after"] == untouched["after"]
    apply(sandbox, *state)
    assert [(rule_chain, text) for rule_chain, text, _handle in our_rules(sandbox)] == skeleton
    assert "policy drop" not in table_text(sandbox)
    assert plan(sandbox, *state)["changes"] == []
    assert probe(sandbox, {"unsolicited": ("lan", "172.20.0.2", 80), "published": ("lan", HOST, 8080)}) == \
        {"unsolicited": None, "published": "web " + LAN}


DOCKER_LIKE = """
table ip filter {
  chain DOCKER-USER { return; }
  chain FORWARD { type filter hook forward priority filter; policy drop; counter jump DOCKER-USER; }
}
table inet firewalld {
  chain filter_FORWARD {
    type filter hook forward priority filter + 10; policy accept;
    ct state established,related accept
    reject with icmpx admin-prohibited
  }
}
table inet libvirt_like {
  chain forward { type filter hook forward priority 0; policy accept; }
}
table bridge bridge_fw {
  chain forward { type filter hook forward priority 0; policy accept; }
}
"""


def test_foreign_forward_drops_and_opt_in_accept_rules(sandbox):
    build(sandbox, [FRONT], [("web", "front", "172.20.0.2")])
    sandbox.run(["nft", "-f", "-"], input=DOCKER_LIKE)
    foreign_before = sandbox.run(["nft", "-s", "list", "ruleset"]).stdout
    serve_everywhere(sandbox, ["web", "lan"])
    apply(sandbox, [FRONT], [publish("web", 8080, "172.20.0.2")])
    # detection, read-only: Docker's policy drop and firewalld's final reject, not the accepting chains
    assert driver(sandbox, "drops") == [
        {"family": "inet", "table": "firewalld", "chain": "filter_FORWARD", "policy": "accept", "final_drop": True},
        {"family": "ip", "table": "filter", "chain": "FORWARD", "policy": "drop", "final_drop": False}]
    blocked = probe(sandbox, {"out": ("web", LAN, 80), "in": ("lan", HOST, 8080)})
    assert blocked == {"out": None, "in": None}
    # opt-in: accept rules for our bridge, marked, at the head of each dropping chain, in the one transaction of
    # plan(); idempotent
    state = ([FRONT], [publish("web", 8080, "172.20.0.2")])
    accepted = apply(sandbox, *state, foreign_accept=["lnc-front"])
    assert len(accepted["changes"]) == 4 and all(c.startswith("insert accept rule") for c in accepted["changes"])
    assert plan(sandbox, *state, foreign_accept=["lnc-front"])["changes"] == []
    docker = sandbox.run(["nft", "list", "chain", "ip", "filter", "FORWARD"]).stdout
    assert docker.count('comment "linuxnet.containers"') == 2 and "policy drop" in docker
    assert probe(sandbox, {"out": ("web", LAN, 80), "in": ("lan", HOST, 8080)}) == \
        {"out": "lan " + HOST, "in": "web " + LAN}
    # removed again with an empty list
    removal = apply(sandbox, *state)
    assert len(removal["changes"]) == 4 and all(c.startswith("remove accept rule") for c in removal["changes"])
    assert sandbox.run(["nft", "-s", "list", "ruleset"]).stdout.replace(table_text(sandbox), "") == foreign_before
    # and with our table, when nothing is left to manage
    apply(sandbox, *state, foreign_accept=["lnc-front"])
    removed = apply(sandbox)
    assert removed["changes"][0] == "delete table inet linuxnet_containers"
    assert len([c for c in removed["changes"] if c.startswith("remove accept rule")]) == 4
    assert sandbox.run(["nft", "-s", "list", "ruleset"]).stdout == foreign_before
