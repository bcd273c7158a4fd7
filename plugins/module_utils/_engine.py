# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the collection: lock, read, resolve, plan, apply, record.

    resolve (pure)  : state + request        -> next state   (every input check, before any change)
    read            : kernel, files, nft     -> HostView
    plan (pure)     : state, next, HostView  -> ordered actions, before/after
    apply           : actions through the adapters, skipped in check mode
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils import _files as files
from ansible_collections.linuxnet.containers.plugins.module_utils import _sockets as sockets
from ansible_collections.linuxnet.containers.plugins.module_utils import _store as store
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import NETNS_DIR, State, netns_path
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    Nftables,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Netlink
from ansible_collections.linuxnet.containers.plugins.module_utils._plan import Action, HostView, Planner
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import (
    Resolution,
    resolve_endpoints,
    resolve_networks,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._ports import resolve_publishes
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import Runner

IP_FORWARD = "net.ipv4.ip_forward"
HOST_RESOLV_CONF = "/etc/resolv.conf"
RESOLVED_UPSTREAMS = "/run/systemd/resolve/resolv.conf"


def route_localnet_key(bridge: str) -> str:
    return "net.ipv4.conf.%s.route_localnet" % bridge


@dataclass
class Outcome:
    """What a run did (or, in check mode, would do)."""

    old: State
    new: State
    actions: List[Action]
    before: dict
    after: dict
    sysctls: Dict[str, str] = field(default_factory=dict)
    collected: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    inodes: Dict[str, Optional[int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    def result(self) -> dict:
        result = {"changed": self.changed, "actions": [a.text for a in self.actions], "sysctls": self.sysctls}
        if self.collected:
            result["collected"] = self.collected
        return result


def network_view(state: State, name: str) -> dict:
    data = state.networks[name].to_dict()
    data["endpoints"] = state.endpoints_on(name)
    return data


def endpoint_view(state: State, name: str, inode: Optional[int]) -> dict:
    endpoint = state.endpoints[name]
    networks = state.networks
    return {
        "name": name,
        "mode": endpoint.mode,
        "netns": endpoint.netns,
        "netns_inode": inode,
        "container": endpoint.container,
        "adopted": endpoint.adopted,
        "interfaces": [{
            "ifname": a.ifname,
            "network": a.network,
            "ipv4_address": a.ipv4_address,
            "prefix_length": int(networks[a.network].subnet.split("/")[1]) if a.network in networks else None,
            "gateway": networks[a.network].gateway if a.network in networks else None,
            "mac_address": a.mac_address,
            "host_ifname": a.host_ifname,
            "aliases": list(a.aliases),
        } for a in endpoint.attachments],
        "dns": list(endpoint.dns),
        "dns_search": list(endpoint.dns_search),
        "dns_options": list(endpoint.dns_options),
        "etc_hosts": dict(endpoint.etc_hosts),
    }


def published_view(state: State, name: str) -> List[dict]:
    """The ports an endpoint publishes, one entry per host port (ranges expanded)."""
    entries = []
    for publish in state.published.get(name, ()):
        target = publish_target(state, name, publish.network)
        for offset in range(publish.count):
            entries.append({
                "endpoint": name, "network": publish.network, "protocol": publish.protocol,
                "host_ip": publish.host_ip or "0.0.0.0", "host_port": publish.host_port + offset,
                "container_ip": target[1] if target else None, "container_port": publish.container_port + offset,
                "allowed_sources": list(publish.allowed_sources)})
    return entries


def firewall_state(state: State) -> FirewallState:
    """The firewall follows from the state alone: networks and their published ports."""
    networks = tuple(FirewallNetwork(name=n.name, bridge=n.bridge, subnet=n.subnet, gateway=n.gateway,
                                     masquerade=n.masquerade, icc=n.icc, internal=n.internal, isolated=n.isolated)
                     for n in sorted(state.networks.values(), key=lambda n: n.name))
    publishes = []
    for endpoint_name, items in sorted(state.published.items()):
        for publish in items:
            target = publish_target(state, endpoint_name, publish.network)
            if target is None:
                continue
            network, address = target
            for offset in range(publish.count):
                publishes.append(FirewallPublish(
                    endpoint=endpoint_name, protocol=publish.protocol, host_ip=publish.host_ip,
                    host_port=publish.host_port + offset, container_ip=address,
                    container_port=publish.container_port + offset, bridge=network.bridge,
                    allowed_sources=publish.allowed_sources))
    foreign_accept = tuple(sorted(n.bridge for n in state.networks.values()
                                  if n.accept_in_foreign_firewalls and not n.internal))
    return FirewallState(networks=networks, publishes=tuple(publishes), foreign_accept=foreign_accept)


def publish_target(state: State, endpoint_name: str, network_name: Optional[str]):
    """(network, address) a publish of this endpoint reaches; container mode publishes on its target."""
    endpoint = state.endpoints.get(endpoint_name)
    while endpoint is not None and endpoint.mode == "container":
        endpoint = state.endpoints.get(endpoint.container)
    if endpoint is None or not endpoint.attachments:
        return None
    attachment = endpoint.attachment(network_name) if network_name else endpoint.attachments[0]
    if attachment is None or attachment.network not in state.networks:
        return None
    return state.networks[attachment.network], attachment.ipv4_address


def desired_sysctls(state: State) -> Dict[str, str]:
    """Host sysctls the state needs: forwarding for routed networks, route_localnet for loopback publishes."""
    wanted: Dict[str, str] = {}
    if any(not network.internal for network in state.networks.values()):
        wanted[IP_FORWARD] = "1"
    for item in firewall_state(state).publishes:
        if item.host_ip is None or item.host_ip.startswith("127."):
            wanted[route_localnet_key(item.bridge)] = "1"
    return wanted


class Engine:
    """Owns the adapters for one module run."""

    def __init__(self, runner: Runner, check_mode: bool,
                 netlink_factory: Callable[[], Netlink] = Netlink,
                 nftables_factory: Callable[[Runner], Nftables] = Nftables):
        self.check_mode = check_mode
        self.nft = nftables_factory(runner)
        self.nft.require()
        self.netlink = netlink_factory()

    def close(self) -> None:
        self.netlink.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # entry points ------------------------------------------------------------------------
    def networks(self, specs, exclusive: bool, where: Dict[str, str]) -> Outcome:
        with store.HostLock():
            old = store.load()
            resolution = resolve_networks(old, specs, exclusive, self.netlink.host_routes(), where)
            return self._run(old, resolution, object_kind="networks")

    def endpoints(self, specs, exclusive: bool, where: Dict[str, str]) -> Outcome:
        with store.HostLock():
            old = store.load()
            resolution = resolve_endpoints(old, specs, exclusive, self._exists, where)
            return self._run(old, resolution, object_kind="endpoints")

    def publish(self, specs, exclusive: bool, where: Dict[str, str]) -> Outcome:
        with store.HostLock():
            old = store.load()
            resolution = resolve_publishes(old, specs, exclusive, sockets.listening_owner, where)
            return self._run(old, resolution, object_kind="published")

    def facts(self, all_namespaces: bool) -> dict:
        """Everything the collection manages, as the modules return it, plus what the kernel shows of it."""
        with store.HostLock():
            state = store.load()
        links = self.netlink.host_links()
        networks = []
        for name in sorted(state.networks):
            item = network_view(state, name)
            item["present"] = state.networks[name].bridge in links
            networks.append(item)
        endpoints = []
        for name in sorted(state.endpoints):
            inode = self.netlink.netns_inode(netns_path(name))
            item = endpoint_view(state, name, inode)
            item["present"] = inode is not None
            item["managed"] = True
            endpoints.append(item)
        if all_namespaces:
            endpoints += self._foreign_namespaces(state)
        published = [entry for name in sorted(state.published) for entry in published_view(state, name)]
        return {"networks": networks, "endpoints": endpoints, "published": published}

    def _foreign_namespaces(self, state: State) -> List[dict]:
        """Named namespaces the collection does not manage, read-only."""
        try:
            names = sorted(os.listdir(NETNS_DIR))
        except FileNotFoundError:
            return []
        foreign = []
        for name in names:
            path = netns_path(name)
            inode = self.netlink.netns_inode(path)
            if name in state.endpoints or inode is None:
                continue
            view = self.netlink.netns_view(path)
            foreign.append({
                "name": name, "mode": None, "netns": path, "netns_inode": inode, "present": True, "managed": False,
                "interfaces": [{"ifname": link.ifname, "mac_address": link.mac, "addresses": list(link.addresses),
                                "up": link.up} for link in sorted(view.links.values(), key=lambda link: link.ifname)],
            })
        return foreign

    # the pipeline ------------------------------------------------------------------------
    def _exists(self, path: str) -> bool:
        return self.netlink.netns_inode(path) is not None

    def _run(self, old: State, resolution: Resolution, object_kind: str) -> Outcome:
        new = resolution.state
        collected = self._collect_vanished(old, new, resolution)
        endpoint_scope = set(resolution.endpoints) | set(collected)
        for name in resolution.networks:
            endpoint_scope.update(new.endpoints_on(name))
        network_scope = set(resolution.networks)
        for name in endpoint_scope:
            if name in new.endpoints:
                network_scope.update(a.network for a in new.endpoints[name].attachments)
        view = self._read(old, new, endpoint_scope)
        planner = Planner(old, new, view)
        fw_plan = self.nft.plan(firewall_state(new))
        sysctls = desired_sysctls(new)
        actions: List[Action] = []
        for name in sorted(network_scope):
            if name in new.networks:
                actions += planner.network(name)
        actions += [Action("sysctl", "set_sysctl", {"key": key, "value": value},
                           "set %s = %s" % (key, value))
                    for key, value in sorted(sysctls.items()) if view.sysctls.get(key) != value]
        if fw_plan.changes:
            actions.append(Action("firewall", "apply", {"plan": fw_plan},
                                  "nftables: " + "; ".join(fw_plan.changes)))
        for name in sorted(endpoint_scope - set(new.endpoints)):
            actions += planner.endpoint(name)
        for name in _targets_first(new, endpoint_scope & set(new.endpoints)):
            actions += planner.endpoint(name)
        for name in sorted(network_scope - set(new.networks)):
            actions += planner.network(name)
        actions += planner.orphans()
        actions += planner.files()
        before, after = self._diff(old, new, resolution, view, object_kind)
        if fw_plan.changes:
            before["firewall"], after["firewall"] = fw_plan.before, fw_plan.after
        outcome = Outcome(old=old, new=new, actions=actions, before=before, after=after, sysctls=sysctls,
                          collected=collected, warnings=self._foreign_drop_warnings(new))
        if not self.check_mode:
            if actions or new.to_dict() != old.to_dict():
                store.save(new)
            self._apply(actions)
        outcome.inodes = {name: self.netlink.netns_inode(netns_path(name)) for name in resolution.endpoints
                          if name in new.endpoints}
        return outcome

    def _foreign_drop_warnings(self, state: State) -> List[str]:
        """Another firewall's forward policy of drop overrides our accepts: say so, in check mode too."""
        if not any(not network.internal for network in state.networks.values()):
            return []
        if all(n.accept_in_foreign_firewalls for n in state.networks.values() if not n.internal):
            return []
        return ["nftables chain %(family)s %(table)s %(chain)s drops forwarded traffic (by policy or a final drop rule), "
                "so endpoints on "
                "bridge networks cannot reach beyond the host and published ports do not answer other hosts; "
                "set accept_in_foreign_firewalls: true on the network to add accept rules for its bridge there "
                "(see docs/troubleshooting.md)" % chain
                for chain in self.nft.foreign_forward_drops()]

    def _collect_vanished(self, old: State, new: State, resolution: Resolution) -> List[str]:
        """Endpoints whose namespace name was deleted behind our back: drop their records and leftovers."""
        vanished = []
        for name in sorted(old.endpoints):
            if name in resolution.endpoints or name not in new.endpoints:
                continue
            if not self._exists(netns_path(name)):
                vanished.append(name)
                new.endpoints.pop(name)
                new.published.pop(name, None)
        return vanished

    def _read(self, old: State, new: State, endpoint_scope) -> HostView:
        host_inode = self.netlink.netns_inode("/proc/self/ns/net")
        namespaces = {}
        for name in sorted(endpoint_scope):
            path = netns_path(name)
            namespaces[name] = self.netlink.netns_view(path) if self._exists(path) else None
        sources = set()
        for endpoint in new.endpoints.values():
            if endpoint.adopted:
                sources.add(endpoint.adopted)
            if endpoint.container:
                sources.add(netns_path(endpoint.container))
        keys = set(desired_sysctls(new))
        return HostView(
            host_inode=host_inode,
            links=self.netlink.host_links(),
            namespaces=namespaces,
            inodes={path: self.netlink.netns_inode(path) for path in sorted(sources)},
            files={name: files.read_endpoint_files(name) for name in set(old.endpoints) | set(new.endpoints)},
            sysctls={key: self._sysctl(key) for key in keys},
            host_resolv_conf=_host_resolv_conf(),
        )

    def _sysctl(self, key: str) -> Optional[str]:
        try:
            return self.netlink.get_sysctl(key)
        except (OSError, KernelError):
            return None

    def _diff(self, old: State, new: State, resolution: Resolution, view: HostView, object_kind: str):
        before, after = {}, {}
        if object_kind == "networks":
            for name in resolution.networks:
                present = name in old.networks and old.networks[name].bridge in view.links
                before[name] = network_view(old, name) if present else None
                after[name] = network_view(new, name) if name in new.networks else None
        elif object_kind == "published":
            for name in resolution.published:
                before[name] = published_view(old, name)
                after[name] = published_view(new, name)
        elif object_kind == "endpoints":
            for name in resolution.endpoints:
                present = name in old.endpoints and view.namespaces.get(name) is not None
                before[name] = endpoint_view(old, name, None) if present else None
                after[name] = endpoint_view(new, name, None) if name in new.endpoints else None
            for view_ in (before, after):
                for item in view_.values():
                    if item:
                        item.pop("netns_inode")
        return {object_kind: before}, {object_kind: after}

    def _apply(self, actions: Sequence[Action]) -> None:
        for action in actions:
            try:
                if action.target == "netlink":
                    getattr(self.netlink, action.op)(**action.kwargs)
                elif action.target == "sysctl":
                    self.netlink.set_sysctl(**action.kwargs)
                elif action.target == "firewall":
                    self.nft.apply(**action.kwargs)
                elif action.target == "files":
                    getattr(files, action.op)(**action.kwargs)
            except KernelError:
                raise
            except OSError as exc:
                raise KernelError("%s failed: %s" % (action.text, exc)) from None


def _targets_first(state: State, names) -> List[str]:
    """Endpoints ordered so that a container-mode endpoint comes after the endpoint it shares."""
    ordered: List[str] = []

    def visit(name: str, trail: tuple) -> None:
        if name in ordered or name not in names:
            return
        endpoint = state.endpoints[name]
        if endpoint.mode == "container" and endpoint.container not in trail:
            visit(endpoint.container, trail + (name,))
        ordered.append(name)

    for name in sorted(names):
        visit(name, ())
    return ordered


def _host_resolv_conf() -> str:
    """The host's resolver configuration; behind systemd-resolved's stub, its upstream servers."""
    text = files.read_text(HOST_RESOLV_CONF) or ""
    servers, _search, _options = files.parse_resolv_conf(text)
    if servers and all(server.startswith("127.") for server in servers) and os.path.exists(RESOLVED_UPSTREAMS):
        return files.read_text(RESOLVED_UPSTREAMS) or text
    return text


def network_results(state: State, names: Sequence[str]) -> List[dict]:
    return [network_view(state, name) for name in names if name in state.networks]


def endpoint_results(state: State, names: Sequence[str], inodes: Dict[str, Optional[int]]) -> List[dict]:
    return [endpoint_view(state, name, inodes.get(name)) for name in names if name in state.endpoints]


def published_results(state: State, names: Sequence[str]) -> List[dict]:
    return [entry for name in names for entry in published_view(state, name)]
