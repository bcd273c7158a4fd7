# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter: links, addresses, routes, named namespaces and sysctls, on pyroute2 0.7.x and 0.9.x.

Nothing forks. The host namespace has one IPRoute socket; every other namespace gets its own, opened
while this thread is switched into it with setns(2) (a netlink socket stays bound to the namespace it
was created in), kept for the run (at most MAX_NAMESPACE_SOCKETS, least recently used closed first) and
keyed by the namespace's identity, so two names of one namespace share a socket, a host-mode name uses
the host's, and a name re-pointed elsewhere gets a new one. Removing a name closes our socket in it, so
the namespace dies as soon as nothing else holds it.

Only requests that behave the same in both pyroute2 lines are used: link/addr/route with explicit
indexes, `link("get", ifname=...)` for lookups (never a dump per call), `kind="bridge_slave"` for the
port flags in a request of their own (there pyroute2 0.7 reads state="up" as the STP port state), and
a veth made in one request with its peer created straight inside the namespace through `net_ns_fd`.

Reading the answers is _netlink_parse's job, /proc/sys is _sysctl's; this module only talks to the kernel.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
import sys
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils import _sysctl as sysctl
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._models import netns_path
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    MAIN_TABLE,
    Link,
    NetnsView,
    addresses_by_index,
    attr,
    bridge_mac,
    broadcast_of,
    default_route,
    linkinfo,
    links_from,
    main_table_destinations,
    port_flag,
    split_cidr,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._sysctl import sysctl_path

# Link, NetnsView, bridge_mac and sysctl_path are imported from here by the engine and the tests.
__all__ = ["INSTALL_PYROUTE2", "Link", "Netlink", "NetnsView", "bridge_mac", "sysctl_path"]

INSTALL_PYROUTE2 = ("install pyroute2: apt install python3-pyroute2, dnf install python3-pyroute2, "
                    "or pip install pyroute2")
LOOPBACK_INDEX = 1  # the kernel gives lo index 1 in every namespace
DELETION_GROUP = 0x6C6E0000  # link group for batch deletion ("ln"); the next unused one is taken
BRIDGE_PORT_HAIRPIN = 1  # IFLA_BRPORT_MODE: hairpin on
MAX_NAMESPACE_SOCKETS = 64  # 3-4 descriptors each; a run over hundreds of endpoints stays far from ulimit -n


def _pyroute2() -> Tuple[type, type]:
    try:
        from pyroute2 import IPRoute  # pylint: disable=import-outside-toplevel
        from pyroute2.netlink.exceptions import NetlinkError  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise MissingDependency("the Python interpreter %s on the managed node has no pyroute2; %s for it, or point "
                                "ansible_python_interpreter at one that has it" % (sys.executable, INSTALL_PYROUTE2)
                                ) from None
    return IPRoute, NetlinkError


