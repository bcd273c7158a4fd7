# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn module parameters into normalised specs, rejecting malformed input with the field named.

Only checks that need nothing but the input live here; checks against what exists on the
host (duplicate addresses, unknown networks) belong to the resolver.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from typing import Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _overlay as overlay
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._ipam import IFNAMSIZ
from ansible_collections.linuxnet.containers.plugins.module_utils._validate6 import text_value as _string
from ansible_collections.linuxnet.containers.plugins.module_utils._validate6 import (
    host_ip6,
    hosts_address,
    ipv6_address,
    ipv6_cidr,
    network6_options,
    range_inside,
    resolver_address,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._models import (
    MODES,
    AttachmentSpec,
    EndpointSpec,
    NetworkSpec,
    PortSpec,
    PublishSpec,
)

# Every pattern is matched with fullmatch (never `$`, which accepts a trailing newline) and spells its
# characters out in ASCII (never \d or \w, which accept other scripts' digits and letters).
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAC_RE = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
HOSTNAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}")
IFNAME_RE = re.compile(r"[A-Za-z0-9_.@+-]+")
DNS_OPTION_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}(:[0-9]{1,5})?")
PROTOCOLS = ("tcp", "udp", "sctp")
PORT_RE = re.compile(r"([0-9]{1,5})(?:-([0-9]{1,5}))?")
PATH_MAX = 4096


def _integer(value, field: str, fix: str) -> int:
    """An int that is not a bool (True is an int to Python, and pid: true would mean PID 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOption(field, "expected an integer, got %s %r" % (type(value).__name__, value), fix)
    return value


def _matching(value, pattern, field: str, what: str, fix: str) -> str:
    """A string that `pattern` matches as a whole."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidOption(field, "%r is not %s" % (value, what), fix)
    return value


def object_name(value: str, field: str) -> str:
    return _matching(value, NAME_RE, field, "a valid name",
                     "use 1-64 characters from A-Z a-z 0-9 _ . - starting with a letter or digit")


def ifname(value: str, field: str) -> str:
    _string(value, field, "an interface name", "write it like eth0")
    if not value or len(value) > IFNAMSIZ:
        raise InvalidOption(field, "interface name %r is %d characters long" % (value, len(value or "")),
                            "Linux allows 1 to %d characters" % IFNAMSIZ)
    if value in (".", "..") or not IFNAME_RE.fullmatch(value):
        raise InvalidOption(field, "interface name %r contains a character Linux refuses or that is unsafe" % value,
                            "use A-Z a-z 0-9 and _ . @ + -")
    return value


def ipv4_cidr(value: str, field: str) -> str:
    _string(value, field, "an IPv4 CIDR", "write it like 172.20.0.0/16")
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except (ValueError, TypeError):
        raise InvalidOption(field, "%r is not an IPv4 CIDR" % (value,), "write it like 172.20.0.0/16") from None
    if str(network) != value:
        raise InvalidOption(field, "%r has host bits set" % (value,), "did you mean %s?" % network)
    return str(network)


def ipv4_address(value: str, field: str) -> str:
    _string(value, field, "an IPv4 address", "write it like 172.20.0.10")
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise InvalidOption(field, "%r is not an IPv4 address" % (value,), "write it like 172.20.0.10") from None


def mac_address(value: str, field: str) -> str:
    text = _string(value, field, "a MAC address", "write it like 02:42:ac:14:00:0a").lower().replace("-", ":")
    if not MAC_RE.fullmatch(text):
        raise InvalidOption(field, "%r is not a MAC address" % (value,), "write it like 02:42:ac:14:00:0a")
    if int(text[:2], 16) & 1:
        raise InvalidOption(field, "%s is a multicast MAC address" % text,
                            "use a unicast address (even first octet), e.g. starting 02:")
    return text


def hostname(value: str, field: str) -> str:
    return _matching(value, HOSTNAME_RE, field, "a valid host name", "use letters, digits, '.', '-', '_'")


def _within(address: str, subnet: str) -> bool:
    return ipaddress.IPv4Address(address) in ipaddress.IPv4Network(subnet)


