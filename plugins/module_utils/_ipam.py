# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address management and derived names: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Iterable, Iterator, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict

IFNAMSIZ = 15
BRIDGE_PREFIX = "lnc-"
VETH_PREFIX = "lnv"


def default_pools() -> Iterator[ipaddress.IPv4Network]:
    """Docker's default address pools, in Docker's order: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s."""
    for second in range(17, 32):
        yield ipaddress.IPv4Network("172.%d.0.0/16" % second)
    yield from ipaddress.IPv4Network("192.168.0.0/16").subnets(new_prefix=20)


def pick_subnet(taken: Iterable[str]) -> str:
    """The first default pool that overlaps none of the `taken` CIDRs (host routes, other networks)."""
    used = [ipaddress.IPv4Network(cidr, strict=False) for cidr in taken]
    for pool in default_pools():
        if not any(pool.overlaps(other) for other in used):
            return str(pool)
    raise Conflict("subnet: every default address pool (172.17.0.0/16-172.31.0.0/16, 192.168.0.0/16 in /20s) "
                   "overlaps a host route or another network; set subnet explicitly")


def first_host(subnet: str) -> str:
    net = ipaddress.IPv4Network(subnet)
    if net.prefixlen >= 31:
        return str(net.network_address)
    return str(net.network_address + 1)


def reserved_addresses(subnet: str, gateway: str) -> set:
    net = ipaddress.IPv4Network(subnet)
    reserved = {gateway}
    if net.prefixlen < 31:
        reserved.update({str(net.network_address), str(net.broadcast_address)})
    return reserved


def allocate(subnet: str, gateway: str, ip_range: Optional[str], in_use: Iterable[str]) -> str:
    """The lowest free address of ip_range (or the subnet), skipping gateway, network, broadcast and in_use."""
    pool = ipaddress.IPv4Network(ip_range or subnet)
    unavailable = reserved_addresses(subnet, gateway) | set(in_use)
    candidates = pool.hosts() if pool.prefixlen < 31 else iter(pool)
    for address in candidates:
        text = str(address)
        if text not in unavailable:
            return text
    raise Conflict("ipv4_address: no free address left in %s; widen subnet or ip_range, or remove endpoints"
                   % (ip_range or subnet))


def mac_from_ipv4(address: str) -> str:
    """Docker's scheme: 02:42 followed by the four octets, so re-creation keeps the MAC."""
    octets = ipaddress.IPv4Address(address).packed
    return "02:42:" + ":".join("%02x" % octet for octet in octets)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def default_bridge_name(network: str) -> str:
    """Readable when it fits (`lnc-NAME`), otherwise a stable hash of the network name."""
    candidate = BRIDGE_PREFIX + network
    if len(candidate) <= IFNAMSIZ:
        return candidate
    return BRIDGE_PREFIX + network[:4] + _digest(network)[:IFNAMSIZ - len(BRIDGE_PREFIX) - 4]


def host_ifname(endpoint: str, network: str) -> str:
    """Name of the host end of an endpoint's veth on a network: stable, 15 characters."""
    return VETH_PREFIX + _digest(endpoint, network)[:IFNAMSIZ - len(VETH_PREFIX)]
