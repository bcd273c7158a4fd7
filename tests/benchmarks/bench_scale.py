# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale benchmark, inside a sandbox host: N bridge endpoints and N published ports in batch form.

    .venv/bin/python tests/benchmarks/bench_scale.py [N]

Prints wall-clock seconds of each module call (first run, idempotent re-run, check mode) and proves
the last endpoint's published port answers. It measures; it asserts no timing.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Sandbox  # noqa: E402  pylint: disable=wrong-import-position


def timed(label, call):
    start = time.monotonic()
    result = call()
    print("%-48s %6.2f s  changed=%s" % (label, time.monotonic() - start, result.get("changed")))
    return result


def main(count):
    sandbox = Sandbox()
    try:
        endpoints = [{"name": "ep%d" % i, "network": "bench"} for i in range(count)]
        ports = [{"endpoint": "ep%d" % i, "ports": ["%d:80" % (20000 + i)]} for i in range(count)]
        timed("container_network (1 network)", lambda: sandbox.module(
            "linuxnet.containers.container_network", name="bench", subnet="172.20.0.0/16"))
        for label, check in (("netns_endpoint: %d endpoints, first run" % count, False),
                             ("netns_endpoint: %d endpoints, re-run" % count, False),
                             ("netns_endpoint: %d endpoints, check mode" % count, True)):
            timed(label, lambda check=check: sandbox.module("linuxnet.containers.netns_endpoint", check=check,
                                                            endpoints=endpoints))
        for label in ("port_publish: %d endpoints, first run" % count, "port_publish: %d endpoints, re-run" % count):
            timed(label, lambda: sandbox.module("linuxnet.containers.port_publish", endpoints=ports))
        last = count - 1
        sandbox.serve("ep%d" % last, "0.0.0.0", 80, name="ep%d" % last)
        print("lan -> port %d: %s" % (20000 + last, sandbox.request("lan", "198.51.100.1", 20000 + last)))
        rules = sandbox.run(["nft", "list", "chain", "inet", "linuxnet_containers", "nat_prerouting"]).stdout
        print("rules in nat_prerouting with %d publishes: %d" % (count, rules.count("\n\t\t")))
    finally:
        sandbox.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
