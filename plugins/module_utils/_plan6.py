# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner's IPv6 actions (_plan's companion): the gateway on the bridge, an endpoint's address, its
default route and its no-SLAAC settings, and the host's uplinks that must keep accepting router
advertisements once IPv6 forwarding is on. Pure."""

from __future__ import annotations

import ipaddress
from typing import Dict, List, Optional, Sequence

from ansible_collections.linuxnet.containers.plugins.module_utils._models import Attachment, Network

# inside an endpoint: no SLAAC and no router advertisements, the address and route are ours
ENDPOINT_IPV6_CONF = {"accept_ra": "0", "autoconf": "0"}


def _action(op: str, kwargs: dict, text: str) -> tuple:
    """An action as (op, kwargs, text): _plan makes its Action of it."""
    return op, kwargs, text


def prefixed6(address: str, subnet: str) -> str:
    return "%s/%d" % (address, ipaddress.IPv6Network(subnet).prefixlen)


def address_actions(ifname: str, actual: Sequence[str], desired: Sequence[str], netns: Optional[str],
                    family: int = 6) -> List:
    """Old addresses go first: a new IPv4 address in the same subnet would be a secondary one, and with
    promote_secondaries off (the kernel default) deleting the old primary takes its secondaries along.
    IPv6 addresses are added without duplicate address detection (add_address6)."""
    where = " in %s" % netns if netns else ""
    add, note = ("add_address6", " (nodad)") if family == 6 else ("add_address", "")
    actions = [_action("del_address", {"ifname": ifname, "cidr": cidr, "netns": netns},
                       "remove %s from %s%s" % (cidr, ifname, where))
               for cidr in actual if cidr not in desired]
    actions += [_action(add, {"ifname": ifname, "cidr": cidr, "netns": netns},
                        "add %s to %s%s%s" % (cidr, ifname, where, note))
                for cidr in desired if cidr not in actual]
    return actions


def bridge_actions(network: Network, actual: Sequence[str]) -> List:
    """The IPv6 gateway on the bridge (and no other global IPv6 address of ours)."""
    desired = [prefixed6(network.ipv6_gateway, network.ipv6_subnet)] if network.enable_ipv6 else []
    return address_actions(network.bridge, actual, desired, None)


def endpoint_actions(name: str, path: str, attachment: Attachment, network: Network, view, first: bool,
                     fresh: bool) -> List:
    """An attachment's IPv6 side: no SLAAC/RA, its address, and for the first network the default route.
    `view` is the namespace as read (None when this plan creates the veth)."""
    if not network.enable_ipv6 or not attachment.ipv6_address:
        return []
    ifname = attachment.ifname
    conf = {} if view is None or fresh else view.ipv6_conf.get(ifname, {})
    actions = []
    wrong = {k: v for k, v in ENDPOINT_IPV6_CONF.items() if conf.get(k) != v}
    if wrong:
        actions.append(_action("set_netns_ipv6_conf", {"netns": path, "ifname": ifname, "values": wrong},
                               "set %s in %s (no SLAAC or router advertisements)" % (
                                   ", ".join("%s=%s" % item for item in sorted(wrong.items())), ifname)))
    peer = None if view is None or fresh else view.links.get(ifname)
    actions += address_actions(ifname, peer.addresses6 if peer is not None else (),
                               [prefixed6(attachment.ipv6_address, network.ipv6_subnet)], path)
    if first and (fresh or view is None or view.default_gateway6 != network.ipv6_gateway or
                  view.default_dev6 != ifname):
        actions.append(_action("set_default_route6", {"netns": path, "gateway": network.ipv6_gateway, "dev": ifname},
                               "route %s by default via %s on %s (IPv6)" % (name, network.ipv6_gateway, ifname)))
    return actions


def uplink_sysctls(accept_ra: Dict[str, Optional[str]]) -> Dict[str, str]:
    """IPv6 forwarding on makes an interface with accept_ra=1 ignore router advertisements: the host would lose
    its RA-learned default route when it expires. accept_ra=2 keeps accepting them while forwarding.
    `accept_ra`: the current value per host interface that holds an RA-learned default route."""
    return {"net.ipv6.conf.%s.accept_ra" % ifname: "2" for ifname, value in sorted(accept_ra.items())
            if value in ("1", "2")}
