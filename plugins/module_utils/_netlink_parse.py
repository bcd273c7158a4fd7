# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter's pure half: records of links and namespaces built from the messages _rtnl_codec decodes
(RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE: header fields by key, attributes through get_attr(); a link's
IFLA_AF_SPEC as bytes, read with _rtnl_codec.af_conf), and the values
the adapter computes before asking the kernel (a bridge's fixed MAC, an address's broadcast). Nothing here
opens a socket."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec

IFF_UP = 0x1
MAIN_TABLE = 254
BRIDGE_MAC_PREFIX = "02:6c:6e"  # locally administered; endpoints use 02:42:<IPv4>, so they never collide
# where a link message's IFLA_AF_SPEC arrays hold the sysctls the engine compares (linux/ipv6.h DEVCONF_*;
# linux/ip.h IPV4_DEVCONF_*, stored from index 0 for IPV4_DEVCONF_FORWARDING = 1)
IPV6_CONF_INDEX = (("accept_ra", 3), ("autoconf", 5))
IPV4_ROUTE_LOCALNET_INDEX = 26 - 1


@dataclass(frozen=True)
class Link:
    ifname: str
    index: int
    kind: Optional[str]            # 'bridge', 'veth', None for lo and physical devices
    mtu: int
    mac: str
    up: bool
    alias: Optional[str]           # IFLA_IFALIAS: the collection marks what it owns here
    master: Optional[str]          # ifname of the bridge this link is a port of
    addresses: Tuple[str, ...]     # IPv4 'a.b.c.d/len', sorted
    isolated: Optional[bool]       # bridge-port flag; None when not a bridge port
    hairpin: Optional[bool] = None  # bridge-port flag; None when not a bridge port
    route_localnet: Optional[bool] = None  # host bridges only (net.ipv4.conf.BRIDGE.route_localnet)
    addresses6: Tuple[str, ...] = ()       # global IPv6 'addr/len', sorted (link-local left out)


@dataclass(frozen=True)
class NetnsView:
    inode: int
    links: Dict[str, Link]
    default_gateway: Optional[str]
    default_dev: Optional[str]
    default_gateway6: Optional[str] = None
    default_dev6: Optional[str] = None
    ipv6_conf: Dict[str, Dict[str, str]] = field(default_factory=dict)  # ifname -> {accept_ra, autoconf}


def bridge_mac(ifname: str) -> str:
    """A fixed MAC for a bridge we create. Left alone, a bridge takes the lowest MAC of its ports and changes
    it as ports come and go, leaving every endpoint's ARP entry for the gateway stale for seconds."""
    digest = hashlib.sha256(ifname.encode()).digest()
    return BRIDGE_MAC_PREFIX + "".join(":%02x" % byte for byte in digest[:3])


def broadcast_of(cidr: str) -> Optional[str]:
    """The broadcast address `ip addr add ... brd +` would set (none for /31 and /32)."""
    network = ipaddress.ip_interface(cidr).network
    return str(network.broadcast_address) if network.prefixlen < 31 else None


def split_cidr(cidr: str) -> Tuple[str, int]:
    """(address, prefix length) of an IPv4 or IPv6 'address/len'."""
    interface = ipaddress.ip_interface(cidr)
    return str(interface.ip), interface.network.prefixlen


def attr(message, name: str, default=None):
    value = message.get_attr(name)
    return default if value is None else value


def linkinfo(message, name: str):
    info = message.get_attr("IFLA_LINKINFO")
    return info.get_attr(name) if info is not None else None


def port_flag(message, name: str) -> Optional[bool]:
    data = linkinfo(message, "IFLA_INFO_SLAVE_DATA")
    if linkinfo(message, "IFLA_INFO_SLAVE_KIND") != "bridge" or data is None:
        return None
    value = data.get_attr(name)
    return None if value is None else bool(value)


def ipv6_conf(message) -> Dict[str, str]:
    """accept_ra and autoconf of a link as /proc/sys/net/ipv6/conf/IFNAME shows them, from the link message (the
    kernel's values in the same dump); empty when the link has no IPv6 (then /proc/sys has no such directory)."""
    conf = codec.af_conf(message.get_attr("IFLA_AF_SPEC"), socket.AF_INET6, codec.IFLA_INET6_CONF)
    return {leaf: str(conf[index]) for leaf, index in IPV6_CONF_INDEX if index < len(conf)}


