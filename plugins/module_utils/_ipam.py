# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address management and derived names: pure functions, no I/O."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from typing import Callable, Iterable, Iterator, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict

IFNAMSIZ = 15
BRIDGE_PREFIX = "lnc-"
VETH_PREFIX = "lnv"


@functools.lru_cache(maxsize=256)
def subnet(cidr: str):
    """A network's subnet (IPv4 or IPv6) parsed once per run, for all its endpoints (the resolver and planner)."""
    return ipaddress.ip_network(cidr)


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


def host_range(subnet: str, ip_range: Optional[str], family: int = 4) -> Tuple[int, int]:
    """(first, last) address of `ip_range` (or the subnet) that may be handed out, as integers.

    IPv4 leaves out the pool's network and broadcast addresses unless it is a /31 or /32; IPv6 leaves out
    nothing here (the subnet-router ::0 and the gateway are in `reserved`)."""
    pool = ipaddress.ip_network(ip_range or subnet)
    first, last = int(pool.network_address), int(pool.broadcast_address)
    if family == 4 and pool.prefixlen < 31:
        return first + 1, last - 1
    return first, last


def reserved_for(subnet: str, gateway: str, family: int = 4) -> set:
    """Addresses never handed out: the gateway, and the network and broadcast (IPv4) or ::0 (IPv6)."""
    if family == 4:
        return reserved_addresses(subnet, gateway)
    net = ipaddress.IPv6Network(subnet)
    return {str(ipaddress.IPv6Address(gateway)), str(net.network_address)}


def first_free(first: int, last: int, family: int, unavailable: Callable[[str], bool]) -> Optional[Tuple[int, str]]:
    """(value, text) of the lowest address from `first` to `last` that is not `unavailable`, or None."""
    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    value = first
    while value <= last:
        text = str(make(value))
        if not unavailable(text):
            return value, text
        value += 1
    return None


def no_free_address(family: int, pool: str) -> Conflict:
    if family == 4:
        return Conflict("ipv4_address: no free address left in %s; widen subnet or ip_range, or remove endpoints"
                        % pool)
    return Conflict("ipv6_address: no free address left in %s; widen ipv6_subnet or ipv6_ip_range, or remove "
                    "endpoints" % pool)


def allocate(subnet: str, gateway: str, ip_range: Optional[str], in_use: Iterable[str]) -> str:
    """The lowest free address of ip_range (or the subnet), skipping gateway, network, broadcast and in_use."""
    unavailable = reserved_addresses(subnet, gateway) | set(in_use)
    found = first_free(*host_range(subnet, ip_range), 4, unavailable.__contains__)
    if found is None:
        raise no_free_address(4, ip_range or subnet)
    return found[1]


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


# IPv6 ------------------------------------------------------------------------------------
ULA_SUBNET_PREFIX = 64


def ula_pool(machine_id: str) -> ipaddress.IPv6Network:
    """The host's ULA /48 (RFC 4193): fd followed by 40 bits of sha256 of the machine-id, the same on every run."""
    global_id = int(_digest(machine_id.strip() or "linuxnet.containers")[:10], 16)
    return ipaddress.IPv6Network(((0xFD << 120) | (global_id << 80), 48))


def pick_subnet6(machine_id: str, taken: Iterable[str]) -> str:
    """The first /64 of the host's ULA /48 that overlaps none of the `taken` IPv6 CIDRs."""
    used = [ipaddress.IPv6Network(cidr, strict=False) for cidr in taken]
    pool = ula_pool(machine_id)
    for subnet in pool.subnets(new_prefix=ULA_SUBNET_PREFIX):
        if not any(subnet.overlaps(other) for other in used):
            return str(subnet)
    raise Conflict("ipv6_subnet: every /64 of %s overlaps a host route or another network; set ipv6_subnet "
                   "explicitly" % pool)


def first_host6(subnet: str) -> str:
    """The default IPv6 gateway: the subnet's ::1 (its ::0 is the subnet-router anycast address)."""
    return str(ipaddress.IPv6Network(subnet).network_address + 1)


def allocate6(subnet: str, gateway: str, ip_range: Optional[str], in_use: Iterable[str]) -> str:
    """The lowest free IPv6 address of ip_range (or the subnet), skipping ::0, the gateway and in_use."""
    unavailable = reserved_for(subnet, gateway, 6) | {str(ipaddress.IPv6Address(address)) for address in in_use}
    first, last = host_range(subnet, ip_range, 6)
    # at most len(unavailable) + 1 steps: the pool is a /64 or at worst a few addresses
    found = first_free(first, min(last, first + len(unavailable)), 6, unavailable.__contains__)
    if found is None:
        raise no_free_address(6, ip_range or subnet)
    return found[1]


def mac_from_name(endpoint: str, network: str) -> str:
    """For an endpoint without an IPv4 address: 02:42 and four bytes of a hash of its names, stable."""
    return "02:42:" + ":".join(_digest("mac", endpoint, network)[i:i + 2] for i in range(0, 8, 2))