def network_spec(params: dict, where: str = "") -> NetworkSpec:
    """Validate one network item (`where` prefixes field names in batch form, e.g. 'networks[1].')."""
    name = object_name(params.get("name"), where + "name")
    subnet = params.get("subnet")
    if subnet is not None:
        subnet = ipv4_cidr(subnet, where + "subnet")
        if ipaddress.IPv4Network(subnet).prefixlen > 30:
            raise InvalidOption(where + "subnet", "%s leaves no room for a gateway and endpoints" % subnet,
                                "use a /30 or larger subnet")
    gateway = params.get("gateway")
    if gateway is not None:
        gateway = ipv4_address(gateway, where + "gateway")
        _needs_subnet(subnet, where + "gateway", "a gateway")
        net = ipaddress.IPv4Network(subnet)
        if not _within(gateway, subnet) or gateway in (str(net.network_address), str(net.broadcast_address)):
            raise InvalidOption(where + "gateway", "%s is not a usable address of subnet %s" % (gateway, subnet),
                                "pick an address between the network and broadcast addresses")
    ip_range = params.get("ip_range")
    if ip_range is not None:
        ip_range = range_inside(ipv4_cidr(ip_range, where + "ip_range"), subnet, where + "ip_range", "subnet")
    bridge = params.get("bridge")
    if bridge is not None:
        bridge = ifname(bridge, where + "bridge")
    mtu = params.get("mtu")
    if mtu is not None:
        mtu = _integer(mtu, where + "mtu", "give the MTU as a number, e.g. 1500")
    if mtu is not None and not 68 <= mtu <= 65535:
        raise InvalidOption(where + "mtu", "%d is outside 68-65535" % mtu, "use an MTU the links support, e.g. 1500")
    return NetworkSpec(
        name=name,
        state=params.get("state") or "present",
        bridge=bridge,
        subnet=subnet,
        gateway=gateway,
        ip_range=ip_range,
        mtu=mtu,
        **{key: _flag(params, key) for key in ("masquerade", "icc", "internal", "isolated",
                                               "accept_in_foreign_firewalls")},
        **network6_options(params, where),
        **overlay.spec_fields(params, where, subnet, ipv4_address, ipv4_cidr, hostname),
    )


def _needs_subnet(subnet: Optional[str], field: str, what: str) -> None:
    if subnet is None:
        raise InvalidOption(field, "%s needs an explicit subnet" % what, "set subnet too")


def _flag(params: dict, key: str) -> Optional[bool]:
    value = params.get(key)
    return None if value is None else bool(value)


def _attachments(params: dict, where: str) -> tuple:
    items = []
    if params.get("network") is not None:
        if params.get("networks"):
            raise InvalidOption(where + "network", "network and networks are mutually exclusive",
                                "list every network under networks")
        items.append(({"name": params["network"], "ipv4_address": params.get("ipv4_address"),
                       "ipv6_address": params.get("ipv6_address"), "mac_address": params.get("mac_address")}, where))
    else:
        for key in ("ipv4_address", "ipv6_address", "mac_address"):
            if params.get(key) is not None:
                raise InvalidOption(where + key, "only allowed together with network",
                                    "set it per entry of networks instead")
        for index, item in enumerate(params.get("networks") or ()):
            items.append((item, "%snetworks[%d]." % (where, index)))
    attachments, seen_networks, seen_ifnames = [], set(), set()
    for index, (item, prefix) in enumerate(items):
        network = object_name(item.get("name"), prefix + ("network" if prefix == where else "name"))
        if network in seen_networks:
            raise InvalidOption(prefix + "name", "network %s is listed twice" % network, "list each network once")
        seen_networks.add(network)
        name = ifname(item.get("ifname") or "eth%d" % index, prefix + "ifname")
        if name in seen_ifnames:
            raise InvalidOption(prefix + "ifname", "%s is used twice in this endpoint" % name,
                                "give each network its own ifname")
        seen_ifnames.add(name)
        address = item.get("ipv4_address")
        address6 = item.get("ipv6_address")
        mac = item.get("mac_address")
        attachments.append(AttachmentSpec(
            network=network,
            ipv4_address=None if address is None else ipv4_address(address, prefix + "ipv4_address"),
            ipv6_address=None if address6 is None else ipv6_address(address6, prefix + "ipv6_address"),
            mac_address=None if mac is None else mac_address(mac, prefix + "mac_address"),
            ifname=name,
            aliases=tuple(hostname(a, prefix + "aliases") for a in item.get("aliases") or ()),
        ))
    return tuple(attachments)


CONTAINER_MODE_CONFLICTS = ("network", "networks", "dns", "dns_search", "dns_options", "etc_hosts",
                            "netns_path", "pid")


