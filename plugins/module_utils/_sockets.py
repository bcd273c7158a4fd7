# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who holds a port on the host: listening TCP/SCTP sockets and bound UDP sockets, from /proc."""

from __future__ import annotations

import functools
import ipaddress
import os
from typing import Dict, List, Optional, Tuple

TCP_LISTEN = "0A"
TABLES = {"tcp": ("/proc/net/tcp", "/proc/net/tcp6"), "udp": ("/proc/net/udp", "/proc/net/udp6")}
WILDCARDS = {"0.0.0.0", "::"}


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped or address)


def parse_proc_net(text: str, protocol: str) -> List[Tuple[str, int, str]]:
    """(local address, port, socket inode) of each listening (tcp) or bound (udp) socket in a /proc/net table."""
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        address, port = fields[1].split(":")
        if protocol == "tcp" and fields[3] != TCP_LISTEN:
            continue
        sockets.append((_address(address), int(port, 16), fields[9]))
    return sockets


def parse_sctp_eps(text: str) -> List[Tuple[str, int, str]]:
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 9:
            sockets.append((fields[8] if len(fields) > 8 else "0.0.0.0", int(fields[5]), fields[7]))
    return sockets


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except OSError:
        return ""


@functools.lru_cache(maxsize=None)
def _sockets(protocol: str) -> Tuple[Tuple[str, int, str], ...]:
    if protocol == "sctp":
        return tuple(parse_sctp_eps(_read("/proc/net/sctp/eps")))
    return tuple(entry for path in TABLES[protocol] for entry in parse_proc_net(_read(path), protocol))


@functools.lru_cache(maxsize=None)
def _owners() -> Dict[str, str]:
    """socket inode -> 'process NAME (pid N)'."""
    owners = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        name = _read("/proc/%s/comm" % pid).strip() or "?"
        for fd in fds:
            try:
                target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                owners.setdefault(target[8:-1], "process %s (pid %s)" % (name, pid))
    return owners


def listening_owner(protocol: str, host_ip: Optional[str], port: int) -> Optional[str]:
    """Names whoever holds `port` for `protocol` on `host_ip` (None: any address), or None when free."""
    for address, bound_port, inode in _sockets(protocol):
        if bound_port != port:
            continue
        if host_ip is None or address in WILDCARDS or address == host_ip:
            return _owners().get(inode, "a socket (inode %s) of an unknown process" % inode)
    return None
