# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The next state of published ports: host ports claimed, kept and picked, conflicts named. Pure."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption, UnknownReference
from ansible_collections.linuxnet.containers.plugins.module_utils._models import PortSpec, Publish, PublishSpec, State
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import Resolution, touched_and_removed

# Docker picks a missing host port from the kernel's default ephemeral range; so do we, lowest free first.
AUTO_PORTS = range(32768, 61000)


def _spans(protocol: str, host_ip: Optional[str], first: int, count: int):
    return protocol, host_ip, first, first + count - 1


def _overlap(a, b) -> bool:
    """Whether two (protocol, host_ip, first, last) spans claim a common host port."""
    return a[0] == b[0] and _same_addresses(a[1], b[1]) and a[2] <= b[3] and b[2] <= a[3]


class _Claims:
    """The host ports published so far in a resolution, indexed by (protocol, port): checking a new span costs
    its own ports, not one comparison per publish on the host. `first` keeps the list order of the claims, so
    a conflict names the same owner a walk of the list would."""

    def __init__(self):
        self._by_port: Dict[tuple, list] = {}
        self._count = 0

    def add(self, span, owner: str) -> None:
        for number in range(span[2], span[3] + 1):
            self._by_port.setdefault((span[0], number), []).append((self._count, span, owner))
        self._count += 1

    def first(self, span) -> Optional[tuple]:
        """(span, owner) of the earliest claim overlapping `span`, or None."""
        found = None
        for number in range(span[2], span[3] + 1):
            for item in self._by_port.get((span[0], number), ()):
                if (found is None or item[0] < found[0]) and _overlap(span, item[1]):
                    found = item
        return found[1:] if found else None


def _same_addresses(one: Optional[str], other: Optional[str]) -> bool:
    """Whether two host IPs of publishes share an address (None: all of both families; '::': all IPv6)."""
    if one is None or other is None or one == other:
        return True
    return "::" in (one, other) and ":" in one and ":" in other


def resolve_publishes(state: State, specs: Sequence[PublishSpec], exclusive: bool,
                      port_owner: Callable[[str, Optional[str], int], Optional[str]],
                      where: Dict[str, str]) -> Resolution:
    """Next state of published ports. `port_owner(protocol, host_ip, port)` names a listening process, if any."""
    new = state.copy()
    names, removals = touched_and_removed(specs, "endpoint", "endpoint", state.published, exclusive, where)
    touched = set(names) | set(removals)
    for name in touched:
        new.published.pop(name, None)
    for spec in specs:
        if spec.state == "present":
            _check_target(state, spec, where.get(spec.endpoint, ""))
    claims = _Claims()
    for name, items in new.published.items():
        for p in items:
            claims.add(_spans(p.protocol, p.host_ip, p.host_port, p.count), name)
    for spec in specs:
        if spec.state == "present" and spec.ports:
            new.published[spec.endpoint] = _publishes(state, new, spec, (port_owner, claims),
                                                      where.get(spec.endpoint, ""))
    return Resolution(new, sorted(touched))


def _check_target(state: State, spec: PublishSpec, prefix: str) -> None:
    endpoint = state.endpoints.get(spec.endpoint)
    if endpoint is None:
        raise UnknownReference(prefix + "endpoint", "endpoint %s does not exist" % spec.endpoint,
                               "create it first with linuxnet.containers.netns_endpoint")
    target = state.namespace_owner(spec.endpoint)
    if target is None:
        raise InvalidOption(prefix + "endpoint", "endpoint %s shares the namespace of %s, which does not exist"
                            % (spec.endpoint, endpoint.container), "re-create %s first" % endpoint.container)
    if target.mode in ("host", "none"):
        raise InvalidOption(prefix + "endpoint",
                            "endpoint %s is in %s mode and has no address to publish to" % (target.name, target.mode),
                            "host mode services listen on the host's ports directly; use a bridge-mode endpoint"
                            if target.mode == "host" else "attach it to a network (mode: bridge) first")
    attachment = target.attachment(spec.network) if spec.network else target.attachments[0]
    if attachment is None:
        raise InvalidOption(prefix + "network", "endpoint %s is not attached to network %s"
                            % (target.name, spec.network), "use one of: %s"
                            % ", ".join(a.network for a in target.attachments))
    if state.networks[attachment.network].internal:
        raise InvalidOption(prefix + "network", "network %s is internal; nothing outside it may reach its endpoints"
                            % attachment.network, "publish on a network that is not internal")
    for index, port in enumerate(spec.ports):
        family, address = ("IPv6", attachment.ipv6_address) if port.host_ip and ":" in port.host_ip else \
            ("IPv4", attachment.ipv4_address)
        if port.host_ip and address is None:
            raise InvalidOption("%sports[%d]" % (prefix, index), "host address %s is %s, and endpoint %s has no %s "
                                "address on network %s" % (port.host_ip, family, target.name, family,
                                                           attachment.network),
                                "publish on an address of the family the endpoint has, or leave the host IP out")


