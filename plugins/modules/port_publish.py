#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: port_publish
short_description: Publish host ports to container endpoints, like C(docker run -p), with nftables DNAT
version_added: 0.1.0
description:
  - Makes ports of a bridge-mode endpoint reachable on the host's addresses, as C(docker run -p) does, with
    destination NAT in the collection's own nftables table (maps, so per-packet work does not grow with the number
    of published ports) and no userland proxy process.
  - A published port answers from other hosts (the client's address is preserved), from the host itself on its own
    addresses and on 127.0.0.1, and from other containers through the host's address (hairpin).
    A port bound to 127.0.0.1 is never reachable from other hosts.
  - O(state=present) makes the endpoint's published ports exactly O(ports); O(state=absent) removes them all.
    O(ports) is authoritative; O(allowed_sources) left out keeps the endpoint's current value.
    UDP conntrack entries of a changed or removed mapping are flushed, so clients reach the new target at once.
  - IPv6 (on an endpoint of a network with C(enable_ipv6)). A port without a host IP listens on the host's IPv4
    and IPv6 addresses with the same host port (as Docker 27+ does) and RV(published) lists it once per family.
    V([2001:db8::1]:8080:80) publishes on one IPv6 address of the host, V([::]:8080:80) (or a dict with
    C(host_ip) V(::)) on every IPv6 address and not on IPv4. IPv6 DNAT keeps the client's address and works for hairpin
    connections from other endpoints through the host's IPv6 address.
  - V([::1]) is refused with an error that says why and offers V(127.0.0.1) instead. IPv6 has no
    C(route_localnet), so the kernel never translates connections to C(::1) to another host, and the collection does
    not run a per-connection proxy process. Loopback access on the host works on V(127.0.0.1).
  - A host port already published for another endpoint, or held by a listening socket on the host, fails with an
    error naming its owner, and nothing changes.
  - Container-mode endpoints publish on the endpoint whose namespace they share. Host- and none-mode endpoints
    are refused.
extends_documentation_fragment:
  - linuxnet.containers.attributes
  - linuxnet.containers.requirements
options:
  endpoint:
    description:
      - The endpoint (see M(linuxnet.containers.netns_endpoint)) whose ports are published.
        Required unless O(endpoints) is given.
    type: str
  network:
    description:
      - Which of the endpoint's networks the published ports reach it on. Defaults to its first network.
    type: str
  ports:
    description:
      - Docker-syntax strings C([HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]), for example V(8080:80),
        V(127.0.0.1:5432:5432), V(53:53/udp), V(8000-8010:8000-8010), or V(80) to let the host port be picked.
      - Or dicts with keys C(host_ip), C(host_port), C(container_port), C(protocol).
      - Protocols are V(tcp) (default), V(udp) and V(sctp). A missing host port is the lowest free port from
        32768 up, and stays the same on later runs.
    type: list
    elements: raw
    default: []
  state:
    description:
      - V(present) publishes exactly O(ports); V(absent) unpublishes every port of the endpoint.
      - With O(endpoints), applies to every item that does not set its own state.
    type: str
    choices: [present, absent]
    default: present
  allowed_sources:
    description:
      - Client addresses or CIDRs, IPv4 or IPv6, that may use these ports. Any client when the endpoint's ports are
        first published. A port served on both families admits only the listed CIDRs of each family, so listing only
        IPv4 CIDRs shuts IPv6 clients out.
      - Left out later, the endpoint's current restriction is kept; V([]) opens the ports to any client again.
    type: list
    elements: str
  endpoints:
    description:
      - Batch form. A list of items with the same options as the single form. Mutually exclusive with O(endpoint).
    type: list
    elements: dict
    suboptions:
      endpoint: {description: As O(endpoint)., type: str, required: true}
      network: {description: As O(network)., type: str}
      ports: {description: As O(ports)., type: list, elements: raw, default: []}
      state: {description: "V(present) or V(absent); defaults to the top-level O(state).", type: str,
              choices: [present, absent]}
      allowed_sources: {description: As O(allowed_sources)., type: list, elements: str}
  exclusive:
    description:
      - With O(endpoints), unpublish the ports of every endpoint the list does not name.
    type: bool
    default: false
notes:
  - Reaching a port published on 127.0.0.1 from the host needs C(route_localnet) on the target network's bridge;
    the module sets it on that bridge only (never host-wide) and reports it in RV(sysctls).
seealso:
  - module: linuxnet.containers.netns_endpoint
  - module: linuxnet.containers.container_network_info
author:
  - linuxnet.containers contributors (@linuxnet)
"""

EXAMPLES = r"""
- name: docker run -p 8080:80 -p 127.0.0.1:5432:5432
  linuxnet.containers.port_publish:
    endpoint: web
    ports:
      - "8080:80"
      - "127.0.0.1:5432:5432"

- name: DNS over UDP and TCP, only for the office network
  linuxnet.containers.port_publish:
    endpoint: resolver
    ports: ["53:53/udp", "53:53/tcp"]
    allowed_sources: [198.51.100.0/24]

- name: Let the host pick a port, then show it
  linuxnet.containers.port_publish:
    endpoint: web
    ports: ["80"]
  register: web_ports

- name: Show the host port Docker-style
  ansible.builtin.debug:
    msg: "web answers on {{ web_ports.published[0].host_port }}"

- name: Every endpoint's ports in one call and one firewall transaction
  linuxnet.containers.port_publish:
    exclusive: true
    endpoints:
      - endpoint: web
        ports: ["8080:80"]
      - endpoint: api
        network: backend
        ports: [{host_port: 9000, container_port: 9000, protocol: tcp}]

- name: IPv6 only, on every IPv6 address of the host (docker run -p [::]:8443:443)
  linuxnet.containers.port_publish:
    endpoint: web6
    ports: ["[::]:8443:443"]
    allowed_sources: ["2001:db8::/32", "fd00::/8"]

- name: Unpublish everything of an endpoint
  linuxnet.containers.port_publish:
    endpoint: web
    state: absent
"""

RETURN = r"""
published:
  description: The published ports of the endpoints the task names, one entry per host port (ranges expanded).
  returned: always
  type: list
  elements: dict
  contains:
    endpoint: {description: Endpoint name., type: str, sample: web}
    network: {description: Network the port reaches the endpoint on., type: str, sample: front}
    protocol: {description: "tcp, udp or sctp.", type: str, sample: tcp}
    family: {description: "V(ipv4) or V(ipv6): the family of this entry.", type: str, sample: ipv4}
    host_ip: {description: "Host address; 0.0.0.0 for every IPv4 address, :: for every IPv6 address.", type: str,
              sample: 0.0.0.0}
    host_port: {description: Host port., type: int, sample: 8080}
    container_ip: {description: "Endpoint address the port is forwarded to (IPv6 for an ipv6 entry).", type: str,
                   sample: 172.18.0.2}
    container_port: {description: Endpoint port., type: int, sample: 80}
    allowed_sources: {description: "Client CIDRs allowed; empty for any.", type: list, elements: str, sample: []}
actions:
  description: What the run changed (or, in check mode, would change), in order.
  returned: always
  type: list
  elements: str
sysctls:
  description: The host sysctls the collection needs, with the value they are kept at.
  returned: always
  type: dict
"""

# _codecache first: it keeps the compiled code of the module_utils imported after it (see its docstring)
from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.linuxnet.containers.plugins.module_utils._batch import run_batch_module
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import PUBLISHED
from ansible_collections.linuxnet.containers.plugins.module_utils._options import PUBLISH_OPTIONS


def main():
    run_batch_module(PUBLISHED, PUBLISH_OPTIONS)


if __name__ == "__main__":
    main()