def route_localnet(message) -> Optional[bool]:
    """net.ipv4.conf.IFNAME.route_localnet from the link message; None when the link has no IPv4 settings."""
    conf = codec.af_conf(message.get_attr("IFLA_AF_SPEC"), socket.AF_INET, codec.IFLA_INET_CONF)
    return bool(conf[IPV4_ROUTE_LOCALNET_INDEX]) if len(conf) > IPV4_ROUTE_LOCALNET_INDEX else None


def addresses_by_index(messages: Iterable) -> Dict[int, Tuple[str, ...]]:
    found: Dict[int, List[str]] = {}
    for message in messages:
        attrs = message.attrs
        address = attrs.get("IFA_LOCAL") or attrs.get("IFA_ADDRESS")
        found.setdefault(message["index"], []).append("%s/%d" % (address, message["prefixlen"]))
    return {index: tuple(sorted(cidrs, key=_cidr_key)) if len(cidrs) > 1 else tuple(cidrs)
            for index, cidrs in found.items()}


def links_from(messages: Iterable, addresses: Dict[int, Tuple[str, ...]],
               addresses6: Optional[Dict[int, Tuple[str, ...]]] = None) -> Dict[str, Link]:
    """Link records from RTM_NEWLINK messages (a dump) and the IPv4 (and global IPv6) addresses per ifindex."""
    messages = list(messages)
    names = {message["index"]: message.attrs.get("IFLA_IFNAME") for message in messages}
    addresses6 = addresses6 or {}
    links = {}
    for message in messages:
        attrs, index = message.attrs, message["index"]
        ifname, master, info = attrs.get("IFLA_IFNAME"), attrs.get("IFLA_MASTER"), attrs.get("IFLA_LINKINFO")
        kind = isolated = hairpin = None
        if info is not None:
            kind = info.attrs.get("IFLA_INFO_KIND")
            if info.attrs.get("IFLA_INFO_SLAVE_KIND") == "bridge":
                isolated, hairpin = port_flag(message, "IFLA_BRPORT_ISOLATED"), port_flag(message, "IFLA_BRPORT_MODE")
        mtu, mac = attrs.get("IFLA_MTU"), attrs.get("IFLA_ADDRESS")
        links[ifname] = Link(ifname, index, kind, 0 if mtu is None else mtu, "" if mac is None else mac,
                             bool(message["flags"] & IFF_UP), attrs.get("IFLA_IFALIAS") or None,
                             names.get(master) if master else None, addresses.get(index, ()), isolated, hairpin,
                             None, addresses6.get(index, ()))
    return links


def links_with_addresses(messages: Iterable, addresses: Iterable) -> Dict[str, Link]:
    """Link records from a link dump and an address dump of both families, split into IPv4 and IPv6."""
    addresses = list(addresses)
    return links_from(messages, addresses_by_index(m for m in addresses if m["family"] == socket.AF_INET),
                      addresses_by_index(m for m in addresses if m["family"] == socket.AF_INET6))


def _cidr_key(cidr: str):
    interface = ipaddress.ip_interface(cidr)
    return int(interface.ip), interface.network.prefixlen


def route_table(message) -> int:
    return attr(message, "RTA_TABLE", message["table"])


def main_table_destinations(messages: Iterable) -> List[str]:
    """Destination CIDRs of the main table, without the default route, unique and sorted."""
    found = set()
    for message in messages:
        if route_table(message) != MAIN_TABLE or message["dst_len"] == 0:
            continue
        found.add(str(ipaddress.ip_network("%s/%d" % (message.get_attr("RTA_DST"), message["dst_len"]),
                                           strict=False)))
    return sorted(found, key=_cidr_key)


def default_route(messages: Iterable, names: Dict[int, str]) -> Tuple[Optional[str], Optional[str]]:
    """(gateway, device) of the main table's preferred default route (lowest metric), or (None, None)."""
    defaults = [m for m in messages if route_table(m) == MAIN_TABLE and m["dst_len"] == 0]
    if not defaults:
        return None, None
    best = min(defaults, key=lambda message: attr(message, "RTA_PRIORITY", 0))
    return best.get_attr("RTA_GATEWAY"), names.get(best.get_attr("RTA_OIF"))
