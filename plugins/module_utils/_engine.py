# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the collection, the same for every kind of object:

    lock     : one run per host at a time (the store's lock, held to the end)
    load     : the state store: what the collection manages and what it allocated
    resolve  : state + request -> next state (pure; every input check, before any change)
    read     : kernel links and namespaces, files, sysctls, the nftables ruleset -> HostView
    plan     : state, next state, HostView -> ordered actions and before/after (pure)
    save     : the next state is written before anything is applied
    apply    : the actions through the adapters; skipped in check mode

The state is saved before applying so that a run killed halfway leaves every object it
may have made recorded: the next run reads the host again and converges (finishes what is
missing, removes what the state no longer has), and nothing is left unowned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils import _files as files
from ansible_collections.linuxnet.containers.plugins.module_utils import _limits as limits
from ansible_collections.linuxnet.containers.plugins.module_utils import _restore as restore
from ansible_collections.linuxnet.containers.plugins.module_utils import _sockets as sockets
from ansible_collections.linuxnet.containers.plugins.module_utils import _teardown as teardown
from ansible_collections.linuxnet.containers.plugins.module_utils._apply import apply
from ansible_collections.linuxnet.containers.plugins.module_utils._desired import (
    IPV6_FORWARD,
    desired_sysctls,
    firewall_state,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, UnknownReference
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import Kind, network_links
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State, netns_path
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_vxlan import OverlayNetlink
from ansible_collections.linuxnet.containers.plugins.module_utils._overlay import vxlan_ifname
from ansible_collections.linuxnet.containers.plugins.module_utils._plan_overlay import network_actions
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import Nftables
from ansible_collections.linuxnet.containers.plugins.module_utils._plan import Action, HostView, Planner
from ansible_collections.linuxnet.containers.plugins.module_utils._plan_files import file_scope
from ansible_collections.linuxnet.containers.plugins.module_utils._plan6 import uplink_sysctls
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import Lookups, Resolution
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import Runner
from ansible_collections.linuxnet.containers.plugins.module_utils._store import Store

HOST_NETNS = "/proc/self/ns/net"


@dataclass
class Adapters:
    """The outside systems one run talks to; tests of the engine pass fakes with the same methods."""

    netlink: Any                      # links, addresses, routes, namespaces, sysctls (_netlink.Netlink)
    nft: Any                          # the collection's nftables table (_nft.Nftables)
    store: Any                        # lock, load, save (_store.Store)
    files: Any = files                # /etc/netns files and the host's resolv.conf (_files)
    port_owner: Callable[[str, Optional[str], int], Optional[str]] = sockets.listening_owner
    machine_id: Callable[[], str] = files.machine_id
    neigh_limit: Callable[[], Optional[int]] = lambda: None   # the host's gc_thresh3 (_limits.neigh_limit)
    netns_holders: Callable[[], teardown.Holders] = teardown.netns_holders   # what else holds namespaces
    settle: Callable[..., List[str]] = teardown.wait_links_gone   # (link names, ifnames) -> the ones still there

    @classmethod
    def real(cls, runner: Runner) -> "Adapters":
        nft = Nftables(runner)
        nft.require()
        return cls(netlink=OverlayNetlink(), nft=nft, store=Store(), neigh_limit=lambda: limits.neigh_limit(runner))

    def close(self) -> None:
        self.netlink.close()


@dataclass
class Outcome:
    """What a run did (or, in check mode, would do)."""

    kind: Kind
    names: List[str]             # the objects the task names, in its order: what the results list
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

    def result(self, single: bool) -> dict:
        result = {"changed": self.changed, "actions": [a.text for a in self.actions], "sysctls": self.sysctls}
        if self.collected:
            result["collected"] = self.collected
        result.update(self.kind.returns(self.new, self.names, self.inodes, single))
        return result


class Engine:
    """Runs requests against one host through its adapters."""

    def __init__(self, adapters: Adapters, check_mode: bool, diff: bool = True):
        self.adapters = adapters
        self.check_mode = check_mode
        self.diff = diff   # whether outcomes carry before/after (diff mode): its views cost a walk of the objects
        self.netlink = adapters.netlink
        self.lookups = Lookups(host_routes=self.netlink.host_routes, exists=self._exists,
                               port_owner=adapters.port_owner, identity=self.netlink.netns_identity,
                               host_identity=self.netlink.netns_identity(HOST_NETNS), machine_id=adapters.machine_id,
                               host_routes6=self.netlink.host_routes6, underlay=self.netlink.underlay)

    @classmethod
    def open(cls, runner: Runner, check_mode: bool, diff: bool = True) -> "Engine":
        return cls(Adapters.real(runner), check_mode, diff)

    def close(self) -> None:
        self.adapters.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # entry points ------------------------------------------------------------------------
    def reconcile(self, kind: Kind, specs: Sequence[Any], exclusive: bool, where: Dict[str, str]) -> Outcome:
        """Make the host hold what `specs` of `kind` ask for (all of that kind, with `exclusive`)."""
        with self.adapters.store.lock():
            old = self.adapters.store.load()
            try:
                resolution = kind.resolve(old, specs, exclusive, where, self.lookups)
            except UnknownReference as exc:
                if not self.check_mode:
                    raise
                return self._assumed(kind, old, specs, exc)
            limits.check_bridge_ports(old, resolution.state)
            links = self._scope_links(kind, old, resolution.state)   # the scope and the plan see the same host
            networks, endpoints = kind.scope(old, resolution.state, resolution.touched, links, self.lookups)
            outcome = self._run(kind, old, resolution, networks, endpoints, links)
        outcome.names = [getattr(spec, kind.key) for spec in specs]   # results in the order the task lists them
        return outcome

    @staticmethod
    def _assumed(kind: Kind, old: State, specs: Sequence[Any], exc: UnknownReference) -> Outcome:
        """Check mode of a whole play on a fresh host: what an earlier task would create does not exist yet.
        Report a change (the request cannot be converged now) and say what was assumed, instead of failing."""
        names = sorted(getattr(spec, kind.key) for spec in specs)
        text = "(check mode) reconcile %s %s; %s is assumed to be created by an earlier task" % (
            kind.name, ", ".join(names), exc.msg.split(";", 1)[0])
        return Outcome(kind=kind, names=[], new=old, actions=[Action("record", {}, text)], before={}, after={},
                       warnings=[text + ": the preview of this task is incomplete"])

    def replay(self) -> restore.Report:
        """Rebuild everything in the store as it is (`linuxnet-containers restore`); in check mode, say what
        differs from it (`status`). The same read and planner as a module run; the store is not changed."""
        with self.adapters.store.lock():
            state = self.adapters.store.load()
            endpoints, skipped = restore.restorable(state, self.netlink.netns_inode)
            endpoints |= set(state.pending)
            wanted = self._sysctls(state)
            view = self._read(state.with_pending(), state, endpoints, wanted, self.netlink.host_links())
            fw_plan = self.adapters.nft.plan(firewall_state(state))
            actions = self._plan(state.with_pending(), state, view, fw_plan, set(state.networks), endpoints, wanted)
            if not self.check_mode:
                self._apply(actions)
                self._finish_removals(state)
            return restore.Report(state=state, actions=actions, skipped=skipped, applied=not self.check_mode)

    # the pipeline ------------------------------------------------------------------------
    def _finish_removals(self, state: State) -> None:
        """Every action applied: the removals are done, so the store stops carrying them."""
        if state.pending:
            state.pending = {}
            self.adapters.store.save(state)

    def _exists(self, path: str) -> bool:
        return self.netlink.netns_inode(path) is not None

    def _run(self, kind: Kind, old: State, resolution: Resolution, networks, endpoints, links) -> Outcome:
        new = resolution.state
        collected = self._collect_vanished(old, new, resolution.touched if kind.names_endpoints else ())
        new.pending = restore.pending_removals(old, new)
        endpoint_scope = set(endpoints) | set(collected) | set(new.pending)
        network_scope = set(networks)
        for name in endpoint_scope:
            if name in new.endpoints:
                network_scope.update(a.network for a in new.endpoints[name].attachments)
        if endpoint_scope and not kind.names_endpoints:   # endpoints to reconcile after all: their veths too
            links = self.netlink.host_links()
        before_all = old.with_pending()
        wanted = self._sysctls(new)
        view = self._read(before_all, new, endpoint_scope, wanted, links)
        fw_plan = self._firewall_plan(new, kind.name == "networks" and not endpoint_scope)
        actions = self._plan(before_all, new, view, fw_plan, network_scope, endpoint_scope, wanted)
        before, after = kind.diff(old, new, resolution.touched, view) if self.diff else ({}, {})
        if fw_plan.changes and self.diff:
            before["firewall"], after["firewall"] = fw_plan.before, fw_plan.after
        outcome = Outcome(kind=kind, names=resolution.touched, new=new, actions=actions, before=before, after=after,
                          sysctls=wanted, collected=collected,
                          warnings=self._foreign_drop_warnings(new) + self._neigh_warnings(new))
        if not self.check_mode:
            if actions or (new != old and new.to_dict() != old.to_dict()):   # == first: it is cheap
                self.adapters.store.save(new)
            outcome.warnings += self._apply(actions)
            self._finish_removals(new)
        if kind.names_endpoints:
            read = view.namespaces if self.check_mode or not actions else {}   # nothing applied: the read holds
            outcome.inodes = {name: read[name].inode if read.get(name) is not None else
                              self.netlink.netns_inode(netns_path(name)) for name in resolution.touched
                              if name in new.endpoints}
        return outcome

    def _scope_links(self, kind: Kind, old: State, new: State):
        """All host links for endpoints; else the bridges and VXLAN devices alone (_kinds.network_links)."""
        if kind.names_endpoints:
            return self.netlink.host_links()
        return self.netlink.host_network_links(network_links(old, new))

    def _firewall_plan(self, new: State, networks_only: bool):
        """Networks touching no endpoint: the table but its published ports (_nft.plan_networks); else all of it."""
        plan = self.adapters.nft.plan_networks(firewall_state(new, publishes=False)) if networks_only else None
        return plan if plan is not None else self.adapters.nft.plan(firewall_state(new))

    @staticmethod
    def _plan(old: State, new: State, view: HostView, fw_plan, network_scope, endpoint_scope,
              wanted: Dict[str, str]) -> List[Action]:
        """Networks first, then sysctls and the firewall, removals (bridges and veths, then namespace names), the
        other endpoints, leftovers, files, the wait for the kernel."""
        planner = Planner(old, new, view)
        actions: List[Action] = []
        for name in sorted(network_scope):
            if name in new.networks:
                actions += network_actions(planner, name)
        actions += planner.sysctls(wanted)
        if fw_plan.changes:
            actions.append(Action("apply_firewall", {"plan": fw_plan}, "nftables: " + "; ".join(fw_plan.changes)))
        # Removed networks' bridges (delete_link alone) and the veths deleted explicitly first, in one batch, then
        # the namespace names: a bridge must not leave its ports to the kernel's cleanup (_teardown).
        removals = [action for name in sorted(network_scope - set(new.networks))
                    for action in network_actions(planner, name)]
        removals += [action for name in sorted(endpoint_scope - set(new.endpoints))
                     for action in planner.endpoint(name)]
        actions += sorted(removals, key=lambda action: action.op != "delete_link")
        for name in new.sharing_order(endpoint_scope & set(new.endpoints)):
            actions += planner.endpoint(name)
        actions += planner.orphans()
        actions += planner.files()
        actions += planner.settle()   # last, so the kernel's cleanup runs while the rest is applied
        return actions

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
                for chain in self.adapters.nft.foreign_forward_drops()]

    def _neigh_warnings(self, state: State) -> List[str]:
        if not limits.attachments(state):
            return []
        return limits.neigh_warnings(state, self.adapters.neigh_limit())

    def _collect_vanished(self, old: State, new: State, requested: Sequence[str]) -> List[str]:
        """Adopted endpoints whose name and process are both gone: drop their records and leftovers.

        A namespace the collection created keeps its record and allocations when it vanishes (a reboot,
        `ip netns del`): restore, or the next run that names it, creates it again."""
        vanished = []
        for name in sorted(old.endpoints):
            if name in requested or name not in new.endpoints or not new.endpoints[name].adopted:
                continue
            if not self._exists(netns_path(name)) and not self._exists(new.endpoints[name].adopted):
                vanished.append(name)
                new.endpoints.pop(name)
                new.published.pop(name, None)
        return vanished

    def _sysctls(self, new: State) -> Dict[str, str]:
        """The state's sysctls; with IPv6 forwarding, accept_ra=2 on the uplinks that rely on RAs."""
        wanted = desired_sysctls(new)
        if IPV6_FORWARD in wanted:
            wanted.update(uplink_sysctls({ifname: self._sysctl("net.ipv6.conf.%s.accept_ra" % ifname)
                                          for ifname in self.netlink.ra_default_links()}))
        return wanted

    def _read(self, old: State, new: State, endpoint_scope, wanted: Dict[str, str], links) -> HostView:
        namespaces = {}
        for name in sorted(endpoint_scope & set(new.endpoints)):
            path = netns_path(name)
            namespaces[name] = self.netlink.read_netns(path)   # None: no namespace there
        removed = sorted(endpoint_scope - set(new.endpoints))   # only whether their name exists matters
        for name in removed:
            inode = self.netlink.netns_inode(netns_path(name))
            namespaces[name] = teardown.Named(inode) if inode is not None else None
        named = {name: namespaces[name].inode for name in teardown.kernel_removals(old, new, removed)
                 if namespaces[name] is not None}
        vxlans = sorted({vxlan_ifname(n.vni) for state in (old, new) for n in state.networks.values() if n.overlay})
        sources = set()
        for endpoint in new.endpoints.values():
            if endpoint.adopted:
                sources.add(endpoint.adopted)
            if endpoint.container:
                sources.add(netns_path(endpoint.container))
        return HostView(
            host_inode=self.netlink.netns_inode(HOST_NETNS),
            links=links,
            namespaces=namespaces,
            inodes={path: self.netlink.netns_inode(path) for path in sorted(sources)},
            files={name: self.adapters.files.read_endpoint_files(name, contents=name in new.endpoints)
                   for name in file_scope(old, new, endpoint_scope)},   # a removed endpoint: which files, not their text
            sysctls={key: self._sysctl(key) for key in wanted},
            host_resolv_conf=self.adapters.files.host_resolv_conf(),
            vxlans=self.netlink.vxlan_views(vxlans) if vxlans else {},
            released=teardown.released(named, self.adapters.netns_holders(), removed) if named else set(),
        )

    def _sysctl(self, key: str) -> Optional[str]:
        try:
            return self.netlink.get_sysctl(key)
        except (OSError, KernelError):
            return None

    def _calls(self) -> Dict[str, Callable[..., Any]]:
        """Every adapter call a plan can hold, by the op its Action names."""
        netlink, nft, files_ = self.netlink, self.adapters.nft, self.adapters.files
        return {
            "create_bridge": netlink.create_bridge,
            "create_veth": netlink.create_veth,
            "create_netns": netlink.create_netns,
            "bind_netns": netlink.bind_netns,
            "remove_netns": netlink.remove_netns,
            "delete_link": netlink.delete_link,
            "add_address": netlink.add_address,
            "del_address": netlink.del_address,
            "set_alias": netlink.set_alias,
            "set_mtu": netlink.set_mtu,
            "set_mac": netlink.set_mac,
            "set_up": netlink.set_up,
            "set_port": netlink.set_port,
            "set_default_route": netlink.set_default_route,
            "add_address6": netlink.add_address6,
            "set_default_route6": netlink.set_default_route6,
            "set_netns_ipv6_conf": netlink.set_netns_ipv6_conf,
            "create_vxlan": netlink.create_vxlan,
            "set_vxlan_port": netlink.set_vxlan_port,
            "fdb_add": netlink.fdb_add,
            "fdb_del": netlink.fdb_del,
            "set_sysctl": netlink.set_sysctl,
            "apply_firewall": nft.apply,
            "write_text": files_.write_text,
            "remove_file": files_.remove_file,
            "remove_endpoint_dir": files_.remove_endpoint_dir,
            "record": lambda: None,   # a change of the state alone: the store, saved before applying, holds it
        }

    def _apply(self, actions: Sequence[Action]) -> List[str]:
        """Apply in order; the warnings of what did not go as planned."""
        calls = self._calls()
        warnings: List[str] = []
        calls["wait_links_gone"] = lambda ifnames: warnings.extend(self._settle(ifnames))
        apply(calls, actions, self.netlink.delete_links)
        return warnings

    def _settle(self, ifnames: Sequence[str]) -> List[str]:
        """Wait for the kernel's namespace cleanup to remove these host veths; delete what it left, and say so."""
        left = self.adapters.settle(self.netlink.host_link_names, ifnames)
        if not left:
            return []
        self.netlink.delete_links(left)
        return ["the kernel had not removed veths %s %.0f s after their namespaces' names went (something still "
                "holds the namespace: a process's open file or socket in it); they were deleted in one batch instead"
                % (", ".join(left), teardown.SETTLE_TIMEOUT)]
