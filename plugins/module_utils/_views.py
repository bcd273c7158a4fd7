# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Objects as the modules return them and as diff mode shows them. Pure: state in, dicts out."""

from __future__ import annotations

from typing import List, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils._desired import publish_target
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
            "prefix_length": int(networks[a.network].subnet.split("/")[1]) if a.network in networks else None,
            "gateway": networks[a.network].gateway if a.network in networks else None,
            "mac_address": a.mac_address,
            "host_ifname": a.host_ifname,
            "aliases": list(a.aliases),
        } for a in endpoint.attachments],
        "dns": list(endpoint.dns),
        "dns_search": list(endpoint.dns_search),
        "dns_options": list(endpoint.dns_options),
        "etc_hosts": dict(endpoint.etc_hosts),
    }


def published_view(state: State, name: str) -> List[dict]:
    """The ports an endpoint publishes, one entry per host port (ranges expanded)."""
    entries = []
    for publish in state.published.get(name, ()):
        target = publish_target(state, name, publish.network)
        for offset in range(publish.count):
            entries.append({
                "endpoint": name, "network": publish.network, "protocol": publish.protocol,
                "host_ip": publish.host_ip or "0.0.0.0", "host_port": publish.host_port + offset,
                "container_ip": target[1] if target else None, "container_port": publish.container_port + offset,
                "allowed_sources": list(publish.allowed_sources)})
    return entries
