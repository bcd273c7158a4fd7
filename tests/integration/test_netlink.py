# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter (our own rtnetlink client, _rtnl) on a real kernel, inside sandbox hosts, under two
interpreters: the .venv's Python and Debian's /usr/bin/python3; neither run loads pyroute2, installed in both.

Each test drives the adapter through tools/netlink_driver.py (one Netlink per driver run, as one
module run has), checks the result with iproute2 and proves the wiring with packets.
"""
import json
import os

import pytest
from harness import COLLECTIONS, SYSTEM_PYTHON, TOOLS, VENV_PYTHON

from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import bridge_mac

DRIVER = os.path.join(TOOLS, "netlink_driver.py")
ENV = dict(os.environ, PYTHONPATH=COLLECTIONS)
PYTHONS = [pytest.param(VENV_PYTHON, id="venv-python"), pytest.param(SYSTEM_PYTHON, id="debian-python3")]
# more interpreters, e.g. NETLINK_TEST_PYTHONS=/tmp/py39/bin/python,/tmp/py312/bin/python
PYTHONS += [pytest.param(path, id=path)
            for path in os.environ.get("NETLINK_TEST_PYTHONS", "").split(",") if path]
BRIDGE, GATEWAY = "lntbr0", "172.31.0.1"
ENDPOINTS = {"a": ("lntva", "172.31.0.2", "02:42:ac:1f:00:02"),
             "b": ("lntvb", "172.31.0.3", "02:42:ac:1f:00:03")}


@pytest.fixture(params=PYTHONS)
def python(request):
    return request.param


class Driver:
    def __init__(self, sandbox, python):
        self.sandbox = sandbox
        self.interpreter = python

    def answers(self, calls, wrapper=()):
        """Runs the calls in one driver process (under `wrapper`, whose further output lines follow)."""
        proc = self.sandbox.run(list(wrapper) + [self.interpreter, DRIVER, "calls"], input=json.dumps(calls), env=ENV)
        lines = proc.stdout.splitlines()
        answers = json.loads(lines[0])
        assert len(answers) == len(calls)
        return (answers, lines[1:]) if wrapper else answers

    def ok(self, calls):
        """Runs the calls in one driver process; every one must succeed; returns their results."""
        answers = self.answers(calls)
        failed = [(call, answer) for call, answer in zip(calls, answers) if "ok" not in answer]
        assert not failed, failed
        return [answer["ok"] for answer in answers]

    def refused(self, call):
        answer = self.answers([call])[0]
        assert "error" in answer, "%s was not refused: %s" % (call, answer)
        return answer


def netns(name):
    return "/run/netns/%s" % name


def veth(name, isolated=False):
    host_ifname, _address, mac = ENDPOINTS[name]
    return ["create_veth", {"host_ifname": host_ifname, "peer_ifname": "eth0", "netns_path": netns(name), "mtu": 1400,
                            "mac": mac, "alias": "linuxnet.containers endpoint=%s" % name, "master": BRIDGE,
                            "isolated": isolated}]


def wiring_calls():
    calls = [["create_bridge", {"ifname": BRIDGE, "mtu": 1400, "alias": "linuxnet.containers network=front"}],
             ["add_address", {"ifname": BRIDGE, "cidr": GATEWAY + "/24"}]]
    for name, (_host, address, _mac) in ENDPOINTS.items():
        calls += [["create_netns", {"name": name}], veth(name),
                  ["add_address", {"ifname": "eth0", "cidr": address + "/24", "netns": netns(name)}],
                  ["set_default_route", {"netns": netns(name), "gateway": GATEWAY, "dev": "eth0"}]]
    return calls


def wire(driver):
    driver.ok(wiring_calls())


def ip(sandbox, netns_name, *args):
    return sandbox.ip(netns_name, *args)


def link(sandbox, netns_name, ifname):
    return ip(sandbox, netns_name, "-d", "addr", "show", "dev", ifname)[0]


def pings(sandbox, netns_name, address):
    return sandbox.run([VENV_PYTHON, DRIVER, "ping", address], netns=netns_name, check=False,
                       env=ENV).returncode == 0


def mounted(sandbox):
    return [line.split()[4] for line in sandbox.run(["cat", "/proc/self/mountinfo"]).stdout.splitlines()
            if line.split()[4].startswith("/run/netns/")]


def stat_inode(sandbox, path):
    return int(sandbox.run(["stat", "-L", "-c", "%i", path]).stdout)


def links_seen(sandbox, netns_name):
    """What a user sees of the links in a namespace (no counters, timers or carrier state)."""
    seen = []
    for item in ip(sandbox, netns_name, "-d", "addr"):
        slave = (item.get("linkinfo") or {}).get("info_slave_data") or {}
        seen.append((item["ifname"], sorted(set(item["flags"]) - {"LOWER_UP", "NO-CARRIER", "M-DOWN"}), item["mtu"],
                     item.get("master"), item.get("address"), item.get("ifalias"),
                     (item.get("linkinfo") or {}).get("info_kind"), slave.get("isolated"), slave.get("hairpin"),
                     sorted((a["local"], a["prefixlen"], a.get("broadcast")) for a in item.get("addr_info", ())
                            if a["family"] == "inet")))
    return seen


def kernel_view(sandbox):
    """Everything the wiring consists of, as iproute2 shows it (to compare before/after re-calls)."""
    view = {"host": links_seen(sandbox, None), "routes": ip(sandbox, None, "route"),
            "netns": sorted(os.listdir("/proc/%d/root/run/netns" % sandbox.pid)), "mounts": sorted(mounted(sandbox))}
    for name in ENDPOINTS:
        view[name] = (links_seen(sandbox, name), ip(sandbox, name, "route"))
    return view


def test_bridge_mode_wiring_is_proved_with_packets(sandbox, python):
    driver = Driver(sandbox, python)
    host_inode = stat_inode(sandbox, "/proc/self/ns/net")
    results = driver.ok(wiring_calls() + [["host_links", {}], ["netns_view", {"path": netns("a")}],
                                          ["host_routes", {}], ["_thread_netns", {}],
                                          ["set_sysctl", {"key": "net.ipv4.ip_forward", "value": "1"}],
                                          ["get_sysctl", {"key": "net.ipv4.ip_forward"}], ["_pyroute2_loaded", {}],
                                          ["_pyroute2_importable", {}]])
    links, view_a, routes, thread_netns, _set, forward, loaded, importable = results[-8:]
    assert results[2] == netns("a") and thread_netns == host_inode and forward == "1"
    assert importable and not loaded  # installed, and still never imported by the adapter

    bridge = links[BRIDGE]
    assert (bridge["kind"], bridge["mtu"], bridge["up"], bridge["addresses"], bridge["alias"], bridge["master"],
            bridge["isolated"], bridge["route_localnet"]) == \
        ("bridge", 1400, True, [GATEWAY + "/24"], "linuxnet.containers network=front", None, None, False)
    assert bridge["mac"] == bridge_mac(BRIDGE)
    port = links["lntva"]
    assert (port["kind"], port["mtu"], port["up"], port["master"], port["isolated"], port["hairpin"], port["alias"]) \
        == ("veth", 1400, True, BRIDGE, False, True, "linuxnet.containers endpoint=a")
    assert links["uplink0"]["master"] is None and links["uplink0"]["isolated"] is None
    assert "172.31.0.0/24" in routes and "198.51.100.0/24" in routes and "0.0.0.0/0" not in routes

    assert view_a["inode"] == stat_inode(sandbox, netns("a"))
    assert sorted(view_a["links"]) == ["eth0", "lo"] and view_a["links"]["lo"]["up"]
    eth0 = view_a["links"]["eth0"]
    assert (eth0["mac"], eth0["mtu"], eth0["up"], eth0["addresses"], eth0["kind"]) == \
        ("02:42:ac:1f:00:02", 1400, True, ["172.31.0.2/24"], "veth")
    assert (view_a["default_gateway"], view_a["default_dev"]) == (GATEWAY, "eth0")

    shown = link(sandbox, "a", "eth0")
    assert (shown["address"], shown["mtu"], shown["addr_info"][0]["local"], shown["addr_info"][0]["broadcast"]) == \
        ("02:42:ac:1f:00:02", 1400, "172.31.0.2", "172.31.0.255")
    assert ip(sandbox, "a", "route", "show", "default")[0]["gateway"] == GATEWAY
    slave = link(sandbox, None, "lntva")["linkinfo"]["info_slave_data"]
    assert (slave["isolated"], slave["hairpin"]) == (False, True)

    assert pings(sandbox, "a", "172.31.0.3") and pings(sandbox, "b", GATEWAY)
    sandbox.serve("b", "172.31.0.3", 8080, name="b")
    sandbox.serve(None, GATEWAY, 8081, name="bridge")
    sandbox.serve("lan", "198.51.100.2", 8082, name="lan")
    assert sandbox.request("a", "172.31.0.3", 8080) == "b 172.31.0.2"
    assert sandbox.request("a", GATEWAY, 8081) == "bridge 172.31.0.2"
    assert sandbox.request("a", "198.51.100.2", 8082) == "lan 172.31.0.2"  # the default route, forwarded


def test_re_calls_change_nothing_and_conflicts_are_refused(sandbox, python):
    driver = Driver(sandbox, python)
    wire(driver)
    before = kernel_view(sandbox)
    driver.ok(wiring_calls()[:2] + [call for call in wiring_calls() if call[0] != "create_netns"] + [
        ["bind_netns", {"name": "again", "source_path": netns("a")}],
        ["bind_netns", {"name": "again", "source_path": netns("a")}],
        ["remove_netns", {"name": "again"}], ["remove_netns", {"name": "again"}],
        ["delete_link", {"ifname": "nothere"}], ["delete_link", {"ifname": "nothere", "netns": netns("a")}],
        ["delete_link", {"ifname": "eth0", "netns": netns("gone")}],
        ["del_address", {"ifname": "eth0", "cidr": "172.31.0.99/24", "netns": netns("a")}],
        ["del_address", {"ifname": "nothere", "cidr": "172.31.0.99/24"}],
        ["set_up", {"ifname": "eth0", "netns": netns("a")}],
        ["set_port", {"ifname": "lntva", "master": BRIDGE, "isolated": False}],
    ])
    assert kernel_view(sandbox) == before

    for call, words in (
            (["create_netns", {"name": "a"}], "already names a namespace"),
            (["bind_netns", {"name": "a", "source_path": "/proc/self/ns/net"}], "already names a namespace"),
            (["bind_netns", {"name": "x", "source_path": "/run/netns/nothere"}], "not a network namespace"),
            (["create_bridge", {"ifname": "uplink0", "mtu": 1500, "alias": "x"}], "kind veth"),
            (["set_mtu", {"ifname": "nothere", "mtu": 1500}], "interface nothere does not exist"),
            (["set_mtu", {"ifname": "lntva", "mtu": 1}], "set mtu 1 of lntva: Invalid argument"),
            (["netns_view", {"path": "/run/netns/nothere"}], "not a network namespace"),
            (["set_up", {"ifname": "eth0", "netns": "/run/netns/nothere"}], "/run/netns/nothere"),
            (["create_netns", {"name": "../etc"}], "cannot name a namespace"),
    ):
        answer = driver.refused(call)
        assert words in answer["error"], answer
    assert driver.refused(["create_netns", {"name": "b"}])["errno"] == 17

    # a host end that is someone else's interface, a peer name taken inside: refused, nothing left over
    taken = dict(veth("a")[1], host_ifname="uplink0")
    assert "uplink0 already exists and is not this endpoint's veth" in driver.refused(["create_veth", taken])["error"]
    second = dict(veth("a")[1], host_ifname="lntvx")
    assert "eth0 already exists in /run/netns/a" in driver.refused(["create_veth", second])["error"]
    assert kernel_view(sandbox) == before

    # our own leftover under the host name (same alias, peer not in the namespace): replaced
    sandbox.run(["ip", "link", "add", "lntvz", "type", "veth", "peer", "name", "lntvzp"])
    sandbox.run(["ip", "link", "set", "lntvz", "alias", "linuxnet.containers endpoint=z"])
    driver.ok([["create_netns", {"name": "z"}],
               ["create_veth", dict(veth("a")[1], host_ifname="lntvz", netns_path=netns("z"), mac="02:42:ac:1f:00:09",
                                    alias="linuxnet.containers endpoint=z")]])
    host_names = [item["ifname"] for item in ip(sandbox, None, "link")]
    assert "lntvz" in host_names and "lntvzp" not in host_names
    assert link(sandbox, "z", "eth0")["address"] == "02:42:ac:1f:00:09"


def test_configuration_changes_in_place(sandbox, python):
    driver = Driver(sandbox, python)
    wire(driver)
    driver.ok([["set_mtu", {"ifname": BRIDGE, "mtu": 1300}], ["set_mtu", {"ifname": "lntva", "mtu": 1300}],
               ["set_mtu", {"ifname": "eth0", "mtu": 1300, "netns": netns("a")}],
               ["set_mac", {"ifname": "eth0", "mac": "02:42:ac:1f:00:22", "netns": netns("a")}],
               ["set_alias", {"ifname": "lntva", "alias": "renamed"}],
               ["del_address", {"ifname": "eth0", "cidr": "172.31.0.2/24", "netns": netns("a")}],
               ["add_address", {"ifname": "eth0", "cidr": "172.31.0.22/24", "netns": netns("a")}],
               ["set_default_route", {"netns": netns("a"), "gateway": GATEWAY, "dev": "eth0"}]])
    shown = link(sandbox, "a", "eth0")
    assert (shown["mtu"], shown["address"], [a["local"] for a in shown["addr_info"] if a["family"] == "inet"]) == \
        (1300, "02:42:ac:1f:00:22", ["172.31.0.22"])
    assert link(sandbox, None, "lntva")["ifalias"] == "renamed"
    sandbox.run(["ip", "link", "set", "lntvb", "address", "02:00:00:00:00:01"])  # lower than the bridge's
    assert link(sandbox, None, BRIDGE)["address"] == bridge_mac(BRIDGE)
    sandbox.serve("b", "172.31.0.3", 8080, name="b")
    assert sandbox.request("a", "172.31.0.3", 8080) == "b 172.31.0.22"


def test_isolated_ports_reach_the_bridge_not_each_other(sandbox, python):
    driver = Driver(sandbox, python)
    wire(driver)
    sandbox.serve("b", "172.31.0.3", 8080, name="b")
    sandbox.serve(None, GATEWAY, 8081, name="bridge")
    links = driver.ok([["set_port", {"ifname": "lntva", "master": BRIDGE, "isolated": True}],
                       ["set_port", {"ifname": "lntvb", "master": BRIDGE, "isolated": True}],
                       ["host_links", {}]])[-1]
    assert links["lntva"]["isolated"] is True and links["lntvb"]["hairpin"] is True
    assert link(sandbox, None, "lntva")["linkinfo"]["info_slave_data"]["isolated"] is True
    assert sandbox.request("a", "172.31.0.3", 8080, timeout=1) is None
    assert not pings(sandbox, "a", "172.31.0.3")
    assert sandbox.request("a", GATEWAY, 8081) == "bridge 172.31.0.2"
    driver.ok([["set_port", {"ifname": "lntva", "master": BRIDGE, "isolated": False}],
               ["set_port", {"ifname": "lntvb", "master": BRIDGE, "isolated": False}]])
    # a's ARP for b may still be failing from the isolated attempts; that costs one attempt, no more
    assert "b 172.31.0.2" in [sandbox.request("a", "172.31.0.3", 8080) for _attempt in range(2)]


def test_host_container_and_adopted_namespaces(sandbox, python):
    driver = Driver(sandbox, python)
    wire(driver)
    sleeper = int(sandbox.run(["sh", "-c", "unshare --net sleep 600 >/dev/null 2>&1 & echo $!"]).stdout)
    adopted = "/proc/%d/ns/net" % sleeper
    results = driver.ok([
        ["bind_netns", {"name": "h", "source_path": "/proc/self/ns/net"}],
        ["netns_inode", {"path": netns("h")}], ["netns_view", {"path": netns("h")}],
        ["bind_netns", {"name": "c", "source_path": netns("a")}],
        ["netns_view", {"path": netns("c")}],
        ["bind_netns", {"name": "adopted", "source_path": adopted}],
        ["set_up", {"ifname": "lo", "netns": netns("adopted")}],
        ["create_veth", dict(veth("a")[1], host_ifname="lntvd", netns_path=netns("adopted"), mac="02:42:ac:1f:00:04",
                             alias="linuxnet.containers endpoint=adopted")],
        ["add_address", {"ifname": "eth0", "cidr": "172.31.0.4/24", "netns": netns("adopted")}],
        ["set_default_route", {"netns": netns("adopted"), "gateway": GATEWAY, "dev": "eth0"}],
        ["_sockets", {}],
    ])
    host_view, container_view, sockets = results[2], results[4], results[-1]
    assert results[1] == stat_inode(sandbox, "/proc/self/ns/net") == host_view["inode"]
    assert "uplink0" in host_view["links"] and host_view["default_gateway"] == "198.51.100.2"
    assert "uplink0" in sandbox.run(["ip", "-o", "link"], netns="h").stdout
    assert stat_inode(sandbox, netns("c")) == stat_inode(sandbox, netns("a")) == container_view["inode"]
    assert container_view["links"]["eth0"]["addresses"] == ["172.31.0.2/24"]
    assert sockets == 2  # c (a's namespace) and the adopted one; "h" is served by the host socket
    assert stat_inode(sandbox, netns("adopted")) == stat_inode(sandbox, adopted)

    sandbox.serve("a", "127.0.0.1", 9000, name="a")
    assert sandbox.request("c", "127.0.0.1", 9000) == "a 127.0.0.1"  # container mode: one stack
    sandbox.run(["kill", str(sleeper)])
    sandbox.serve("b", "172.31.0.3", 8080, name="b")
    assert sandbox.request("adopted", "172.31.0.3", 8080) == "b 172.31.0.4"  # the name keeps it alive

    driver.ok([["remove_netns", {"name": "c"}], ["remove_netns", {"name": "h"}]])
    assert sandbox.request("a", "127.0.0.1", 9000) == "a 127.0.0.1"
    assert "uplink0" in [item["ifname"] for item in ip(sandbox, None, "link")]
    assert sorted(mounted(sandbox)) == ["/run/netns/a", "/run/netns/adopted", "/run/netns/b", "/run/netns/lan"]


def test_removal_leaves_no_link_file_or_mount(sandbox, python):
    driver = Driver(sandbox, python)
    wire(driver)
    results = driver.ok([
        ["netns_view", {"path": netns("b")}],  # this run holds a socket inside b
        ["delete_link", {"ifname": "lntva"}],
        ["netns_view", {"path": netns("a")}],
        ["remove_netns", {"name": "a"}],
        ["remove_netns", {"name": "b"}],
        ["_wait_gone", {"ifname": "lntvb"}],  # b died with its name: our socket did not keep it alive
        ["_sockets", {}],
        ["delete_link", {"ifname": BRIDGE}],
        ["netns_inode", {"path": netns("a")}],
    ])
    assert sorted(results[2]["links"]) == ["lo"]
    assert results[5] is True and results[6] == 0 and results[8] is None
    assert sorted(os.listdir("/proc/%d/root/run/netns" % sandbox.pid)) == ["lan"]
    assert mounted(sandbox) == ["/run/netns/lan"]
    assert not [item for item in ip(sandbox, None, "link") if item["ifname"].startswith("lnt")]


def test_fresh_run_netns_becomes_a_shared_mount_and_stale_files_are_reused(sandbox, python):
    driver = Driver(sandbox, python)
    # a private mount namespace whose /run/netns is a plain directory holding a stale plain file
    fresh = ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
             'mount -t tmpfs tmpfs /run; mkdir /run/netns; touch /run/netns/stale; "$@"; '
             "grep ' /run/netns' /proc/self/mountinfo", "sh"]
    answers, mountinfo = driver.answers(
        [["netns_inode", {"path": netns("stale")}], ["create_netns", {"name": "stale"}],
         ["netns_inode", {"path": netns("stale")}], ["create_netns", {"name": "other"}]], wrapper=fresh)
    assert answers[0] == {"ok": None} and answers[1] == {"ok": netns("stale")} and answers[2]["ok"]
    top = [line for line in mountinfo if line.split()[4] == "/run/netns"][-1]  # the sandbox's is hidden below
    assert "shared:" in top.split(" - ")[0] and " tmpfs " in top, mountinfo
    assert len([line for line in mountinfo if line.split()[4] in (netns("stale"), netns("other"))]) >= 2
    assert mounted(sandbox) == ["/run/netns/lan"]  # all of that happened in a private mount namespace


def test_hundred_namespaces_in_one_run_keep_descriptors_bounded(sandbox, python):
    driver = Driver(sandbox, python)
    count = 100
    calls = [["_fds", {}], ["create_bridge", {"ifname": BRIDGE, "mtu": 1500, "alias": "many"}],
             ["add_address", {"ifname": BRIDGE, "cidr": "172.30.0.1/16"}]]
    for i in range(count):
        calls += [["create_netns", {"name": "n%d" % i}],
                  ["create_veth", {"host_ifname": "lntn%d" % i, "peer_ifname": "eth0", "netns_path": netns("n%d" % i),
                                   "mtu": 1500, "mac": "02:42:ac:1e:00:%02x" % (i + 2), "alias": "n%d" % i,
                                   "master": BRIDGE, "isolated": False}],
                  ["add_address", {"ifname": "eth0", "cidr": "172.30.0.%d/16" % (i + 2), "netns": netns("n%d" % i)}],
                  ["set_default_route", {"netns": netns("n%d" % i), "gateway": "172.30.0.1", "dev": "eth0"}]]
    calls += [["netns_view", {"path": netns("n%d" % i)}] for i in range(count)]
    calls += [["_fds", {}], ["_sockets", {}], ["_thread_netns", {}]]
    results = driver.ok(calls)
    fds_before, fds_after, sockets, thread_netns = results[0], results[-3], results[-2], results[-1]
    views = results[-3 - count:-3]
    assert [view["links"]["eth0"]["addresses"] for view in views] == \
        [["172.30.0.%d/16" % (i + 2)] for i in range(count)]
    assert sockets == 64 and fds_after - fds_before <= 64 * 4 + 8
    assert thread_netns == stat_inode(sandbox, "/proc/self/ns/net")
    assert len(os.listdir("/proc/%d/root/run/netns" % sandbox.pid)) == count + 1
    sandbox.serve("n0", "172.30.0.2", 8080, name="n0")
    assert sandbox.request("n%d" % (count - 1), "172.30.0.2", 8080) == "n0 172.30.0.%d" % (count + 1)

    driver.ok([["delete_links", {"ifnames": ["lntn%d" % i for i in range(count)] + ["nothere"]}]])
    assert [item["ifname"] for item in ip(sandbox, None, "link")] == ["lo", "uplink0", BRIDGE]
    assert [item["ifname"] for item in ip(sandbox, "n%d" % (count - 1), "link")] == ["lo"]


def test_a_namespace_view_shows_the_kernels_ipv6_settings_of_each_interface(sandbox, python):
    """accept_ra and autoconf come from the link dump (IFLA_INET6_CONF), not /proc/sys: the values must be the ones
    /proc/sys shows inside the namespace, whatever they are; a link without IPv6 (MTU below 1280) has none."""
    driver = Driver(sandbox, python)
    wire(driver)
    values = [("2", "0"), ("1", "1"), ("0", "0")]
    for accept_ra, autoconf in values:
        sandbox.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=%s" % accept_ra,
                     "net.ipv6.conf.eth0.autoconf=%s" % autoconf], netns="a")
        view = driver.ok([["netns_view", {"path": netns("a")}]])[0]
        shown = {key: sandbox.run(["sysctl", "-n", "net.ipv6.conf.eth0.%s" % key], netns="a").stdout.strip()
                 for key in ("accept_ra", "autoconf")}
        assert view["ipv6_conf"] == {"eth0": shown} == {"eth0": {"accept_ra": accept_ra, "autoconf": autoconf}}
    sandbox.run(["ip", "link", "set", "eth0", "mtu", "1200"], netns="a")
    assert sandbox.run(["test", "-e", "/proc/sys/net/ipv6/conf/eth0"], netns="a", check=False).returncode != 0
    assert driver.ok([["netns_view", {"path": netns("a")}]])[0]["ipv6_conf"] == {"eth0": {}}


def test_sysctls_with_dots_in_interface_names(sandbox, python):
    driver = Driver(sandbox, python)
    results = driver.ok([
        ["create_bridge", {"ifname": "lnt.0", "mtu": 1500, "alias": "dotted"}],
        ["get_sysctl", {"key": "net.ipv4.conf.lnt.0.route_localnet"}],
        ["set_sysctl", {"key": "net.ipv4.conf.lnt.0.route_localnet", "value": "1"}],
        ["get_sysctl", {"key": "/proc/sys/net/ipv4/conf/lnt.0/route_localnet"}],
        ["get_sysctl", {"key": "net/ipv4/conf/lnt.0/route_localnet"}],
        ["host_links", {}],
    ])
    assert results[1] == "0" and results[3] == results[4] == "1"
    assert results[5]["lnt.0"]["route_localnet"] is True  # from the link dump (IFLA_INET_CONF), as /proc/sys shows
    assert sandbox.run(["cat", "/proc/sys/net/ipv4/conf/lnt.0/route_localnet"]).stdout.strip() == "1"
    assert sandbox.run(["cat", "/proc/sys/net/ipv4/conf/all/route_localnet"]).stdout.strip() == "0"
    sandbox.run(["sysctl", "-qw", "net.ipv4.conf.lnt/0.route_localnet=0"])
    assert driver.ok([["host_links", {}]])[0]["lnt.0"]["route_localnet"] is False
    answer = driver.refused(["get_sysctl", {"key": "net.ipv4.conf.nothere.route_localnet"}])
    assert answer["type"] == "KernelError" and answer["errno"] == 2
