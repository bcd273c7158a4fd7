# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPv6: dual-stack and IPv6-only networks, endpoints and published ports, proved with real IPv6 packets
inside sandbox hosts. The LAN namespace gets 2001:db8:51::2/64 (the host's uplink0 2001:db8:51::1/64, its IPv6
default route) and a route to the ULA range through the host; every address the test adds is nodad."""
import ipaddress
import json
import subprocess

import pytest
from harness import VENV_PYTHON

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_read import table_view
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import LEGACY
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
PUB = "linuxnet.containers.port_publish"
INFO = "linuxnet.containers.container_network_info"
SUBNET6 = "fd00:6:1::/64"


def lan6(sandbox):
    """IPv6 between the sandbox host and its LAN, as on a host with a routed IPv6 uplink."""
    for netns, dev in ((None, "uplink0"), ("lan", "eth0")):
        sandbox.run(["sysctl", "-qw", "net.ipv6.conf.%s.accept_dad=0" % dev], netns=netns)
    sandbox.run(["ip", "addr", "add", "2001:db8:51::1/64", "dev", "uplink0", "nodad"])
    sandbox.run(["ip", "addr", "add", "2001:db8:51::2/64", "dev", "eth0", "nodad"], netns="lan")
    sandbox.run(["ip", "addr", "add", "2001:db8:51::3/64", "dev", "eth0", "nodad", "preferred_lft", "0"], netns="lan")
    sandbox.run(["ip", "-6", "route", "add", "default", "via", "2001:db8:51::2"])
    sandbox.run(["ip", "-6", "route", "add", "fd00::/8", "via", "2001:db8:51::1"], netns="lan")


PING6 = ("import socket, sys\n"
         "s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)\n"
         "s.settimeout(2)\n"
         "s.sendto(bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b'ping', (sys.argv[1], 0))\n"
         "while True:\n"
         "    data, peer = s.recvfrom(512)\n"
         "    if data[0] == 129 and peer[0] == sys.argv[1]:\n"
         "        break\n")


def ping6(sandbox, netns, address):
    """One ICMPv6 echo request and its reply (the sandbox has no ping command)."""
    return sandbox.run([VENV_PYTHON, "-c", PING6, address], netns=netns, check=False).returncode == 0


def inet6(sandbox, netns, ifname):
    return [a["local"] for link in sandbox.ip(netns, "addr", "show", "dev", ifname)
            for a in link.get("addr_info", ()) if a["family"] == "inet6" and a.get("scope") == "global"]


def all_inet6(sandbox):
    return sorted("%s %s" % (link["ifname"], a["local"]) for link in sandbox.ip(None, "addr")
                  for a in link.get("addr_info", ()) if a["family"] == "inet6" and a.get("scope") == "global")


def test_dual_stack_endpoints_reach_each_other_and_the_outside(sandbox):
    lan6(sandbox)
    pristine, pristine6 = sandbox.snapshot(), all_inet6(sandbox)
    net = dict(name="dual", subnet="172.20.0.0/16", enable_ipv6=True, ipv6_subnet=SUBNET6)
    checked = sandbox.module(NET, check=True, **net)
    assert checked["changed"] and sandbox.snapshot() == pristine and all_inet6(sandbox) == pristine6
    created = sandbox.module(NET, **net)
    assert created["network"]["ipv6_gateway"] == "fd00:6:1::1" and created["network"]["enable_ipv6"]
    assert created["sysctls"]["net.ipv6.conf.all.forwarding"] == "1"
    assert sandbox.run(["sysctl", "-n", "net.ipv6.conf.all.forwarding"]).stdout.strip() == "1"
    assert inet6(sandbox, None, "lnc-dual") == ["fd00:6:1::1"]
    assert not sandbox.module(NET, **net)["changed"]

    endpoints = [{"name": "web", "network": "dual"},
                 {"name": "db", "network": "dual", "ipv6_address": "fd00:6:1::db"}]
    result = sandbox.module(EP, endpoints=endpoints)
    by_name = {e["name"]: e["interfaces"][0] for e in result["endpoints"]}
    web, db = by_name["web"], by_name["db"]
    assert web["ipv6_address"] == "fd00:6:1::2" and db["ipv6_address"] == "fd00:6:1::db"
    assert web["ipv6_prefix_length"] == 64 and web["ipv6_gateway"] == "fd00:6:1::1"
    again = sandbox.module(EP, endpoints=endpoints)
    assert not again["changed"], again["actions"]
    assert inet6(sandbox, "web", "eth0") == ["fd00:6:1::2"]
    assert sandbox.ip("web", "-6", "route", "show", "default")[0]["gateway"] == "fd00:6:1::1"
    for key in ("accept_ra", "autoconf"):
        assert sandbox.run(["sysctl", "-n", "net.ipv6.conf.eth0.%s" % key], netns="web").stdout.strip() == "0"
    sandbox.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=1"], netns="web")   # drift is seen and repaired
    repaired = sandbox.module(EP, endpoints=endpoints)
    assert repaired["actions"] == ["set accept_ra=0 in eth0 (no SLAAC or router advertisements)"]
    assert sandbox.run(["sysctl", "-n", "net.ipv6.conf.eth0.accept_ra"], netns="web").stdout.strip() == "0"
    assert not sandbox.module(EP, endpoints=endpoints)["changed"]
    hosts = sandbox.run(["cat", "/etc/netns/web/hosts"]).stdout
    assert "172.20.0.3\tdb" in hosts and "fd00:6:1::db\tdb" in hosts

    # by address and by name, over IPv6; the gateway (the host) too
    sandbox.serve("db", "::", 80, name="db")
    assert sandbox.request("web", "fd00:6:1::db", 80) == "db fd00:6:1::2"
    assert sandbox.request("web", "ipv6:db", 80) == "db fd00:6:1::2"
    resolved = sandbox.run(["getent", "ahostsv6", "db"], netns="web").stdout.split()[0]
    assert resolved == "fd00:6:1::db"
    assert sandbox.request("web", "172.20.0.3", 80) == "db 172.20.0.2"
    sandbox.serve(None, "fd00:6:1::1", 81, name="host")
    assert sandbox.request("web", "fd00:6:1::1", 81) == "host fd00:6:1::2"

    # teardown leaves nothing
    sandbox.module(EP, endpoints=endpoints, state="absent")
    sandbox.module(NET, name="dual", state="absent")
    assert all_inet6(sandbox) == pristine6


def test_ipv6_only_network(sandbox):
    net = dict(name="six", enable_ipv4=False, enable_ipv6=True)
    created = sandbox.module(NET, **net)["network"]
    assert created["subnet"] is None and created["gateway"] is None
    subnet = ipaddress.IPv6Network(created["ipv6_subnet"])
    assert subnet.prefixlen == 64 and subnet.subnet_of(ipaddress.IPv6Network("fd00::/8"))
    assert not sandbox.module(NET, **net)["changed"]
    assert sandbox.module(NET, name="six")["network"]["ipv6_subnet"] == created["ipv6_subnet"]
    assert sandbox.module(NET, name="other", enable_ipv6=True)["network"]["ipv6_subnet"] != created["ipv6_subnet"]
    result = sandbox.module(EP, endpoints=[{"name": "a", "network": "six"}, {"name": "b", "network": "six"}])
    by_name = {e["name"]: e["interfaces"][0] for e in result["endpoints"]}
    a, b = by_name["a"], by_name["b"]
    assert a["ipv4_address"] is None and b["ipv6_address"] == str(subnet.network_address + 3)
    assert not sandbox.module(EP, endpoints=[{"name": "a", "network": "six"}, {"name": "b", "network": "six"}])[
        "changed"]
    addresses = [x["family"] for link in sandbox.ip("a", "addr", "show", "dev", "eth0")
                 for x in link["addr_info"] if x.get("scope") == "global"]
    assert addresses == ["inet6"]
    sandbox.serve("b", b["ipv6_address"], 80, name="b")
    assert sandbox.request("a", b["ipv6_address"], 80) == "b %s" % a["ipv6_address"]


@pytest.mark.parametrize("args, field", [
    (dict(name="n", enable_ipv6=True, ipv6_subnet="fd00:6::/zz"), "ipv6_subnet"),
    (dict(name="n", enable_ipv6=True, ipv6_subnet="fd00:6::1/64"), "ipv6_subnet"),
    (dict(name="n", enable_ipv6=True, ipv6_subnet="fd00:6::/64", ipv6_gateway="fd00:7::1"), "ipv6_gateway"),
    (dict(name="n", enable_ipv6=True, ipv6_subnet="fd00:6::/64", ipv6_ip_range="fd00:7::/80"), "ipv6_ip_range"),
    (dict(name="n", enable_ipv4=False, enable_ipv6=False), "enable_ipv4"),
])
def test_bad_network_input_is_refused_before_any_change(sandbox, args, field):
    pristine = sandbox.snapshot()
    failed = sandbox.module(NET, expect_failure=True, **args)
    assert field in failed["msg"], failed["msg"]
    assert sandbox.snapshot() == pristine


def test_bad_references_are_refused_before_any_change(sandbox):
    sandbox.module(NET, name="v4", subnet="172.21.0.0/16")
    sandbox.module(NET, name="a", enable_ipv6=True, ipv6_subnet="fd00:6::/64")
    pristine = sandbox.snapshot()
    overlap = sandbox.module(NET, name="b", enable_ipv6=True, ipv6_subnet="fd00:6::/48", expect_failure=True)
    assert "ipv6_subnet" in overlap["msg"] and "overlaps network a" in overlap["msg"]
    wrong = sandbox.module(EP, name="e", network="v4", ipv6_address="fd00:6::5", expect_failure=True)
    assert "ipv6_address" in wrong["msg"] and "v4" in wrong["msg"]
    outside = sandbox.module(EP, name="e", network="a", ipv6_address="fd00:9::5", expect_failure=True)
    assert "outside ipv6_subnet" in outside["msg"]
    assert sandbox.snapshot() == pristine


def test_nat_masquerades_outbound_and_publishes_on_both_families(sandbox):
    lan6(sandbox)
    sandbox.module(NET, name="dual", subnet="172.20.0.0/16", enable_ipv6=True, ipv6_subnet=SUBNET6)
    sandbox.module(EP, endpoints=[{"name": "web", "network": "dual"}, {"name": "peer", "network": "dual"}])
    tables = sandbox.run(["nft", "list", "tables"]).stdout.split("\n")
    assert "table inet linuxnet_containers" in tables and "table ip linuxnet_containers" not in tables
    # outbound: masqueraded to the host's uplink address
    sandbox.serve("lan", "2001:db8:51::2", 7000, name="lan")
    assert sandbox.request("web", "2001:db8:51::2", 7000) == "lan 2001:db8:51::1"
    # one host port, both families, the client's own address
    published = sandbox.module(PUB, endpoint="web", ports=["8080:80", "[::]:8081:81", "5353:53/udp"])
    families = sorted((p["family"], p["host_ip"], p["host_port"]) for p in published["published"])
    assert ("ipv4", "0.0.0.0", 8080) in families and ("ipv6", "::", 8080) in families
    assert ("ipv6", "::", 8081) in families and ("ipv4", "0.0.0.0", 8081) not in families
    assert not sandbox.module(PUB, endpoint="web", ports=["8080:80", "[::]:8081:81", "5353:53/udp"])["changed"]
    sandbox.serve("web", "::", 80, name="web")
    sandbox.serve("web", "::", 81, name="web81")
    assert sandbox.request("lan", "198.51.100.1", 8080) == "web 198.51.100.2"
    assert sandbox.request("lan", "2001:db8:51::1", 8080) == "web 2001:db8:51::2"
    assert sandbox.request("lan", "2001:db8:51::1", 8081) == "web81 2001:db8:51::2"
    assert sandbox.request("lan", "198.51.100.1", 8081) is None
    # hairpin: another endpoint through the host's IPv6 address
    assert sandbox.request("peer", "2001:db8:51::1", 8080) is not None
    # the host itself, on its own IPv6 address
    assert sandbox.request(None, "2001:db8:51::1", 8080) is not None
    # an unpublished port of the endpoint is not reachable from the LAN
    sandbox.serve("web", "::", 82, name="hidden")
    assert sandbox.request("lan", "fd00:6:1::2", 82, timeout=1) is None
    # IPv6 allowed_sources
    sandbox.module(PUB, endpoint="web", ports=["8080:80"], allowed_sources=["2001:db8:51::3/128", "198.51.100.3"])
    assert sandbox.request("lan", "2001:db8:51::1", 8080, timeout=1) is None
    assert sandbox.request("lan", "2001:db8:51::1", 8080, source="2001:db8:51::3") == "web 2001:db8:51::3"
    assert sandbox.request("lan", "198.51.100.1", 8080, source="198.51.100.3") == "web 198.51.100.3"
    # IPv6 loopback cannot be translated by the kernel: refused, with 127.0.0.1 offered
    refused = sandbox.module(PUB, endpoint="web", ports=["[::1]:9000:80"], expect_failure=True)
    assert "route_localnet" in refused["msg"] and "127.0.0.1" in refused["msg"]
    # teardown leaves nothing
    sandbox.module(PUB, endpoint="web", state="absent")
    sandbox.module(EP, endpoints=[{"name": "web"}, {"name": "peer"}], state="absent")
    sandbox.module(NET, name="dual", state="absent")
    assert "linuxnet_containers" not in sandbox.run(["nft", "list", "tables"]).stdout


def test_routed_mode_routes_without_nat_and_only_to_published_ports(sandbox):
    lan6(sandbox)
    sandbox.module(NET, name="r", subnet="172.20.0.0/16", enable_ipv6=True, ipv6_subnet=SUBNET6,
                   gateway_mode_ipv6="routed")
    sandbox.module(EP, name="web", network="r")
    sandbox.serve("lan", "2001:db8:51::2", 7000, name="lan")
    sandbox.serve("lan", "198.51.100.2", 7001, name="lan4")
    # outbound IPv6 keeps the endpoint's own address; IPv4 (nat) is still masqueraded
    assert sandbox.request("web", "2001:db8:51::2", 7000) == "lan fd00:6:1::2"
    assert sandbox.request("web", "198.51.100.2", 7001) == "lan4 198.51.100.1"
    sandbox.module(PUB, endpoint="web", ports=["8080:80"])
    sandbox.serve("web", "::", 80, name="web")
    sandbox.serve("web", "::", 82, name="hidden")
    # from the LAN: the published container port on the endpoint's own address, not an unpublished one
    assert sandbox.request("lan", "fd00:6:1::2", 80) == "web 2001:db8:51::2"
    assert sandbox.request("lan", "fd00:6:1::2", 82, timeout=1) is None
    assert sandbox.request("lan", "2001:db8:51::1", 8080) == "web 2001:db8:51::2"
    assert ping6(sandbox, "lan", "fd00:6:1::2")


def as_0_1_0(sandbox):
    """The host as 0.1.0 left it: our elements in its `ip linuxnet_containers` table, no inet table (swapped in
    one transaction, so the published port answers throughout)."""
    elements = table_view(json.loads(sandbox.run(["nft", "-j", "list", "ruleset"]).stdout), INET)[0]
    legacy = {name: items for name, items in elements.items() if name in LEGACY.specs}
    sandbox.run(["nft", "-f", "-"], input="delete table inet linuxnet_containers\n" + LEGACY.script(legacy))
    assert our_tables(sandbox) == ["ip"]


def our_tables(sandbox):
    return sorted(line.split()[1] for line in sandbox.run(["nft", "list", "tables"]).stdout.splitlines()
                  if line.endswith(" linuxnet_containers"))


LOOP = ("import socket, sys, time\n"
        "ok = failed = 0\n"
        "end = time.monotonic() + float(sys.argv[1])\n"
        "while time.monotonic() < end:\n"
        "    try:\n"
        "        c = socket.create_connection(('198.51.100.1', 8080), timeout=1)\n"
        "        c.sendall(b'x'); ok += bool(c.recv(64)); c.close()\n"
        "    except OSError:\n"
        "        failed += 1\n"
        "    time.sleep(0.01)\n"
        "print(ok, failed)\n")


@pytest.mark.parametrize("upgrade", ["ipv4_only", "dual_stack"])
def test_0_1_0_ip_table_is_replaced_by_inet_in_one_transaction_without_losing_a_connection(sandbox, upgrade):
    """A host upgraded from 0.1.0 keeps its `ip` table until the first run, which replaces it by the inet table
    in the run's one transaction, whether the run adds IPv6 or changes nothing else (an IPv4-only host)."""
    front = dict(name="front", subnet="172.20.0.0/16")
    sandbox.module(NET, **front)
    sandbox.module(EP, name="web", network="front")
    sandbox.module(PUB, endpoint="web", ports=["8080:80"])
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    assert our_tables(sandbox) == ["inet"]
    as_0_1_0(sandbox)
    assert sandbox.request("lan", "198.51.100.1", 8080) == "web 198.51.100.2"
    proc = subprocess.Popen(sandbox.argv([VENV_PYTHON, "-c", LOOP, "12"], netns="lan"), stdout=subprocess.PIPE,
                            text=True)
    try:
        second = dict(name="dual", enable_ipv6=True, ipv6_subnet=SUBNET6) if upgrade == "dual_stack" else front
        checked = sandbox.module(NET, check=True, **second)
        assert checked["changed"] and our_tables(sandbox) == ["ip"]
        swapped = sandbox.module(NET, **second)
        replaced = [a for a in swapped["actions"]
                    if "replace table ip linuxnet_containers by inet linuxnet_containers" in a]
        assert swapped["changed"] and replaced, swapped["actions"]
        assert our_tables(sandbox) == ["inet"]
        assert not sandbox.module(NET, **second)["changed"]
    finally:
        out = proc.communicate(timeout=30)[0]
    ok, failed = map(int, out.split())
    assert failed == 0 and ok > 50, out
    if upgrade == "dual_stack":
        # back to IPv4 only: the same inet table, no swap back
        removed = sandbox.module(NET, name="dual", state="absent")
        assert not any("table ip " in a for a in removed["actions"]), removed["actions"]
        assert our_tables(sandbox) == ["inet"]
    assert sandbox.request("lan", "198.51.100.1", 8080) == "web 198.51.100.2"


