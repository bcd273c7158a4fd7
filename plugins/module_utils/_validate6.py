# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPv6 half of the input checks (_validate's companion): IPv6 CIDRs and addresses, a network's IPv6 and
gateway-mode options. Pure; every error names its field."""

from __future__ import annotations

import ipaddress
from typing import Optional

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import GATEWAY_MODES

MAX_SUBNET6_PREFIX = 126  # room for the gateway and at least one endpoint


def text_value(value, field: str, what: str, fix: str) -> str:
    """The value itself, when it is a string; a field-named refusal otherwise (never a traceback)."""
    if not isinstance(value, str):
        raise InvalidOption(field, "expected %s, got %s %r" % (what, type(value).__name__, value), fix)
    return value


def ipv6_cidr(value: str, field: str) -> str:
    text = text_value(value, field, "an IPv6 CIDR", "write it like fd00:1:2:3::/64")
    try:
        network = ipaddress.IPv6Network(text, strict=False)
    except (ValueError, TypeError):
        raise InvalidOption(field, "%r is not an IPv6 CIDR" % (value,), "write it like fd00:1:2:3::/64") from None
    if "/" not in text or network.network_address != ipaddress.IPv6Interface(text).ip:
        raise InvalidOption(field, "%r has host bits set" % (value,), "did you mean %s?" % network)
    return str(network)


def ipv6_address(value: str, field: str) -> str:
    text_value(value, field, "an IPv6 address", "write it like fd00:1:2:3::10")
    try:
        address = ipaddress.IPv6Address(value[1:-1] if value.startswith("[") and value.endswith("]") else value)
    except (ValueError, TypeError):
        raise InvalidOption(field, "%r is not an IPv6 address" % (value,), "write it like fd00:1:2:3::10") from None
    if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_loopback:
        raise InvalidOption(field, "%s is not a unicast address an endpoint can own" % address,
                            "use a global or unique-local (fd00::/8) address")
    return str(address)


def _any_address(value, field: str, what: str, fix: str):
    """An IPv4 or IPv6 address, the whole string (no zone: `%` is refused, as is anything around the address)."""
    text = text_value(value, field, what, fix)
    base = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(base)
    except ValueError:
        raise InvalidOption(field, "%r is not an IPv4 or IPv6 address" % (value,), fix) from None
    if "%" in text or address.is_link_local and address.version == 6:
        raise InvalidOption(field, "%r is link-local or has a zone: an fe80:: address needs the zone of an interface "
                                   "inside the namespace (fe80::1%%eth0), which this option does not take" % (value,),
                            "use a global or unique-local (fd00::/8) address of the server, or an IPv4 address")
    if address.is_unspecified or address.is_multicast:
        raise InvalidOption(field, "%s is not a unicast address" % address, fix)
    return str(address)


def resolver_address(value, field: str) -> str:
    """A `dns` item: a nameserver's IPv4 or IPv6 address (loopback allowed: a resolver inside the namespace)."""
    return _any_address(value, field, "a nameserver address", "write it like 192.0.2.53 or 2001:db8::53")


def hosts_address(value, field: str) -> str:
    """An `etc_hosts` address, IPv4 or IPv6."""
    return _any_address(value, field, "an IP address", "write it like 10.0.0.5 or fd00:1::5")


def host_ip6(text: str, field: str) -> str:
    """The IPv6 host address of a published port: `::` (every IPv6 address of the host) or one address."""
    try:
        address = ipaddress.IPv6Address(text[1:-1] if text.startswith("[") and text.endswith("]") else text)
    except ValueError:
        raise InvalidOption(field, "%r is not an IP address" % (text,),
                            "give a host address such as [2001:db8::1] or [::], or leave it out") from None
    if address.is_loopback:
        raise InvalidOption(field, "[::1] cannot be published: IPv6 has no route_localnet, so the kernel never "
                                   "translates connections to ::1 to an endpoint (only a proxy process could)",
                            "publish on 127.0.0.1 for host-only access, e.g. 127.0.0.1:%s" % "HOST_PORT:PORT")
    if address.is_link_local or address.is_multicast:
        raise InvalidOption(field, "%s is not a unicast host address a port can be published on" % address,
                            "use a global or unique-local address of the host, or [::]")
    return str(address)


