# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter's overlay calls: VXLAN devices, their flood FDB entries, and the underlay.

`OverlayNetlink` is the engine's netlink adapter: everything of `_netlink.Netlink`, plus what networks with
`driver: overlay` need. Host namespace only (a VXLAN device and its bridge live on the host).
"""

from __future__ import annotations

import errno
import socket
from typing import Dict, Iterable, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Netlink
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_base import CREATE
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    MAIN_TABLE,
    attr,
    linkinfo,
    route_table,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._plan_overlay import VxlanView

FLOOD_MAC = "00:00:00:00:00:00"
AF_BRIDGE = 7
NTF_SELF = 0x02
NUD_PERMANENT = 0x80
APPEND = codec.NLM_F_CREATE | codec.NLM_F_APPEND


def _vxlan_data(message, name: str):
    info = message.get_attr("IFLA_LINKINFO")
    data = info.get_attr("IFLA_INFO_DATA") if info is not None else None
    return data.get_attr(name) if data is not None and hasattr(data, "get_attr") else None


class OverlayNetlink(Netlink):
    """Netlink with VXLAN devices and FDB entries."""

    def create_vxlan(self, ifname: str, vni: int, local: str, port: int, mtu: int, master: str, alias: str,
                     isolated: bool) -> None:
        """A VXLAN device (no learning, UDP `port`, source `local`) as a port of `master`, marked and up."""
        self._host.request("create vxlan %s" % ifname, codec.RTM_NEWLINK, codec.link(
            ifname=ifname, mtu=mtu, master=self._index(master, None), kind="vxlan",
            data=codec.vxlan(vni, local, port, learning=False)), CREATE)
        self._unlearn(None, ifname)
        try:
            self._port(ifname, None, master, isolated, mode=0, mtu=mtu, alias=alias or "", up=True)
        except BaseException:
            self.delete_link(ifname)
            raise

    def set_vxlan_port(self, ifname: str, master: str, isolated: bool) -> None:
        """A port of `master` with hairpin off (a frame from one peer is never sent back to the peers)."""
        self._port(ifname, self._require(ifname, None), master, isolated, mode=0)

    def fdb_add(self, ifname: str, peer: str) -> None:
        """`bridge fdb append 00:00:00:00:00:00 dev IFNAME dst PEER`; present already is fine."""
        self._on(ifname, None, lambda index: self._host.request(
            "flood %s to %s" % (ifname, peer), codec.RTM_NEWNEIGH,
            codec.fdb(index, FLOOD_MAC, peer, NUD_PERMANENT, NTF_SELF), APPEND, ignore=(errno.EEXIST,)))

    def fdb_del(self, ifname: str, peer: str) -> None:
        self._on(ifname, None, lambda index: self._host.request(
            "remove peer %s of %s" % (peer, ifname), codec.RTM_DELNEIGH, codec.fdb(index, FLOOD_MAC, peer, 0, NTF_SELF),
            ignore=(errno.ENOENT, errno.ENODEV)))

    def vxlan_views(self, ifnames: Iterable[str]) -> Dict[str, VxlanView]:
        """The VXLAN devices among `ifnames` that exist, with their settings and flood peers (one FDB dump)."""
        views = {}
        entries = None
        for ifname in ifnames:
            message = self._message(ifname, None)
            if message is None or linkinfo(message, "IFLA_INFO_KIND") != "vxlan":
                continue
            if entries is None:
                entries = self._host.dump("read the fdb", codec.RTM_GETNEIGH, codec.ndmsg(AF_BRIDGE))
            learning = _vxlan_data(message, "IFLA_VXLAN_LEARNING")
            views[ifname] = VxlanView(
                vni=_vxlan_data(message, "IFLA_VXLAN_ID"), local=_vxlan_data(message, "IFLA_VXLAN_LOCAL"),
                port=_vxlan_data(message, "IFLA_VXLAN_PORT"), learning=None if learning is None else bool(learning),
                peers=_flood_peers(entries, message["index"]))
        return views

    def underlay(self) -> Tuple[Optional[str], Dict[str, int]]:
        """(source address of the default route, {every IPv4 address of the host: the MTU of its link})."""
        links = {message["index"]: attr(message, "IFLA_MTU", 0) for message in self._dump_links(None, "read links")}
        addresses: Dict[str, int] = {}
        first: Dict[int, str] = {}
        for message in self._host.dump("read addresses", codec.RTM_GETADDR, codec.ifaddrmsg(socket.AF_INET)):
            if message["family"] != socket.AF_INET:
                continue
            address = message.get_attr("IFA_LOCAL") or message.get_attr("IFA_ADDRESS")
            addresses[address] = links.get(message["index"], 0)
            first.setdefault(message["index"], address)
        routes = [m for m in self._routes(None, socket.AF_INET, "read routes")
                  if route_table(m) == MAIN_TABLE and m["dst_len"] == 0]
        if not routes:
            return None, addresses
        best = min(routes, key=lambda message: attr(message, "RTA_PRIORITY", 0))
        return best.get_attr("RTA_PREFSRC") or first.get(best.get_attr("RTA_OIF")), addresses


def _flood_peers(entries, index: int) -> Tuple[str, ...]:
    peers = {entry.get_attr("NDA_DST") for entry in entries
             if entry["ifindex"] == index and (entry.get_attr("NDA_LLADDR") or "").lower() == FLOOD_MAC
             and entry.get_attr("NDA_DST")}
    return tuple(sorted(peers, key=socket.inet_aton))