def test_ra_uplink_keeps_accepting_router_advertisements(sandbox):
    lan6(sandbox)
    sandbox.run(["sysctl", "-qw", "net.ipv6.conf.uplink0.accept_ra=1"])
    sandbox.run(["ip", "-6", "route", "replace", "default", "via", "fe80::1", "dev", "uplink0", "proto", "ra"])
    result = sandbox.module(NET, name="dual", enable_ipv6=True)
    assert result["sysctls"]["net.ipv6.conf.uplink0.accept_ra"] == "2"
    assert sandbox.run(["sysctl", "-n", "net.ipv6.conf.uplink0.accept_ra"]).stdout.strip() == "2"
    assert not sandbox.module(NET, name="dual", enable_ipv6=True)["changed"]


def nameservers(sandbox, name):
    return [line.split()[1] for line in sandbox.run(["cat", "/etc/netns/%s/resolv.conf" % name]).stdout.splitlines()
            if line.startswith("nameserver ")]


def test_dns_and_etc_hosts_take_ipv6_and_default_resolvers_follow_the_endpoints_families(sandbox):
    sandbox.run(["tee", "/etc/resolv.conf"], input="nameserver 127.0.0.53\nnameserver 198.51.100.53\n"
                "nameserver 2001:db8:51::53\nnameserver fe80::1%uplink0\nsearch sandbox.test\n")
    sandbox.module(NET, networks=[dict(name="six", enable_ipv4=False, enable_ipv6=True, ipv6_subnet=SUBNET6),
                                  dict(name="dual", subnet="172.20.0.0/16", enable_ipv6=True,
                                       ipv6_subnet="fd00:6:2::/64"),
                                  dict(name="v4", subnet="172.21.0.0/16")])
    endpoints = [{"name": "a6", "network": "six"}, {"name": "d", "network": "dual"}, {"name": "v", "network": "v4"},
                 {"name": "x", "network": "six", "dns": ["2001:db8:51::35", "198.51.100.35"],
                  "etc_hosts": {"cache.example": "fd00:6:1::2", "old.example": "10.0.0.5"}}]
    assert sandbox.module(EP, endpoints=endpoints)["changed"]
    # defaults: the host's resolvers of the endpoint's families, never loopback, link-local or the gateway
    assert nameservers(sandbox, "a6") == ["2001:db8:51::53"]
    assert nameservers(sandbox, "d") == ["198.51.100.53", "2001:db8:51::53"]
    assert nameservers(sandbox, "v") == ["198.51.100.53"]
    assert nameservers(sandbox, "x") == ["2001:db8:51::35", "198.51.100.35"]
    hosts = sandbox.run(["cat", "/etc/netns/x/hosts"]).stdout
    assert "fd00:6:1::2\tcache.example\n" in hosts and "10.0.0.5\told.example\n" in hosts
    # the IPv6 hosts entry resolves and carries traffic inside the namespace
    assert sandbox.run(["getent", "ahostsv6", "cache.example"], netns="x").stdout.split()[0] == "fd00:6:1::2"
    sandbox.serve("a6", "fd00:6:1::2", 80, name="a6")
    assert sandbox.request("x", "ipv6:cache.example", 80) == "a6 fd00:6:1::3"
    assert not sandbox.module(EP, endpoints=endpoints)["changed"]
    # a link-local or zoned resolver is refused before any change, with the reason
    pristine = sandbox.snapshot()
    for bad in ("fe80::1", "fe80::1%eth0"):
        refused = sandbox.module(EP, name="x", network="six", dns=[bad], expect_failure=True)
        assert "dns" in refused["msg"] and "zone" in refused["msg"], refused["msg"]
    assert sandbox.snapshot() == pristine


