#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_network_info
short_description: Report the networks, endpoints and published ports the collection manages on a host
version_added: 0.1.0
description:
  - Returns RV(networks), RV(endpoints) and RV(published) in the shapes M(linuxnet.containers.container_network),
    M(linuxnet.containers.netns_endpoint) and M(linuxnet.containers.port_publish) return them, with whether each
    object is present in the kernel.
  - O(query) takes a JMESPath expression over those three lists and returns its value in RV(result), so playbooks
    and AWX jobs pick out what they need without extra filters.
  - Reads only; never changes the host.
extends_documentation_fragment:
  - linuxnet.containers.attributes.info_module
  - linuxnet.containers.requirements
options:
  all_namespaces:
    description:
      - Also list named namespaces in C(/run/netns) that the collection does not manage (made by C(ip netns add),
        CNI, other tools), read-only, with C(managed=false).
    type: bool
    default: false
  query:
    description:
      - A JMESPath expression evaluated over C({networks, endpoints, published}). Needs the jmespath Python library
        on the managed node.
    type: str
notes:
  - Reads only; it takes the collection's host-wide lock for a moment so it never sees a run half-saved.
seealso:
  - module: linuxnet.containers.container_network
  - module: linuxnet.containers.netns_endpoint
  - module: linuxnet.containers.port_publish
author:
  - linuxnet.containers contributors (@linuxnet)
"""

EXAMPLES = r"""
- name: Everything the collection manages on the host
  linuxnet.containers.container_network_info:
  register: net_facts

- name: The address of endpoint web on network front
  linuxnet.containers.container_network_info:
    query: "endpoints[?name=='web'].interfaces[] | [?network=='front'].ipv4_address | [0]"
  register: web_ip

- name: Host ports published anywhere, for a firewall report
  linuxnet.containers.container_network_info:
    query: "published[].{port: host_port, proto: protocol, to: endpoint}"
  register: ports

- name: Every endpoint's IPv6 addresses, by name (dual-stack and IPv6-only networks)
  linuxnet.containers.container_network_info:
    query: "endpoints[].{name: name, ipv6: interfaces[?ipv6_address].ipv6_address}"
  register: ipv6_addresses

- name: Networks with IPv6 and their IPv6 subnets
  linuxnet.containers.container_network_info:
    query: "networks[?enable_ipv6].{name: name, subnet: ipv6_subnet, gateway: ipv6_gateway}"
  register: ipv6_networks

- name: Namespaces other tools made, too
  linuxnet.containers.container_network_info:
    all_namespaces: true
    query: "endpoints[?!managed].name"
  register: foreign

- name: The IPv6 addresses of namespaces other tools made (CIDRs, global scope), by name
  linuxnet.containers.container_network_info:
    all_namespaces: true
    query: "endpoints[?!managed].{name: name, ipv6: interfaces[].ipv6_addresses[]}"
  register: foreign_ipv6
"""

RETURN = r"""
networks:
  description: Every network, as M(linuxnet.containers.container_network) returns it, plus C(present).
  returned: always
  type: list
  elements: dict
endpoints:
  description:
    - Every endpoint, as M(linuxnet.containers.netns_endpoint) returns it, plus C(present) and C(managed).
    - With O(all_namespaces), foreign namespaces too, with their interfaces as the kernel shows them
      (C(managed=false), C(mode=null)); each interface has C(ifname), C(mac_address), C(up), C(addresses) (IPv4
      CIDRs), C(ipv6_addresses) (global and unique-local IPv6 CIDRs; link-local ones are not listed), and
      C(gateway) and C(ipv6_gateway), the default routes' gateways when they leave by that interface.
  returned: always
  type: list
  elements: dict
published:
  description: Every published port, as M(linuxnet.containers.port_publish) returns it.
  returned: always
  type: list
  elements: dict
python:
  description: The Python interpreter the module ran with on the managed node, as Ansible chose it (inventory,
    C(ansible.cfg), C(ANSIBLE_PYTHON_INTERPRETER) or discovery); the role runs its gateway check with it.
  returned: always
  type: str
  sample: /usr/bin/python3
result:
  description: The value of O(query).
  returned: when O(query) is given
  type: raw
  sample: 172.18.0.2
"""

# _codecache first: it keeps the compiled code of the module_utils imported after it (see its docstring)
from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.linuxnet.containers.plugins.module_utils._facts import run_info_module

OPTIONS = dict(
    all_namespaces=dict(type="bool", default=False),
    query=dict(type="str"),
)


def main():
    run_info_module(OPTIONS)


if __name__ == "__main__":
    main()
