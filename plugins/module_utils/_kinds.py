# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One descriptor per kind of object a module manages: how it is parsed, resolved, shown and found.

The engine has one reconcile path for every kind and the modules one main(); what differs
between networks, endpoints and published ports is written here, once. A new kind is a new
descriptor (with its parser, resolver and view), not a new branch in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _resolve as resolve
from ansible_collections.linuxnet.containers.plugins.module_utils import _resolve_ports as resolve_ports
from ansible_collections.linuxnet.containers.plugins.module_utils import _validate as validate
from ansible_collections.linuxnet.containers.plugins.module_utils import _views as views
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State, netns_path
from ansible_collections.linuxnet.containers.plugins.module_utils._overlay import vxlan_ifname
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import Lookups

Inodes = Dict[str, Optional[int]]


@dataclass(frozen=True)
class Kind:
    name: str                    # key of the results list and of diff's before/after
    key: str                     # the option that names one object
    batch_key: str               # the option that takes a list of objects
    single_key: Optional[str]    # result key of the single form's object (None: the list only)
    parse: Callable[[dict, str], Any]                                         # (params, field prefix) -> spec
    resolve: Callable[[State, Sequence[Any], bool, Dict[str, str], resolve.Lookups], resolve.Resolution]
    exists: Callable[[State, str], bool]                                      # in the state
    on_host: Callable[[State, str, Any], bool]                                # in the state and on the host
    view: Callable[[State, str, Inodes], Any]                                 # as the module returns it
    diff_view: Callable[[State, str], Any]                                    # as diff mode shows it
    # (old state, next state, touched names, host links, host lookups) -> the networks and endpoints to reconcile
    scope: Callable[[State, State, Sequence[str], Dict[str, Any], Lookups], Tuple[Set[str], Set[str]]]
    flat: bool = False           # views are lists, joined into one result list
    names_endpoints: bool = False  # objects are endpoints: never collected as vanished, inodes reported

    def results(self, state: State, names: Sequence[str], inodes: Inodes) -> List[Any]:
        found = [self.view(state, name, inodes) for name in names if self.exists(state, name)]
        return [entry for entries in found for entry in entries] if self.flat else found

    def returns(self, state: State, names: Sequence[str], inodes: Inodes, single: bool) -> dict:
        results = self.results(state, names, inodes)
        values: Dict[str, Any] = {self.name: results}
        if single and self.single_key:
            values[self.single_key] = results[0] if results else {}
        return values

    def diff(self, old: State, new: State, names: Sequence[str], host) -> Tuple[dict, dict]:
        before = {name: self.diff_view(old, name) if self.on_host(old, name, host) else None for name in names}
        after = {name: self.diff_view(new, name) if self.exists(new, name) else None for name in names}
        return {self.name: before}, {self.name: after}


def _endpoints_of_changed(old: State, new: State, names: Sequence[str], links: Dict[str, Any],
                          host: Lookups) -> Set[str]:
    """The endpoints a network run reconciles: all those of a network whose record changed or whose bridge is not
    on the host as a bridge, and any whose namespace vanished (a reboot, `ip netns del`: a stat each, made again).
    A run that changes nothing costs the same whatever the number of endpoints; an endpoint's own drift is its own
    task's to repair."""
    endpoints: Set[str] = set()
    for name in names:
        network = new.networks.get(name)
        link = links.get(network.bridge) if network else None
        attached = new.endpoints_on(name)
        if network is None or old.networks.get(name) != network or link is None or link.kind != "bridge":
            endpoints.update(attached)
        else:
            endpoints.update(endpoint for endpoint in attached if not host.exists(netns_path(endpoint)))
    return endpoints


def network_links(old: State, new: State) -> List[str]:
    """The host links of the networks of both states: their bridges and VXLAN devices. A run that touches no
    endpoint reads these (and every other bridge and VXLAN device) and no veth: it costs the same whatever the
    number of endpoints, and leaves sweeping leftover veths to the runs that read them (endpoints, restore)."""
    names = {network.bridge for state in (old, new) for network in state.networks.values()}
    names |= {vxlan_ifname(network.vni) for state in (old, new) for network in state.networks.values()
              if network.overlay}
    return sorted(names)


def _endpoint_diff_view(state: State, name: str) -> dict:
    view = views.endpoint_view(state, name, None)
    view.pop("netns_inode")
    return view


NETWORKS = Kind(
    name="networks", key="name", batch_key="networks", single_key="network",
    parse=validate.network_spec,
    resolve=lambda state, specs, exclusive, where, host: resolve.resolve_networks(
        state, specs, exclusive, host.host_routes, where, host.host_routes6, host.machine_id(), host.underlay),
    exists=lambda state, name: name in state.networks,
    on_host=lambda state, name, host: name in state.networks and state.networks[name].bridge in host.links,
    view=lambda state, name, inodes: views.network_view(state, name),
    diff_view=views.network_view,
    scope=lambda old, new, names, links, host: (set(names), _endpoints_of_changed(old, new, names, links, host)),
)

ENDPOINTS = Kind(
    name="endpoints", key="name", batch_key="endpoints", single_key="endpoint",
    parse=validate.endpoint_spec,
    resolve=lambda state, specs, exclusive, where, host: resolve.resolve_endpoints(
        state, specs, exclusive, host.exists, where, host.identity, host.host_identity),
    exists=lambda state, name: name in state.endpoints,
    on_host=lambda state, name, host: name in state.endpoints and host.namespaces.get(name) is not None,
    view=lambda state, name, inodes: views.endpoint_view(state, name, inodes.get(name)),
    diff_view=_endpoint_diff_view,
    scope=lambda old, new, names, links, host: (set(), set(names)),
    names_endpoints=True,
)

PUBLISHED = Kind(
    name="published", key="endpoint", batch_key="endpoints", single_key=None,
    parse=validate.publish_spec,
    resolve=lambda state, specs, exclusive, where, host: resolve_ports.resolve_publishes(
        state, specs, exclusive, host.port_owner, where),
    exists=lambda state, name: True,
    on_host=lambda state, name, host: True,
    view=lambda state, name, inodes: views.published_view(state, name),
    diff_view=views.published_view,
    scope=lambda old, new, names, links, host: (set(), set()),
    flat=True,
)
