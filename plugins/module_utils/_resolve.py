# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the current state and a request, the next state: pure, and the place every check
against existing objects happens, so bad input fails before anything changes.

One resolver per kind of object (networks and endpoints here, published ports in _resolve_ports);
each returns a `Resolution`: the next state and the names of the objects the request touched.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils import _adopt as adopt
from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
from ansible_collections.linuxnet.containers.plugins.module_utils import _resolve6 as resolve6
from ansible_collections.linuxnet.containers.plugins.module_utils import _overlay as overlay
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption, UnknownReference
from ansible_collections.linuxnet.containers.plugins.module_utils._models import (
    Attachment,
    Endpoint,
    EndpointSpec,
    NETWORK_DEFAULTS,
    Network,
    NetworkSpec,
    State,
    netns_path,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._usage import Usage


@dataclass(frozen=True)
class Lookups:
    """The read-only questions a resolver may ask about the host, answered by the engine's adapters."""
    host_routes: Callable[[], Sequence[str]]                        # destinations of the main table
    exists: Callable[[str], bool]                                   # is this path a network namespace
    port_owner: Callable[[str, Optional[str], int], Optional[str]]  # who listens on (protocol, host_ip, port)
    identity: Optional[adopt.IdentityOf] = None                     # a network namespace's (st_dev, st_ino)
    host_identity: Optional[adopt.Identity] = None                  # the host's own namespace's
    host_routes6: Callable[[], Sequence[str]] = lambda: ()          # IPv6 destinations of the main table
    machine_id: Callable[[], str] = lambda: ""                      # /etc/machine-id: the ULA pool's seed
    underlay: Callable[[], overlay.Underlay] = lambda: (None, {})   # default route's source, {address: mtu}


@dataclass
class Resolution:
    """The next state, and the objects of the request's kind that it touched (named or removed), sorted."""

    state: State
    touched: List[str] = field(default_factory=list)


def _field(where: Dict[str, str], name: str, key: str) -> str:
    return where.get(name, "") + key


def touched_and_removed(specs, key: str, kind: str, existing, exclusive: bool,
                        where: Dict[str, str]):
    """Names a request touches and the ones it removes (state absent, or unnamed under `exclusive`);
    a name listed twice is refused."""
    touched = [getattr(spec, key) for spec in specs]
    if len(set(touched)) != len(touched):
        duplicate = next(name for name in touched if touched.count(name) > 1)
        raise InvalidOption(_field(where, duplicate, key), "%s %s is listed twice" % (kind, duplicate),
                            "list each %s once" % kind)
    removals = [getattr(spec, key) for spec in specs if spec.state == "absent"]
    if exclusive:
        removals += sorted(set(existing) - set(touched))
    return touched, removals


class _Foreign:
    """The host's routes that are none of our networks', iterated (and so read) only when a subnet is picked:
    a run that keeps every subnet does not read the host's routing table (one IPv6 route per veth)."""

    def __init__(self, routes, own: set):
        self._routes = routes
        self._own = own
        self._found: Optional[List[str]] = None

    def __iter__(self):
        if self._found is None:
            routes = self._routes() if callable(self._routes) else self._routes
            self._found = [route for route in routes if route not in self._own]
        return iter(self._found)


def resolve_networks(state: State, specs: Sequence[NetworkSpec], exclusive: bool,
                     host_routes, where: Dict[str, str], host_routes6=(),
                     machine_id: str = "", underlay: Callable[[], overlay.Underlay] = lambda: (None, {})) -> Resolution:
    """Apply network specs to `state`. `where` maps a network name to its field prefix ('networks[2].');
    the host's routes are a sequence or a function returning one (called only when a subnet is picked);
    `machine_id` seeds the ULA pool of automatic IPv6 subnets; `underlay` answers for overlays."""
    new = state.copy()
    touched, removals = touched_and_removed(specs, "name", "network", state.networks, exclusive, where)
    for name in removals:
        attached = new.endpoints_on(name)
        if attached:
            raise Conflict("%s: network %s still has endpoints attached: %s; remove or move them first "
                           "(linuxnet.containers.netns_endpoint state=absent)"
                           % (_field(where, name, "state"), name, ", ".join(attached)))
        new.networks.pop(name, None)
    own_subnets = {net.subnet for net in state.networks.values()} | \
        {net.ipv6_subnet for net in state.networks.values()}
    foreign_routes, foreign_routes6 = _Foreign(host_routes, own_subnets), _Foreign(host_routes6, own_subnets)
    # Explicit subnets are claimed before any automatic choice, so a later item cannot lose its subnet.
    ordered = sorted((s for s in specs if s.state == "present"),
                     key=lambda s: (s.subnet is None, s.ipv6_subnet is None))
    for spec in ordered:
        new.networks[spec.name] = _resolve_network(new, state.networks.get(spec.name), spec,
                                                   (foreign_routes, foreign_routes6, machine_id),
                                                   where.get(spec.name, ""), underlay)
    return Resolution(new, sorted(set(touched) | set(removals)))


def _resolve_network(new: State, old: Optional[Network], spec: NetworkSpec, host, prefix: str,
                     underlay=lambda: (None, {})) -> Network:
    """`host`: (foreign IPv4 routes, foreign IPv6 routes, machine-id)."""
    foreign_routes, foreign_routes6, machine_id = host
    others = [net for name, net in new.networks.items() if name != spec.name]
    kept = {key: _given_or_kept(spec, old, key, default) for key, default in NETWORK_DEFAULTS.items()}
    if not kept["enable_ipv4"] and not kept["enable_ipv6"]:
        raise InvalidOption(prefix + "enable_ipv4", "network %s would have no address family" % spec.name,
                            "keep enable_ipv4: true, or set enable_ipv6: true")
    bridge = spec.bridge or (old.bridge if old else ipam.default_bridge_name(spec.name))
    clash = next((net for net in others if net.bridge == bridge), None)
    if clash:
        raise InvalidOption(prefix + "bridge", "bridge %s already belongs to network %s" % (bridge, clash.name),
                            "choose another bridge name")
    if not kept["enable_ipv4"]:
        subnet = gateway = kept["ip_range"] = None
        if spec.subnet or spec.gateway or spec.ip_range:
            raise InvalidOption(prefix + "subnet", "network %s is IPv6-only (enable_ipv4 is false)" % spec.name,
                                "drop subnet, gateway and ip_range, or set enable_ipv4: true")
    elif spec.subnet:
        subnet = spec.subnet
        clash = resolve6.overlapping(subnet, others, "subnet")
        if clash:
            raise InvalidOption(prefix + "subnet", "%s overlaps network %s (%s)" % (subnet, clash.name, clash.subnet),
                                "choose a subnet that overlaps no other network")
    elif old and old.subnet:
        subnet = old.subnet
    else:
        subnet = ipam.pick_subnet(list(foreign_routes) + [net.subnet for net in others if net.subnet])
    if subnet is None:
        pass
    elif spec.gateway:
        gateway = spec.gateway
    elif old and old.subnet == subnet:
        gateway = old.gateway
    else:
        gateway = ipam.first_host(subnet)
    if kept["ip_range"] == subnet:
        kept["ip_range"] = None   # the whole subnet, written out
    kept.update(resolve6.network_ipv6(others, old, spec, kept["enable_ipv6"], foreign_routes6, machine_id, prefix))
    kept.update(overlay.resolve(spec, old, others, subnet, kept["ip_range"], kept["mtu"], underlay, prefix))
    network = Network(name=spec.name, bridge=bridge, subnet=subnet, gateway=gateway, **kept)
    if old:
        resolve6.refuse_family_change(new, old, network, prefix)
        _refuse_disruptive_change(new, old, network, prefix)
        overlay.refuse_foreign_addresses(network, {e: new.endpoints[e].attachment(spec.name).ipv4_address
                                                   for e in new.endpoints_on(spec.name)}, prefix)
    return network


def _given_or_kept(spec, old, key: str, default):
    """An option's value: as given; left out, the existing object's; for a new object, the default."""
    value = getattr(spec, key)
    if value is not None:
        return value
    return getattr(old, key) if old is not None else default


def _refuse_disruptive_change(state: State, old: Network, network: Network, prefix: str) -> None:
    attached = state.endpoints_on(network.name)
    if not attached:
        return
    names = ", ".join(attached)
    if old.subnet != network.subnet:
        raise Conflict("%ssubnet: changing %s to %s would renumber attached endpoints %s; remove them first "
                       "or keep the subnet" % (prefix, old.subnet, network.subnet, names))
    if old.bridge != network.bridge:
        raise Conflict("%sbridge: renaming %s to %s would cut off attached endpoints %s; remove them first "
                       "or keep the bridge name" % (prefix, old.bridge, network.bridge, names))
    for endpoint in attached:
        attachment = state.endpoints[endpoint].attachment(network.name)
        if network.gateway and attachment.ipv4_address == network.gateway:
            raise Conflict("%sgateway: %s is the address of endpoint %s; choose another gateway"
                           % (prefix, network.gateway, endpoint))


def namespace_kind(mode: str, container: Optional[str]) -> str:
    """Endpoints whose kind differs need a new namespace: processes inside must restart."""
    if mode in ("none", "bridge"):
        return "own"
    if mode == "container":
        return "container:%s" % container
    return mode


def resolve_endpoints(state: State, specs: Sequence[EndpointSpec], exclusive: bool,
                      exists: Callable[[str], bool], where: Dict[str, str], identity=None,
                      host_identity=None) -> Resolution:
    """Apply endpoint specs to `state`. `exists(path)`: is there a namespace; identities: see Lookups."""
    new = state.copy()
    touched, removals = touched_and_removed(specs, "name", "endpoint", state.endpoints, exclusive, where)
    for name in removals:
        new.endpoints.pop(name, None)
        new.published.pop(name, None)
    present = [spec for spec in specs if spec.state == "present"]
    claimed: dict = {}
    for spec in present:
        _check_endpoint(new, state.endpoints.get(spec.name), spec, exists, where.get(spec.name, ""))
        adopt.check_adoption(new, spec, identity or adopt.path_identity(exists), host_identity, claimed, where)
    # Static addresses first, so an allocation earlier in the batch never takes one asked for later.
    for spec in present:
        new.endpoints.pop(spec.name, None)
    claims = _static_claims(new, present, where)
    resolve6.kept_claims(state, present, claims)
    usage = Usage(new)   # kept in step with new.endpoints below
    for spec in present:
        new.endpoints[spec.name] = _resolve_endpoint(new, state.endpoints.get(spec.name), spec, (claims, usage),
                                                     where.get(spec.name, ""))
        usage.add(new.endpoints[spec.name])
    for spec in present:
        if spec.mode == "container" and spec.container not in new.endpoints:
            raise UnknownReference(where.get(spec.name, "") + "container",
                                   "endpoint %s does not exist" % spec.container,
                                   "create it first (linuxnet.containers.netns_endpoint), or fix the name")
    return Resolution(new, sorted(set(touched) | set(removals)))


def _check_endpoint(state: State, old: Optional[Endpoint], spec: EndpointSpec, exists: Callable[[str], bool],
                    prefix: str) -> None:
    for index, attachment in enumerate(spec.networks):
        if attachment.network not in state.networks:
            key = "network" if len(spec.networks) == 1 else "networks[%d].name" % index
            raise UnknownReference(prefix + key, "network %s does not exist" % attachment.network,
                                   "create it first with linuxnet.containers.container_network")
    if old and exists(netns_path(spec.name)):
        before = namespace_kind(old.mode, old.container)
        after = namespace_kind(spec.mode, spec.container)
        if before != after and not spec.recreate:
            raise InvalidOption(prefix + "mode",
                                "changing %s from %s to %s needs a new network namespace; processes inside "
                                "must be restarted afterwards" % (spec.name, _describe_kind(before),
                                                                  _describe_kind(after)),
                                "set recreate: true to replace it")


def _describe_kind(kind: str) -> str:
    return {"own": "its own namespace", "host": "the host's namespace"}.get(
        kind, "the namespace of endpoint %s" % kind.split(":", 1)[-1])


def _static_claims(state: State, specs: Sequence[EndpointSpec], where: Dict[str, str]) -> Dict[tuple, str]:
    """(network, address) -> endpoint, for every static address of the batch, checked for validity."""
    claims: Dict[tuple, str] = {}
    for spec in specs:
        for index, attachment in enumerate(spec.networks):
            network = state.networks[attachment.network]
            if attachment.ipv6_address is not None:
                key = "ipv6_address" if len(spec.networks) == 1 else "networks[%d].ipv6_address" % index
                resolve6.static_claim6(state, network, attachment.ipv6_address, spec.name, claims,
                                       where.get(spec.name, "") + key)
            if attachment.ipv4_address is None:
                continue
            key = "ipv4_address" if len(spec.networks) == 1 else "networks[%d].ipv4_address" % index
            field_name = where.get(spec.name, "") + key
            address = attachment.ipv4_address
            if not network.enable_ipv4:
                raise InvalidOption(field_name, "network %s is IPv6-only (enable_ipv4 is false)" % network.name,
                                    "drop ipv4_address, or use ipv6_address")
            if ipaddress.IPv4Address(address) not in ipam.subnet(network.subnet):
                raise InvalidOption(field_name, "%s is outside subnet %s of network %s"
                                    % (address, network.subnet, network.name),
                                    "pick an address inside the subnet")
            if address in ipam.reserved_addresses(network.subnet, network.gateway):
                raise InvalidOption(field_name, "%s is the gateway, network or broadcast address of network %s"
                                    % (address, network.name), "pick another address")
            foreign = overlay.foreign_owner(network, address)
            if foreign:
                raise InvalidOption(field_name, "%s is in %s on overlay network %s" % (address, foreign, network.name),
                                    "pick an address in this host's ip_range")
            holder = resolve6.holder(state, network.name, address) or claims.get((network.name, address))
            if holder and holder != spec.name:
                raise InvalidOption(field_name, "%s is already used by endpoint %s on network %s"
                                    % (address, holder, network.name),
                                    "pick another address or remove endpoint %s first" % holder)
            claims[(network.name, address)] = spec.name
    return claims


def _resolve_endpoint(state: State, old: Optional[Endpoint], spec: EndpointSpec, in_use: tuple,
                      prefix: str) -> Endpoint:
    """`in_use`: (the batch's claims, the Usage index of `state`)."""
    attachments = []
    for attachment in spec.networks:
        network = state.networks[attachment.network]
        address = None
        if network.enable_ipv4:
            address = attachment.ipv4_address or _kept_or_allocated(old, network, in_use, 4)
        address6 = None
        if network.enable_ipv6:
            address6 = attachment.ipv6_address or _kept_or_allocated(old, network, in_use, 6)
        attachments.append(Attachment(
            network=network.name,
            ifname=attachment.ifname,
            ipv4_address=address,
            mac_address=attachment.mac_address or (ipam.mac_from_ipv4(address) if address
                                                   else ipam.mac_from_name(spec.name, network.name)),
            host_ifname=ipam.host_ifname(spec.name, network.name),
            aliases=attachment.aliases,
            ipv6_address=address6,
        ))
    return Endpoint(
        name=spec.name,
        mode=spec.mode,
        attachments=tuple(attachments),
        container=spec.container,
        adopted=spec.adopt_source,
        **{key: _given_or_kept(spec, old, key, ()) for key in ("dns", "dns_search", "dns_options", "etc_hosts")},
    )


def _kept_or_allocated(old: Optional[Endpoint], network: Network, in_use: tuple, family: int) -> str:
    """Keep the address an endpoint already has on this network, so re-runs never renumber it."""
    claims, usage = in_use
    previous = old.attachment(network.name) if old else None
    me = old.name if old else None
    kept = previous and (previous.ipv4_address if family == 4 else previous.ipv6_address)
    if family == 6:
        if kept and not usage.taken(network, 6, kept, claims, me) and \
                ipaddress.IPv6Address(kept) in ipam.subnet(network.ipv6_subnet):
            return kept
        return usage.allocate(network, 6, claims, me)
    if kept and not usage.taken(network, 4, kept, claims, me) and \
            ipaddress.IPv4Address(kept) in ipam.subnet(network.subnet):
        return kept
    return usage.allocate(network, 4, claims, me)
