# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adoption checks (`netns_path`, `pid`): pure, run by the endpoint resolver before anything changes.

A namespace is compared by its nsfs identity (st_dev, st_ino), never by its path, so another name
of the same namespace (`/proc/PID/ns/net`, a second bind mount) is recognised as the same one.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import EndpointSpec, State, netns_path

Identity = Tuple[int, int]
IdentityOf = Callable[[str], Optional[Identity]]   # a network namespace's identity; None for anything else


def path_identity(exists: Callable[[str], bool]) -> IdentityOf:
    """An identity for resolvers given only `exists`: each existing path its own namespace."""
    return lambda path: (0, hash(path)) if exists(path) else None


def owners(state: State, identity: IdentityOf, skip: str) -> Dict[Identity, str]:
    """identity -> the managed endpoint holding that namespace (its name or its adoption source)."""
    found: Dict[Identity, str] = {}
    for name in sorted(state.endpoints):
        endpoint = state.endpoints[name]
        if name == skip or endpoint.mode == "host":
            continue
        for path in (netns_path(name), endpoint.adopted):
            key = identity(path) if path else None
            if key is not None:
                found.setdefault(key, endpoint.container or name)
    return found


def check_adoption(state: State, spec: EndpointSpec, identity: IdentityOf, host_identity: Optional[Identity],
                   claimed: Dict[Identity, str], where: Dict[str, str]) -> None:
    """Refuse an adoption source that is not a network namespace, is the host's own, or is another
    managed endpoint's (or another item's of the same batch); record the claim otherwise."""
    source = spec.adopt_source
    if not source:
        return
    field = where.get(spec.name, "") + ("pid" if spec.pid is not None else "netns_path")
    key = identity(source)
    if key is None:
        raise InvalidOption(field, "%s is not a network namespace (it is missing, or another kind of file)" % source,
                            "give the namespace of a running process (pid, /proc/PID/ns/net) or a namespace "
                            "file such as /run/netns/NAME")
    if host_identity is not None and key == host_identity:
        raise InvalidOption(field, "%s is the host's own network namespace; adopting it would put the endpoint's "
                            "interfaces and default route on the host" % source,
                            "use mode: host to share the host's namespace, or give a container's namespace")
    owner = owners(state, identity, spec.name).get(key) or claimed.get(key)
    if owner and owner != spec.name:
        raise InvalidOption(field, "%s is the namespace of managed endpoint %s" % (source, owner),
                            "use mode: container with container: %s to share it" % owner)
    claimed[key] = spec.name
