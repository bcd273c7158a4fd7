#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: netns_endpoint
short_description: Give a container its network in one of Docker's four modes (none, bridge, host, container)
version_added: 0.1.0
description:
  - Manages the network of one endpoint (a container, a service, a lab host) as C(docker run --network) does,
    straight on the kernel. Every endpoint is named C(/run/netns/NAME), so C(ip netns exec NAME cmd),
    a systemd unit with C(NetworkNamespacePath=/run/netns/NAME), runc, crun or systemd-nspawn run workloads in it.
  - V(none) - a namespace of its own with only C(lo), up.
  - V(bridge) - a namespace of its own with a veth per network (C(eth0), C(eth1), ...) whose host end is a port of
    the network's bridge; an address from the network's subnet, kept on re-runs; a MAC derived from it; a default
    route via the first network's gateway. Ports are reachable from outside only when published
    (M(linuxnet.containers.port_publish)).
  - V(host) - no namespace of its own; C(/run/netns/NAME) names the host's namespace.
  - V(container) - shares the namespace of another endpoint (same interfaces, IP, MAC, and services reach each other
    on 127.0.0.1). If that endpoint is removed, the sharer keeps the namespace with only C(lo) left; once it is
    re-created, the next run of the sharer joins the new namespace and reports a change.
  - Per-endpoint C(resolv.conf) and C(hosts) are written to C(/etc/netns/NAME/), which C(ip netns exec) mounts over
    C(/etc). Endpoints on the same network resolve each other (and their aliases) by name, as on Docker
    user-defined networks. Container-mode endpoints get their target's files.
  - Takes one endpoint or a list (O(endpoints)) reconciled in one call.
extends_documentation_fragment:
  - linuxnet.containers.attributes
  - linuxnet.containers.items.endpoints
  - linuxnet.containers.requirements
