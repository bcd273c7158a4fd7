# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter: links, addresses, routes, named namespaces and sysctls, on our own rtnetlink client
(_rtnl, _rtnl_codec; no third-party library).

Nothing forks. The host namespace has one socket; every other namespace gets its own, opened while this
thread is switched into it with setns(2) (a netlink socket stays bound to the namespace it was created
in), kept for the run (at most MAX_NAMESPACE_SOCKETS, least recently used closed first) and keyed by the
namespace's identity, so two names of one namespace share a socket, a host-mode name uses the host's, and
a name re-pointed elsewhere gets a new one. Removing a name closes our socket in it, so the namespace dies
as soon as nothing else holds it.

Requests cost what the kernel needs: a namespace is read with three dumps (links without their counters, with
the interfaces' IPv4 and IPv6 settings in IFLA_AF_SPEC; addresses; the main table's routes of both families),
over its socket alone (no /proc/sys read inside it); link changes name the link (the kernel looks the name up);
address and route requests need the ifindex, which comes from the last dump or lookup of that namespace in this
run (a name -> index cache per socket, dropped on deletion and retried once when the kernel answers ENODEV for a
cached index). A veth is made in one request, the peer created straight inside the namespace through
IFLA_NET_NS_FD.

Reading the answers is _netlink_parse's job, /proc/sys is _sysctl's; this module only talks to the kernel.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
from typing import Dict, Iterable, List, Optional

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils import _sysctl as sysctl
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import netns_path
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink6 import Netlink6
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_base import no_such_link, read_address
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    Link,
    NetnsView,
    attr,
    bridge_mac,
    broadcast_of,
    default_route,
    ipv6_conf,
    linkinfo,
    links_with_addresses,
    main_table_destinations,
    port_flag,
    route_localnet,
    split_cidr,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._sysctl import sysctl_path

# Link, NetnsView, bridge_mac and sysctl_path are imported from here by the engine and the tests.
__all__ = ["Link", "Netlink", "NetnsView", "bridge_mac", "sysctl_path"]

LOOPBACK_INDEX = 1  # the kernel gives lo index 1 in every namespace
DELETION_GROUP = 0x6C6E0000  # link group for batch deletion ("ln"); the next unused one is taken
BRIDGE_PORT_HAIRPIN = 1  # IFLA_BRPORT_MODE: hairpin on
CREATE = codec.NLM_F_CREATE | codec.NLM_F_EXCL
REPLACE = codec.NLM_F_CREATE | codec.NLM_F_REPLACE


