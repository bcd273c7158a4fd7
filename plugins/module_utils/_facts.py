# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only path: everything the collection manages, as the modules return it, plus what the
kernel shows of it; and the main() of container_network_info.

It imports the store and the views, never the engine: every module_utils file a module imports is parsed by the
controller and compiled on the managed node on each run, and the engine's are most of the collection. Endpoints'
namespaces are looked up by name (one stat and ioctl each); the netlink reader (seven files with our rtnetlink
client) is imported, and a socket opened, only for `all_namespaces`, which reads the foreign ones: Ansible still
bundles it (its finder sees every import of a file), and a run without `all_namespaces` does not compile it.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Callable, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils._codecache import imports_done
from ansible_collections.linuxnet.containers.plugins.module_utils._exit import exit_plain, fail
from ansible_collections.linuxnet.containers.plugins.module_utils._models import NETNS_DIR, State, netns_path
from ansible_collections.linuxnet.containers.plugins.module_utils._query import compile_query, run_query
from ansible_collections.linuxnet.containers.plugins.module_utils._store import Store
from ansible_collections.linuxnet.containers.plugins.module_utils._views import (
    endpoint_view,
    foreign_view,
    network_view,
    published_view,
)


def gather(store, all_namespaces: bool, open_netlink: Optional[Callable[[], object]] = None) -> dict:
    """networks, endpoints and published, each object with `present` (and endpoints `managed`); `open_netlink`
    (default: _netlink.Netlink) is called only with all_namespaces."""
    with store.lock():
        state = store.load()
    networks = []
    for name in sorted(state.networks):
        item = network_view(state, name)
        item["present"] = link_exists(state.networks[name].bridge)
        networks.append(item)
    endpoints = []
    for name in sorted(state.endpoints):
        inode = netns.inode(netns_path(name))
        item = endpoint_view(state, name, inode)
        item["present"] = inode is not None
        item["managed"] = True
        endpoints.append(item)
    if all_namespaces:
        netlink = (open_netlink or _netlink_class())()
        try:
            endpoints += foreign_namespaces(netlink, state)
        finally:
            netlink.close()
    published = [entry for name in sorted(state.published) for entry in published_view(state, name)]
    return {"networks": networks, "endpoints": endpoints, "published": published}


def _netlink_class():
    """_netlink.Netlink, imported here: only all_namespaces needs it (see the docstring at the top)."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Netlink
    return Netlink


def link_exists(ifname: str) -> bool:
    """Whether the host has a link of that name: one lookup by name (SIOCGIFINDEX), not a dump of every link
    (each endpoint's veth), so the cost of this module does not grow with the endpoints."""
    try:
        socket.if_nametoindex(ifname)
    except OSError:
        return False
    return True


def foreign_namespaces(netlink, state: State) -> List[dict]:
    """Named namespaces the collection does not manage, read-only (both families, see _views.foreign_view)."""
    try:
        names = sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []
    foreign = []
    for name in names:
        path = netns_path(name)
        inode = netlink.netns_inode(path)
        if name in state.endpoints or inode is None:
            continue
        foreign.append(foreign_view(name, path, inode, netlink.netns_view(path)))
    return foreign


def run_info_module(options: dict) -> None:
    """The whole main() of container_network_info."""
    imports_done()
    module = AnsibleModule(argument_spec=options, supports_check_mode=True)
    try:
        if module.params["query"] is not None:
            compile_query(module.params["query"])
        facts = gather(Store(), module.params["all_namespaces"])   # reads no ruleset: no nft needed
        if module.params["query"] is not None:
            facts["result"] = run_query(module.params["query"], facts)
    except Exception as exc:  # pylint: disable=broad-except
        fail(module, exc)
    exit_plain(module, dict(changed=False, python=sys.executable, **facts))
