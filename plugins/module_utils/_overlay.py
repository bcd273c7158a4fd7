# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Networks across hosts (driver: overlay): the checks and values that are not a plain bridge's. Pure.

One overlay network is the same `container_network` task on every host of a group: one subnet, one VNI,
and per host its own slice (`ip_range`) for dynamic addresses. The inventory is the only control plane:
`peers` (the other hosts' underlay addresses) is the authoritative list of the static head-end replication
FDB entries of the host's VXLAN device, `peer_slices` the other hosts' slices (so a static address in
another host's slice, or an overlapping slice, is refused here) and `remote_endpoints` the endpoints on the
other hosts that the hosts files of this host's endpoints list.

Each host is the gateway of its own endpoints: the same gateway address and the same bridge MAC everywhere
(derived from the network's name), so an endpoint never needs the gateway of another host; ARP for the
gateway address is kept off the VXLAN port by the bridge-family nftables table of `_nft_overlay`.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Callable, Dict, Iterable, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption

DRIVERS = ("bridge", "overlay")
VXLAN_PORT = 4789
VXLAN_OVERHEAD = 50          # outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
MAX_VNI = (1 << 24) - 1
OVERLAY_MAC_PREFIX = "02:6c:6f"  # bridges of overlays: one MAC per network name, the same on every host
OVERLAY_ONLY = ("vni", "peers", "local_address", "peer_slices", "remote_endpoints")

Underlay = Tuple[Optional[str], Dict[str, int]]  # (source address of the default route, {local address: mtu})


def _digest(name: str) -> bytes:
    return hashlib.sha256(("overlay:" + name).encode()).digest()


def default_vni(name: str) -> int:
    """A VNI derived from the network's name: the same on every host, stable across runs."""
    return 1 + int.from_bytes(_digest(name)[:3], "big") % MAX_VNI


def overlay_mac(name: str) -> str:
    """The bridge MAC of an overlay network: from its name, not the bridge name, so every host has the same."""
    return OVERLAY_MAC_PREFIX + "".join(":%02x" % byte for byte in _digest(name)[3:6])


def vxlan_ifname(vni: int) -> str:
    return "vx-%d" % vni


# input (called by _validate.network_spec) -----------------------------------------------------------
def spec_fields(params: dict, where: str, subnet: Optional[str], address: Callable, cidr: Callable,
                hostname: Callable) -> dict:
    """The overlay options of one network item, checked; `address`, `cidr`, `hostname`: _validate's checkers."""
    driver = params.get("driver")
    if driver is not None and driver not in DRIVERS:
        raise InvalidOption(where + "driver", "%r is not a driver" % (driver,), "use bridge or overlay")
    if driver == "bridge":
        _refuse_overlay_only(params.get, where)
    vni = params.get("vni")
    if vni is not None and not 1 <= int(vni) <= MAX_VNI:
        raise InvalidOption(where + "vni", "%s is outside 1-%d" % (vni, MAX_VNI), "use a 24-bit VXLAN id")
    peers = params.get("peers")
    if peers is not None:
        peers = tuple(address(peer, "%speers[%d]" % (where, index)) for index, peer in enumerate(peers))
        if len(set(peers)) != len(peers):
            raise InvalidOption(where + "peers", "a peer is listed twice", "list each host's address once")
        peers = tuple(sorted(peers, key=ipaddress.IPv4Address))
    local = params.get("local_address")
    if local is not None:
        local = address(local, where + "local_address")
    slices = params.get("peer_slices")
    if slices is not None:
        slices = tuple(sorted(cidr(item, "%speer_slices[%d]" % (where, index)) for index, item in enumerate(slices)))
    remote = params.get("remote_endpoints")
    if remote is not None:
        entries = []
        for index, item in enumerate(remote):
            prefix = "%sremote_endpoints[%d]." % (where, index)
            unknown = sorted(set(item) - {"name", "address", "aliases"})
            if unknown:
                raise InvalidOption(prefix + unknown[0], "is not an option of a remote endpoint",
                                    "give name, address and aliases")
            entries.append((hostname(item.get("name"), prefix + "name"), address(item.get("address"), prefix + "address"),
                            tuple(hostname(alias, prefix + "aliases") for alias in item.get("aliases") or ())))
        remote = tuple(sorted(entries))
    return dict(driver=driver, vni=None if vni is None else int(vni), peers=peers, local_address=local,
                peer_slices=slices, remote_endpoints=remote)


def _refuse_overlay_only(get, where: str) -> None:
    for key in OVERLAY_ONLY:
        if get(key) is not None:
            raise InvalidOption(where + key, "only used with driver: overlay", "set driver: overlay or drop it")


# resolution (called by _resolve._resolve_network) ---------------------------------------------------
def resolve(spec, old, others: Iterable, subnet: str, ip_range: Optional[str], mtu: Optional[int],
            underlay: Callable[[], Underlay], prefix: str) -> dict:
    """The overlay fields of the next network record (and its mtu), checked against the host and the others."""
    driver = spec.driver or (old.driver if old else "bridge")
    if driver != "overlay":
        _refuse_overlay_only(lambda key: getattr(spec, key), prefix)
        return dict(driver=driver, vni=None, peers=(), local_address=None, peer_slices=(), remote_endpoints=(),
                    mtu=mtu)
    was = old if old is not None and old.overlay else None
    if was is None and spec.subnet is None:
        raise InvalidOption(prefix + "subnet", "an overlay network needs its subnet written out",
                            "give every host of the group the same subnet")

    def kept(key, default):
        value = getattr(spec, key)
        if value is not None:
            return value
        return getattr(was, key) if was is not None else default

    vni = kept("vni", None) or default_vni(spec.name)
    clash = next((net for net in others if net.overlay and net.vni == vni), None)
    if clash:
        raise InvalidOption(prefix + "vni", "VNI %d is already used by network %s" % (vni, clash.name),
                            "give one of them another vni")
    default_source, local_mtus = underlay()
    local = kept("local_address", None) or default_source
    if local is None:
        raise InvalidOption(prefix + "local_address", "this host has no default route to take its source address from",
                            "set local_address to this host's underlay address")
    if local not in local_mtus:
        raise InvalidOption(prefix + "local_address", "%s is not an address of this host" % local,
                            "use one of %s" % ", ".join(sorted(local_mtus)) if local_mtus else "add it first")
    peers = kept("peers", ())
    if local in peers:
        raise InvalidOption(prefix + "peers", "%s is this host's own local_address" % local,
                            "list only the other hosts")
    if spec.mtu is None and was is None:
        mtu = local_mtus[local] - VXLAN_OVERHEAD   # a new overlay: the underlay's MTU less the encapsulation
    slices = kept("peer_slices", ())
    _check_slices(subnet, ip_range, slices, prefix)
    remote = kept("remote_endpoints", ())
    for name, address, _aliases in remote:
        if ipaddress.IPv4Address(address) not in ipaddress.IPv4Network(subnet):
            raise InvalidOption(prefix + "remote_endpoints", "%s (%s) is outside subnet %s" % (address, name, subnet),
                                "list only endpoints of this network")
    return dict(driver=driver, vni=vni, peers=peers, local_address=local, peer_slices=slices,
                remote_endpoints=remote, mtu=mtu)


def _check_slices(subnet: str, ip_range: Optional[str], slices: Sequence[str], prefix: str) -> None:
    if not slices:
        return
    if ip_range is None:
        raise InvalidOption(prefix + "ip_range", "other hosts have slices of the subnet but this host has none",
                            "give this host its own ip_range")
    network = ipaddress.IPv4Network(subnet)
    mine = ipaddress.IPv4Network(ip_range)
    seen = []
    for item in slices:
        other = ipaddress.IPv4Network(item)
        if not other.subnet_of(network):
            raise InvalidOption(prefix + "peer_slices", "%s is not inside subnet %s" % (item, subnet),
                                "list the other hosts' ip_range values")
        if other.overlaps(mine):
            raise InvalidOption(prefix + "ip_range", "%s overlaps %s, another host's slice" % (ip_range, item),
                                "give every host a slice of its own")
        clash = next((s for s in seen if s.overlaps(other)), None)
        if clash:
            raise InvalidOption(prefix + "peer_slices", "%s overlaps %s" % (item, clash), "slices must be distinct")
        seen.append(other)


def foreign_owner(network, address: str) -> Optional[str]:
    """What else on the network holds `address`: another host's slice or a remote endpoint; None if nothing."""
    if not network.overlay:
        return None
    for name, remote_address, _aliases in network.remote_endpoints:
        if remote_address == address:
            return "endpoint %s on another host" % name
    for item in network.peer_slices:
        if ipaddress.IPv4Address(address) in ipaddress.IPv4Network(item):
            return "another host's slice %s" % item
    return None


def refuse_foreign_addresses(network, attached: Dict[str, str], prefix: str) -> None:
    """A change of slices that would put an endpoint attached here into another host's part is refused."""
    for endpoint, address in sorted(attached.items()):
        owner = foreign_owner(network, address)
        if owner:
            raise Conflict("%speer_slices: endpoint %s has %s, which is in %s; move it first"
                           % (prefix, endpoint, address, owner))


def overlay_guard(networks) -> Tuple[Tuple[str, str], ...]:
    """(vxlan port, gateway) pairs whose ARP the bridge-family table keeps off the overlay."""
    return tuple(sorted((vxlan_ifname(n.vni), n.gateway) for n in networks if n.overlay))