def _mode(params: dict, key: str, where: str) -> Optional[str]:
    value = params.get(key)
    if value is not None and value not in GATEWAY_MODES:
        raise InvalidOption(where + key, "%r is not a gateway mode" % (value,), "use nat or routed")
    return value


def network6_options(params: dict, where: str) -> dict:
    """enable_ipv4/6, ipv6_subnet/gateway/ip_range and the gateway modes, checked; None where left out."""
    enable_ipv4, enable_ipv6 = params.get("enable_ipv4"), params.get("enable_ipv6")
    if enable_ipv4 is False and enable_ipv6 is False:
        raise InvalidOption(where + "enable_ipv4", "a network needs at least one address family",
                            "set enable_ipv6: true for an IPv6-only network")
    if enable_ipv4 is False:
        for key in ("subnet", "gateway", "ip_range"):
            if params.get(key) is not None:
                raise InvalidOption(where + key, "an IPv6-only network (enable_ipv4: false) has no IPv4 %s" % key,
                                    "drop %s, or set enable_ipv4: true" % key)
    subnet = params.get("ipv6_subnet")
    if subnet is not None:
        subnet = ipv6_cidr(subnet, where + "ipv6_subnet")
        if ipaddress.IPv6Network(subnet).prefixlen > MAX_SUBNET6_PREFIX:
            raise InvalidOption(where + "ipv6_subnet", "%s leaves no room for a gateway and endpoints" % subnet,
                                "use a /64 (or at least a /%d)" % MAX_SUBNET6_PREFIX)
    gateway = params.get("ipv6_gateway")
    if gateway is not None:
        gateway = ipv6_address(gateway, where + "ipv6_gateway")
        _needs_subnet6(subnet, where + "ipv6_gateway", "an ipv6_gateway")
        net = ipaddress.IPv6Network(subnet)
        if ipaddress.IPv6Address(gateway) not in net or ipaddress.IPv6Address(gateway) == net.network_address:
            raise InvalidOption(where + "ipv6_gateway", "%s is not a usable address of ipv6_subnet %s"
                                % (gateway, subnet), "pick an address inside the subnet other than its ::0")
    ip_range = params.get("ipv6_ip_range")
    if ip_range is not None:
        ip_range = range_inside(ipv6_cidr(ip_range, where + "ipv6_ip_range"), subnet, where + "ipv6_ip_range",
                                "ipv6_subnet")
    if enable_ipv6 is False:
        for key, value in (("ipv6_subnet", subnet), ("ipv6_gateway", gateway), ("ipv6_ip_range", ip_range)):
            if value is not None:
                raise InvalidOption(where + key, "set while enable_ipv6 is false", "set enable_ipv6: true")
    return dict(enable_ipv4=None if enable_ipv4 is None else bool(enable_ipv4),
                enable_ipv6=None if enable_ipv6 is None else bool(enable_ipv6),
                ipv6_subnet=subnet, ipv6_gateway=gateway, ipv6_ip_range=ip_range,
                gateway_mode_ipv4=_mode(params, "gateway_mode_ipv4", where),
                gateway_mode_ipv6=_mode(params, "gateway_mode_ipv6", where))


def _needs_subnet6(subnet: Optional[str], field: str, what: str) -> None:
    if subnet is None:
        raise InvalidOption(field, "%s needs an explicit ipv6_subnet" % what, "set ipv6_subnet too")


def range_inside(ip_range: str, subnet: Optional[str], field: str, subnet_field: str) -> str:
    """An allocation range (`ip_range`, `ipv6_ip_range`), which needs its explicit subnet and lies inside it."""
    if subnet is None:
        raise InvalidOption(field, "an %s needs an explicit %s" % (field.rsplit(".", 1)[-1], subnet_field),
                            "set %s too" % subnet_field)
    if not ipaddress.ip_network(ip_range).subnet_of(ipaddress.ip_network(subnet)):
        raise InvalidOption(field, "%s is not inside %s %s" % (ip_range, subnet_field, subnet),
                            "choose a range inside the subnet")
    return ip_range