def endpoint_spec(params: dict, where: str = "") -> EndpointSpec:
    """Validate one endpoint item."""
    name = object_name(params.get("name"), where + "name")
    state = params.get("state") or "present"
    mode = params.get("mode") or "bridge"
    if mode not in MODES:
        raise InvalidOption(where + "mode", "%r is not a mode" % mode, "use one of %s" % ", ".join(MODES))
    if mode == "container":
        for key in CONTAINER_MODE_CONFLICTS:
            if params.get(key):
                raise InvalidOption(where + key, "conflicting options: %s and container mode" % key,
                                    "a container-mode endpoint shares its target's network, DNS and hosts; "
                                    "set them on the target endpoint")
        if state == "present" and not params.get("container"):
            raise InvalidOption(where + "container", "container mode needs the endpoint whose namespace is shared",
                                "set container: NAME")
    elif params.get("container"):
        raise InvalidOption(where + "container", "only used with mode: container", "set mode: container or drop it")
    if mode in ("host", "none"):
        for key in ("network", "networks", "ipv4_address", "ipv6_address", "mac_address"):
            if params.get(key):
                raise InvalidOption(where + key, "%s mode has no networks" % mode,
                                    "use mode: bridge to attach networks")
    if mode == "host" and (params.get("netns_path") or params.get("pid") is not None):
        raise InvalidOption(where + "netns_path" if params.get("netns_path") else where + "pid",
                            "host mode always names the host's own namespace", "drop it, or use mode none/bridge")
    if params.get("netns_path") and params.get("pid") is not None:
        raise InvalidOption(where + "pid", "netns_path and pid are mutually exclusive", "set only one")
    pid = params.get("pid")
    if pid is not None and _integer(pid, where + "pid", "give the PID of a running process as a number") <= 0:
        raise InvalidOption(where + "pid", "%r is not a process id" % pid, "give the PID of a running process")
    container = params.get("container")
    if container is not None:
        container = object_name(container, where + "container")
        if container == name:
            raise InvalidOption(where + "container", "an endpoint cannot share its own namespace",
                                "name another endpoint")
    return EndpointSpec(
        name=name,
        state=state,
        mode=mode,
        networks=_attachments(params, where) if mode == "bridge" and state == "present" else (),
        container=container,
        netns_path=_optional_path(params.get("netns_path"), where + "netns_path"),
        pid=None if pid is None else int(pid),
        dns=_each(params.get("dns"), resolver_address, where + "dns"),
        dns_search=_each(params.get("dns_search"), hostname, where + "dns_search"),
        dns_options=_each(params.get("dns_options"), _dns_option, where + "dns_options"),
        etc_hosts=None if params.get("etc_hosts") is None else _etc_hosts(params["etc_hosts"], where + "etc_hosts"),
        recreate=bool(params.get("recreate")),
    )


def _each(values, check, field: str) -> Optional[tuple]:
    """A list option checked item by item; None when left out (the endpoint keeps what it has)."""
    return None if values is None else tuple(check(value, field) for value in values)


def _optional_path(value: Optional[str], field: str) -> Optional[str]:
    """An absolute, normalised path of printable characters; whether it is a namespace is the resolver's check."""
    if value is None:
        return None
    fix = "give the namespace file, e.g. /proc/1234/ns/net or /run/netns/NAME"
    _string(value, field, "a path", fix)
    if not value.startswith("/"):
        raise InvalidOption(field, "%r is not an absolute path" % value, fix)
    if len(value) > PATH_MAX or not value.isprintable():
        raise InvalidOption(field, "%r is too long or holds control characters" % (value[:80],), fix)
    normal = posixpath.normpath(value)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    if normal != value:
        raise InvalidOption(field, "%r is not a normalised path (no '..', '.', '//' or trailing '/')" % value,
                            "did you mean %s?" % normal)
    return value


def _dns_option(value: str, field: str) -> str:
    return _matching(value, DNS_OPTION_RE, field, "a resolver option",
                     "write options like ndots:2 or rotate (letters, digits, _ - and one :NUMBER)")


def _etc_hosts(value, field: str) -> tuple:
    if isinstance(value, dict):
        pairs = value.items()
    else:
        raise InvalidOption(field, "expected a mapping of host name to address", "write {db.example: 10.0.0.5}")
    return tuple(sorted((hostname(host, field), hosts_address(address, "%s.%s" % (field, host)))
                        for host, address in pairs))


