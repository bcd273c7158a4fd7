# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink adapter benchmark: N namespaces, each with a veth on one bridge, inside sandbox hosts.

    .venv/bin/python tests/benchmarks/bench_netlink.py [N] [PYTHON...]

For each interpreter (default: the .venv's, pyroute2 0.9.x, and Debian's /usr/bin/python3, pyroute2 0.7.x)
a fresh sandbox host runs this file with --inner: one Netlink, as one module run has, times each phase
    wire      create_netns + create_veth (eth0, mac, mtu, isolated flag) + add_address + set_default_route, N times
    read      host_links + netns_view of every namespace, same Netlink (its socket cache holds 64)
    reread    the same from a new Netlink, as the next run's read phase
    teardown  delete_link + remove_netns, N times (the engine's order)
then wires again and times
    batch     one delete_links of every veth + remove_netns, N times
and, for scale, the same wiring through the ip(8) command (one fork per step). It measures; it asserts nothing.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))


def endpoint(i):
    return {"name": "bench%d" % i, "host": "lnb%d" % i, "address": "172.20.%d.%d/16" % divmod(i + 2, 256),
            "mac": "02:42:ac:14:%02x:%02x" % divmod(i + 2, 256)}


def inner(count):
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Netlink
    endpoints = [endpoint(i) for i in range(count)]
    times = {}

    def timed(label, work):
        start = time.monotonic()
        work()
        times[label] = round(time.monotonic() - start, 3)

    netlink = Netlink()

    def wire():
        netlink.create_bridge("lnbench", 1500, "bench")
        netlink.add_address("lnbench", "172.20.0.1/16")
        for item in endpoints:
            path = netlink.create_netns(item["name"])
            netlink.create_veth(item["host"], "eth0", path, 1500, item["mac"], "bench " + item["name"], "lnbench",
                                False)
            netlink.add_address("eth0", item["address"], path)
            netlink.set_default_route(path, "172.20.0.1", "eth0")

    def read(adapter):
        links = adapter.host_links()
        views = [adapter.netns_view("/run/netns/" + item["name"]) for item in endpoints]
        assert sum(1 for link in links.values() if link.master == "lnbench") == count
        assert [view.links["eth0"].addresses[0] for view in views] == [item["address"] for item in endpoints]

    def reread():
        fresh = Netlink()
        try:
            read(fresh)
        finally:
            fresh.close()

    def teardown():
        for item in endpoints:
            netlink.delete_link(item["host"])
            netlink.remove_netns(item["name"])
        netlink.delete_link("lnbench")

    def batch():
        netlink.delete_links([item["host"] for item in endpoints])
        for item in endpoints:
            netlink.remove_netns(item["name"])
        netlink.delete_link("lnbench")

    timed("wire", wire)
    timed("read", lambda: read(netlink))
    timed("reread", reread)
    timed("teardown", teardown)
    wire()
    timed("batch", batch)
    netlink.close()
    print(json.dumps(times))


def iproute2(count):
    def ip(*args):
        subprocess.run(["ip"] + list(args), check=True)

    start = time.monotonic()
    ip("link", "add", "lnbench", "type", "bridge")
    ip("addr", "add", "172.20.0.1/16", "dev", "lnbench")
    ip("link", "set", "lnbench", "up")
    for item in (endpoint(i) for i in range(count)):
        name = item["name"]
        ip("netns", "add", name)
        ip("-n", name, "link", "set", "lo", "up")
        ip("link", "add", item["host"], "type", "veth", "peer", "name", "eth0", "netns", name)
        ip("link", "set", item["host"], "master", "lnbench", "up")
        ip("-n", name, "link", "set", "eth0", "address", item["mac"], "up")
        ip("-n", name, "addr", "add", item["address"], "dev", "eth0")
        ip("-n", name, "route", "add", "default", "via", "172.20.0.1")
    print(json.dumps({"wire": round(time.monotonic() - start, 3)}))


def outer(count, pythons):
    from harness import COLLECTIONS, Sandbox  # pylint: disable=import-outside-toplevel
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    runs = [(python, [python, os.path.abspath(__file__), "--inner", str(count)]) for python in pythons]
    runs.append(("ip(8), one fork per step", [sys.executable, os.path.abspath(__file__), "--iproute2", str(count)]))
    print("%d namespaces, each with a veth on one bridge (seconds)" % count)
    for label, argv in runs:
        sandbox = Sandbox()
        try:
            version = sandbox.run([argv[0], "-c", "from importlib.metadata import version; print(version('pyroute2'))"],
                                  check=False, env=env).stdout.strip()
            result = json.loads(sandbox.run(argv, env=env, timeout=1800).stdout)
            print("%-44s pyroute2 %-6s %s" % (label, version if "ip(8)" not in label else "-",
                                              "  ".join("%s %.2f" % item for item in result.items())))
        finally:
            sandbox.close()


def main(args):
    if args[:1] == ["--inner"]:
        inner(int(args[1]))
    elif args[:1] == ["--iproute2"]:
        iproute2(int(args[1]))
    else:
        from harness import SYSTEM_PYTHON, VENV_PYTHON  # pylint: disable=import-outside-toplevel
        count = int(args[0]) if args else 200
        outer(count, args[1:] or [VENV_PYTHON, SYSTEM_PYTHON])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
