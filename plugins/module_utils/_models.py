# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalised models of what the collection manages.

`*Spec` classes hold what a user asked for (optional fields still open);
`Network`, `Endpoint`, `Attachment` and `Publish` hold fully resolved records, as kept in the
state store and returned to users; `State` is all of them on one host.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Optional, Tuple

NETNS_DIR = "/run/netns"
NETNS_ETC_DIR = "/etc/netns"
OWNER_MARK = "linuxnet.containers"

MODES = ("none", "bridge", "host", "container")
OWN_NAMESPACE_MODES = ("none", "bridge")


def netns_path(name: str) -> str:
    return "%s/%s" % (NETNS_DIR, name)


def _plain(value):
    return [_plain(item) for item in value] if isinstance(value, (tuple, list)) else value


def _tuples(value):
    return tuple(_tuples(item) if isinstance(item, list) else item for item in value)


class Record:
    """A flat record of the state store: to_dict gives JSON types (tuples as lists); from_dict reads lists back
    as tuples and a missing or null key as the field's default, so a store written before a field existed loads."""

    def to_dict(self) -> dict:
        return {name: _plain(getattr(self, name)) for name, _default in _fields(type(self))}

    @classmethod
    def from_dict(cls, data: dict):
        values = {}
        for name, default in _fields(cls):
            value = data.get(name)
            if value is None and default is not MISSING:
                value = default
            values[name] = _tuples(value) if isinstance(value, list) else value
        return cls(**values)


_FIELDS: dict = {}


