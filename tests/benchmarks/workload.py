# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one workload every tool of compare.py builds: names, addresses and ports, in one place.

One bridge on 172.20.0.0/16 (gateway 172.20.0.1); endpoint i is the namespace /run/netns/ep<i> with eth0 at
172.20.0.<i+2> (counted on across the third octet), a default route via the gateway, and `ports` published TCP
ports: host port 20000 + i * ports + j to container port 80 + j. Standard library only.
"""
import ipaddress

SUBNET = "172.20.0.0/16"
PREFIX = 16
GATEWAY = "172.20.0.1"
HOST_ADDRESS = "198.51.100.1"  # the sandbox host's uplink0, which the client namespace `lan` reaches
CLIENT_NETNS = "lan"
FIRST_HOST_PORT = 20000
FIRST_CONTAINER_PORT = 80
NETWORK = "bench"


def name(i):
    return "ep%d" % i


def address(i):
    return str(ipaddress.ip_address("172.20.0.2") + i)


def mac(i):
    return "02:42:ac:14:%02x:%02x" % divmod(i + 2, 256)


def host_port(i, j=0, ports=1):
    return FIRST_HOST_PORT + i * ports + j


def container_port(j=0):
    return FIRST_CONTAINER_PORT + j


def publishes(count, ports=1):
    """(endpoint index, port index, host port, container address, container port) of every publish."""
    return [(i, j, host_port(i, j, ports), address(i), container_port(j)) for i in range(count) for j in range(ports)]


def sample(count, limit):
    """Endpoint indexes to probe: all of them up to `limit`, else `limit` spread evenly (first and last included)."""
    if count <= limit:
        return list(range(count))
    step = (count - 1) / (limit - 1)
    return sorted({round(k * step) for k in range(limit)})