def test_info_shows_foreign_namespaces_with_both_families(sandbox):
    lan6(sandbox)
    sandbox.module(NET, name="dual", subnet="172.20.0.0/16", enable_ipv6=True, ipv6_subnet=SUBNET6)
    sandbox.module(EP, name="web", network="dual")
    # the LAN namespace is foreign: its eth0 holds 198.51.100.2-3/24 and 2001:db8:51::2-3/64
    sandbox.run(["ip", "-6", "route", "add", "default", "via", "2001:db8:51::1", "dev", "eth0"], netns="lan")
    info = sandbox.module(INFO, all_namespaces=True,
                          query="endpoints[?!managed].{name: name, ipv6: interfaces[].ipv6_addresses[]}")
    assert info["result"] == [{"name": "lan", "ipv6": ["2001:db8:51::2/64", "2001:db8:51::3/64"]}], info["result"]
    lan = next(e for e in info["endpoints"] if e["name"] == "lan")
    eth0 = next(i for i in lan["interfaces"] if i["ifname"] == "eth0")
    assert eth0["addresses"] == ["198.51.100.2/24", "198.51.100.3/24"] and eth0["ipv6_gateway"] == "2001:db8:51::1"
    assert not any(i["ipv6_addresses"] for i in lan["interfaces"] if i["ifname"] == "lo")
    web = next(e for e in info["endpoints"] if e["name"] == "web")
    assert web["managed"] and web["interfaces"][0]["ipv6_address"] == "fd00:6:1::2"