def _fields(cls) -> Tuple[Tuple[str, object], ...]:
    """(name, default or MISSING) of a record class's fields, looked up once per class (a store holds thousands)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = tuple((item.name, item.default) for item in fields(cls))
    return known


@dataclass(frozen=True)
class NetworkSpec:
    """A network as asked for; None: left out, so an existing network keeps its value and a new one gets
    NETWORK_DEFAULTS (or a derived value: bridge, subnet, gateway)."""

    name: str
    state: str = "present"
    bridge: Optional[str] = None
    subnet: Optional[str] = None
    gateway: Optional[str] = None
    ip_range: Optional[str] = None
    mtu: Optional[int] = None
    masquerade: Optional[bool] = None
    icc: Optional[bool] = None
    internal: Optional[bool] = None
    isolated: Optional[bool] = None
    accept_in_foreign_firewalls: Optional[bool] = None
    enable_ipv4: Optional[bool] = None
    enable_ipv6: Optional[bool] = None
    ipv6_subnet: Optional[str] = None
    ipv6_gateway: Optional[str] = None
    ipv6_ip_range: Optional[str] = None
    gateway_mode_ipv4: Optional[str] = None
    gateway_mode_ipv6: Optional[str] = None
    # driver overlay (one network across hosts, see _overlay); None: left out
    driver: Optional[str] = None
    vni: Optional[int] = None
    peers: Optional[Tuple[str, ...]] = None
    local_address: Optional[str] = None
    peer_slices: Optional[Tuple[str, ...]] = None
    remote_endpoints: Optional[Tuple[Tuple[str, str, Tuple[str, ...]], ...]] = None  # (name, address, aliases)


GATEWAY_MODES = ("nat", "routed")
# What a network gets when it is created and the task leaves the option out. ip_range None: the whole subnet.
NETWORK_DEFAULTS = dict(ip_range=None, mtu=1500, masquerade=True, icc=True, internal=False, isolated=True,
                        accept_in_foreign_firewalls=False, enable_ipv4=True, enable_ipv6=False, ipv6_ip_range=None,
                        gateway_mode_ipv4="nat", gateway_mode_ipv6="nat")


@dataclass(frozen=True)
class Network(Record):
    """A bridge network; an IPv6-only network (enable_ipv4 false) has no subnet, gateway or ip_range."""

    name: str
    bridge: str
    subnet: Optional[str]
    gateway: Optional[str]
    ip_range: Optional[str]
    mtu: int
    masquerade: bool
    icc: bool
    internal: bool
    isolated: bool
    accept_in_foreign_firewalls: bool = False
    # 0.3.0: IPv6; stores of 0.1.0/0.2.0 load with these defaults (an IPv4-only network, NAT)
    enable_ipv4: bool = True
    enable_ipv6: bool = False
    ipv6_subnet: Optional[str] = None
    ipv6_gateway: Optional[str] = None
    ipv6_ip_range: Optional[str] = None
    gateway_mode_ipv4: str = "nat"
    gateway_mode_ipv6: str = "nat"
    driver: str = "bridge"
    vni: Optional[int] = None
    peers: Tuple[str, ...] = ()
    local_address: Optional[str] = None
    peer_slices: Tuple[str, ...] = ()
    remote_endpoints: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = ()

    @property
    def overlay(self) -> bool:
        return self.driver == "overlay"


@dataclass(frozen=True)
class AttachmentSpec:
    network: str
    ipv4_address: Optional[str] = None
    ipv6_address: Optional[str] = None
    mac_address: Optional[str] = None
    ifname: Optional[str] = None
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    state: str = "present"
    mode: str = "bridge"
    networks: Tuple[AttachmentSpec, ...] = ()
    container: Optional[str] = None
    netns_path: Optional[str] = None
    pid: Optional[int] = None
    # None: left out, an existing endpoint keeps its value (a new one: the host's resolvers, no extra hosts)
    dns: Optional[Tuple[str, ...]] = None
    dns_search: Optional[Tuple[str, ...]] = None
    dns_options: Optional[Tuple[str, ...]] = None
    etc_hosts: Optional[Tuple[Tuple[str, str], ...]] = None
    recreate: bool = False

    @property
    def adopt_source(self) -> Optional[str]:
        if self.pid is not None:
            return "/proc/%d/ns/net" % self.pid
        return self.netns_path


@dataclass(frozen=True)
class Attachment(Record):
    network: str
    ifname: str
    ipv4_address: Optional[str]    # None on an IPv6-only network
    mac_address: str
    host_ifname: str
    aliases: Tuple[str, ...] = ()
    ipv6_address: Optional[str] = None

    @property
    def addresses(self) -> Tuple[str, ...]:
        """Its addresses, IPv4 first."""
        return tuple(a for a in (self.ipv4_address, self.ipv6_address) if a)


@dataclass(frozen=True)
class Endpoint:
    name: str
    mode: str
    attachments: Tuple[Attachment, ...] = ()
    container: Optional[str] = None
    adopted: Optional[str] = None
    dns: Tuple[str, ...] = ()
    dns_search: Tuple[str, ...] = ()
    dns_options: Tuple[str, ...] = ()
    etc_hosts: Tuple[Tuple[str, str], ...] = ()

    @property
    def netns(self) -> str:
        return netns_path(self.name)

    def attachment(self, network: str) -> Optional[Attachment]:
        for attachment in self.attachments:
            if attachment.network == network:
                return attachment
        return None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "mode": self.mode,
            "attachments": [a.to_dict() for a in self.attachments],
            "container": self.container,
            "adopted": self.adopted,
            "dns": list(self.dns),
            "dns_search": list(self.dns_search),
            "dns_options": list(self.dns_options),
            "etc_hosts": [list(pair) for pair in self.etc_hosts],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Endpoint":
        return cls(
            name=data["name"],
            mode=data["mode"],
            attachments=tuple(Attachment.from_dict(a) for a in data.get("attachments") or ()),
            container=data.get("container"),
            adopted=data.get("adopted"),
            dns=tuple(data.get("dns") or ()),
            dns_search=tuple(data.get("dns_search") or ()),
            dns_options=tuple(data.get("dns_options") or ()),
            etc_hosts=tuple(tuple(pair) for pair in data.get("etc_hosts") or ()),
        )


@dataclass(frozen=True)
class PortSpec:
    """One entry of `ports` as asked for."""

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
    allowed_sources: Optional[Tuple[str, ...]] = None   # None: left out, kept (any client for a new publish)


@dataclass(frozen=True)
class Publish(Record):
    """One published port mapping of an endpoint (port ranges are kept as one record)."""

    endpoint: str
    network: str
    protocol: str
    host_ip: Optional[str]
    host_port: int
    container_port: int
    count: int = 1
    allowed_sources: Tuple[str, ...] = ()


@dataclass
class State:
    """Everything the collection manages on one host, as kept in the state store."""

    networks: dict = field(default_factory=dict)   # name -> Network
    endpoints: dict = field(default_factory=dict)  # name -> Endpoint
    published: dict = field(default_factory=dict)  # endpoint name -> tuple of Publish
    # Removed endpoints whose teardown has not been seen to finish (the record, saved before applying): a run killed
    # halfway leaves them here, and the next run removes what is left of them (/run/netns/NAME, /etc/netns/NAME).
    pending: dict = field(default_factory=dict)    # endpoint name -> Endpoint

    def copy(self) -> "State":
        return State(dict(self.networks), dict(self.endpoints), dict(self.published), dict(self.pending))

    def with_pending(self) -> "State":
        """This state with the pending removals back among its endpoints, as the planner's "before"."""
        state = self.copy()
        state.endpoints.update({n: e for n, e in self.pending.items() if n not in self.endpoints})
        return state

    def endpoints_on(self, network: str) -> list:
        return sorted(e.name for e in self.endpoints.values() if e.attachment(network))

    def members(self) -> dict:
        """network -> [(endpoint name, its attachment)] sorted by name, for every network: one pass."""
        found: dict = {}
        for endpoint in sorted(self.endpoints.values(), key=lambda e: e.name):
            for attachment in endpoint.attachments:
                found.setdefault(attachment.network, []).append((endpoint.name, attachment))
        return found

    def namespace_owner(self, name: str) -> Optional[Endpoint]:
        """The endpoint whose namespace endpoint `name` uses: itself, or for container mode the end of the
        chain of shared namespaces; None when a link of the chain is missing (or the chain loops)."""
        endpoint = self.endpoints.get(name)
        seen = set()
        while endpoint is not None and endpoint.mode == "container":
            if endpoint.name in seen:
                return None
            seen.add(endpoint.name)
            endpoint = self.endpoints.get(endpoint.container)
        return endpoint

    def publish_attachment(self, endpoint_name: str, network_name: Optional[str]) -> Optional[tuple]:
        """(network, attachment) a publish of this endpoint reaches; container mode publishes on its target."""
        endpoint = self.namespace_owner(endpoint_name)
        if endpoint is None or not endpoint.attachments:
            return None
        attachment = endpoint.attachment(network_name) if network_name else endpoint.attachments[0]
        if attachment is None or attachment.network not in self.networks:
            return None
        return self.networks[attachment.network], attachment

    def sharing_order(self, names) -> list:
        """`names` ordered so that a container-mode endpoint comes after the endpoint it shares."""
        ordered: list = []
        placed: set = set()

        def visit(name: str, trail: tuple) -> None:
            if name in placed or name not in names:
                return
            endpoint = self.endpoints[name]
            if endpoint.mode == "container" and endpoint.container not in trail:
                visit(endpoint.container, trail + (name,))
            ordered.append(name)
            placed.add(name)

        for name in sorted(names):
            visit(name, ())
        return ordered

    def to_dict(self) -> dict:
        return {
            "version": 1,
            "networks": {n: net.to_dict() for n, net in sorted(self.networks.items())},
            "endpoints": {n: ep.to_dict() for n, ep in sorted(self.endpoints.items())},
            "published": {n: [p.to_dict() for p in pubs] for n, pubs in sorted(self.published.items())},
            "pending": {n: ep.to_dict() for n, ep in sorted(self.pending.items())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "State":
        return cls(
            networks={n: Network.from_dict(v) for n, v in (data.get("networks") or {}).items()},
            endpoints={n: Endpoint.from_dict(v) for n, v in (data.get("endpoints") or {}).items()},
            published={n: tuple(Publish.from_dict(p) for p in v) for n, v in (data.get("published") or {}).items()},
            pending={n: Endpoint.from_dict(v) for n, v in (data.get("pending") or {}).items()},
        )