class Netlink(Netlink6):
    """Reads and changes the kernel's network objects (IPv6 calls in _netlink6). Call close() when done."""

    # reading ------------------------------------------------------------------------------

    def host_links(self) -> Dict[str, Link]:
        """The host's links; bridges with net.ipv4.conf.BRIDGE.route_localnet (from the same dump)."""
        messages, links = self._read_links(None)
        for message in messages:
            link = links[message.get_attr("IFLA_IFNAME")]
            if link.kind == "bridge":
                links[link.ifname] = dataclasses.replace(link, route_localnet=route_localnet(message))
        return links

    def host_network_links(self, ifnames: Iterable[str] = ()) -> Dict[str, Link]:
        """What a run that touches no endpoint needs of the host's links: every bridge and VXLAN device (a link
        dump filtered by kind each), the links named in `ifnames` that are neither (looked up by name: a bridge
        name another kind of link holds), each with its addresses (a dump filtered by ifindex) and the bridges
        with route_localnet, all as host_links() reads them. The veths (one per attachment) are not read: the
        cost stays that of the networks. A bridge's master is not resolved (the planner compares it for bridge
        ports, which are not read here)."""
        messages = [m for kind in ("bridge", "vxlan") for m in self._host.dump(
            "read %s links" % kind, codec.RTM_GETLINK, codec.ifinfomsg() + codec.u32(
                codec.IFLA_EXT_MASK, codec.RTEXT_FILTER_SKIP_STATS) + codec.nested(18, codec.string(1, kind)))
            if linkinfo(m, "IFLA_INFO_KIND") == kind]   # an older kernel that ignores the filter sends all
        found = {m.get_attr("IFLA_IFNAME") for m in messages}
        messages += [m for m in (self._message(name, None) for name in sorted(set(ifnames) - found)) if m is not None]
        names = self._indexes.setdefault(self._host, {})
        names.update((m.get_attr("IFLA_IFNAME"), m["index"]) for m in messages)
        addresses = self._addresses_of([m["index"] for m in messages])
        links = links_with_addresses(messages, addresses)
        for message in messages:
            link = links[message.get_attr("IFLA_IFNAME")]
            if link.kind == "bridge":
                links[link.ifname] = dataclasses.replace(link, route_localnet=route_localnet(message))
        return links

    def _addresses_of(self, indexes: List[int]) -> List:
        """The host's addresses on these links: one dump each, filtered by the kernel (strict checking); a kernel
        that does not filter sends every address at the first, which then serves for all."""
        wanted, found = set(indexes), []
        for index in indexes:
            request = codec.ifaddrmsg(socket.AF_UNSPEC, index=index)
            messages = self._host.dump("read addresses", codec.RTM_GETADDR, request, keep=read_address)
            found += [m for m in messages if m["index"] in wanted]
            if any(m["index"] != index for m in messages):
                return [m for m in messages if m["index"] in wanted]
        return found

    @staticmethod
    def host_link_names() -> List[str]:
        """The names of the host's links (the calling thread's namespace): if_nameindex(3), one dump that libc reads
        without our parsing of every attribute; what a poll for veths to go needs."""
        return [name for _index, name in socket.if_nameindex()]

    def host_routes(self) -> List[str]:
        return main_table_destinations(self._routes(None, socket.AF_INET, "read host routes"))

    netns_inode = staticmethod(netns.inode)        # path -> nsfs inode, None when not a network namespace
    netns_identity = staticmethod(netns.identity)  # path -> (st_dev, st_ino), None likewise

    def netns_view(self, path: str) -> NetnsView:
        """Links with their addresses, default routes and IPv6 settings of a namespace: three dumps (the
        interfaces' accept_ra and autoconf travel in the link dump: no /proc/sys read inside it)."""
        view = self.read_netns(path)
        if view is None:
            raise KernelError("read %s: not a network namespace" % path, errno=errno.ENOENT)
        return view

    def read_netns(self, path: str) -> Optional[NetnsView]:
        """netns_view, or None when path holds no network namespace."""
        found = self._socket_of(path)
        if found is None:
            return None
        key, ipr = found
        messages, links = self._read_links(path, ipr)
        routes = self._routes(path, socket.AF_UNSPEC, "read routes in %s" % path, ipr, defaults=True)
        gateway, dev = default_route([m for m in routes if m["family"] == socket.AF_INET],
                                     {link.index: name for name, link in links.items()})
        return self.view6(path, NetnsView(inode=key[1], links=links, default_gateway=gateway, default_dev=dev),
                          routes6=[m for m in routes if m["family"] == socket.AF_INET6],
                          ipv6_conf={m.get_attr("IFLA_IFNAME"): ipv6_conf(m) for m in messages
                                     if m.get_attr("IFLA_IFNAME") != "lo"})

    # namespaces ---------------------------------------------------------------------------
    def create_netns(self, name: str) -> str:
        """A new empty namespace at /run/netns/NAME with lo up. A name that already holds a namespace is refused."""
        with netns.created(name) as path:
            ipr = self._open()
            try:
                ipr.request("bring lo up in %s" % path, codec.RTM_SETLINK, codec.link(index=LOOPBACK_INDEX, up=True))
            except BaseException:
                ipr.close()
                raise
        self._keep(netns.identity(path), ipr)
        self._indexes[ipr] = {"lo": LOOPBACK_INDEX}
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
        if not self._host.request("create bridge %s" % ifname, codec.RTM_NEWLINK, codec.link(
                ifname=ifname, kind="bridge", mtu=mtu, address=bridge_mac(ifname)), CREATE, ignore=(errno.EEXIST,)):
            kind = linkinfo(self._require(ifname, None), "IFLA_INFO_KIND")
            if kind != "bridge":
                raise KernelError("create bridge %s: an interface of kind %s has that name"
                                  % (ifname, kind or "device"),
                                  errno=errno.EEXIST)
        self._set("configure bridge", ifname, None, mtu=mtu, alias=alias or "", up=True)

    def set_mtu(self, ifname: str, mtu: int, netns: Optional[str] = None) -> None:
        self._set("set mtu %d of" % mtu, ifname, netns, mtu=mtu)

    def set_alias(self, ifname: str, alias: Optional[str]) -> None:
        self._set("set alias of", ifname, None, alias=alias or "")

    def set_up(self, ifname: str, netns: Optional[str] = None) -> None:
        self._set("bring up", ifname, netns, up=True)

    def set_mac(self, ifname: str, mac: str, netns: Optional[str] = None) -> None:
        self._set("set mac %s of" % mac, ifname, netns, address=mac)

    def add_address(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        """Add an IPv4 address (with its broadcast address, as `brd +`); present already is fine."""
        self._add_address(ifname, cidr, netns, broadcast=broadcast_of(cidr))

    def del_address(self, ifname: str, cidr: str, netns: Optional[str] = None) -> None:
        """Remove an IPv4 or IPv6 address; an address, link or namespace already gone is fine."""
        if netns is not None and netns_missing(netns):
            return
        address, prefixlen = split_cidr(cidr)
        what = "remove %s from %s%s" % (cidr, ifname, self._where(netns))
        self._on(ifname, netns, lambda index: self._ipr(netns).request(
            what, codec.RTM_DELADDR, codec.address(index, address, prefixlen), ignore=(errno.EADDRNOTAVAIL,)),
            required=False)

    def delete_link(self, ifname: str, netns: Optional[str] = None) -> None:
        """Delete a link (a veth takes its peer along); a link or namespace already gone is fine."""
        if netns is not None and netns_missing(netns):
            return
        self._ipr(netns).request("delete %s%s" % (ifname, self._where(netns)), codec.RTM_DELLINK,
                                 codec.link(ifname=ifname), ignore=(errno.ENODEV,))
        self._unlearn(netns, ifname)

    def delete_links(self, ifnames: Iterable[str], netns: Optional[str] = None) -> None:
        """Delete several links in one kernel batch; gone already is fine. One at a time, each deletion waits for
        an RCU grace period (about 20 ms); here the links join a link group nothing else uses and the group is
        deleted in one request, so the kernel waits once (200 veths: about 0.1 s instead of 4 s)."""
        if netns is not None and netns_missing(netns):
            return
        ipr, wanted = self._ipr(netns), set(ifnames)
        messages = self._dump_links(netns, "read links%s" % self._where(netns))
        present = sorted((m for m in messages if m.get_attr("IFLA_IFNAME") in wanted),
                         key=lambda m: m.get_attr("IFLA_IFNAME"))
        if len(present) < 2:
            for message in present:
                self.delete_link(message.get_attr("IFLA_IFNAME"), netns)
            return
        names = [message.get_attr("IFLA_IFNAME") for message in present]
        used = {attr(message, "IFLA_GROUP", 0) for message in messages}
        group = DELETION_GROUP
        while group in used:
            group += 1
        try:
            ipr.batch("mark %s for deletion%s" % (", ".join(names), self._where(netns)),
                      [(codec.RTM_SETLINK, codec.link(index=m["index"], group=group), 0) for m in present],
                      ignore=(errno.ENODEV,))
            ipr.request("delete %s%s" % (", ".join(names), self._where(netns)), codec.RTM_DELLINK,
                        codec.link(group=group), ignore=(errno.ENODEV,))
        except KernelError:  # put back what is left, then report
            ipr.batch("restore the groups of %s" % ", ".join(names), [
                (codec.RTM_SETLINK, codec.link(index=m["index"], group=attr(m, "IFLA_GROUP", 0)), 0) for m in present],
                ignore=(errno.ENODEV,))
            raise
        finally:
            self._unlearn(netns, *names)

    def create_veth(self, host_ifname: str, peer_ifname: str, netns_path: str, mtu: int, mac: Optional[str],
                    alias: str, master: str, isolated: bool) -> None:
        """Ensure a veth pair: the host end carries `alias`, is a port of bridge `master` with the isolated flag
        (hairpin on) and up; the peer is `peer_ifname` inside the namespace at netns_path, with mac and mtu, up.

        The pair is made in one request, the peer straight inside the namespace, the host end a port of the
        bridge; a second one sets the port flags and the alias and brings the host end up, a third the peer
        (the kernel refuses a veth's peer up while it makes the pair: ENOTCONN). So no half pair
        and no temporary name is ever left behind. If host_ifname exists already: the same pair (its peer is
        peer_ifname in that namespace) is reconfigured; another link carrying the same alias (our own
        leftover) is replaced; anything else is refused, as is a peer_ifname another link holds in the
        namespace. A failure after the pair exists deletes it again.
        """
        what = "create veth %s (peer %s in %s)" % (host_ifname, peer_ifname, netns_path)
        bridge = self._index(master, None)
        host = self._add_veth(what, host_ifname, peer_ifname, netns_path, mtu, mac, bridge, alias)
        try:
            if host is None:  # made just now with mtu, mac and master (a veth's peer cannot be made up)
                self._port(host_ifname, None, master, isolated, alias=alias or "", up=True)
                self._set("bring up", peer_ifname, netns_path, up=True)
                return
            self._ipr(netns_path).request("configure %s in %s" % (peer_ifname, netns_path), codec.RTM_SETLINK,
                                          codec.link(index=host.get_attr("IFLA_LINK"), up=True, mtu=mtu, address=mac))
            self._port(host_ifname, host, master, isolated, alias=alias or "", up=True, mtu=mtu)
        except BaseException:
            if host is None:
                self.delete_link(host_ifname)
            raise

    def _add_veth(self, what, host_ifname, peer_ifname, path, mtu, mac, bridge, alias):
        """Make the pair in one request, the peer straight inside the namespace: None; or the host end's message
        when it is this pair already."""
        fd = netns.open_namespace(path)
        try:
            peer = codec.link(ifname=peer_ifname, mtu=mtu, address=mac, netns_fd=fd)
            request = codec.link(ifname=host_ifname, mtu=mtu, master=bridge, kind="veth", data=codec.veth_peer(peer))
            for _attempt in range(2):
                if self._host.request(what, codec.RTM_NEWLINK, request, CREATE, ignore=(errno.EEXIST,)):
                    self._unlearn(None, host_ifname)
                    self._unlearn(path, peer_ifname)
                    return None
                existing = self._same_pair_or_cleared(what, host_ifname, peer_ifname, path, alias)
                if existing is not None:
                    return existing
        finally:
            os.close(fd)
        raise KernelError("%s: %s" % (what, os.strerror(errno.EEXIST)), errno=errno.EEXIST)

    def _same_pair_or_cleared(self, what, host_ifname, peer_ifname, path, alias):
        """After EEXIST: host_ifname's message if it is this very pair; None once our own leftover under that name
        (same alias) is deleted; refuses a name someone else holds, on either side."""
        existing = self._message(host_ifname, None)
        if existing is None:
            raise KernelError("%s: %s already exists in %s" % (what, peer_ifname, path), errno=errno.EEXIST)
        if linkinfo(existing, "IFLA_INFO_KIND") == "veth" and existing.get_attr("IFLA_LINK_NETNSID") is not None:
            peer = self._message(peer_ifname, path)
            if peer is not None and peer["index"] == existing.get_attr("IFLA_LINK") and \
                    peer.get_attr("IFLA_LINK") == existing["index"]:
                return existing
        if (existing.get_attr("IFLA_IFALIAS") or None) != alias:
            raise KernelError("%s: %s already exists and is not this endpoint's veth" % (what, host_ifname),
                              errno=errno.EEXIST)
        self.delete_link(host_ifname)
        return None

    def set_port(self, ifname: str, master: str, isolated: bool) -> None:
        """Make ifname a port of bridge `master` with hairpin on (an endpoint reaching its own published port
        comes back through the port it left by when br_netfilter bridges the DNATed frame) and the isolated
        flag (a network with icc off: ports reach the bridge and the outside, not each other)."""
        self._port(ifname, self._require(ifname, None), master, isolated)

    def _port(self, ifname: str, message, master: str, isolated: bool, mode: int = BRIDGE_PORT_HAIRPIN,
              **settings) -> None:
        """Port flags (IFLA_INFO_SLAVE_DATA: applied by the bridge the link is a port of when the request comes)
        and `settings` in one RTM_NEWLINK; attached to `master` first unless `message` shows it is (None: it is)."""
        bridge = self._index(master, None)
        if message is not None and message.get_attr("IFLA_MASTER") != bridge:
            if not self._host.request("attach %s to %s" % (ifname, master), codec.RTM_SETLINK,
                                      codec.link(ifname=ifname, master=bridge), ignore=(errno.ENODEV,)):
                raise no_such_link(ifname, "")
        if not self._host.request("set port flags of %s on %s" % (ifname, master), codec.RTM_NEWLINK, codec.link(
                ifname=ifname, port={"IFLA_BRPORT_ISOLATED": int(bool(isolated)), "IFLA_BRPORT_MODE": mode},
                **settings), ignore=(errno.ENODEV,)):
            raise no_such_link(ifname, "")
        if isolated and port_flag(self._message(ifname, None), "IFLA_BRPORT_ISOLATED") is not True:
            raise KernelError("set the isolated flag on bridge port %s: this kernel lacks it (Linux 4.18+ needed "
                              "for icc: false)" % ifname, errno=errno.EOPNOTSUPP)

    def set_default_route(self, netns: str, gateway: str, dev: str) -> None:
        self._set_default_route(netns, gateway, dev)

    # sysctls (host namespace) -------------------------------------------------------------
    get_sysctl = staticmethod(sysctl.get_sysctl)
    set_sysctl = staticmethod(sysctl.set_sysctl)


def netns_missing(path: str) -> bool:
    return netns.identity(path) is None
