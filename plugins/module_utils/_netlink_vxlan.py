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

from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Netlink
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


def _vxlan_data(message, name: str):
    info = message.get_attr("IFLA_LINKINFO")
    data = info.get_attr("IFLA_INFO_DATA") if info is not None else None
    return data.get_attr(name) if data is not None and hasattr(data, "get_attr") else None


class OverlayNetlink(Netlink):
    """Netlink with VXLAN devices and FDB entries."""

    def create_vxlan(self, ifname: str, vni: int, local: str, port: int, mtu: int, master: str, alias: str,
                     isolated: bool) -> None:
        """A VXLAN device (no learning, UDP `port`, source `local`) as a port of `master`, marked and up."""
        self._call("create vxlan %s" % ifname, self._host.link, "add", ifname=ifname, kind="vxlan", vxlan_id=vni,
                   vxlan_local=local, vxlan_port=port, vxlan_learning=0, mtu=mtu)
        try:
            self.set_vxlan_port(ifname, master, isolated)
            self._set("configure vxlan", ifname, None, mtu=mtu, ifalias=alias or "", state="up")
        except BaseException:
            self.delete_link(ifname)
            raise

    def set_vxlan_port(self, ifname: str, master: str, isolated: bool) -> None:
        """A port of `master` with hairpin off (a frame from one peer is never sent back to the peers)."""
        index = self._index(ifname, None)
        self._call("attach %s to %s" % (ifname, master), self._host.link, "set", index=index,
                   master=self._index(master, None))
        self._call("set port flags of %s on %s" % (ifname, master), self._host.link, "set", index=index,
                   kind="bridge_slave", isolated=int(bool(isolated)), mode=0)

    def fdb_add(self, ifname: str, peer: str) -> None:
        """`bridge fdb append 00:00:00:00:00:00 dev IFNAME dst PEER`; present already is fine."""
        self._call("flood %s to %s" % (ifname, peer), self._host.fdb, "append", ifindex=self._index(ifname, None),
                   lladdr=FLOOD_MAC, dst=peer, state=NUD_PERMANENT, flags=NTF_SELF, ignore=(errno.EEXIST,))

    def fdb_del(self, ifname: str, peer: str) -> None:
        self._call("remove peer %s of %s" % (peer, ifname), self._host.fdb, "del", ifindex=self._index(ifname, None),
                   lladdr=FLOOD_MAC, dst=peer, ignore=(errno.ENOENT, errno.ENODEV))

    def vxlan_views(self, ifnames: Iterable[str]) -> Dict[str, VxlanView]:
        """The VXLAN devices among `ifnames` that exist, with their settings and flood peers."""
        views = {}
        for ifname in ifnames:
            message = self._message(ifname, None)
            if message is None or linkinfo(message, "IFLA_INFO_KIND") != "vxlan":
                continue
            learning = _vxlan_data(message, "IFLA_VXLAN_LEARNING")
            views[ifname] = VxlanView(
                vni=_vxlan_data(message, "IFLA_VXLAN_ID"), local=_vxlan_data(message, "IFLA_VXLAN_LOCAL"),
                port=_vxlan_data(message, "IFLA_VXLAN_PORT"), learning=None if learning is None else bool(learning),
                peers=self._flood_peers(message["index"]))
        return views

    def _flood_peers(self, index: int) -> Tuple[str, ...]:
        entries = self._call("read the fdb", self._host.get_neighbours, family=AF_BRIDGE) or ()
        peers = {entry.get_attr("NDA_DST") for entry in entries
                 if entry["ifindex"] == index and (entry.get_attr("NDA_LLADDR") or "").lower() == FLOOD_MAC
                 and entry.get_attr("NDA_DST")}
        return tuple(sorted(peers, key=socket.inet_aton))

    def underlay(self) -> Tuple[Optional[str], Dict[str, int]]:
        """(source address of the default route, {every IPv4 address of the host: the MTU of its link})."""
        links = {message["index"]: attr(message, "IFLA_MTU", 0) for message in self._call(
            "read links", self._host.get_links)}
        addresses: Dict[str, int] = {}
        first: Dict[int, str] = {}
        for message in self._call("read addresses", self._host.get_addr, family=socket.AF_INET):
            address = message.get_attr("IFA_LOCAL") or message.get_attr("IFA_ADDRESS")
            addresses[address] = links.get(message["index"], 0)
            first.setdefault(message["index"], address)
        routes = [m for m in self._call("read routes", self._host.get_routes, family=socket.AF_INET, table=MAIN_TABLE)
                  if route_table(m) == MAIN_TABLE and m["dst_len"] == 0]
        if not routes:
            return None, addresses
        best = min(routes, key=lambda message: attr(message, "RTA_PRIORITY", 0))
        return best.get_attr("RTA_PREFSRC") or first.get(best.get_attr("RTA_OIF")), addresses
