# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Published ports: Docker's `-p` syntax, and the next state of an endpoint's publishes. Pure."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Publish, State
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import Resolution, touched_and_removed
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import ipv4_cidr, object_name

PROTOCOLS = ("tcp", "udp", "sctp")
# Docker picks a missing host port from the kernel's default ephemeral range; so do we, lowest free first.
AUTO_PORTS = range(32768, 61000)
PORT_RE = re.compile(r"^(\d+)(?:-(\d+))?$")


@dataclass(frozen=True)
class PortSpec:
    protocol: str
    host_ip: Optional[str]
    host_port: Optional[int]     # None: pick a free one
    container_port: int
    count: int = 1


@dataclass(frozen=True)
class PublishSpec:
    endpoint: str
    state: str = "present"
    network: Optional[str] = None
    ports: Tuple[PortSpec, ...] = ()
    allowed_sources: Tuple[str, ...] = ()


def _port_range(text: str, field: str) -> Tuple[int, int]:
    match = PORT_RE.match(str(text).strip())
    if not match:
        raise InvalidOption(field, "%r is not a port or a port range" % (text,), "write 8080 or 8000-8010")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    for port in (first, last):
        if not 1 <= port <= 65535:
            raise InvalidOption(field, "port %d is out of range" % port, "use ports from 1 to 65535")
    if last < first:
        raise InvalidOption(field, "range %s ends before it starts" % text, "write the lower port first")
    return first, last - first + 1


def _host_ip(text: Optional[str], field: str) -> Optional[str]:
    if text in (None, "", "0.0.0.0"):
        return None
    try:
        return str(ipaddress.IPv4Address(str(text).strip("[]")))
    except ValueError:
        raise InvalidOption(field, "%r is not an IPv4 address" % (text,),
                            "give a host address such as 127.0.0.1, or leave it out for every address") from None


def _protocol(text: Optional[str], field: str) -> str:
    protocol = (text or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise InvalidOption(field, "%r is not a protocol" % (text,), "use tcp, udp or sctp")
    return protocol


def port_spec(item, field: str) -> PortSpec:
    """One entry of `ports`: a Docker-syntax string or a dict."""
    if isinstance(item, dict):
        unknown = set(item) - {"host_ip", "host_port", "container_port", "protocol"}
        if unknown:
            raise InvalidOption("%s.%s" % (field, sorted(unknown)[0]), "unknown key",
                                "use host_ip, host_port, container_port and protocol")
        if item.get("container_port") in (None, ""):
            raise InvalidOption(field + ".container_port", "missing", "give the port the endpoint listens on")
        host_ip, host_port, container_port = item.get("host_ip"), item.get("host_port"), item["container_port"]
        protocol = item.get("protocol")
    else:
        text = str(item).strip()
        text, protocol = (text.split("/", 1) + [""])[:2]
        parts = text.rsplit(":", 2)
        container_port = parts[-1]
        host_port = parts[-2] if len(parts) >= 2 else None
        host_ip = parts[-3] if len(parts) == 3 else None
        protocol = protocol or None
    protocol = _protocol(protocol, field)
    first, count = _port_range(container_port, field)
    host_first = None
    if host_port not in (None, ""):
        host_first, host_count = _port_range(host_port, field)
        if host_count != count:
            raise InvalidOption(field, "host range has %d ports, container range %d" % (host_count, count),
                                "give ranges of the same length, e.g. 8000-8010:8000-8010")
    return PortSpec(protocol=protocol, host_ip=_host_ip(host_ip, field), host_port=host_first,
                    container_port=first, count=count)


def publish_spec(params: dict, where: str = "") -> PublishSpec:
    endpoint = object_name(params.get("endpoint"), where + "endpoint")
    state = params.get("state") or "present"
    ports = tuple(port_spec(item, "%sports[%d]" % (where, index))
                  for index, item in enumerate(params.get("ports") or ())) if state == "present" else ()
    sources = tuple(_source(cidr, where + "allowed_sources") for cidr in params.get("allowed_sources") or ())
    network = params.get("network")
    return PublishSpec(endpoint=endpoint, state=state,
                       network=None if network is None else object_name(network, where + "network"),
                       ports=ports, allowed_sources=sources)


def _source(value, field: str) -> str:
    """A client CIDR; a bare address means that one host."""
    text = str(value).strip()
    return ipv4_cidr(text if "/" in text else text + "/32", field)


def _spans(protocol: str, host_ip: Optional[str], first: int, count: int):
    return protocol, host_ip, first, first + count - 1


def _overlap(a, b) -> bool:
    """Whether two (protocol, host_ip, first, last) spans claim a common host port."""
    return a[0] == b[0] and (a[1] is None or b[1] is None or a[1] == b[1]) and a[2] <= b[3] and b[2] <= a[3]


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
    for spec in specs:
        if spec.state == "present" and spec.ports:
            new.published[spec.endpoint] = _publishes(state, new, spec, port_owner, where.get(spec.endpoint, ""))
    return Resolution(new, published=sorted(touched))


def _check_target(state: State, spec: PublishSpec, prefix: str) -> None:
    endpoint = state.endpoints.get(spec.endpoint)
    if endpoint is None:
        raise InvalidOption(prefix + "endpoint", "endpoint %s does not exist" % spec.endpoint,
                            "create it first with linuxnet.containers.netns_endpoint")
    target = endpoint
    while target.mode == "container":
        target = state.endpoints.get(target.container)
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


def _publishes(old_state: State, new: State, spec: PublishSpec, port_owner, prefix: str) -> tuple:
    target = new.endpoints[spec.endpoint]
    while target.mode == "container":
        target = new.endpoints[target.container]
    network = spec.network or target.attachments[0].network
    previous = old_state.published.get(spec.endpoint, ())
    claimed = [(_spans(p.protocol, p.host_ip, p.host_port, p.count), name)
               for name, items in new.published.items() for p in items]
    result: List[Publish] = []
    for index, port in enumerate(spec.ports):
        field = "%sports[%d]" % (prefix, index)
        host_port = port.host_port
        if host_port is None:
            host_port = _kept_auto_port(previous, port, network) or \
                _free_port(port, claimed, port_owner, field)
        span = _spans(port.protocol, port.host_ip, host_port, port.count)
        for other, owner in claimed:
            if _overlap(span, other):
                raise Conflict("%s: host port %s/%d is already published by endpoint %s; choose another host port "
                               "or unpublish it there" % (field, port.protocol, max(other[2], host_port), owner))
        if not _published_before(previous, port, host_port):
            for number in range(host_port, host_port + port.count):
                owner = port_owner(port.protocol, port.host_ip, number)
                if owner:
                    raise Conflict("%s: host port %s/%d is held by %s on the host; stop it or choose another host port"
                                   % (field, port.protocol, number, owner))
        claimed.append((span, spec.endpoint))
        result.append(Publish(endpoint=spec.endpoint, network=network, protocol=port.protocol, host_ip=port.host_ip,
                              host_port=host_port, container_port=port.container_port, count=port.count,
                              allowed_sources=spec.allowed_sources))
    return tuple(result)


def _kept_auto_port(previous, port: PortSpec, network: str) -> Optional[int]:
    for item in previous:
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
        if any(_overlap(span, other) for other, _owner in claimed):
            continue
        if any(port_owner(port.protocol, port.host_ip, n) for n in range(first, first + port.count)):
            continue
        return first
    raise Conflict("%s: no free host port left in %d-%d" % (field, AUTO_PORTS.start, AUTO_PORTS.stop - 1))
