# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sysctls of the calling thread's network namespace (the host's, for the engine), through /proc/sys."""

from __future__ import annotations

import errno
import os

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError


def sysctl_path(key: str) -> str:
    """/proc/sys path of a sysctl key, given dotted (net.ipv4.ip_forward), slashed (net/ipv4/conf/br.0/rp_filter)
    or as the path itself. Dotted per-interface keys keep dots inside the interface name
    (net.ipv4.conf.br.0.route_localnet names interface br.0)."""
    if key.startswith("/"):
        path = os.path.normpath(key)
        if not path.startswith("/proc/sys/"):
            raise KernelError("sysctl %s: not under /proc/sys" % key, errno=errno.EINVAL)
        return path
    if "/" in key:
        return "/proc/sys/" + key.strip("/")
    for prefix in ("net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh."):
        if key.startswith(prefix) and key.count(".") > prefix.count(".") + 1:
            device, leaf = key[len(prefix):].rsplit(".", 1)
            return "/proc/sys/%s/%s/%s" % (prefix.rstrip(".").replace(".", "/"), device, leaf)
    return "/proc/sys/" + key.replace(".", "/")


def get_sysctl(key: str) -> str:
    try:
        with open(sysctl_path(key), encoding="ascii") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise KernelError("read sysctl %s: %s" % (key, exc.strerror), errno=exc.errno) from None


def set_sysctl(key: str, value) -> None:
    try:
        with open(sysctl_path(key), "w", encoding="ascii") as handle:
            handle.write(str(value))
    except OSError as exc:
        raise KernelError("set sysctl %s = %s: %s" % (key, value, exc.strerror), errno=exc.errno) from None
