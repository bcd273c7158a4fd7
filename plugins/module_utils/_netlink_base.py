# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter's sockets and names: one rtnetlink socket per namespace (see _netlink), the ifname ->
ifindex each namespace showed in this run, and the reads every part of the adapter shares."""

from __future__ import annotations

import errno
import os
import socket
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    MAIN_TABLE,
    Link,
    links_with_addresses,
    route_table,
    split_cidr,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._rtnl import Rtnl

MAX_NAMESPACE_SOCKETS = 64  # one descriptor each; a run over hundreds of endpoints stays far from ulimit -n
RT_SCOPE_UNIVERSE = 0
CREATE = codec.NLM_F_CREATE | codec.NLM_F_EXCL
REPLACE = codec.NLM_F_CREATE | codec.NLM_F_REPLACE


class NetlinkBase:
    """Sockets, names and the shared reads of Netlink. Call close() when done."""

    def __init__(self, library: Optional[Callable] = None):
        """Opens the host namespace's socket. `library`: what opens a socket (_rtnl.Rtnl by default; tests pass
        a recording stand-in)."""
        self._open = library or Rtnl
        self._host_identity = netns.identity(netns.thread_netns())
        self._host = self._open()
        self._sockets: OrderedDict = OrderedDict()  # namespace identity -> socket, least recently used first
        self._indexes: Dict[object, Dict[str, int]] = {}  # socket -> {ifname: ifindex} seen in this run

    def close(self) -> None:
        while self._sockets:
            self._close(self._sockets.popitem()[1])
        if self._host is not None:
            self._close(self._host)
            self._host = None

    # sockets ------------------------------------------------------------------------------
    def _ipr(self, path: Optional[str]):
        """The socket of the namespace at path (None: the host's), opened on first use; the namespace file is
        opened once. A path that holds no network namespace is refused as open_namespace words it."""
        if path is None:
            return self._host
        found = self._socket_of(path)
        if found is None:
            raise not_a_namespace(path)
        return found[1]

    def _socket_of(self, path: str) -> Optional[Tuple[object, object]]:
        """(identity, socket) of the namespace at path; None when path holds none. The namespace file is opened
        once, to tell what it is and, when no socket of ours is there yet, to enter it."""
        found = netns.opened(path)
        if found is None:
            return None
        fd, key = found
        try:
            known = self._known(key)
            return key, known if known is not None else self._opened(path, fd, key)
        finally:
            os.close(fd)

    def _known(self, key):
        """Our open socket in the namespace of identity `key`, or None."""
        if key == self._host_identity:
            return self._host
        if key in self._sockets:
            self._sockets.move_to_end(key)
            return self._sockets[key]
        return None

    def _opened(self, path: str, fd: int, key) -> object:
        """A new socket in the namespace of descriptor fd (identity `key`), kept for the run."""
        with netns.entered(fd, "open a netlink socket in %s" % path):
            ipr = self._open()
        self._keep(key, ipr)
        return ipr

    def _keep(self, key, ipr) -> None:
        self._sockets[key] = ipr
        while len(self._sockets) > MAX_NAMESPACE_SOCKETS:
            self._close(self._sockets.popitem(last=False)[1])

    def _close(self, ipr) -> None:
        self._indexes.pop(ipr, None)
        ipr.close()

    def _forget(self, key) -> None:
        """Close our socket in a namespace: an open socket would keep a namespace alive after its name goes."""
        ipr = self._sockets.pop(key, None)
        if ipr is not None:
            self._close(ipr)

    @staticmethod
    def _where(path: Optional[str]) -> str:
        return " in %s" % path if path else ""

    # names and indexes --------------------------------------------------------------------
    def _message(self, ifname: str, path: Optional[str]):
        """The RTM_NEWLINK message of ifname (asked of the kernel now), or None when there is no such link."""
        ipr = self._ipr(path)
        message = ipr.get("look up %s%s" % (ifname, self._where(path)), codec.RTM_GETLINK,
                          codec.link(ifname=ifname), ignore=(errno.ENODEV,))
        names = self._indexes.setdefault(ipr, {})
        if message is None:
            names.pop(ifname, None)
        else:
            names[ifname] = message["index"]
        return message

    def _require(self, ifname: str, path: Optional[str]):
        message = self._message(ifname, path)
        if message is None:
            raise no_such_link(ifname, self._where(path))
        return message

    def _index(self, ifname: str, path: Optional[str], required: bool = True) -> Optional[int]:
        """ifname's index from this run's dumps and lookups, or asked of the kernel (None if gone, not required)."""
        known = self._indexes.get(self._ipr(path), {}).get(ifname)
        if known is not None:
            return known
        message = self._require(ifname, path) if required else self._message(ifname, path)
        return message["index"] if message is not None else None

    def _unlearn(self, path: Optional[str], *ifnames: str) -> None:
        names = self._indexes.get(self._ipr(path), {})
        for ifname in ifnames:
            names.pop(ifname, None)

    def _on(self, ifname: str, path: Optional[str], send: Callable[[int], object], required: bool = True):
        """send(ifindex of ifname); once more with the kernel's index if the one we knew is gone (ENODEV)."""
        cached = ifname in self._indexes.get(self._ipr(path), {})
        index = self._index(ifname, path, required)
        if index is None:
            return None
        try:
            return send(index)
        except KernelError as exc:
            if not cached or exc.details.get("errno") != errno.ENODEV:
                raise
        self._unlearn(path, ifname)
        index = self._index(ifname, path, required)
        return send(index) if index is not None else None

    def _set(self, what: str, ifname: str, path: Optional[str], **settings) -> None:
        """RTM_SETLINK of ifname by name: up, mtu, address, master, alias, group (see _rtnl_codec.link)."""
        done = self._ipr(path).request("%s %s%s" % (what, ifname, self._where(path)), codec.RTM_SETLINK,
                                       codec.link(ifname=ifname, **settings), ignore=(errno.ENODEV,))
        if not done:
            raise no_such_link(ifname, self._where(path))

    # reading ------------------------------------------------------------------------------
    def _set_default_route(self, path: str, gateway: str, dev: str) -> None:
        what = "route %s by default via %s on %s" % (path, gateway, dev)
        self._on(dev, path, lambda index: self._ipr(path).request(
            what, codec.RTM_NEWROUTE, codec.default_route(gateway, index, MAIN_TABLE), REPLACE))

    def _add_address(self, ifname: str, cidr: str, path: Optional[str], **extra) -> None:
        address, prefixlen = split_cidr(cidr)
        what = "add %s to %s%s" % (cidr, ifname, self._where(path))
        self._on(ifname, path, lambda index: self._ipr(path).request(
            what, codec.RTM_NEWADDR, codec.address(index, address, prefixlen, **extra), CREATE,
            ignore=(errno.EEXIST,)))

    def _routes(self, path: Optional[str], family: int, what: str, ipr=None, defaults: bool = False) -> List:
        """The main table's routes of a family (AF_UNSPEC: IPv4 and IPv6 in one dump; other families left out);
        `defaults`: the default routes alone (the others' attributes are never decoded). The kernel leaves the
        other tables out itself where it can (strict checking, _rtnl); what it sends of them, an older kernel's
        whole dump, is dropped here."""
        ipr = ipr or self._ipr(path)
        families = (family,) if family else (socket.AF_INET, socket.AF_INET6)
        try:
            messages = ipr.dump(what, codec.RTM_GETROUTE, codec.rtmsg(family, table=MAIN_TABLE),
                                keep=_default_route if defaults else None)
        except KernelError as exc:   # a family's dump of a table never made (an IPv4 main table with no route yet)
            if exc.details.get("errno") != errno.ENOENT:
                raise
            return []
        return [m for m in messages if m["family"] in families and route_table(m) == MAIN_TABLE]

    def _dump_links(self, path: Optional[str], what: str, ipr=None) -> List:
        """Every link's message, without the counters (RTEXT_FILTER_SKIP_STATS: the engine reads none)."""
        ipr = ipr or self._ipr(path)
        messages = ipr.dump(what, codec.RTM_GETLINK, codec.ifinfomsg() + codec.u32(
            codec.IFLA_EXT_MASK, codec.RTEXT_FILTER_SKIP_STATS))
        self._indexes[ipr] = {message.get_attr("IFLA_IFNAME"): message["index"] for message in messages}
        return messages

    def _links(self, path: Optional[str]) -> Dict[str, Link]:
        return self._read_links(path)[1]

    def _read_links(self, path: Optional[str], ipr=None) -> Tuple[List, Dict[str, Link]]:
        """(link messages, links with their IPv4 and global IPv6 addresses): one link dump, one address dump of
        both families."""
        what = "read links%s" % self._where(path)
        ipr = ipr or self._ipr(path)
        messages = self._dump_links(path, what, ipr)
        addresses = ipr.dump(what, codec.RTM_GETADDR, codec.ifaddrmsg(socket.AF_UNSPEC), keep=read_address)
        return messages, links_with_addresses(messages, addresses)


def read_address(fields: Dict[str, int]) -> bool:
    """Whether an address message is read: IPv4, and IPv6 of global scope (link-local ones are the kernel's)."""
    return fields["family"] == socket.AF_INET or (fields["family"] == socket.AF_INET6
                                                  and fields["scope"] == RT_SCOPE_UNIVERSE)


def _default_route(fields: Dict[str, int]) -> bool:
    return fields["dst_len"] == 0


def not_a_namespace(path: str) -> KernelError:
    """The error of a path that holds no network namespace: open_namespace's for a missing file or one nothing is
    mounted on (with their errno), else that it is a namespace of another type."""
    os.close(netns.open_namespace(path))
    return KernelError("open network namespace %s: not a network namespace" % path, errno=errno.EINVAL)


def no_such_link(ifname: str, where: str) -> KernelError:
    return KernelError("interface %s does not exist%s" % (ifname, where), errno=errno.ENODEV)
