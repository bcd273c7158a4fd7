# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lower bound of compare.py: the workload from one Python process with pyroute2 and one `nft -f`.

    lower_bound.py setup|rerun|teardown COUNT PORTS

setup     reads the host's links once; makes the bridge; per endpoint: creates the namespace in-process
          (unshare + bind mount, no fork) and opens that namespace's one netlink socket while inside it; one
          request makes the veth with its peer already in the namespace, named eth0 with its MAC, the host end
          a bridge port and up; then lo and eth0 up, the address and the default route over that socket; finally
          one `nft -f` transaction with a DNAT map of every publish and the masquerade rule.
rerun     reads everything back (host once, one socket per namespace, the nft table once), changes nothing.
teardown  deletes the nft table in one transaction, unmounts every namespace (the kernel's batched namespace
          cleanup removes the veths), deletes the bridge and waits until the host has no veth of ours left.
Run it inside a sandbox host. Prints JSON with its own timings.
"""
import json
import os
import subprocess
import sys
import time

from pyroute2 import IPRoute

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsutil  # noqa: E402  pylint: disable=wrong-import-position
import workload as w  # noqa: E402  pylint: disable=wrong-import-position

BRIDGE = "lbench0"
TABLE = "lower_bound"


def veth(i):
    return "lbv%d" % i


def ruleset(count, ports):
    elements = ",\n".join("    tcp . %d : %s . %d" % (hp, addr, cp) for _i, _j, hp, addr, cp in w.publishes(count, ports))
    return """table ip %(table)s {
  map published {
    type inet_proto . inet_service : ipv4_addr . inet_service
    elements = {
%(elements)s
    }
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local dnat ip to meta l4proto . th dport map @published
  }
  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local dnat ip to meta l4proto . th dport map @published
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr %(subnet)s oifname != "%(bridge)s" masquerade
  }
}
""" % {"table": TABLE, "elements": elements, "subnet": w.SUBNET, "bridge": BRIDGE}


def setup(count, ports):
    with IPRoute() as ipr:
        links = {link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}  # the host, read once
        if BRIDGE in links:
            raise SystemExit("%s exists already" % BRIDGE)
        ipr.link("add", ifname=BRIDGE, kind="bridge")
        bridge = ipr.link_lookup(ifname=BRIDGE)[0]
        ipr.addr("add", index=bridge, address=w.GATEWAY, prefixlen=w.PREFIX)
        ipr.link("set", index=bridge, state="up")
        with open("/proc/sys/net/ipv4/ip_forward", "w", encoding="ascii") as handle:
            handle.write("1")
        for i in range(count):
            with nsutil.create(w.name(i), IPRoute) as inside:
                fd = os.open("/run/netns/" + w.name(i), os.O_RDONLY)
                try:
                    ipr.link("add", ifname=veth(i), kind="veth", master=bridge, state="up",
                             peer={"ifname": "eth0", "address": w.mac(i), "net_ns_fd": fd})
                finally:
                    os.close(fd)
                inside.link("set", index=1, state="up")
                eth0 = inside.link_lookup(ifname="eth0")[0]
                inside.link("set", index=eth0, state="up")
                inside.addr("add", index=eth0, address=w.address(i), prefixlen=w.PREFIX)
                inside.route("add", dst="0.0.0.0/0", gateway=w.GATEWAY, oif=eth0)
    subprocess.run(["nft", "-f", "-"], input=ruleset(count, ports), text=True, check=True)


def rerun(count, ports):
    """Read back what setup made and compare; the workload is already there, so nothing is changed."""
    wrong = []
    with IPRoute() as ipr:
        links = {link.get_attr("IFLA_IFNAME"): link for link in ipr.get_links()}
        bridge = links[BRIDGE]["index"]
        ports_of_bridge = {name for name, link in links.items() if link.get_attr("IFLA_MASTER") == bridge}
        wrong += [veth(i) for i in range(count) if veth(i) not in ports_of_bridge]
    for i in range(count):
        with nsutil.inside(w.name(i), IPRoute) as inside:
            addrs = {a.get_attr("IFA_ADDRESS") for a in inside.get_addr(family=2, label="eth0")}
            routes = [r for r in inside.get_routes(family=2, dst_len=0, table=254)
                      if r.get_attr("RTA_GATEWAY") == w.GATEWAY]
            if w.address(i) not in addrs or not routes:
                wrong.append(w.name(i))
    table = json.loads(subprocess.run(["nft", "-j", "list", "map", "ip", TABLE, "published"], capture_output=True,
                                      text=True, check=True).stdout)
    elements = [item["map"].get("elem", []) for item in table["nftables"] if "map" in item][0]
    if len(elements) != count * ports:
        wrong.append("nft map has %d elements" % len(elements))
    if wrong:
        raise SystemExit("re-run found differences: %s" % wrong[:10])


def teardown(count, _ports):
    subprocess.run(["nft", "delete", "table", "ip", TABLE], check=True)
    for i in range(count):
        nsutil.remove(w.name(i))
    with IPRoute() as ipr:
        ipr.link("del", index=ipr.link_lookup(ifname=BRIDGE)[0])
        while any(link.get_attr("IFLA_IFNAME").startswith("lbv") for link in ipr.get_links()):
            time.sleep(0.01)


def main(action, count, ports):
    start = time.monotonic()
    {"setup": setup, "rerun": rerun, "teardown": teardown}[action](count, ports)
    print(json.dumps({"action": action, "seconds": round(time.monotonic() - start, 3)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
