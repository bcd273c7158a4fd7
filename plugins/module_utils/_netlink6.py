# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter's IPv6 calls, mixed into _netlink.Netlink: global IPv6 addresses (added with
IFA_F_NODAD, so they are usable at once, without duplicate address detection), IPv6 routes, the host's
RA-learned default routes, and per-interface IPv6 sysctls inside a namespace (accept_ra, autoconf), which
/proc/sys shows for the namespace the opening thread is in."""

from __future__ import annotations

import dataclasses
import os
import socket
from typing import Dict, List, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as namespaces
from ansible_collections.linuxnet.containers.plugins.module_utils import _sysctl as sysctl
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_base import NetlinkBase
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    MAIN_TABLE,
    NetnsView,
    default_route,
    main_table_destinations,
    route_table,
)

IFA_F_NODAD = 0x02
RTPROT_RA = 9


class Netlink6(NetlinkBase):
    """IPv6 half of Netlink."""

    def host_routes6(self) -> List[str]:
        return main_table_destinations(m for m in self._routes(None, socket.AF_INET6, "read host IPv6 routes")
                                       if not str(m.get_attr("RTA_DST") or "").startswith(("fe80:", "ff")))

    def default_route6(self, path: Optional[str], names: Dict[int, str],
                       routes6: Optional[List] = None) -> Tuple[Optional[str], Optional[str]]:
        """(gateway, device) of the IPv6 default route; `routes6`: the namespace's IPv6 routes read already."""
        if routes6 is None:
            routes6 = self._routes(path, socket.AF_INET6, "read IPv6 routes%s" % self._where(path))
        return default_route(routes6, names)

    def view6(self, path: str, view: NetnsView, routes6: Optional[List],
              ipv6_conf: Dict[str, Dict[str, str]]) -> NetnsView:
        """A namespace's view with its IPv6 default route and its interfaces' accept_ra and autoconf (`ipv6_conf`,
        read from the link dump: _netlink_parse.ipv6_conf)."""
        gateway6, dev6 = self.default_route6(path, {link.index: name for name, link in view.links.items()}, routes6)
        return dataclasses.replace(view, default_gateway6=gateway6, default_dev6=dev6, ipv6_conf=ipv6_conf)

    def ra_default_links(self) -> List[str]:
        """Host interfaces that hold a default route learned from a router advertisement."""
        routes = self._routes(None, socket.AF_INET6, "read host IPv6 routes")
        index = {m["index"]: m.get_attr("IFLA_IFNAME") for m in self._dump_links(None, "read links")}
        return sorted({index.get(m.get_attr("RTA_OIF")) for m in routes if route_table(m) == MAIN_TABLE
                       and m["dst_len"] == 0 and m["proto"] == RTPROT_RA and index.get(m.get_attr("RTA_OIF"))})

    def add_address6(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        """Add an IPv6 address without duplicate address detection (nodad); present already is fine."""
        self._add_address(ifname, cidr, netns, flags=IFA_F_NODAD)

    def set_default_route6(self, netns: str, gateway: str, dev: str) -> None:
        self._set_default_route(netns, gateway, dev)

    # sysctls inside a namespace -------------------------------------------------------------
    @staticmethod
    def set_netns_ipv6_conf(netns: str, ifname: str, values: Dict[str, str]) -> None:
        """Write net.ipv6.conf.IFNAME.* inside the namespace at `netns`."""
        fd = namespaces.open_namespace(netns)
        try:
            with namespaces.entered(fd, "set IPv6 settings of %s in %s" % (ifname, netns)):
                for leaf, value in sorted(values.items()):
                    sysctl.set_sysctl("/proc/sys/net/ipv6/conf/%s/%s" % (ifname, leaf), value)
        finally:
            os.close(fd)