class Netlink:
    """Reads and changes the kernel's network objects. Call close() when done."""

    def __init__(self, library: Optional[Tuple[type, type]] = None):
        """Opens the host namespace's socket. `library`: (IPRoute, NetlinkError) classes, pyroute2's by default."""
        if library is None:
            library = _pyroute2()
        self._iproute, self._netlink_error = library
        self._host_identity = netns.identity(netns.thread_netns())
        self._host = self._iproute()
        self._sockets: OrderedDict = OrderedDict()  # namespace identity -> IPRoute, least recently used first

    def close(self) -> None:
        while self._sockets:
            self._sockets.popitem()[1].close()
        if self._host is not None:
            self._host.close()
            self._host = None

    # sockets ------------------------------------------------------------------------------
    def _ipr(self, path: Optional[str]):
        """The socket of the namespace at path (None: the host's), opened on first use."""
        if path is None:
            return self._host
        key = netns.identity(path)
        if key == self._host_identity:
            return self._host
        if key in self._sockets:
            self._sockets.move_to_end(key)
            return self._sockets[key]
        fd = netns.open_namespace(path)
        try:
            info = os.fstat(fd)
            key = (info.st_dev, info.st_ino)
            with netns.entered(fd, "open a netlink socket in %s" % path):
                ipr = self._iproute()
        finally:
            os.close(fd)
        self._keep(key, ipr)
        return ipr

    def _keep(self, key, ipr) -> None:
        self._sockets[key] = ipr
        while len(self._sockets) > MAX_NAMESPACE_SOCKETS:
            self._sockets.popitem(last=False)[1].close()

    def _forget(self, key) -> None:
        """Close our socket in a namespace: an open socket would keep a namespace alive after its name goes."""
        ipr = self._sockets.pop(key, None)
        if ipr is not None:
            ipr.close()

    def _call(self, what: str, function, *args, ignore: Tuple[int, ...] = (), **kwargs):
        """function(*args, **kwargs) with its answer as a list (0.9 may answer lazily); errno in `ignore`: None."""
        try:
            answer = function(*args, **kwargs)
            return list(answer) if answer is not None else []
        except self._netlink_error as exc:
            if exc.code in ignore:
                return None
            raise KernelError("%s: %s" % (what, os.strerror(exc.code)), errno=exc.code) from None

    @staticmethod
    def _where(path: Optional[str]) -> str:
        return " in %s" % path if path else ""

    def _message(self, ifname: str, path: Optional[str]):
        """The RTM_NEWLINK message of ifname, or None when there is no such link."""
        found = self._call("look up %s%s" % (ifname, self._where(path)), self._ipr(path).link, "get",
                           ifname=ifname, ignore=(errno.ENODEV,))
        for message in found or ():
            return message
        return None

    def _require(self, ifname: str, path: Optional[str]):
        message = self._message(ifname, path)
        if message is None:
            raise KernelError("interface %s does not exist%s" % (ifname, self._where(path)), errno=errno.ENODEV)
        return message

    def _index(self, ifname: str, path: Optional[str]) -> int:
        return self._require(ifname, path)["index"]

    def _set(self, what: str, ifname: str, path: Optional[str], **attributes) -> None:
        index = self._index(ifname, path)
        self._call("%s %s%s" % (what, ifname, self._where(path)), self._ipr(path).link, "set", index=index,
                   **attributes)

    # reading ------------------------------------------------------------------------------
    def _links(self, path: Optional[str]) -> Dict[str, Link]:
        ipr = self._ipr(path)
        what = "read links%s" % self._where(path)
        messages = self._call(what, ipr.get_links)
        addresses = addresses_by_index(self._call(what, ipr.get_addr, family=socket.AF_INET))
        return links_from(messages, addresses)

    def host_links(self) -> Dict[str, Link]:
        links = self._links(None)
        for ifname, link in links.items():
            if link.kind == "bridge":
                links[ifname] = dataclasses.replace(link, route_localnet=sysctl.route_localnet(ifname))
        return links

    def host_routes(self) -> List[str]:
        return main_table_destinations(self._call("read host routes", self._host.get_routes,
                                                  family=socket.AF_INET, table=MAIN_TABLE))

    netns_inode = staticmethod(netns.inode)        # path -> nsfs inode, None when not a network namespace
    netns_identity = staticmethod(netns.identity)  # path -> (st_dev, st_ino), None likewise

    def netns_view(self, path: str) -> NetnsView:
        key = netns.identity(path)
        if key is None:
            raise KernelError("read %s: not a network namespace" % path, errno=errno.ENOENT)
        links = self._links(path)
        routes = self._call("read routes in %s" % path, self._ipr(path).get_routes, family=socket.AF_INET,
                            table=MAIN_TABLE)
        gateway, dev = default_route(routes, {link.index: name for name, link in links.items()})
        return NetnsView(inode=key[1], links=links, default_gateway=gateway, default_dev=dev)

    # namespaces ---------------------------------------------------------------------------
    def create_netns(self, name: str) -> str:
        """A new empty namespace at /run/netns/NAME with lo up. A name that already holds a namespace is refused."""
        with netns.created(name) as path:
            ipr = self._iproute()
            try:
                self._call("bring lo up in %s" % path, ipr.link, "set", index=LOOPBACK_INDEX, state="up")
            except BaseException:
                ipr.close()
                raise
        self._keep(netns.identity(path), ipr)
        return path

    def bind_netns(self, name: str, source_path: str) -> str:
        """Name an existing namespace /run/netns/NAME: the host's (/proc/self/ns/net), another name's, a
        process's (/proc/PID/ns/net) or a runtime's path. A no-op when the name already holds it; a name
        holding another namespace is refused."""
        return netns.bind(name, source_path)

    def remove_netns(self, name: str) -> None:
        """Unmount and unlink /run/netns/NAME (missing is fine); the namespace dies once nothing else holds it."""
        key = netns.identity(netns_path(name))
        if key is not None and key != self._host_identity:
            self._forget(key)
        netns.remove(name)

    # links --------------------------------------------------------------------------------
    def create_bridge(self, ifname: str, mtu: int, alias: str) -> None:
        """A bridge with a fixed MAC, mtu and alias, up. An existing bridge of that name is configured instead."""
        existing = self._message(ifname, None)
        if existing is None:
            self._call("create bridge %s" % ifname, self._host.link, "add", ifname=ifname, kind="bridge", mtu=mtu,
                       address=bridge_mac(ifname), ignore=(errno.EEXIST,))
        elif linkinfo(existing, "IFLA_INFO_KIND") != "bridge":
            raise KernelError("create bridge %s: an interface of kind %s has that name"
                              % (ifname, linkinfo(existing, "IFLA_INFO_KIND") or "device"), errno=errno.EEXIST)
        self._set("configure bridge", ifname, None, mtu=mtu, ifalias=alias or "", state="up")

    def set_mtu(self, ifname: str, mtu: int, netns: Optional[str] = None) -> None:
        self._set("set mtu %d of" % mtu, ifname, netns, mtu=mtu)

    def set_alias(self, ifname: str, alias: Optional[str]) -> None:
        self._set("set alias of", ifname, None, ifalias=alias or "")

    def set_up(self, ifname: str, netns: Optional[str] = None) -> None:
        self._set("bring up", ifname, netns, state="up")

    def set_mac(self, ifname: str, mac: str, netns: Optional[str] = None) -> None:
        self._set("set mac %s of" % mac, ifname, netns, address=mac)

    def add_address(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        """Add an IPv4 address (with its broadcast address, as `brd +`); present already is fine."""
        address, prefixlen = split_cidr(cidr)
        extra = {"broadcast": broadcast_of(cidr)} if broadcast_of(cidr) else {}
        index = self._index(ifname, netns)
        self._call("add %s to %s%s" % (cidr, ifname, self._where(netns)), self._ipr(netns).addr, "add",
                   index=index, address=address, prefixlen=prefixlen, ignore=(errno.EEXIST,), **extra)

    def del_address(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        """Remove an IPv4 address; an address, link or namespace already gone is fine."""
        if netns is not None and netns_missing(netns):
            return
        message = self._message(ifname, netns)
        if message is None:
            return
        address, prefixlen = split_cidr(cidr)
        self._call("remove %s from %s%s" % (cidr, ifname, self._where(netns)), self._ipr(netns).addr, "del",
                   index=message["index"], address=address, prefixlen=prefixlen,
                   ignore=(errno.EADDRNOTAVAIL, errno.ENODEV))

    def delete_link(self, ifname: str, netns: Optional[str] = None) -> None:
        """Delete a link (a veth takes its peer along); a link or namespace already gone is fine."""
        if netns is not None and netns_missing(netns):
            return
        message = self._message(ifname, netns)
        if message is not None:
            self._call("delete %s%s" % (ifname, self._where(netns)), self._ipr(netns).link, "del",
                       index=message["index"], ignore=(errno.ENODEV,))

    def delete_links(self, ifnames: Iterable[str], netns: Optional[str] = None) -> None:
        """Delete several links in one kernel batch; gone already is fine. One at a time, each deletion waits for
        an RCU grace period (about 20 ms); here the links join a link group nothing else uses and the group is
        deleted in one request, so the kernel waits once (200 veths: about 0.1 s instead of 4 s)."""
        if netns is not None and netns_missing(netns):
            return
        present = [message for message in (self._message(ifname, netns) for ifname in sorted(set(ifnames)))
                   if message is not None]
        if len(present) < 2:
            for message in present:
                self.delete_link(message.get_attr("IFLA_IFNAME"), netns)
            return
        ipr = self._ipr(netns)
        names = ", ".join(message.get_attr("IFLA_IFNAME") for message in present)
        group = self._unused_group(ipr, netns)
        try:
            for message in present:
                self._call("mark %s for deletion%s" % (message.get_attr("IFLA_IFNAME"), self._where(netns)), ipr.link,
                           "set", index=message["index"], group=group, ignore=(errno.ENODEV,))
            self._call("delete %s%s" % (names, self._where(netns)), ipr.link, "del", group=group,
                       ignore=(errno.ENODEV,))
        except KernelError:
            for message in present:  # put back what is left, then report
                self._call("restore the group of %s" % message.get_attr("IFLA_IFNAME"), ipr.link, "set",
                           index=message["index"], group=attr(message, "IFLA_GROUP", 0), ignore=(errno.ENODEV,))
            raise

    def _unused_group(self, ipr, path: Optional[str]) -> int:
        used = {message.get_attr("IFLA_GROUP") for message in self._call("read links%s" % self._where(path),
                                                                         ipr.get_links)}
        group = DELETION_GROUP
        while group in used:
            group += 1
        return group

    def create_veth(self, host_ifname: str, peer_ifname: str, netns_path: str, mtu: int, mac: Optional[str],
                    alias: str, master: str, isolated: bool) -> None:
        """Ensure a veth pair: the host end carries `alias`, is a port of bridge `master` with the isolated flag
        (hairpin on) and up; the peer is `peer_ifname` inside the namespace at netns_path, with mac and mtu, up.

        The pair is made in one request, the peer straight inside the namespace, so no half pair and no
        temporary name is ever left behind. If host_ifname exists already: the same pair (its peer is
        peer_ifname in that namespace) is reconfigured; another link carrying the same alias (our own
        leftover) is replaced; anything else is refused, as is a peer_ifname another link holds in the
        namespace. A failure after the pair exists deletes it again.
        """
        what = "create veth %s (peer %s in %s)" % (host_ifname, peer_ifname, netns_path)
        bridge = self._index(master, None)
        fresh = self._add_veth(what, host_ifname, peer_ifname, netns_path, mtu, mac, bridge, alias)
        host = self._require(host_ifname, None)
        settings = {} if fresh else dict({"mtu": mtu}, **({"address": mac} if mac else {}))
        try:
            self._call("configure %s in %s" % (peer_ifname, netns_path), self._ipr(netns_path).link, "set",
                       index=host.get_attr("IFLA_LINK"), state="up", **settings)
            self._port(host, master, bridge, isolated)
            self._call("configure %s" % host_ifname, self._host.link, "set", index=host["index"],
                       ifalias=alias or "", state="up", mtu=mtu)
        except BaseException:
            if fresh:
                self.delete_link(host_ifname)
            raise

    def _add_veth(self, what, host_ifname, peer_ifname, path, mtu, mac, bridge, alias) -> bool:
        """Make the pair in one request, the peer straight inside the namespace; False if it exists already."""
        peer = {"ifname": peer_ifname, "mtu": mtu}
        if mac:
            peer["address"] = mac
        fd = netns.open_namespace(path)
        try:
            peer["net_ns_fd"] = fd
            for _attempt in range(2):
                if self._call(what, self._host.link, "add", ifname=host_ifname, kind="veth", mtu=mtu, master=bridge,
                              peer=peer, ignore=(errno.EEXIST,)) is not None:
                    return True
                if self._same_pair_or_cleared(what, host_ifname, peer_ifname, path, alias):
                    return False
        finally:
            os.close(fd)
        raise KernelError("%s: %s" % (what, os.strerror(errno.EEXIST)), errno=errno.EEXIST)

    def _same_pair_or_cleared(self, what, host_ifname, peer_ifname, path, alias) -> bool:
        """After EEXIST: True if host_ifname is this very pair; False once our own leftover under that name (same
        alias) is deleted; refuses a name someone else holds, on either side."""
        existing = self._message(host_ifname, None)
        if existing is None:
            raise KernelError("%s: %s already exists in %s" % (what, peer_ifname, path), errno=errno.EEXIST)
        if linkinfo(existing, "IFLA_INFO_KIND") == "veth" and existing.get_attr("IFLA_LINK_NETNSID") is not None:
            peer = self._message(peer_ifname, path)
            if peer is not None and peer["index"] == existing.get_attr("IFLA_LINK") and \
                    peer.get_attr("IFLA_LINK") == existing["index"]:
                return True
        if (existing.get_attr("IFLA_IFALIAS") or None) != alias:
            raise KernelError("%s: %s already exists and is not this endpoint's veth" % (what, host_ifname),
                              errno=errno.EEXIST)
        self.delete_link(host_ifname)
        return False

    def set_port(self, ifname: str, master: str, isolated: bool) -> None:
        """Make ifname a port of bridge `master` with hairpin on (an endpoint reaching its own published port
        comes back through the port it left by when br_netfilter bridges the DNATed frame) and the isolated
        flag (a network with icc off: ports reach the bridge and the outside, not each other)."""
        self._port(self._require(ifname, None), master, self._index(master, None), isolated)

    def _port(self, message, master: str, bridge: int, isolated: bool) -> None:
        ifname = message.get_attr("IFLA_IFNAME")
        if message.get_attr("IFLA_MASTER") != bridge:
            self._call("attach %s to %s" % (ifname, master), self._host.link, "set", index=message["index"],
                       master=bridge)
        self._call("set port flags of %s on %s" % (ifname, master), self._host.link, "set", index=message["index"],
                   kind="bridge_slave", isolated=int(bool(isolated)), mode=BRIDGE_PORT_HAIRPIN)
        if isolated and port_flag(self._message(ifname, None), "IFLA_BRPORT_ISOLATED") is not True:
            raise KernelError("set the isolated flag on bridge port %s: this kernel lacks it (Linux 4.18+ needed "
                              "for icc: false)" % ifname, errno=errno.EOPNOTSUPP)

    def set_default_route(self, netns: str, gateway: str, dev: str) -> None:
        index = self._index(dev, netns)
        self._call("route %s by default via %s on %s" % (netns, gateway, dev), self._ipr(netns).route, "replace",
                   dst="0.0.0.0", dst_len=0, gateway=gateway, oif=index, table=MAIN_TABLE)

    # sysctls (host namespace) -------------------------------------------------------------
    get_sysctl = staticmethod(sysctl.get_sysctl)
    set_sysctl = staticmethod(sysctl.set_sysctl)


def netns_missing(path: str) -> bool:
    return netns.identity(path) is None
