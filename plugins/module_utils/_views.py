# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Objects as the modules return them and as diff mode shows them. Pure: state in, dicts out."""

from __future__ import annotations

from typing import List, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._overlay import OVERLAY_ONLY


def network_view(state: State, name: str) -> dict:
    data = state.networks[name].to_dict()
    if data["driver"] != "overlay":
        for key in OVERLAY_ONLY:
            data.pop(key)
    else:
        data["remote_endpoints"] = [{"name": n, "address": a, "aliases": list(al)}
                                    for n, a, al in state.networks[name].remote_endpoints]
    data["endpoints"] = state.endpoints_on(name)
    return data


def _prefix(network, key: str) -> Optional[int]:
    subnet = getattr(network, key) if network is not None else None
    return int(subnet.split("/")[1]) if subnet else None


def endpoint_view(state: State, name: str, inode: Optional[int]) -> dict:
    endpoint = state.endpoints[name]
    networks = state.networks
    return {
        "name": name,
        "mode": endpoint.mode,
        "netns": endpoint.netns,
        "netns_inode": inode,
        "container": endpoint.container,
        "adopted": endpoint.adopted,
        "interfaces": [{
            "ifname": a.ifname,
            "network": a.network,
            "ipv4_address": a.ipv4_address,
            "prefix_length": _prefix(networks.get(a.network), "subnet"),
            "gateway": networks[a.network].gateway if a.network in networks else None,
            "ipv6_address": a.ipv6_address,
            "ipv6_prefix_length": _prefix(networks.get(a.network), "ipv6_subnet"),
            "ipv6_gateway": networks[a.network].ipv6_gateway if a.network in networks else None,
            "mac_address": a.mac_address,
            "host_ifname": a.host_ifname,
            "aliases": list(a.aliases),
        } for a in endpoint.attachments],
        "dns": list(endpoint.dns),
        "dns_search": list(endpoint.dns_search),
        "dns_options": list(endpoint.dns_options),
        "etc_hosts": dict(endpoint.etc_hosts),
    }


def foreign_view(name: str, path: str, inode: int, view) -> dict:
    """A namespace the collection does not manage, as the kernel shows it (a _netlink_parse.NetnsView): each
    interface's IPv4 `addresses` and global `ipv6_addresses` (CIDRs), and the default routes' gateways on the
    interface they leave by."""
    def gateway(ifname, dev, address):
        return address if dev == ifname else None
    return {
        "name": name, "mode": None, "netns": path, "netns_inode": inode, "present": True, "managed": False,
        "interfaces": [{
            "ifname": link.ifname, "mac_address": link.mac, "up": link.up,
            "addresses": list(link.addresses), "ipv6_addresses": list(link.addresses6),
            "gateway": gateway(link.ifname, view.default_dev, view.default_gateway),
            "ipv6_gateway": gateway(link.ifname, view.default_dev6, view.default_gateway6),
        } for link in sorted(view.links.values(), key=lambda link: link.ifname)],
    }


def published_view(state: State, name: str) -> List[dict]:
    """The ports an endpoint publishes, one entry per host port and family (ranges expanded): a port without a
    host IP on a dual-stack endpoint shows twice, on 0.0.0.0 and on ::, as Docker lists it."""
    entries = []
    for publish in state.published.get(name, ()):
        target = state.publish_attachment(name, publish.network)
        attachment = target[1] if target else None
        for family, host_ip, address in _families(publish.host_ip, attachment):
            for offset in range(publish.count):
                entries.append({
                    "endpoint": name, "network": publish.network, "protocol": publish.protocol, "family": family,
                    "host_ip": host_ip, "host_port": publish.host_port + offset,
                    "container_ip": address, "container_port": publish.container_port + offset,
                    "allowed_sources": list(publish.allowed_sources)})
    return entries


def _families(host_ip: Optional[str], attachment) -> List[tuple]:
    """(family, host_ip, container_ip) of each family a publish serves."""
    v4 = attachment.ipv4_address if attachment else None
    v6 = attachment.ipv6_address if attachment else None
    if host_ip is None:
        found = [("ipv4", "0.0.0.0", v4)] if v4 or not v6 else []
        return found + ([("ipv6", "::", v6)] if v6 else [])
    if ":" in host_ip:
        return [("ipv6", host_ip, v6)]
    return [("ipv4", host_ip, v4)]