def _publishes(old_state: State, new: State, spec: PublishSpec, host, prefix: str) -> tuple:
    """`host`: (port_owner, the _Claims so far, which this adds the spec's ports to)."""
    port_owner, claimed = host
    target = new.namespace_owner(spec.endpoint)
    network = spec.network or target.attachments[0].network
    previous = old_state.published.get(spec.endpoint, ())
    sources = spec.allowed_sources if spec.allowed_sources is not None else \
        (previous[0].allowed_sources if previous else ())
    taken = {(p.protocol, p.host_ip, p.host_port) for p in spec.ports if p.host_port is not None}
    result: List[Publish] = []
    for index, port in enumerate(spec.ports):
        field = "%sports[%d]" % (prefix, index)
        host_port = port.host_port
        if host_port is None:
            host_port = _kept_auto_port(previous, port, network, taken) or \
                _free_port(port, claimed, port_owner, field)
        taken.add((port.protocol, port.host_ip, host_port))
        span = _spans(port.protocol, port.host_ip, host_port, port.count)
        clash = claimed.first(span)
        if clash:
            other, owner = clash
            raise Conflict("%s: host port %s/%d is already published by endpoint %s; choose another host port "
                           "or unpublish it there" % (field, port.protocol, max(other[2], host_port), owner))
        if not _published_before(previous, port, host_port):
            for number in range(host_port, host_port + port.count):
                owner = port_owner(port.protocol, port.host_ip, number)
                if owner:
                    raise Conflict("%s: host port %s/%d is held by %s on the host; stop it or choose another host port"
                                   % (field, port.protocol, number, owner))
        claimed.add(span, spec.endpoint)
        result.append(Publish(endpoint=spec.endpoint, network=network, protocol=port.protocol, host_ip=port.host_ip,
                              host_port=host_port, container_port=port.container_port, count=port.count,
                              allowed_sources=sources))
    return tuple(result)


def _kept_auto_port(previous, port: PortSpec, network: str, taken) -> Optional[int]:
    """The host port a port without one had before, so re-runs keep it; never one this request already
    claims (`taken`: its explicit host ports, and those given to earlier entries), so `["8080:80", "80"]`
    and `["80", "80"]` keep distinct ports."""
    for item in previous:
        if (item.protocol, item.host_ip, item.host_port) in taken:
            continue
        if (item.protocol, item.host_ip, item.container_port, item.count, item.network) == \
                (port.protocol, port.host_ip, port.container_port, port.count, network):
            return item.host_port
    return None


def _published_before(previous, port: PortSpec, host_port: int) -> bool:
    return any(p.protocol == port.protocol and p.host_ip == port.host_ip and p.host_port == host_port
               and p.count == port.count for p in previous)


def _free_port(port: PortSpec, claimed, port_owner, field: str) -> int:
    for first in AUTO_PORTS:
        span = _spans(port.protocol, port.host_ip, first, port.count)
        if span[3] >= AUTO_PORTS.stop:
            break
        if claimed.first(span):
            continue
        if any(port_owner(port.protocol, port.host_ip, n) for n in range(first, first + port.count)):
            continue
        return first
    raise Conflict("%s: no free host port left in %d-%d" % (field, AUTO_PORTS.start, AUTO_PORTS.stop - 1))
