#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_network
short_description: Manage bridge networks for container endpoints, like C(docker network create -d bridge)
version_added: 0.1.0
description:
  - Creates, changes and removes bridge networks built straight on the kernel (a Linux bridge, its gateway
    address, and rules in the collection's own nftables table), without a container engine.
  - Endpoints are attached with M(linuxnet.containers.netns_endpoint); ports are published with
    M(linuxnet.containers.port_publish).
  - Takes one network (O(name) and its options) or a list (O(networks)) reconciled in one call, one netlink
    session and one firewall transaction.
  - Options left out of a task keep the network's current value; the documented defaults apply only when the
    network is created, so a task that only names a network never changes it. To go back to a default, write it
    out. (Before 0.2.0 left-out options were reset to their defaults.)
  - Options can be changed in place where the kernel allows it (MTU, masquerade, icc, internal, isolated,
    ip_range, gateway). A change that would renumber attached endpoints (subnet) or cut them off (bridge name)
    fails and names them; so does O(state=absent) while endpoints are attached.
  - Sets C(net.ipv4.ip_forward=1) when a network that is not internal exists, and reports it in RV(sysctls).
    It never changes another nftables table, another chain's policy, or a host-wide bridge netfilter sysctl.
extends_documentation_fragment:
  - linuxnet.containers.attributes
  - linuxnet.containers.items.networks
  - linuxnet.containers.requirements
options:
  name:
    description:
      - Network name, C([A-Za-z0-9][A-Za-z0-9_.-]*), at most 64 characters.
      - Required unless O(networks) is given; mutually exclusive with it.
    type: str
  state:
    description:
      - V(present) creates or updates the network, V(absent) removes it.
      - With O(networks), applies to every item that does not set its own O(networks[].state).
    type: str
    choices: [present, absent]
    default: present
  bridge:
    description:
      - Name of the bridge interface, at most 15 characters.
      - When the network is created, defaults to C(lnc-NAME) when that fits, otherwise C(lnc-) and a stable hash of
        the name. Left out later, the bridge keeps its name.
    type: str
  subnet:
    description:
      - IPv4 subnet in CIDR notation, for example V(172.20.0.0/16).
      - When omitted, the first free subnet of Docker's default pools (V(172.17.0.0/16) to V(172.31.0.0/16),
        then V(192.168.0.0/16) in /20s) that overlaps no host route and no other network. The choice is kept on
        later runs.
      - Must not overlap another network of the collection.
    type: str
  gateway:
    description:
      - Address of the bridge inside O(subnet), the endpoints' default gateway.
      - When the network is created, defaults to the first usable address of the subnet. Needs an explicit
        O(subnet). Left out later, the gateway is kept.
    type: str
  ip_range:
    description:
      - CIDR inside O(subnet) from which endpoint addresses are allocated dynamically.
      - Static addresses may still be anywhere in the subnet. When the network is created, defaults to the whole
        subnet; left out later, the range is kept. Set it to the subnet itself to go back to the whole subnet.
    type: str
  mtu:
    description:
      - MTU of the bridge and of every veth attached to it. V(1500) when the network is created; left out later,
        kept.
    type: int
  masquerade:
    description:
      - NAT traffic from the subnet that leaves the host through an interface other than the collection's
        bridges, like Docker's C(com.docker.network.bridge.enable_ip_masquerade). V(true) when the network is
        created; left out later, kept.
    type: bool
  icc:
    description:
      - Whether endpoints on this network may talk to each other. V(true) when the network is created; left out
        later, kept.
      - V(false) isolates the bridge ports from each other (the kernel's bridge port C(isolated) flag, and a
        drop rule for bridged traffic that reaches netfilter), without changing any host-wide sysctl.
        Endpoints still reach the gateway and the host.
    type: bool
  internal:
    description:
      - Restrict the network to traffic between its own endpoints and the host, like
        C(docker network create --internal). No outbound NAT, no forwarding to or from other interfaces.
        V(false) when the network is created; left out later, kept.
    type: bool
  isolated:
    description:
      - Drop traffic between this network and the collection's other networks, as Docker isolates its bridge
        networks. Two networks with V(false) may route to each other. V(true) when the network is created; left out
        later, kept.
    type: bool
  accept_in_foreign_firewalls:
    description:
      - Another firewall (Docker's iptables rules, firewalld, libvirt) may own a forward chain whose policy is drop;
        it then drops this network's routed traffic whatever the collection's own table accepts. The module warns
        about such chains (in check mode too).
      - V(true) adds, to each such chain, two rules accepting traffic from and to the bridges of the networks that
        set this option, marked with a C(linuxnet.containers) comment, kept in step with those bridges and removed
        with them. This is the only change the collection ever makes outside its own table. V(false) when the network
        is created; left out later, kept.
    type: bool
  enable_ipv6:
    description:
      - Dual stack, like C(docker network create --ipv6). V(false) when the network is created; left out later, kept.
      - The bridge gets O(ipv6_gateway) (added without duplicate address detection), endpoints get an IPv6 address
        and an IPv6 default route, and C(net.ipv6.conf.all.forwarding=1) is set and reported in RV(sysctls).
      - Turning IPv6 forwarding on also turns C(forwarding) on for every interface, and an interface whose
        C(accept_ra) is V(1) then ignores router advertisements, so a host whose default route was learned from
        RAs would lose it when it expires. The module sets C(accept_ra=2) (accept RAs while forwarding) on every
        interface whose C(accept_ra) is V(1) and that holds an RA-learned default route, and reports it in
        RV(sysctls).
      - Switching a family on or off while endpoints are attached fails and names them.
    type: bool
  enable_ipv4:
    description:
      - V(false) makes an IPv6-only network, like Docker 28 C(--ipv4=false), without IPv4 subnet, gateway or
        addresses; needs O(enable_ipv6=true). V(true) when the network is created; left out later, kept.
    type: bool
  ipv6_subnet:
    description:
      - IPv6 subnet in CIDR notation without host bits, for example V(fd00:1:2:3::/64).
      - When omitted, a free /64 of a unique local /48 derived from C(/etc/machine-id) (C(fd) and 40 bits of its
        SHA-256, as Docker 27+ derives its ULA pool from the host ID), overlapping no host route and no other
        network. The choice is stable on re-runs.
    type: str
  ipv6_gateway:
    description:
      - IPv6 address of the bridge inside O(ipv6_subnet), the endpoints' IPv6 default gateway. Defaults to the
        subnet's first address (C(::1)). Needs an explicit O(ipv6_subnet).
    type: str
  ipv6_ip_range:
    description:
      - CIDR inside O(ipv6_subnet) from which endpoint IPv6 addresses are allocated dynamically (default the whole
        subnet). Needs an explicit O(ipv6_subnet).
    type: str
  gateway_mode_ipv4:
    description:
      - V(nat) masquerades outbound IPv4 traffic (when O(masquerade)) and publishes ports by DNAT. V(routed) does no
        masquerading; the subnet is routed, and from outside only published container ports and ICMP reach
        endpoints, on their own addresses (Docker's C(com.docker.network.bridge.gateway_mode_ipv4)).
      - V(nat) when the network is created; left out later, kept.
    type: str
    choices: [nat, routed]
  gateway_mode_ipv6:
    description:
      - As O(gateway_mode_ipv4), for IPv6.
    type: str
    choices: [nat, routed]
  driver:
    description:
      - V(bridge) (a network on this host alone) or V(overlay) (one network spanning several hosts over VXLAN; run
        the same task on every host of the group, see docs/multihost.md). V(bridge) when the network is created.
      - With V(overlay), O(subnet) must be given (the same on every host), and O(ip_range) is this host's slice
        of it for dynamic addresses (distinct per host). Each host is the gateway of its own endpoints, with the same
        gateway address and bridge MAC (derived from O(name)) on every host, ARP for the gateway kept off the
        overlay by the bridge-family nftables table C(linuxnet_overlay). Outbound NAT and published ports work on
        the host where the endpoint lives.
    type: str
    choices: [bridge, overlay]
  vni:
    description:
      - The VXLAN network identifier (1-16777215) of an overlay. Derived from O(name) when the network is created
        (the same on every host, stable); a VNI another managed network uses is refused.
    type: int
  peers:
    description:
      - The underlay addresses of the other hosts of an overlay, the authoritative list of its static head-end
        replication FDB entries (V(00:00:00:00:00:00 dst PEER)) on the VXLAN device C(vx-VNI) (UDP 4789,
        C(nolearning)). Changes are applied in place (entries added and removed) without touching endpoints.
        Left out, kept; V([]) at creation.
    type: list
    elements: str
  local_address:
    description:
      - This host's underlay address, the source of the VXLAN packets. At creation, the source address of the
        host's default route. An address that is not on this host is refused.
      - The overlay's MTU, when O(mtu) is not given at creation, is the MTU of this address's link less 50.
    type: str
  peer_slices:
    description:
      - The other hosts' O(ip_range) values. With them, an overlapping O(ip_range) and a static endpoint address
        inside another host's slice are refused before any change. Left out, kept.
    type: list
    elements: str
  remote_endpoints:
    description:
      - Endpoints of this overlay on the other hosts, listed in the hosts files of this host's endpoints on the
        network (the role gathers them from every host). Left out, kept. Their addresses are never allocated here.
      - Each item has C(name) (the endpoint's name), C(address) (its IPv4 address on this network) and optionally
        C(aliases) (a list of further names).
    type: list
    elements: dict
  networks:
    description:
      - Batch form. A list of networks taking the same options as the single form.
      - Mutually exclusive with O(name).
  exclusive:
    description:
      - With O(networks), remove every network the collection manages on the host that the list does not name.
        Networks that still have endpoints attached make the task fail and are named.
      - Never touches bridges the collection did not create (C(docker0), libvirt's, an uplink).
    type: bool
    default: false
notes:
  - Runs serialise on a host-wide lock, so concurrent playbooks or AWX jobs against one host are safe.
  - A run that touches no endpoint (none is attached to a network it changes or must make again) reads the host's
    bridges and VXLAN devices and the networks' part of the nftables table only, so it costs the same beside 10
    endpoints as beside 1000. Leftover veths, and published ports' nftables elements changed by hand, are then left
    to M(linuxnet.containers.netns_endpoint) and M(linuxnet.containers.port_publish) runs and
    C(linuxnet-containers restore); leftover bridges are deleted by every run.
seealso:
  - module: linuxnet.containers.netns_endpoint
  - module: linuxnet.containers.port_publish
  - module: linuxnet.containers.container_network_info
author:
  - linuxnet.containers contributors (@linuxnet)
"""

EXAMPLES = r"""
- name: A user-defined bridge network, like docker network create front
  linuxnet.containers.container_network:
    name: front

- name: A network with a fixed subnet, a smaller dynamic range and a jumbo MTU
  linuxnet.containers.container_network:
    name: backend
    subnet: 172.30.0.0/16
    gateway: 172.30.0.1
    ip_range: 172.30.5.0/24
    mtu: 9000

- name: An internal network whose endpoints cannot talk to each other
  linuxnet.containers.container_network:
    name: vault
    internal: true
    icc: false

- name: Exactly these networks on the host, nothing else of ours
  linuxnet.containers.container_network:
    exclusive: true
    networks:
      - name: front
      - name: backend
        subnet: 172.30.0.0/16

- name: A dual-stack network, like docker network create --ipv6 (IPv6 subnet from the host's ULA pool)
  linuxnet.containers.container_network:
    name: dual
    enable_ipv6: true

- name: An IPv6-only network with its own subnet, routed (no NAT) for IPv6
  linuxnet.containers.container_network:
    name: v6only
    enable_ipv4: false
    enable_ipv6: true
    ipv6_subnet: fd00:db8:1::/64
    ipv6_gateway: fd00:db8:1::1
    ipv6_ip_range: fd00:db8:1::100/120
    gateway_mode_ipv6: routed

- name: Remove networks
  linuxnet.containers.container_network:
    state: absent
    networks:
      - name: vault
      - name: dual
"""

RETURN = r"""
network:
  description: The network after the run (single form); empty when it was removed.
  returned: single form
  type: dict
  contains:
    name: {description: Network name., type: str, sample: front}
    bridge: {description: Bridge interface., type: str, sample: lnc-front}
    subnet: {description: IPv4 subnet., type: str, sample: 172.18.0.0/16}
    gateway: {description: Gateway address on the bridge., type: str, sample: 172.18.0.1}
    ip_range: {description: "Dynamic allocation range; null for the whole subnet.", type: str, sample: null}
    mtu: {description: MTU., type: int, sample: 1500}
    masquerade: {description: Outbound NAT., type: bool, sample: true}
    icc: {description: Endpoints may talk to each other., type: bool, sample: true}
    internal: {description: Internal network., type: bool, sample: false}
    isolated: {description: Isolated from the collection's other networks., type: bool, sample: true}
    accept_in_foreign_firewalls: {description: Accept rules in other firewalls' drop-policy forward chains., type: bool,
                                  sample: false}
    enable_ipv4: {description: "IPv4 on; false for an IPv6-only network (subnet, gateway, ip_range null).", type: bool,
                  sample: true}
    enable_ipv6: {description: Dual stack (or IPv6-only)., type: bool, sample: true}
    ipv6_subnet: {description: "IPv6 subnet; null without IPv6.", type: str, sample: "fd4e:1a2b:3c4d::/64"}
    ipv6_gateway: {description: "IPv6 gateway on the bridge; null without IPv6.", type: str,
                   sample: "fd4e:1a2b:3c4d::1"}
    ipv6_ip_range: {description: "IPv6 dynamic allocation range; null for the whole subnet.", type: str, sample: null}
    gateway_mode_ipv4: {description: V(nat) or V(routed)., type: str, sample: nat}
    gateway_mode_ipv6: {description: V(nat) or V(routed)., type: str, sample: nat}
    driver: {description: V(bridge) or V(overlay)., type: str, sample: bridge}
    vni: {description: The VXLAN id (overlays only)., type: int, returned: driver is overlay, sample: 4242}
    peers: {description: The other hosts' underlay addresses (overlays only)., type: list, elements: str,
            returned: driver is overlay, sample: [192.0.2.12]}
    local_address: {description: This host's underlay address (overlays only)., type: str,
                    returned: driver is overlay, sample: 192.0.2.11}
    peer_slices: {description: The other hosts' slices (overlays only)., type: list, elements: str,
                  returned: driver is overlay, sample: [10.20.0.128/26]}
    remote_endpoints: {description: "Endpoints on other hosts (overlays only): each name, address and aliases.",
                       type: list, elements: dict, returned: driver is overlay, sample: []}
    endpoints: {description: Names of the endpoints attached., type: list, elements: str, sample: [web]}
networks:
  description: Every network the task names that exists after the run, each as RV(network).
  returned: always
  type: list
  elements: dict
actions:
  description: What the run changed (or, in check mode, would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge lnc-front (mtu 1500) for network front", "add gateway 172.18.0.1/16 to lnc-front"]
sysctls:
  description: The host sysctls the collection's networks need, with the value they are kept at.
  returned: always
  type: dict
  sample: {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1", "net.ipv6.conf.eth0.accept_ra": "2"}
collected:
  description:
    - Adopted endpoints (M(linuxnet.containers.netns_endpoint) with C(pid) or C(netns_path)) whose name and process had both vanished; their records and
      leftovers (links, ports, files) were removed. A namespace the collection created keeps its record when it
      vanishes, and is made again by the next run that names it or by C(linuxnet-containers restore).
  returned: when any
  type: list
  elements: str
"""

# _codecache first: it keeps the compiled code of the module_utils imported after it (see its docstring)
from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.linuxnet.containers.plugins.module_utils._batch import run_batch_module
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import NETWORKS
from ansible_collections.linuxnet.containers.plugins.module_utils._options import NETWORK_OPTIONS


def main():
    run_batch_module(NETWORKS, NETWORK_OPTIONS)


if __name__ == "__main__":
    main()