def test_routed_ipv4_reaches_only_published_ports_on_the_endpoints_own_address_without_masquerade(sandbox):
    sandbox.run(["ip", "route", "add", "172.20.0.0/16", "via", "198.51.100.1"], netns="lan")
    sandbox.module(NET, name="r4", subnet="172.20.0.0/16", gateway_mode_ipv4="routed")
    sandbox.module(EP, name="web", network="r4")
    sandbox.serve("lan", "198.51.100.2", 7001, name="lan4")
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    sandbox.serve("web", "0.0.0.0", 82, name="hidden")
    # before any publish, nothing reaches the endpoint from the LAN, its own address included
    assert sandbox.request("lan", "172.20.0.2", 80, timeout=1) is None
    # outbound keeps the endpoint's own address: no masquerade in routed mode
    assert sandbox.request("web", "198.51.100.2", 7001) == "lan4 172.20.0.2"
    sandbox.module(PUB, endpoint="web", ports=["8080:80"])
    assert not sandbox.module(PUB, endpoint="web", ports=["8080:80"])["changed"]
    # the published container port on the endpoint's own address, with the client's address; not another port
    assert sandbox.request("lan", "172.20.0.2", 80) == "web 198.51.100.2"
    assert sandbox.request("lan", "172.20.0.2", 82, timeout=1) is None
    assert sandbox.request("lan", "198.51.100.1", 8080) == "web 198.51.100.2"
    # a nat network beside it still masquerades
    sandbox.module(NET, name="n4", subnet="172.21.0.0/16")
    sandbox.module(EP, name="natted", network="n4")
    assert sandbox.request("natted", "198.51.100.2", 7001) == "lan4 198.51.100.1"
    assert sandbox.request("lan", "172.21.0.2", 80, timeout=1) is None


