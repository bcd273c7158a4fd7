# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who holds a port on the host: listening TCP and SCTP sockets and bound UDP sockets of the current
network namespace, from /proc/net, and the process owning each through /proc/PID/fd."""

from __future__ import annotations

import functools
import ipaddress
import os
from typing import Dict, List, Optional, Tuple

TCP_LISTEN = "0A"
TABLES = {"tcp": ("/proc/net/tcp", "/proc/net/tcp6"), "udp": ("/proc/net/udp", "/proc/net/udp6")}
SCTP_ENDPOINTS = "/proc/net/sctp/eps"
WILDCARDS = {"0.0.0.0", "::"}

Socket = Tuple[str, int, str]  # local address, port, inode


def _address(hex_address: str) -> str:
    """A /proc/net address (host byte order words) as text; IPv4-mapped IPv6 as IPv4."""
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped or address)


def parse_proc_net(text: str, protocol: str) -> List[Socket]:
    """Each listening (tcp) or bound (udp) socket of a /proc/net/{tcp,tcp6,udp,udp6} table."""
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


def parse_sctp_eps(text: str) -> List[Socket]:
    """Each SCTP endpoint of /proc/net/sctp/eps (ENDPT SOCK STY SST HBKT LPORT UID INODE LADDRS...),
    once per local address; no address listed means every address."""
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        for address in fields[8:] or ["0.0.0.0"]:
            sockets.append((address, int(fields[5]), fields[7]))
    return sockets


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except OSError:
        return ""


@functools.lru_cache(maxsize=None)
def _sockets(protocol: str) -> Tuple[Socket, ...]:
    if protocol == "sctp":
        return tuple(parse_sctp_eps(_read(SCTP_ENDPOINTS)))
    return tuple(entry for path in TABLES[protocol] for entry in parse_proc_net(_read(path), protocol))


@functools.lru_cache(maxsize=None)
def _owners() -> Dict[str, str]:
    """socket inode -> 'process NAME (pid N)'."""
    owners: Dict[str, str] = {}
    for pid in sorted(filter(str.isdigit, os.listdir("/proc")), key=int):
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


def holder(sockets, protocol_port: int, host_ip: Optional[str]) -> Optional[str]:
    """The inode of the first socket in `sockets` that claims `protocol_port` on `host_ip` (None: any)."""
    for address, port, inode in sockets:
        if port == protocol_port and (host_ip is None or address in WILDCARDS or address == host_ip):
            return inode
    return None


def listening_owner(protocol: str, host_ip: Optional[str], port: int) -> Optional[str]:
    """Names whoever holds `port` for `protocol` on `host_ip` (None: any address), or None when free.
    Reads /proc once per run (the answers are cached for the life of the process)."""
    inode = holder(_sockets(protocol), port, host_ip)
    if inode is None:
        return None
    return _owners().get(inode, "a socket (inode %s) of a process this run cannot see" % inode)


def forget() -> None:
    """Drop the cached view, for a caller that changes sockets and asks again."""
    _sockets.cache_clear()
    _owners.cache_clear()
