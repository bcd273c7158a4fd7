# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-endpoint resolv.conf and hosts under /etc/netns/NAME: renderers (pure) and file I/O."""

from __future__ import annotations

import ipaddress
import os
import shutil
from typing import Dict, Iterable, List, Optional, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._models import NETNS_ETC_DIR
from ansible_collections.linuxnet.containers.plugins.module_utils._text import read_text

HOST_RESOLV_CONF = "/etc/resolv.conf"
RESOLVED_UPSTREAMS = "/run/systemd/resolve/resolv.conf"
HEADER = "# Managed by linuxnet.containers; changes are overwritten.\n"


def endpoint_dir(name: str) -> str:
    return "%s/%s" % (NETNS_ETC_DIR, name)


def parse_resolv_conf(text: str) -> Tuple[List[str], List[str], List[str]]:
    """Nameservers, search domains and options of a resolv.conf."""
    servers, search, options = [], [], []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(words) < 2:
            continue
        if words[0] == "nameserver":
            servers.append(words[1])
        elif words[0] in ("search", "domain"):
            search = words[1:]
        elif words[0] == "options":
            options.extend(words[1:])
    return servers, search, options


def reachable_resolvers(servers: Iterable[str], own_namespace: bool, families: Optional[Set[int]] = None) -> List[str]:
    """The host's resolvers a namespace can reach. In its own namespace: no loopback (systemd-resolved's
    127.0.0.53, ...) and no IPv6 link-local or zoned address (fe80::1%eth0 names a host interface). With
    `families` (the IP versions of the endpoint's addresses), only resolvers of those families: an IPv4-only
    endpoint drops IPv6 resolvers, as Docker does for a container without IPv6, and an IPv6-only endpoint drops
    IPv4 ones (it has no IPv4 route, and no embedded DNS proxy to relay for it). Never the gateway."""
    kept = []
    for server in servers:
        try:
            address = ipaddress.ip_address(server.split("%", 1)[0])
        except ValueError:
            continue
        if own_namespace and (address.is_loopback or "%" in server or address.version == 6 and address.is_link_local):
            continue
        if families and address.version not in families:
            continue
        kept.append(server)
    return kept


def families(endpoint) -> Set[int]:
    """The IP versions of an endpoint's addresses (empty for an endpoint without networks)."""
    return {ipaddress.ip_address(address).version for attachment in endpoint.attachments
            for address in attachment.addresses}


def render_resolv_conf(servers: Iterable[str], search: Iterable[str], options: Iterable[str]) -> str:
    lines = [HEADER.rstrip("\n")]
    lines.extend("nameserver %s" % server for server in servers)
    search = list(search)
    options = list(options)
    if search:
        lines.append("search %s" % " ".join(search))
    if options:
        lines.append("options %s" % " ".join(options))
    return "\n".join(lines) + "\n"


HOSTS_HEAD = HEADER + "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


def hosts_line(address: str, names: Iterable[str]) -> str:
    return "%s\t%s" % (address, " ".join(names))


def render_hosts_lines(lines: List[str]) -> str:
    """A hosts file of already formatted lines (hosts_line) after the localhost lines; order is kept."""
    return HOSTS_HEAD + "\n".join(lines) + "\n" if lines else HOSTS_HEAD


def render_hosts(entries: Iterable[Tuple[str, Iterable[str]]]) -> str:
    """`entries` are (address, names) pairs after the localhost lines; order is kept."""
    return render_hosts_lines([hosts_line(address, names) for address, names in entries])


def read_endpoint_files(name: str, contents: bool = True) -> Dict[str, Optional[str]]:
    """The endpoint's files by name, with their text; with `contents` false, which files there are (each None):
    all a removed endpoint's directory needs to know."""
    directory = endpoint_dir(name)
    try:
        entries = sorted(os.listdir(directory))
    except FileNotFoundError:
        return {}
    if not contents:
        return dict.fromkeys(entries)
    return {entry: read_text(os.path.join(directory, entry)) or "" for entry in entries}


def write_text(path: str, content: str) -> None:
    """Rewrite in place when the file exists: workloads started with `ip netns exec` or a systemd bind mount
    hold the file's inode, so a new peer must appear in that same file, as Docker updates /etc/hosts."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    if os.path.exists(path):
        with open(path, "r+", encoding="utf-8") as handle:
            handle.write(content)
            handle.truncate()
        return
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_endpoint_dir(name: str) -> None:
    shutil.rmtree(endpoint_dir(name), ignore_errors=True)


def host_resolv_conf() -> str:
    """The host's resolver configuration; behind systemd-resolved's stub, its upstream servers."""
    text = read_text(HOST_RESOLV_CONF) or ""
    servers, _search, _options = parse_resolv_conf(text)
    if servers and all(server.startswith("127.") for server in servers) and os.path.exists(RESOLVED_UPSTREAMS):
        return read_text(RESOLVED_UPSTREAMS) or text
    return text


MACHINE_ID = "/etc/machine-id"


def machine_id() -> str:
    """The host's machine-id (seed of the ULA pool of IPv6 subnets); empty when the host has none."""
    return (read_text(MACHINE_ID) or "").strip()