def conntrack6_udp(sandbox, port):
    proc = sandbox.run(["conntrack", "-L", "-f", "ipv6", "-p", "udp", "--orig-port-dst", str(port)], check=False)
    return [line for line in proc.stdout.splitlines() if "udp" in line]


def map_udp_5353_by_hand(sandbox, target):
    """Point [::]:5353/udp at `target` in our table directly, with no conntrack flush."""
    where = ["inet", "linuxnet_containers", "pub_any6"]
    sandbox.run(["nft", "delete", "element"] + where + ["{ udp . 5353 }"])
    sandbox.run(["nft", "add", "element"] + where + ["{ udp . 5353 : %s . 53 }" % target])


def test_ipv6_udp_flow_moves_with_its_publish_because_conntrack_is_flushed(sandbox):
    lan6(sandbox)
    sandbox.module(NET, name="dual", subnet="172.20.0.0/16", enable_ipv6=True, ipv6_subnet=SUBNET6)
    sandbox.module(EP, endpoints=[{"name": "a", "network": "dual"}, {"name": "b", "network": "dual"}])
    sandbox.serve("a", "::", 53, proto="udp", name="a")
    sandbox.serve("b", "::", 53, proto="udp", name="b")
    sandbox.module(PUB, endpoint="a", ports=["[::]:5353:53/udp"])
    # published on IPv6 only, so the IPv6 flush alone must move the flow (an IPv4 one would take both families)
    client = {"proto": "udp", "source": "2001:db8:51::2", "source_port": 40053}

    def ask():
        return sandbox.request("lan", "2001:db8:51::1", 5353, **client)

    assert ask() == "a 2001:db8:51::2" and len(conntrack6_udp(sandbox, 5353)) == 1
    # without a flush the flow sticks to the old endpoint: the mapping moved by hand, the entry kept
    map_udp_5353_by_hand(sandbox, "fd00:6:1::3")
    assert ask() == "a 2001:db8:51::2"
    map_udp_5353_by_hand(sandbox, "fd00:6:1::2")
    # the module moves the publish in one run and flushes the IPv6 UDP entries: the same flow reaches b
    move = [{"endpoint": "a", "ports": []}, {"endpoint": "b", "ports": ["[::]:5353:53/udp"]}]
    assert sandbox.module(PUB, endpoints=move)["changed"]
    assert ask() == "b 2001:db8:51::2"
    assert not sandbox.module(PUB, endpoints=move)["changed"]


