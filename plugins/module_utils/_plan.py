# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: desired state + what the host has -> the actions that close the gap. Pure.

Check mode, diff mode and idempotence all come from here: `changed` is whether the
plan has actions, and an action is only planned when the host differs from the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set

from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
from ansible_collections.linuxnet.containers.plugins.module_utils import _plan6 as plan6
from ansible_collections.linuxnet.containers.plugins.module_utils._desired import route_localnet_key
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict
from ansible_collections.linuxnet.containers.plugins.module_utils._models import (
    OWN_NAMESPACE_MODES,
    OWNER_MARK,
    Endpoint,
    Network,
    State,
    netns_path,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._plan_files import FilePlan

HOST_NETNS_SOURCE = "/proc/self/ns/net"


@dataclass
class Action:
    """One adapter call of a plan: `op` names it in the engine's table of calls (Engine._calls)."""

    op: str
    kwargs: Dict[str, Any]
    text: str                # what a user reads in `actions`


@dataclass
class HostView:
    """What the host has now, as read by the adapters."""

    host_inode: int
    links: Dict[str, Any]                      # host ifname -> Link
    namespaces: Dict[str, Any]                 # endpoint name -> NetnsView, None when its file is missing
    inodes: Dict[str, Optional[int]]           # adoption sources and other paths -> nsfs inode
    files: Dict[str, Dict[str, str]]           # endpoint name -> {file name: content}
    sysctls: Dict[str, str] = field(default_factory=dict)
    host_resolv_conf: str = ""
    vxlans: Dict[str, Any] = field(default_factory=dict)   # VXLAN ifname -> _plan_overlay.VxlanView
    released: Set[str] = field(default_factory=set)   # removed endpoints whose namespace dies with its name


def bridge_mark(network: str) -> str:
    return "%s network=%s" % (OWNER_MARK, network)


def veth_mark(endpoint: str, network: str) -> str:
    return "%s endpoint=%s network=%s" % (OWNER_MARK, endpoint, network)


def marked_endpoint(alias: Optional[str]) -> Optional[str]:
    """The endpoint a host link belongs to, from its ownership mark."""
    if not alias or not alias.startswith(OWNER_MARK + " endpoint="):
        return None
    return alias[len(OWNER_MARK) + 1:].split(" ", 1)[0].split("=", 1)[1]


def marked_network(alias: Optional[str]) -> Optional[str]:
    if not alias or not alias.startswith(OWNER_MARK + " network="):
        return None
    return alias.split("network=", 1)[1]


def prefixed(address: str, subnet: str) -> str:
    return "%s/%d" % (address, ipam.subnet(subnet).prefixlen)


class Planner:
    """Builds the ordered action list for one run."""

    def __init__(self, old: State, new: State, view: HostView):
        self.old = old
        self.new = new
        self.view = view
        self.fresh: Set[str] = set()  # endpoints whose namespace this plan creates or re-binds
        self.awaited: Set[str] = set()  # host veths the kernel removes with released namespaces (_teardown)
        self._files: Optional[FilePlan] = None
        self._veths_by_endpoint: Optional[Dict[str, Set[str]]] = None

    # networks -----------------------------------------------------------------------------
    def network(self, name: str) -> List[Action]:  # its overlay part: _plan_overlay.network_actions
        desired: Optional[Network] = self.new.networks.get(name)
        previous: Optional[Network] = self.old.networks.get(name)
        actions: List[Action] = []
        if previous and (desired is None or previous.bridge != desired.bridge):
            actions += self._delete_bridge(previous.bridge, name)
        if desired is None:
            return actions
        link = self.view.links.get(desired.bridge)
        if link is not None and link.alias != bridge_mark(name):
            owner = marked_network(link.alias)
            if owner is None or (owner != name and owner in self.new.networks):
                raise Conflict("bridge: interface %s exists and is not managed for network %s; "
                               "choose another bridge name" % (desired.bridge, name))
        addresses = [prefixed(desired.gateway, desired.subnet)] if desired.subnet else []
        if link is None or link.kind != "bridge":
            if link is not None:
                raise Conflict("bridge: interface %s exists and is a %s, not a bridge; choose another bridge name"
                               % (desired.bridge, link.kind or "device"))
            return actions + [
                Action("create_bridge",
                       {"ifname": desired.bridge, "mtu": desired.mtu, "alias": bridge_mark(name)},
                       "create bridge %s (mtu %d) for network %s" % (desired.bridge, desired.mtu, name)),
            ] + [Action("add_address", {"ifname": desired.bridge, "cidr": address, "netns": None},
                        "add gateway %s to %s" % (address, desired.bridge)) for address in addresses
                 ] + [Action(*item) for item in plan6.bridge_actions(desired, ())]
        if link.alias != bridge_mark(name):
            actions.append(Action("set_alias", {"ifname": desired.bridge, "alias": bridge_mark(name)},
                                  "mark %s as network %s" % (desired.bridge, name)))
        if link.mtu != desired.mtu:
            actions.append(Action("set_mtu", {"ifname": desired.bridge, "mtu": desired.mtu, "netns": None},
                                  "set mtu of %s from %d to %d" % (desired.bridge, link.mtu, desired.mtu)))
        actions += self._addresses(desired.bridge, link.addresses, addresses, None)
        actions += [Action(*item) for item in plan6.bridge_actions(desired, getattr(link, "addresses6", ()))]
        if previous and previous.ip_range != desired.ip_range:
            actions.append(Action("record", {}, "allocate new addresses of network %s from %s (was %s)" % (
                name, desired.ip_range or "the whole subnet", previous.ip_range or "the whole subnet")))
        if not link.up:
            actions.append(Action("set_up", {"ifname": desired.bridge, "netns": None},
                                  "bring %s up" % desired.bridge))
        return actions

    def _delete_bridge(self, bridge: str, name: str) -> List[Action]:
        link = self.view.links.get(bridge)
        if link is None or link.alias != bridge_mark(name):
            return []
        return [Action("delete_link", {"ifname": bridge, "netns": None},
                       "delete bridge %s of network %s" % (bridge, name))]

    @staticmethod
    def _addresses(ifname: str, actual, desired, netns: Optional[str]) -> List[Action]:
        return [Action(*item) for item in plan6.address_actions(ifname, actual, desired, netns, family=4)]

    # endpoints ----------------------------------------------------------------------------
    def endpoint(self, name: str) -> List[Action]:
        desired: Optional[Endpoint] = self.new.endpoints.get(name)
        previous: Optional[Endpoint] = self.old.endpoints.get(name)
        if desired is None:
            return self._remove_endpoint(name)
        actions = self._namespace(desired, previous)
        actions += self._veths(desired)
        return actions

    def _remove_endpoint(self, name: str) -> List[Action]:
        if name in self.view.released:   # the kernel destroys its veths with the namespace (_teardown)
            veths = sorted(self._host_veths_of(name))
            self.awaited.update(veths)
            return [Action("remove_netns", {"name": name}, "remove namespace name %s%s" % (
                netns_path(name), "; the kernel removes veth %s with it" % ", ".join(veths) if veths else ""))]
        actions = [Action("delete_link", {"ifname": ifname, "netns": None},
                          "delete veth %s of endpoint %s" % (ifname, name))
                   for ifname in sorted(self._host_veths_of(name))]
        if self.view.namespaces.get(name) is not None:
            actions.append(Action("remove_netns", {"name": name},
                                  "remove namespace name %s" % netns_path(name)))
        return actions

    def _host_veths_of(self, name: str) -> Set[str]:
        if self._veths_by_endpoint is None:   # one pass over the host's links per run, not one per endpoint
            self._veths_by_endpoint = {}
            for ifname, link in self.view.links.items():
                owner = marked_endpoint(link.alias)
                if owner is not None:
                    self._veths_by_endpoint.setdefault(owner, set()).add(ifname)
        return set(self._veths_by_endpoint.get(name, ()))

    def _namespace(self, desired: Endpoint, previous: Optional[Endpoint]) -> List[Action]:
        name = desired.name
        view = self.view.namespaces.get(name)
        source, wanted_inode, text = self._namespace_source(desired)
        if view is not None and self._keeps(view, source, wanted_inode, previous):
            return self._lo_up(desired, view)
        actions = []
        if view is not None:
            actions.append(Action("remove_netns", {"name": name},
                                  "release the old namespace of %s" % name))
        if source is None:
            actions.append(Action("create_netns", {"name": name},
                                  "create namespace %s" % netns_path(name)))
        else:
            actions.append(Action("bind_netns", {"name": name, "source_path": source}, text))
            if desired.mode in OWN_NAMESPACE_MODES:
                actions.append(Action("set_up", {"ifname": "lo", "netns": netns_path(name)},
                                      "bring lo up in %s" % name))
        self.fresh.add(name)
        return actions

    def _keeps(self, view, source: Optional[str], wanted_inode: Optional[int], previous: Optional[Endpoint]) -> bool:
        """Whether the namespace the name holds now is the one the endpoint should have."""
        if source is not None:
            return wanted_inode is not None and view.inode == wanted_inode
        # A namespace of its own: keep what it has (created earlier, adopted earlier, or made by
        # `ip netns add` before we managed it), unless it is the host's or another endpoint's.
        return view.inode != self.view.host_inode and (previous is None or previous.mode in OWN_NAMESPACE_MODES)

    def _lo_up(self, desired: Endpoint, view) -> List[Action]:
        lo = view.links.get("lo")
        if desired.mode in OWN_NAMESPACE_MODES and lo is not None and not lo.up:
            return [Action("set_up", {"ifname": "lo", "netns": netns_path(desired.name)},
                           "bring lo up in %s" % desired.name)]
        return []

    def _namespace_source(self, desired: Endpoint):
        """(path to bind, inode it must have, text), or (None, None, None) for a namespace of its own."""
        if desired.mode == "host":
            return HOST_NETNS_SOURCE, self.view.host_inode, "name the host namespace %s" % netns_path(desired.name)
        if desired.mode == "container":
            target = netns_path(desired.container)
            inode = None if desired.container in self.fresh else self.view.inodes.get(target)
            return target, inode, "join %s to the namespace of endpoint %s" % (desired.name, desired.container)
        if desired.adopted:
            return desired.adopted, self.view.inodes.get(desired.adopted), \
                "adopt %s as %s" % (desired.adopted, netns_path(desired.name))
        return None, None, None

    def _veths(self, desired: Endpoint) -> List[Action]:
        name = desired.name
        fresh = name in self.fresh
        view = None if fresh else self.view.namespaces.get(name)
        inner = view.links if view is not None else {}
        path = netns_path(name)
        wanted = {a.host_ifname for a in desired.attachments}
        actions = [Action("delete_link", {"ifname": ifname, "netns": None},
                          "delete veth %s of endpoint %s" % (ifname, name))
                   for ifname in sorted(self._host_veths_of(name) - wanted)]
        for index, attachment in enumerate(desired.attachments):
            network = self.new.networks[attachment.network]
            host = self.view.links.get(attachment.host_ifname)
            peer = inner.get(attachment.ifname)
            cidr = prefixed(attachment.ipv4_address, network.subnet) if attachment.ipv4_address else None
            if host is None or peer is None or host.alias != veth_mark(name, network.name):
                if host is not None:
                    actions.append(Action("delete_link", {"ifname": attachment.host_ifname, "netns": None},
                                          "delete stale veth %s" % attachment.host_ifname))
                if peer is not None:
                    actions.append(Action("delete_link", {"ifname": attachment.ifname, "netns": path},
                                          "delete stale %s in %s" % (attachment.ifname, name)))
                actions.append(Action("create_veth", {
                    "host_ifname": attachment.host_ifname, "peer_ifname": attachment.ifname, "netns_path": path,
                    "mtu": network.mtu, "mac": attachment.mac_address, "alias": veth_mark(name, network.name),
                    "master": network.bridge, "isolated": not network.icc},
                    "connect %s %s (%s, %s) to bridge %s via %s" % (
                        name, attachment.ifname, ", ".join(filter(None, (cidr, attachment.ipv6_address))),
                        attachment.mac_address,
                        network.bridge, attachment.host_ifname)))
                actions += [Action("add_address", {"ifname": attachment.ifname, "cidr": cidr, "netns": path},
                                   "add %s to %s in %s" % (cidr, attachment.ifname, name)) for cidr in [cidr] if cidr]
                peer_addresses, made = (), True
            else:
                actions += self._port(attachment.host_ifname, host, network)
                actions += self._peer(name, attachment.ifname, peer, network, attachment.mac_address)
                peer_addresses, made = peer.addresses, False
                actions += self._addresses(attachment.ifname, peer_addresses, [cidr] if cidr else [], path)
            actions += [Action(*item) for item in plan6.endpoint_actions(name, path, attachment, network, view,
                                                                         index == 0, made)]
            if index == 0 and network.gateway:
                actions += self._default_route(name, view if peer_addresses else None, network, attachment.ifname)
        return actions

    def _port(self, ifname: str, host, network: Network) -> List[Action]:
        actions = []
        if host.master != network.bridge or host.isolated != (not network.icc) or host.hairpin is False:
            actions.append(Action("set_port",
                                  {"ifname": ifname, "master": network.bridge, "isolated": not network.icc},
                                  "attach %s to %s (isolated %s)" % (ifname, network.bridge,
                                                                     "on" if not network.icc else "off")))
        if host.mtu != network.mtu:
            actions.append(Action("set_mtu", {"ifname": ifname, "mtu": network.mtu, "netns": None},
                                  "set mtu of %s to %d" % (ifname, network.mtu)))
        if not host.up:
            actions.append(Action("set_up", {"ifname": ifname, "netns": None}, "bring %s up" % ifname))
        return actions

    def _peer(self, name: str, ifname: str, peer, network: Network, mac: str) -> List[Action]:
        path = netns_path(name)
        actions = []
        if peer.mtu != network.mtu:
            actions.append(Action("set_mtu", {"ifname": ifname, "mtu": network.mtu, "netns": path},
                                  "set mtu of %s in %s to %d" % (ifname, name, network.mtu)))
        if peer.mac.lower() != mac:
            actions.append(Action("set_mac", {"ifname": ifname, "mac": mac, "netns": path},
                                  "set mac of %s in %s to %s" % (ifname, name, mac)))
        if not peer.up:
            actions.append(Action("set_up", {"ifname": ifname, "netns": path},
                                  "bring %s up in %s" % (ifname, name)))
        return actions

    def _default_route(self, name: str, view, network: Network, ifname: str) -> List[Action]:
        if view is not None and view.default_gateway == network.gateway and view.default_dev == ifname:
            return []
        return [Action("set_default_route",
                       {"netns": netns_path(name), "gateway": network.gateway, "dev": ifname},
                       "route %s by default via %s on %s" % (name, network.gateway, ifname))]

    # host sysctls -------------------------------------------------------------------------
    def sysctls(self, wanted: Dict[str, str]) -> List[Action]:
        """Set what the state needs; route_localnet goes back to 0 on a bridge whose last loopback publish went."""
        actions = [Action("set_sysctl", {"key": key, "value": value}, "set %s = %s" % (key, value))
                   for key, value in sorted(wanted.items()) if self.view.sysctls.get(key) != value]
        for network in sorted(self.new.networks.values(), key=lambda n: n.name):
            link = self.view.links.get(network.bridge)
            key = route_localnet_key(network.bridge)
            if link is not None and link.route_localnet and key not in wanted:
                actions.append(Action("set_sysctl", {"key": key, "value": "0"},
                                      "set %s = 0 (no port published on 127.0.0.1 is left)" % key))
        return actions

    def settle(self) -> List[Action]:
        """After the rest of the plan: wait for the kernel to remove the veths of the released namespaces."""
        if not self.awaited:
            return []
        return [Action("wait_links_gone", {"ifnames": sorted(self.awaited)},
                       "wait until the kernel has removed the host end%s of %d veth%s with their namespaces" % (
                           "s" if len(self.awaited) > 1 else "", len(self.awaited), "s" if len(self.awaited) > 1 else ""))]

    # leftovers ----------------------------------------------------------------------------
    def orphans(self) -> List[Action]:
        """Links marked as ours whose object the state no longer has (e.g. a run killed halfway)."""
        actions = []
        for ifname, link in sorted(self.view.links.items()):
            endpoint = marked_endpoint(link.alias)
            network = marked_network(link.alias)
            if endpoint is not None and endpoint not in self.new.endpoints and endpoint not in self.old.endpoints:
                actions.append(Action("delete_link", {"ifname": ifname, "netns": None},
                                      "delete leftover veth %s of endpoint %s" % (ifname, endpoint)))
            elif network is not None and network not in self.new.networks and network not in self.old.networks:
                actions.append(Action("delete_link", {"ifname": ifname, "netns": None},
                                      "delete leftover bridge %s of network %s" % (ifname, network)))
        return actions

    # files (_plan_files) ------------------------------------------------------------------
    def _file_plan(self) -> FilePlan:
        if self._files is None:
            self._files = FilePlan(self.old, self.new, self.view)
        return self._files

    def files(self) -> List[Action]:
        """The /etc/netns files of the endpoints the view read them for (see file_scope); the others stay."""
        return [Action(*item) for item in self._file_plan().actions()]

    def endpoint_files(self, endpoint: Endpoint) -> Dict[str, str]:
        """resolv.conf and hosts for an endpoint; container mode shares its target's, like Docker."""
        return self._file_plan().endpoint_files(endpoint)
