# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The addresses in use on each network, indexed once per resolution (the endpoint resolver's helper). Pure.

Asking "is this address free" by walking every endpoint and every claim makes a batch of N endpoints cost N
squared; the resolver keeps this index in step with the state it builds instead, so a re-run that keeps every
address costs one lookup per endpoint.
"""

from __future__ import annotations

from typing import Dict, Optional, Set

from ansible_collections.linuxnet.containers.plugins.module_utils._models import Endpoint, Network, State


class Usage:
    """Addresses held by the endpoints of a state, by network and family; `add` the endpoints the resolver adds.
    Claims (the batch's static and kept addresses) stay in the resolver's dict, keyed (network, address) and
    (network, 6, address), and are looked up by key."""

    def __init__(self, state: State):
        self._held: Dict[tuple, Dict[str, int]] = {}   # (network, family) -> address -> how many hold it
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

    def used(self, network: Network, family: int, claims: Dict[tuple, str], me: Optional[str]) -> Set[str]:
        """Every address `taken` on `network`, for an allocation."""
        found = set(self._held.get((network.name, family), {}))
        width = 2 if family == 4 else 3
        found.update(key[-1] for key, owner in claims.items()
                     if key[0] == network.name and len(key) == width and owner != me)
        if family == 4:
            found.update(address for _name, address, _aliases in network.remote_endpoints)
        return found
