# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The addresses in use on each network, indexed once per resolution (the endpoint resolver's helper). Pure.

Asking "is this address free" by walking every endpoint and every claim makes a batch of N endpoints cost N
squared; the resolver keeps this index in step with the state it builds instead, so a re-run that keeps every
address costs one lookup per endpoint.
"""

from __future__ import annotations

from typing import Dict, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Endpoint, Network, State


class Usage:
    """Addresses held by the endpoints of a state, by network and family; `add` the endpoints the resolver adds.
    Claims (the batch's static and kept addresses) stay in the resolver's dict, keyed (network, address) and
    (network, 6, address), and are looked up by key."""

    def __init__(self, state: State):
        self._held: Dict[tuple, Dict[str, int]] = {}   # (network, family) -> address -> how many hold it
        self._cursor: Dict[tuple, int] = {}   # (network, family, subnet, ip_range) -> lowest address still open
        for endpoint in state.endpoints.values():
            self.add(endpoint)

    def add(self, endpoint: Endpoint) -> None:
        for attachment in endpoint.attachments:
            for family, address in ((4, attachment.ipv4_address), (6, attachment.ipv6_address)):
                if address:
                    held = self._held.setdefault((attachment.network, family), {})
                    held[address] = held.get(address, 0) + 1

    def taken(self, network: Network, family: int, address: str, claims: Dict[tuple, str],
              me: Optional[str]) -> bool:
        """Whether `address` is used on `network` by an endpoint, a claim of another endpoint, or (IPv4) a
        remote endpoint of an overlay."""
        if address in self._held.get((network.name, family), {}):
            return True
        owner = claims.get((network.name, address) if family == 4 else (network.name, 6, address))
        if owner is not None and owner != me:
            return True
        return family == 4 and any(address == remote for _name, remote, _aliases in network.remote_endpoints)

    def allocate(self, network: Network, family: int, claims: Dict[tuple, str], me: Optional[str]) -> str:
        """The lowest address of the network's pool (ip_range or subnet) that is not `taken` for `me`.

        One walk per resolution, not one per endpoint: a cursor per pool moves past the addresses every later
        allocation skips as well (reserved, held by an endpoint, a remote endpoint's), while an address that is
        only claimed stops it, since the claimant itself may still get it."""
        if family == 4:
            subnet, gateway, ip_range = network.subnet, network.gateway, network.ip_range
        else:
            subnet, gateway, ip_range = network.ipv6_subnet, network.ipv6_gateway, network.ipv6_ip_range
        first, last = ipam.host_range(subnet, ip_range, family)
        key = (network.name, family, subnet, ip_range)
        reserved = ipam.reserved_for(subnet, gateway, family)
        held = self._held.get((network.name, family), {})
        remote = {address for _name, address, _aliases in network.remote_endpoints} if family == 4 else set()
        cursor = {"next": max(first, self._cursor.get(key, first)), "open": True}

        def unavailable(text: str) -> bool:
            if text in reserved or text in held or text in remote:
                if cursor["open"]:
                    cursor["next"] += 1
                return True
            owner = claims.get((network.name, text) if family == 4 else (network.name, 6, text))
            if owner is None or owner == me:
                return False
            cursor["open"] = False
            return True

        found = ipam.first_free(cursor["next"], last, family, unavailable)
        self._cursor[key] = cursor["next"]
        if found is None:
            raise ipam.no_free_address(family, ip_range or subnet)
        return found[1]
