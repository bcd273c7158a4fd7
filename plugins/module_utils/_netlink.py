# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter: links, addresses, routes, namespaces and sysctls, on pyroute2 0.7.x and 0.9.x.

One IPRoute socket per namespace, opened while this thread is switched into it (setns) and kept for
the run, so configuring hundreds of endpoints forks nothing.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._models import netns_path

IFF_UP = 1
INSTALL_PYROUTE2 = ("the pyroute2 Python library is missing on the managed node: apt install python3-pyroute2, "
                    "dnf install python3-pyroute2, or pip install pyroute2")


@dataclass(frozen=True)
class Link:
    ifname: str
    index: int
    kind: Optional[str]
    mtu: int
    mac: str
    up: bool
    alias: Optional[str]
    master: Optional[str]
    addresses: Tuple[str, ...]
    isolated: Optional[bool]
    hairpin: Optional[bool] = None


@dataclass(frozen=True)
class NetnsView:
    inode: int
    links: Dict[str, Link]
    default_gateway: Optional[str]
    default_dev: Optional[str]


def _attr(message, name, default=None):
    value = message.get_attr(name)
    return default if value is None else value


def _kind(message) -> Optional[str]:
    info = message.get_attr("IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info is not None else None


def sysctl_path(key: str) -> str:
    """/proc/sys path of a sysctl key; interface names may contain dots (net.ipv4.conf.br.0.route_localnet)."""
    for prefix in ("net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh."):
        if key.startswith(prefix) and key.count(".") > prefix.count(".") + 1:
            device, leaf = key[len(prefix):].rsplit(".", 1)
            return "/proc/sys/%s/%s/%s" % (prefix.rstrip(".").replace(".", "/"), device, leaf)
    return "/proc/sys/" + key.replace(".", "/")


class Netlink:
    def __init__(self):
        try:
            from pyroute2 import IPRoute  # pylint: disable=import-outside-toplevel
            from pyroute2.netlink.exceptions import NetlinkError  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise MissingDependency(INSTALL_PYROUTE2) from None
        self._iproute = IPRoute
        self._netlink_error = NetlinkError
        self._host = IPRoute()
        self._sockets: Dict[str, object] = {}

    def close(self) -> None:
        for ipr in self._sockets.values():
            ipr.close()
        self._sockets.clear()
        self._host.close()

    def __enter__(self) -> "Netlink":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # sockets ------------------------------------------------------------------------------
    def _ipr(self, path: Optional[str]):
        if path is None:
            return self._host
        if path not in self._sockets:
            with netns.inside(path):
                self._sockets[path] = self._iproute()
        return self._sockets[path]

    def _forget(self, path: str) -> None:
        ipr = self._sockets.pop(path, None)
        if ipr is not None:
            ipr.close()

    def _call(self, what: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except self._netlink_error as exc:
            raise KernelError("%s: %s" % (what, exc.args[1] if len(exc.args) > 1 else exc), errno=exc.code) from None

    def _index(self, ifname: str, path: Optional[str]) -> Optional[int]:
        found = self._ipr(path).link_lookup(ifname=ifname)
        return found[0] if found else None

    def _require_index(self, ifname: str, path: Optional[str]) -> int:
        index = self._index(ifname, path)
        if index is None:
            raise KernelError("interface %s does not exist%s" % (ifname, " in %s" % path if path else ""))
        return index

    # reading ------------------------------------------------------------------------------
    def _links(self, path: Optional[str]) -> Dict[str, Link]:
        ipr = self._ipr(path)
        messages = ipr.get_links()
        names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in messages}
        addresses: Dict[int, list] = {}
        for message in ipr.get_addr(family=socket.AF_INET):
            addresses.setdefault(message["index"], []).append(
                "%s/%d" % (message.get_attr("IFA_ADDRESS"), message["prefixlen"]))
        links = {}
        for message in messages:
            ifname = message.get_attr("IFLA_IFNAME")
            master = message.get_attr("IFLA_MASTER")
            links[ifname] = Link(
                ifname=ifname,
                index=message["index"],
                kind=_kind(message),
                mtu=_attr(message, "IFLA_MTU", 0),
                mac=_attr(message, "IFLA_ADDRESS", ""),
                up=bool(message["flags"] & IFF_UP),
                alias=message.get_attr("IFLA_IFALIAS") or None,
                master=names.get(master) if master else None,
                addresses=tuple(sorted(addresses.get(message["index"], ()))),
                isolated=self._port_flag(ifname, "isolated") if master and path is None else None,
                hairpin=self._port_flag(ifname, "hairpin_mode") if master and path is None else None,
            )
        return links

    @staticmethod
    def _port_flag(ifname: str, flag: str) -> Optional[bool]:
        try:
            with open("/sys/class/net/%s/brport/%s" % (ifname, flag), encoding="ascii") as handle:
                return handle.read().strip() == "1"
        except OSError:
            return None

    def host_links(self) -> Dict[str, Link]:
        return self._links(None)

    def host_routes(self) -> list:
        routes = []
        for message in self._host.get_routes(family=socket.AF_INET, table=254):
            if message["dst_len"] == 0:
                continue
            routes.append("%s/%d" % (message.get_attr("RTA_DST"), message["dst_len"]))
        return routes

    def netns_inode(self, path: str) -> Optional[int]:
        return netns.inode(path)

    def netns_view(self, path: str) -> NetnsView:
        links = self._links(path)
        names = {link.index: name for name, link in links.items()}
        gateway = dev = None
        for message in self._ipr(path).get_routes(family=socket.AF_INET, table=254):
            if message["dst_len"] == 0:
                gateway = message.get_attr("RTA_GATEWAY")
                dev = names.get(message.get_attr("RTA_OIF"))
                break
        return NetnsView(inode=netns.inode(path), links=links, default_gateway=gateway, default_dev=dev)

    # namespaces ---------------------------------------------------------------------------
    def create_netns(self, name: str) -> str:
        path = netns.create(name)
        self._forget(path)
        self.set_up("lo", path)
        return path

    def bind_netns(self, name: str, source_path: str) -> str:
        path = netns.bind(name, source_path)
        self._forget(path)
        return path

    def remove_netns(self, name: str) -> None:
        path = netns_path(name)
        self._forget(path)
        netns.remove(name)

    # links --------------------------------------------------------------------------------
    def create_bridge(self, ifname: str, mtu: int, alias: str) -> None:
        self._call("create bridge %s" % ifname, self._host.link, "add", ifname=ifname, kind="bridge")
        index = self._require_index(ifname, None)
        self._call("configure bridge %s" % ifname, self._host.link, "set", index=index, mtu=mtu, ifalias=alias)
        self._call("bring %s up" % ifname, self._host.link, "set", index=index, state="up")

    def set_mtu(self, ifname: str, mtu: int, netns: Optional[str] = None) -> None:
        index = self._require_index(ifname, netns)
        self._call("set mtu of %s" % ifname, self._ipr(netns).link, "set", index=index, mtu=mtu)

    def set_alias(self, ifname: str, alias: str) -> None:
        index = self._require_index(ifname, None)
        self._call("set alias of %s" % ifname, self._host.link, "set", index=index, ifalias=alias)

    def set_up(self, ifname: str, netns: Optional[str] = None) -> None:
        index = self._require_index(ifname, netns)
        self._call("bring %s up" % ifname, self._ipr(netns).link, "set", index=index, state="up")

    def set_mac(self, ifname: str, mac: str, netns: Optional[str] = None) -> None:
        index = self._require_index(ifname, netns)
        self._call("set mac of %s" % ifname, self._ipr(netns).link, "set", index=index, address=mac)

    def add_address(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        index = self._require_index(ifname, netns)
        address, prefix = cidr.split("/")
        try:
            self._ipr(netns).addr("add", index=index, address=address, prefixlen=int(prefix))
        except self._netlink_error as exc:
            if exc.code != errno.EEXIST:
                raise KernelError("add %s to %s: %s" % (cidr, ifname, exc)) from None

    def del_address(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        index = self._require_index(ifname, netns)
        address, prefix = cidr.split("/")
        try:
            self._ipr(netns).addr("del", index=index, address=address, prefixlen=int(prefix))
        except self._netlink_error as exc:
            if exc.code not in (errno.EADDRNOTAVAIL, errno.ENOENT):
                raise KernelError("remove %s from %s: %s" % (cidr, ifname, exc)) from None

    def delete_link(self, ifname: str, netns: Optional[str] = None) -> None:
        index = self._index(ifname, netns)
        if index is None:
            return
        try:
            self._ipr(netns).link("del", index=index)
        except self._netlink_error as exc:
            if exc.code != errno.ENODEV:
                raise KernelError("delete %s: %s" % (ifname, exc)) from None

    def create_veth(self, host_ifname: str, peer_ifname: str, netns_path: str, mtu: int, mac: str,
                    alias: str, master: str, isolated: bool) -> None:
        """A veth pair: the host end a port of `master`, the peer moved into the namespace as `peer_ifname`."""
        temporary = "tmp" + host_ifname[3:]
        self.delete_link(temporary)
        self._call("create veth %s" % host_ifname, self._host.link, "add", ifname=host_ifname, kind="veth",
                   peer=temporary)
        peer = self._require_index(temporary, None)
        target = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self._call("move %s into %s" % (temporary, netns_path), self._host.link, "set", index=peer,
                       net_ns_fd=target)
        finally:
            os.close(target)
        inner = self._ipr(netns_path)
        index = self._require_index(temporary, netns_path)
        self._call("configure %s in %s" % (peer_ifname, netns_path), inner.link, "set", index=index,
                   ifname=peer_ifname, address=mac, mtu=mtu)
        self._call("bring %s up in %s" % (peer_ifname, netns_path), inner.link, "set", index=index, state="up")
        host = self._require_index(host_ifname, None)
        self._call("configure %s" % host_ifname, self._host.link, "set", index=host, mtu=mtu, ifalias=alias)
        self.set_port(host_ifname, master, isolated)
        self._call("bring %s up" % host_ifname, self._host.link, "set", index=host, state="up")

    def set_port(self, ifname: str, master: str, isolated: bool) -> None:
        """Attach to the bridge; hairpin on (an endpoint reaching its own published port comes back through
        the port it left by when br_netfilter bridges the DNATed frame), isolated per the network's icc."""
        index = self._require_index(ifname, None)
        bridge = self._require_index(master, None)
        self._call("attach %s to %s" % (ifname, master), self._host.link, "set", index=index, master=bridge)
        for flag, value in (("hairpin_mode", True), ("isolated", isolated)):
            try:
                with open("/sys/class/net/%s/brport/%s" % (ifname, flag), "w", encoding="ascii") as handle:
                    handle.write("1" if value else "0")
            except OSError as exc:
                if value:
                    raise KernelError("set %s on bridge port %s (isolated needs Linux 4.18+): %s"
                                      % (flag, ifname, exc)) from None

    def set_default_route(self, netns: str, gateway: str, dev: str) -> None:
        index = self._require_index(dev, netns)
        self._call("route %s by default via %s" % (netns, gateway), self._ipr(netns).route, "replace",
                   dst="0.0.0.0", dst_len=0, gateway=gateway, oif=index)

    def del_default_route(self, netns: str) -> None:
        try:
            self._ipr(netns).route("del", dst="0.0.0.0", dst_len=0)
        except self._netlink_error as exc:
            if exc.code != errno.ESRCH:
                raise KernelError("remove the default route of %s: %s" % (netns, exc)) from None

    # sysctls ------------------------------------------------------------------------------
    @staticmethod
    def get_sysctl(key: str) -> str:
        with open(sysctl_path(key), encoding="ascii") as handle:
            return handle.read().strip()

    @staticmethod
    def set_sysctl(key: str, value: str) -> None:
        try:
            with open(sysctl_path(key), "w", encoding="ascii") as handle:
                handle.write(str(value))
        except OSError as exc:
            raise KernelError("set %s = %s: %s" % (key, value, exc.strerror)) from None