options:
  name:
    description:
      - Endpoint name; the namespace is C(/run/netns/NAME). Required unless O(endpoints) is given.
    type: str
  state:
    description:
      - V(present) creates or updates the endpoint.
      - V(absent) removes its veths, its namespace name, its address leases, its published ports and
        C(/etc/netns/NAME). Endpoints that share its namespace keep it, with only C(lo) left.
      - With O(endpoints), applies to every item that does not set its own state.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - The network mode, as C(docker run --network). Defaults to V(bridge).
      - Changing between a namespace of its own (V(none), V(bridge)), the host's (V(host)) and another endpoint's
        (V(container)) needs a new namespace and so O(recreate=true). V(none) and V(bridge) switch in place.
    type: str
    choices: [none, bridge, host, container]
  network:
    description:
      - Bridge mode. The network to attach, shorthand for one entry of O(networks).
    type: str
  ipv4_address:
    description:
      - With O(network), a static address inside its subnet. Otherwise one is allocated from the network's
        C(ip_range) and stays the same on later runs.
    type: str
  ipv6_address:
    description:
      - With O(network), a static IPv6 address inside the network's C(ipv6_subnet) (the network needs
        C(enable_ipv6)). Otherwise, on a dual-stack or IPv6-only network, one is allocated from its
        C(ipv6_ip_range) and stays the same on later runs.
      - The address is added without duplicate address detection (usable at once); inside the namespace the
        interface gets C(accept_ra=0) and C(autoconf=0) (no SLAAC, no router advertisements) and, on the first
        network, an IPv6 default route via the network's C(ipv6_gateway).
    type: str
  mac_address:
    description:
      - With O(network), a static MAC. Defaults to C(02:42) followed by the four octets of the IPv4 address,
        so re-creation keeps it (on an IPv6-only network, C(02:42) and four bytes of a hash of the endpoint's and
        network's names).
    type: str
  networks:
    description:
      - Bridge mode. The networks to attach, in order; the first carries the default route.
      - Authoritative, the endpoint is attached to exactly these networks (so is O(network), as a list of one).
    type: list
    elements: dict
    suboptions:
      name:
        description: Network name (see M(linuxnet.containers.container_network)).
        type: str
        required: true
      ipv4_address:
        description: Static address, as O(ipv4_address).
        type: str
      ipv6_address:
        description: Static IPv6 address, as O(ipv6_address).
        type: str
      mac_address:
        description: Static MAC, as O(mac_address).
        type: str
      ifname:
        description: Interface name inside the namespace; defaults to C(eth0), C(eth1), ... in list order.
        type: str
      aliases:
        description: Extra names under which peers on this network resolve this endpoint.
        type: list
        elements: str
        default: []
  container:
    description:
      - Container mode. The endpoint whose namespace is shared.
    type: str
  netns_path:
    description:
      - Adopt an existing namespace instead of creating one, for example a runc or crun container's namespace
        path. It is named C(/run/netns/NAME) and configured according to O(mode) (V(none) or V(bridge)).
      - Mutually exclusive with O(pid). Later runs may omit it; the namespace already named is kept.
    type: str
  pid:
    description:
      - Adopt the network namespace of this process (C(/proc/PID/ns/net)), for example a systemd-nspawn or LXC
        container's init, as O(netns_path) does.
    type: int
  dns:
    description:
      - Name servers written to C(/etc/netns/NAME/resolv.conf), IPv4 or IPv6 addresses (V(2001:db8::53)). A
        link-local IPv6 server (C(fe80::), which needs a zone such as C(%eth0)) and addresses with a zone are
        refused.
      - Defaults to the host's resolvers that the namespace can reach (loopback resolvers such as
        systemd-resolved's stub are replaced by its upstream servers or left out; link-local ones are left
        out), of the families the endpoint has addresses in (an IPv4-only endpoint gets no IPv6 resolvers, as
        Docker does; an IPv6-only endpoint only the IPv6 ones). The network's gateway is never a resolver.
        When none is left, the file has no C(nameserver) line (Docker would fall back to public resolvers), so
        set O(dns) then.
      - Left out on an existing endpoint, its name servers are kept; V([]) goes back to the host's resolvers.
    type: list
    elements: str
  dns_search:
    description:
      - Search domains for C(resolv.conf); the host's when the endpoint is created.
      - Left out later, kept; V([]) goes back to the host's.
    type: list
    elements: str
  dns_options:
    description:
      - Resolver options for C(resolv.conf), for example V(ndots:2); the host's when the endpoint is created.
      - Left out later, kept; V([]) goes back to the host's.
    type: list
    elements: str
  etc_hosts:
    description:
      - Extra C(hosts) entries, a mapping of host name to IPv4 or IPv6 address (no zone, no link-local), as
        C(docker run --add-host).
      - Left out on an existing endpoint, its entries are kept; V({}) removes them.
    type: dict
  recreate:
    description:
      - Allow changes that need a new namespace (a mode change between own, host and container namespaces).
        Processes inside the old namespace must be restarted afterwards. Defaults to V(false).
    type: bool
  endpoints:
    description:
      - Batch form. A list of endpoints taking the same options as the single form. Mutually exclusive with O(name).
      - Container-mode endpoints may name a target created in the same list.
  exclusive:
    description:
      - With O(endpoints), remove every endpoint the collection manages on the host that the list does not name.
        Namespaces the collection never managed are left alone.
    type: bool
    default: false
notes:
  - Container mode rejects O(network), O(networks), O(dns), O(dns_search), O(dns_options), O(etc_hosts),
    O(netns_path) and O(pid) as conflicting options, like Docker. Host and none modes reject networks.
seealso:
  - module: linuxnet.containers.container_network
  - module: linuxnet.containers.port_publish
author:
  - linuxnet.containers contributors (@linuxnet)
"""

EXAMPLES = r"""
- name: A container with no network but loopback (docker run --network none)
  linuxnet.containers.netns_endpoint:
    name: batch-job
    mode: none

- name: A container on a bridge network with an allocated address (docker run --network front)
  linuxnet.containers.netns_endpoint:
    name: web
    network: front

- name: Two networks, a static address on backend (subnet 172.30.0.0/16) and an alias
  linuxnet.containers.netns_endpoint:
    name: api
    networks:
      - name: backend
        ipv4_address: 172.30.0.10
        aliases: [api.internal]
      - name: front

- name: The host's network (docker run --network host)
  linuxnet.containers.netns_endpoint:
    name: monitor
    mode: host

- name: A sidecar sharing web's network (docker run --network container:web)
  linuxnet.containers.netns_endpoint:
    name: web-sidecar
    mode: container
    container: web

- name: Adopt the namespace of a running systemd-nspawn container and attach it to front
  linuxnet.containers.netns_endpoint:
    name: nspawn-db
    pid: "{{ db_leader_pid }}"
    network: front

