# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netavark peer of compare.py: Debian's netavark driven as podman drives it.

    netavark_runtime.py setup|teardown COUNT PORTS

Per container, one after another: setup makes the namespace (in-process, as podman does) and runs
`netavark --config DIR setup /run/netns/NAME` with the network options (the network definition, the
container's static address as podman's IPAM hands it, its port mappings) as JSON on stdin; teardown runs
`netavark teardown` with the same options, then removes the namespace. netavark has no check command, so
there is no no-op re-run. Prints JSON with its timing and the plugin processes' peak RSS. Run it inside a
sandbox host.
"""
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsutil  # noqa: E402  pylint: disable=wrong-import-position
import workload as w  # noqa: E402  pylint: disable=wrong-import-position

NETAVARK = "/usr/lib/podman/netavark"
CONFIG_DIR = "/run/netavark-bench"
NETWORK = {
    "name": w.NETWORK, "id": "b" * 64, "driver": "bridge", "network_interface": "nv-bench0",
    "subnets": [{"subnet": w.SUBNET, "gateway": w.GATEWAY}], "ipv6_enabled": False, "internal": False,
    "dns_enabled": False, "ipam_options": {"driver": "host-local"},
}


def options(i, ports):
    return {
        "container_id": "%064x" % (i + 1), "container_name": w.name(i),
        "networks": {w.NETWORK: {"static_ips": [w.address(i)], "interface_name": "eth0"}},
        "network_info": {w.NETWORK: NETWORK},
        "port_mappings": [{"host_ip": "", "container_port": cp, "host_port": hp, "range": 1, "protocol": "tcp"}
                          for _i, _j, hp, _a, cp in w.publishes(i + 1, ports)[i * ports:]],
    }


def call(command, i, ports):
    proc = subprocess.run([NETAVARK, "--config", CONFIG_DIR, command, nsutil.path(w.name(i))],
                          input=json.dumps(options(i, ports)), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("netavark %s for %s: rc=%d %s%s" % (
            command, w.name(i), proc.returncode, proc.stdout.strip(), proc.stderr.strip()))


def setup(count, ports):
    os.makedirs(CONFIG_DIR, exist_ok=True)
    for i in range(count):
        nsutil.create(w.name(i))
        call("setup", i, ports)


def teardown(count, ports):
    for i in range(count):
        call("teardown", i, ports)
        nsutil.remove(w.name(i))


def main(action, count, ports):
    start = time.monotonic()
    {"setup": setup, "teardown": teardown}[action](count, ports)
    print(json.dumps({"action": action, "seconds": round(time.monotonic() - start, 3),
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