# published ports ------------------------------------------------------------------------
def _port_range(text, field: str) -> Tuple[int, int]:
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise InvalidOption(field, "%r is not a port or a port range" % (text,), "write 8080 or 8000-8010")
    match = PORT_RE.fullmatch(str(text))
    if not match:
        raise InvalidOption(field, "%r is not a port or a port range" % (text,), "write 8080 or 8000-8010")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    for port in (first, last):
        if not 1 <= port <= 65535:
            raise InvalidOption(field, "port %d is out of range" % port, "use ports from 1 to 65535")
    if last < first:
        raise InvalidOption(field, "range %s ends before it starts" % text, "write the lower port first")
    return first, last - first + 1


def _host_ip(text: Optional[str], field: str) -> Optional[str]:
    if text in (None, "", "0.0.0.0"):
        return None
    if isinstance(text, str) and ":" in text:
        return host_ip6(_string(text, field, "an IP address", "write it like 127.0.0.1 or [2001:db8::1]"), field)
    if isinstance(text, str) and text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.IPv4Address(_string(text, field, "an IPv4 address", "write it like 127.0.0.1")))
    except ValueError:
        raise InvalidOption(field, "%r is not an IPv4 address" % (text,),
                            "give a host address such as 127.0.0.1 (or [2001:db8::1] for IPv6), or leave it out "
                            "for every address") from None


def _protocol(text: Optional[str], field: str) -> str:
    if text is not None and not isinstance(text, str):
        raise InvalidOption(field, "%r is not a protocol" % (text,), "use tcp, udp or sctp")
    protocol = (text or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise InvalidOption(field, "%r is not a protocol" % (text,), "use tcp, udp or sctp")
    return protocol


def port_spec(item, field: str) -> PortSpec:
    """One entry of `ports`: a Docker-syntax string or a dict."""
    if isinstance(item, dict):
        unknown = set(item) - {"host_ip", "host_port", "container_port", "protocol"}
        if unknown:
            raise InvalidOption("%s.%s" % (field, sorted(unknown)[0]), "unknown key",
                                "use host_ip, host_port, container_port and protocol")
        if item.get("container_port") in (None, ""):
            raise InvalidOption(field + ".container_port", "missing", "give the port the endpoint listens on")
        host_ip, host_port, container_port = item.get("host_ip"), item.get("host_port"), item["container_port"]
        protocol = item.get("protocol")
    else:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise InvalidOption(field, "expected a string like 8080:80/tcp or a mapping, got %s %r"
                                % (type(item).__name__, item), "write it like 8080:80 or {container_port: 80}")
        text = str(item)
        text, protocol = (text.split("/", 1) + [""])[:2]
        parts = text.rsplit(":", 2)
        container_port = parts[-1]
        host_port = parts[-2] if len(parts) >= 2 else None
        host_ip = parts[-3] if len(parts) == 3 else None
        protocol = protocol or None
    protocol = _protocol(protocol, field)
    first, count = _port_range(container_port, field)
    host_first = None
    if host_port not in (None, ""):
        host_first, host_count = _port_range(host_port, field)
        if host_count != count:
            raise InvalidOption(field, "host range has %d ports, container range %d" % (host_count, count),
                                "give ranges of the same length, e.g. 8000-8010:8000-8010")
    return PortSpec(protocol=protocol, host_ip=_host_ip(host_ip, field), host_port=host_first,
                    container_port=first, count=count)


def publish_spec(params: dict, where: str = "") -> PublishSpec:
    endpoint = object_name(params.get("endpoint"), where + "endpoint")
    state = params.get("state") or "present"
    ports = tuple(port_spec(item, "%sports[%d]" % (where, index))
                  for index, item in enumerate(params.get("ports") or ())) if state == "present" else ()
    sources = _each(params.get("allowed_sources"), _source, where + "allowed_sources")
    network = params.get("network")
    return PublishSpec(endpoint=endpoint, state=state,
                       network=None if network is None else object_name(network, where + "network"),
                       ports=ports, allowed_sources=sources)


def _source(value, field: str) -> str:
    """A client CIDR; a bare address means that one host."""
    text = _string(value, field, "an IPv4 or IPv6 address or CIDR",
                   "write it like 192.0.2.0/24, 192.0.2.7 or 2001:db8::/64")
    if ":" in text:
        return ipv6_cidr(text if "/" in text else text + "/128", field)
    return ipv4_cidr(text if "/" in text else text + "/32", field)