- name: Many endpoints in one call, nothing else of ours left on the host
  linuxnet.containers.netns_endpoint:
    exclusive: true
    endpoints:
      - name: web
        network: front
      - name: web-sidecar
        mode: container
        container: web
      - name: batch-job
        mode: none

- name: A static IPv6 address on an IPv6-only network, an IPv6 resolver and hosts entry
    (docker run --network v6only --ip6 fd00:db8:1::10 --dns 2001:db8::53 --add-host cache.example:fd00:db8:1::20)
  linuxnet.containers.netns_endpoint:
    name: db6
    network: v6only
    ipv6_address: fd00:db8:1::10
    dns: ["2001:db8::53"]
    etc_hosts:
      cache.example: fd00:db8:1::20
  register: db6

- name: Show its IPv6 address
  ansible.builtin.debug:
    msg: "db6 is {{ db6.endpoint.interfaces[0].ipv6_address }}/{{ db6.endpoint.interfaces[0].ipv6_prefix_length }}"
"""

RETURN = r"""
endpoint:
  description: The endpoint after the run (single form); empty when it was removed.
  returned: single form
  type: dict
  contains:
    name: {description: Endpoint name., type: str, sample: web}
    mode: {description: Network mode., type: str, sample: bridge}
    netns: {description: Path that names its namespace., type: str, sample: /run/netns/web}
    netns_inode: {description: Inode of the namespace (equal for endpoints that share one); null in check mode
                  when not created yet., type: int, sample: 4026532301}
    container: {description: "Container mode: the endpoint shared.", type: str, sample: null}
    adopted: {description: "The namespace path adopted, if any.", type: str, sample: null}
    interfaces:
      description: One entry per network.
      type: list
      elements: dict
      contains:
        ifname: {description: Interface inside the namespace., type: str, sample: eth0}
        network: {description: Network name., type: str, sample: front}
        ipv4_address: {description: "Address; null on an IPv6-only network.", type: str, sample: 172.18.0.2}
        prefix_length: {description: Prefix length of the subnet., type: int, sample: 16}
        gateway: {description: Gateway of the network., type: str, sample: 172.18.0.1}
        ipv6_address: {description: "IPv6 address; null on an IPv4-only network.", type: str,
                       sample: "fd4e:1a2b:3c4d::2"}
        ipv6_prefix_length: {description: Prefix length of the IPv6 subnet., type: int, sample: 64}
        ipv6_gateway: {description: IPv6 gateway of the network., type: str, sample: "fd4e:1a2b:3c4d::1"}
        mac_address: {description: MAC address., type: str, sample: "02:42:ac:12:00:02"}
        host_ifname: {description: Host end of the veth (a port of the bridge)., type: str, sample: lnv3f2a9c0d1e4b}
        aliases: {description: Extra names on this network., type: list, elements: str, sample: []}
    dns: {description: Name servers set explicitly., type: list, elements: str, sample: []}
    dns_search: {description: Search domains set explicitly., type: list, elements: str, sample: []}
    dns_options: {description: Resolver options set explicitly., type: list, elements: str, sample: []}
    etc_hosts: {description: Extra hosts entries., type: dict, sample: {}}
endpoints:
  description: Every endpoint the task names that exists after the run, each as RV(endpoint).
  returned: always
  type: list
  elements: dict
actions:
  description: What the run changed (or, in check mode, would change), in order.
  returned: always
  type: list
  elements: str
sysctls:
  description: The host sysctls the collection's networks need, with the value they are kept at.
  returned: always
  type: dict
collected:
  description:
    - Adopted endpoints (O(pid), O(netns_path)) whose name and process had both vanished; their records and
      leftovers (links, ports, files) were removed. A namespace the collection created keeps its record when it
      vanishes, and is made again by the next run that names it or by C(linuxnet-containers restore).
  returned: when any
  type: list
  elements: str
"""

# _codecache first: it keeps the compiled code of the module_utils imported after it (see its docstring)
from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.linuxnet.containers.plugins.module_utils._batch import run_batch_module
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import ENDPOINTS
from ansible_collections.linuxnet.containers.plugins.module_utils._options import ENDPOINT_OPTIONS


def main():
    run_batch_module(ENDPOINTS, ENDPOINT_OPTIONS)


if __name__ == "__main__":
    main()
