# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host must have beyond links and namespaces, derived from the state alone. Pure.

The planner's companions: the firewall (networks and their published ports as the nftables
adapter takes them) and the host sysctls the networks need.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._models import Network, State
from ansible_collections.linuxnet.containers.plugins.module_utils._overlay import overlay_guard
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
)

IP_FORWARD = "net.ipv4.ip_forward"
# All IPv6 forwarding is one switch: it also turns `forwarding` on for every interface, and an interface with
# accept_ra=1 then ignores router advertisements (the engine moves RA-configured uplinks to accept_ra=2).
IPV6_FORWARD = "net.ipv6.conf.all.forwarding"


def route_localnet_key(bridge: str) -> str:
    return "net.ipv4.conf.%s.route_localnet" % bridge


def publish_target(state: State, endpoint_name: str, network_name: Optional[str]) -> Optional[Tuple[Network, str]]:
    """(network, IPv4 address) a publish of this endpoint reaches; container mode publishes on its target."""
    found = publish_attachment(state, endpoint_name, network_name)
    return (found[0], found[1].ipv4_address) if found else None


def publish_attachment(state: State, endpoint_name: str, network_name: Optional[str]) -> Optional[tuple]:
    """(network, attachment) a publish of this endpoint reaches (State.publish_attachment)."""
    return state.publish_attachment(endpoint_name, network_name)


def firewall_state(state: State, publishes: bool = True) -> FirewallState:
    """The firewall follows from the state alone: networks and their published ports (publishes=False: the
    networks' part only, for Nftables.plan_networks)."""
    networks = tuple(FirewallNetwork(name=n.name, bridge=n.bridge, subnet=n.subnet, gateway=n.gateway,
                                     masquerade=n.masquerade, icc=n.icc, internal=n.internal, isolated=n.isolated,
                                     ipv6_subnet=n.ipv6_subnet, gateway_mode_ipv4=n.gateway_mode_ipv4,
                                     gateway_mode_ipv6=n.gateway_mode_ipv6)
                     for n in sorted(state.networks.values(), key=lambda n: n.name))
    found = []
    for endpoint_name, items in sorted(state.published.items()) if publishes else ():
        for publish in items:
            target = publish_attachment(state, endpoint_name, publish.network)
            if target is None:
                continue
            network, attachment = target
            routed = tuple(family for family, mode in ((4, network.gateway_mode_ipv4), (6, network.gateway_mode_ipv6))
                           if mode == "routed")
            for offset in range(publish.count):
                found.append(FirewallPublish(
                    endpoint=endpoint_name, protocol=publish.protocol, host_ip=publish.host_ip,
                    host_port=publish.host_port + offset, container_ip=attachment.ipv4_address,
                    container_port=publish.container_port + offset, bridge=network.bridge,
                    allowed_sources=publish.allowed_sources, container_ip6=attachment.ipv6_address, routed=routed))
    foreign_accept = tuple(sorted(n.bridge for n in state.networks.values()
                                  if n.accept_in_foreign_firewalls and not n.internal))
    return FirewallState(networks=networks, publishes=tuple(found), foreign_accept=foreign_accept,
                         overlay_guard=overlay_guard(state.networks.values()))


def desired_sysctls(state: State) -> Dict[str, str]:
    """Host sysctls the state needs: forwarding for routed networks, route_localnet for loopback publishes."""
    wanted: Dict[str, str] = {}
    if any(not network.internal and network.enable_ipv4 for network in state.networks.values()):
        wanted[IP_FORWARD] = "1"
    if any(not network.internal and network.enable_ipv6 for network in state.networks.values()):
        wanted[IPV6_FORWARD] = "1"
    for endpoint_name, items in state.published.items():   # firewall_state's publishes, without building them
        loopback = [publish for publish in items if publish.count > 0 and
                    (publish.host_ip is None or publish.host_ip.startswith("127."))]
        for publish in loopback:
            target = publish_attachment(state, endpoint_name, publish.network)
            if target is not None and target[1].ipv4_address:
                wanted[route_localnet_key(target[0].bridge)] = "1"
    return wanted
