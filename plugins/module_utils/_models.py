# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalised models of what the collection manages.

`*Spec` classes hold what a user asked for (optional fields still open);
`Network`, `Endpoint` and `Attachment` hold fully resolved records, as kept in the
state store and returned to users.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Optional, Tuple

NETNS_DIR = "/run/netns"
NETNS_ETC_DIR = "/etc/netns"
OWNER_MARK = "linuxnet.containers"

MODES = ("none", "bridge", "host", "container")
OWN_NAMESPACE_MODES = ("none", "bridge")


def netns_path(name: str) -> str:
    return "%s/%s" % (NETNS_DIR, name)


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    state: str = "present"
    bridge: Optional[str] = None
    subnet: Optional[str] = None
    gateway: Optional[str] = None
    ip_range: Optional[str] = None
    mtu: int = 1500
    masquerade: bool = True
    icc: bool = True
    internal: bool = False
    isolated: bool = True
    accept_in_foreign_firewalls: bool = False


@dataclass(frozen=True)
class Network:
    name: str
    bridge: str
    subnet: str
    gateway: str
    ip_range: Optional[str]
    mtu: int
    masquerade: bool
    icc: bool
    internal: bool
    isolated: bool
    accept_in_foreign_firewalls: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Network":
        values = {f.name: data.get(f.name) for f in fields(cls)}
        values["accept_in_foreign_firewalls"] = bool(values["accept_in_foreign_firewalls"])
        return cls(**values)


@dataclass(frozen=True)
class AttachmentSpec:
    network: str
    ipv4_address: Optional[str] = None
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
    dns: Optional[Tuple[str, ...]] = None
    dns_search: Tuple[str, ...] = ()
    dns_options: Tuple[str, ...] = ()
    etc_hosts: Tuple[Tuple[str, str], ...] = ()
    recreate: bool = False

    @property
    def adopt_source(self) -> Optional[str]:
        if self.pid is not None:
            return "/proc/%d/ns/net" % self.pid
        return self.netns_path


@dataclass(frozen=True)
class Attachment:
    network: str
    ifname: str
    ipv4_address: str
    mac_address: str
    host_ifname: str
    aliases: Tuple[str, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Attachment":
        values = {f.name: data.get(f.name) for f in fields(cls)}
        values["aliases"] = tuple(data.get("aliases") or ())
        return cls(**values)


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
class Publish:
    """One published port mapping of an endpoint (port ranges are kept as one record)."""

    endpoint: str
    network: str
    protocol: str
    host_ip: Optional[str]
    host_port: int
    container_port: int
    count: int = 1
    allowed_sources: Tuple[str, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["allowed_sources"] = list(self.allowed_sources)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Publish":
        values = {f.name: data.get(f.name) for f in fields(cls)}
        values["allowed_sources"] = tuple(data.get("allowed_sources") or ())
        values["count"] = data.get("count") or 1
        return cls(**values)


@dataclass
class State:
    """Everything the collection manages on one host, as kept in the state store."""

    networks: dict = field(default_factory=dict)   # name -> Network
    endpoints: dict = field(default_factory=dict)  # name -> Endpoint
    published: dict = field(default_factory=dict)  # endpoint name -> tuple of Publish

    def copy(self) -> "State":
        return State(dict(self.networks), dict(self.endpoints), dict(self.published))

    def endpoints_on(self, network: str) -> list:
        return sorted(e.name for e in self.endpoints.values() if e.attachment(network))

    def sharers_of(self, target: str) -> list:
        return sorted(e.name for e in self.endpoints.values() if e.mode == "container" and e.container == target)

    def to_dict(self) -> dict:
        return {
            "version": 1,
            "networks": {n: net.to_dict() for n, net in sorted(self.networks.items())},
            "endpoints": {n: ep.to_dict() for n, ep in sorted(self.endpoints.items())},
            "published": {n: [p.to_dict() for p in pubs] for n, pubs in sorted(self.published.items())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "State":
        return cls(
            networks={n: Network.from_dict(v) for n, v in (data.get("networks") or {}).items()},
            endpoints={n: Endpoint.from_dict(v) for n, v in (data.get("endpoints") or {}).items()},
            published={n: tuple(Publish.from_dict(p) for p in v) for n, v in (data.get("published") or {}).items()},
        )
