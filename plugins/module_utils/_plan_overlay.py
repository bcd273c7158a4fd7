# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner's part for overlay networks: the bridge's MAC, the VXLAN device and its FDB. Pure.

The VXLAN device `vx-VNI` is a port of the network's bridge (no hairpin: a frame from one peer must never be
replicated back to the peers), carries the network's ownership mark like the bridge, learns nothing
(`nolearning`), and floods through one static all-zero FDB entry per peer, kept exactly equal to `peers`:
entries are added and removed in place, never by recreating the device, so endpoints are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _plan as plan
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict
from ansible_collections.linuxnet.containers.plugins.module_utils._overlay import VXLAN_PORT, overlay_mac, vxlan_ifname


@dataclass(frozen=True)
class VxlanView:
    """A VXLAN device as read from the kernel."""

    vni: Optional[int]
    local: Optional[str]
    port: Optional[int]
    learning: Optional[bool]
    peers: Tuple[str, ...]      # destinations of its all-zero (flood) FDB entries, sorted


def network_actions(planner, name: str) -> List:
    """A network's actions: its bridge (Planner.network), then its overlay part."""
    return planner.network(name) + overlay_actions(plan.Action, planner.old.networks.get(name),
                                                   planner.new.networks.get(name), planner.view, plan.bridge_mark(name))


def overlay_actions(action, previous, desired, view, bridge_mark: str) -> List:
    """Actions for the overlay part of one network (`action`: the Action class; `view`: the HostView)."""
    actions = []
    old_vx = vxlan_ifname(previous.vni) if previous is not None and previous.overlay else None
    new_vx = vxlan_ifname(desired.vni) if desired is not None and desired.overlay else None
    if old_vx and old_vx != new_vx:
        link = view.links.get(old_vx)
        if link is not None and link.alias == bridge_mark:
            actions.append(action("delete_link", {"ifname": old_vx, "netns": None},
                                  "delete vxlan %s of network %s" % (old_vx, previous.name)))
    if new_vx is None:
        return actions
    bridge = view.links.get(desired.bridge)
    mac = overlay_mac(desired.name)
    if bridge is None or bridge.mac.lower() != mac:
        actions.append(action("set_mac", {"ifname": desired.bridge, "mac": mac, "netns": None},
                              "set mac of %s to %s (the same on every host of network %s)"
                              % (desired.bridge, mac, desired.name)))
    link = view.links.get(new_vx)
    info = view.vxlans.get(new_vx)
    wanted = (desired.vni, desired.local_address, VXLAN_PORT, False)
    if link is None or link.kind != "vxlan" or info is None or (info.vni, info.local, info.port, info.learning) != wanted:
        if link is not None:
            if link.alias != bridge_mark:
                raise Conflict("vni: interface %s exists and is not managed for network %s; choose another vni"
                               % (new_vx, desired.name))
            actions.append(action("delete_link", {"ifname": new_vx, "netns": None},
                                  "delete vxlan %s to recreate it" % new_vx))
        actions.append(action("create_vxlan", {
            "ifname": new_vx, "vni": desired.vni, "local": desired.local_address, "port": VXLAN_PORT,
            "mtu": desired.mtu, "master": desired.bridge, "alias": bridge_mark, "isolated": not desired.icc},
            "create vxlan %s (vni %d, local %s, udp %d, nolearning, mtu %d) on bridge %s" % (
                new_vx, desired.vni, desired.local_address, VXLAN_PORT, desired.mtu, desired.bridge)))
        have: Tuple[str, ...] = ()
    else:
        if link.master != desired.bridge or link.isolated != (not desired.icc) or link.hairpin:
            actions.append(action("set_vxlan_port", {"ifname": new_vx, "master": desired.bridge,
                                                     "isolated": not desired.icc},
                                  "attach %s to %s (isolated %s)" % (new_vx, desired.bridge,
                                                                     "on" if not desired.icc else "off")))
        if link.mtu != desired.mtu:
            actions.append(action("set_mtu", {"ifname": new_vx, "mtu": desired.mtu, "netns": None},
                                  "set mtu of %s from %d to %d" % (new_vx, link.mtu, desired.mtu)))
        if link.alias != bridge_mark:
            actions.append(action("set_alias", {"ifname": new_vx, "alias": bridge_mark},
                                  "mark %s as network %s" % (new_vx, desired.name)))
        if not link.up:
            actions.append(action("set_up", {"ifname": new_vx, "netns": None}, "bring %s up" % new_vx))
        have = info.peers
    actions += [action("fdb_del", {"ifname": new_vx, "peer": peer}, "remove peer %s from %s" % (peer, new_vx))
                for peer in have if peer not in desired.peers]
    actions += [action("fdb_add", {"ifname": new_vx, "peer": peer}, "flood %s to peer %s" % (new_vx, peer))
                for peer in desired.peers if peer not in have]
    return actions