def test_in_place_ipv6_gateway_change_moves_the_endpoints_default_routes(sandbox):
    lan6(sandbox)
    net = dict(name="dual", subnet="172.20.0.0/16", enable_ipv6=True, ipv6_subnet=SUBNET6)
    sandbox.module(NET, **net)
    endpoints = [{"name": "web", "network": "dual"}, {"name": "db", "network": "dual"}]
    sandbox.module(EP, endpoints=endpoints)
    sandbox.serve("lan", "2001:db8:51::2", 7000, name="lan")
    assert sandbox.request("web", "2001:db8:51::2", 7000) == "lan 2001:db8:51::1"
    changed = sandbox.module(NET, ipv6_gateway="fd00:6:1::fe", **net)
    assert changed["changed"] and changed["network"]["ipv6_gateway"] == "fd00:6:1::fe"
    assert inet6(sandbox, None, "lnc-dual") == ["fd00:6:1::fe"]
    for name in ("web", "db"):
        assert sandbox.ip(name, "-6", "route", "show", "default")[0]["gateway"] == "fd00:6:1::fe", name
    info = sandbox.module(EP, endpoints=endpoints)
    assert not info["changed"], info["actions"]
    assert {e["interfaces"][0]["ipv6_gateway"] for e in info["endpoints"]} == {"fd00:6:1::fe"}
    assert not sandbox.module(NET, ipv6_gateway="fd00:6:1::fe", **net)["changed"]
    # traffic after the change: out through the new gateway, to the host on it, between the endpoints
    assert sandbox.request("web", "2001:db8:51::2", 7000) == "lan 2001:db8:51::1"
    sandbox.serve(None, "fd00:6:1::fe", 81, name="host")
    assert sandbox.request("db", "fd00:6:1::fe", 81) == "host fd00:6:1::3"
    sandbox.serve("db", "::", 80, name="db")
    assert sandbox.request("web", "fd00:6:1::3", 80) == "db fd00:6:1::2"
