# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPv6 half of the resolvers (_resolve's companion): a network's IPv6 subnet, gateway and range, and an
endpoint's IPv6 address on it, static or allocated. Pure."""

from __future__ import annotations

import ipaddress
from typing import Dict, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Network, NetworkSpec, State


def overlapping(subnet: str, others: Sequence[Network], key: str = "ipv6_subnet") -> Optional[Network]:
    """The first of `others` whose `key` (subnet or ipv6_subnet) overlaps `subnet`."""
    mine = ipaddress.ip_network(subnet)
    for other in others:
        theirs = getattr(other, key)
        if theirs and mine.overlaps(ipaddress.ip_network(theirs)):
            return other
    return None


def network_ipv6(others: Sequence[Network], old: Optional[Network], spec: NetworkSpec, enabled: bool,
                 foreign_routes6: Sequence[str], machine_id: str, prefix: str) -> dict:
    """ipv6_subnet, ipv6_gateway and ipv6_ip_range of a network (all None when IPv6 is off)."""
    if not enabled:
        for key in ("ipv6_subnet", "ipv6_gateway", "ipv6_ip_range"):
            if getattr(spec, key) is not None:
                raise InvalidOption(prefix + key, "network %s does not have IPv6 enabled" % spec.name,
                                    "set enable_ipv6: true")
        return dict(ipv6_subnet=None, ipv6_gateway=None, ipv6_ip_range=None)
    if spec.ipv6_subnet:
        subnet = spec.ipv6_subnet
        clash = overlapping(subnet, others)
        if clash:
            raise InvalidOption(prefix + "ipv6_subnet", "%s overlaps network %s (%s)"
                                % (subnet, clash.name, clash.ipv6_subnet),
                                "choose an IPv6 subnet that overlaps no other network")
    elif old and old.ipv6_subnet:
        subnet = old.ipv6_subnet
    else:
        subnet = ipam.pick_subnet6(machine_id, list(foreign_routes6) + [n.ipv6_subnet for n in others
                                                                        if n.ipv6_subnet])
    if spec.ipv6_gateway:
        gateway = spec.ipv6_gateway
    elif old and old.ipv6_subnet == subnet and old.ipv6_gateway:
        gateway = old.ipv6_gateway
    else:
        gateway = ipam.first_host6(subnet)
    if spec.ipv6_ip_range is not None:
        ip_range = spec.ipv6_ip_range
    else:
        ip_range = old.ipv6_ip_range if old and old.ipv6_subnet == subnet else None
    if ip_range == subnet:
        ip_range = None   # the whole subnet, written out
    return dict(ipv6_subnet=subnet, ipv6_gateway=gateway, ipv6_ip_range=ip_range)


def refuse_family_change(state: State, old: Network, network: Network, prefix: str) -> None:
    """A family switched on or off, or a new IPv6 subnet, would renumber attached endpoints."""
    attached = state.endpoints_on(network.name)
    if not attached:
        return
    names = ", ".join(attached)
    for key in ("enable_ipv4", "enable_ipv6", "ipv6_subnet"):
        if getattr(old, key) != getattr(network, key):
            raise Conflict("%s%s: changing %s to %s would renumber attached endpoints %s; remove them first "
                           "or keep it" % (prefix, key, getattr(old, key), getattr(network, key), names))
    for endpoint in attached:
        attachment = state.endpoints[endpoint].attachment(network.name)
        if network.ipv6_gateway and attachment.ipv6_address == network.ipv6_gateway:
            raise Conflict("%sipv6_gateway: %s is the address of endpoint %s; choose another gateway"
                           % (prefix, network.ipv6_gateway, endpoint))


def static_claim6(state: State, network: Network, address: str, spec_name: str, claims: Dict[tuple, str],
                  field_name: str) -> None:
    """Check a static IPv6 address and claim it for the endpoint (claims keyed by (network, 6, address))."""
    if not network.enable_ipv6:
        raise InvalidOption(field_name, "network %s has no IPv6 (enable_ipv6 is false)" % network.name,
                            "enable IPv6 on the network, or drop ipv6_address")
    if ipaddress.IPv6Address(address) not in ipaddress.IPv6Network(network.ipv6_subnet):
        raise InvalidOption(field_name, "%s is outside ipv6_subnet %s of network %s"
                            % (address, network.ipv6_subnet, network.name), "pick an address inside the subnet")
    if address in (network.ipv6_gateway, str(ipaddress.IPv6Network(network.ipv6_subnet).network_address)):
        raise InvalidOption(field_name, "%s is the gateway or subnet-router address of network %s"
                            % (address, network.name), "pick another address")
    owner = holder(state, network.name, address) or claims.get((network.name, 6, address))
    if owner and owner != spec_name:
        raise InvalidOption(field_name, "%s is already used by endpoint %s on network %s"
                            % (address, owner, network.name),
                            "pick another address or remove endpoint %s first" % owner)
    claims[(network.name, 6, address)] = spec_name


def holder(state: State, network: str, address: str) -> Optional[str]:
    """The endpoint that has `address` (IPv4 or IPv6) on `network`."""
    for endpoint in state.endpoints.values():
        attachment = endpoint.attachment(network)
        if attachment and address in attachment.addresses:
            return endpoint.name
    return None


def kept_claims(old: State, specs, claims: Dict[tuple, str]) -> None:
    """Claim, before any allocation of the batch, the addresses endpoints of the batch already have (and are not
    asked to change), so a new endpoint listed first never takes an address an existing one keeps."""
    for spec in specs:
        endpoint = old.endpoints.get(spec.name)
        for attachment in spec.networks if endpoint else ():
            previous = endpoint.attachment(attachment.network)
            if previous is None:
                continue
            if attachment.ipv4_address is None and previous.ipv4_address:
                claims.setdefault((attachment.network, previous.ipv4_address), spec.name)
            if attachment.ipv6_address is None and previous.ipv6_address:
                claims.setdefault((attachment.network, 6, previous.ipv6_address), spec.name)
