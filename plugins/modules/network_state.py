#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_state
short_description: A host's networks, endpoints and published ports in one task, like a compose file
version_added: 0.2.0
description:
  - Applies what M(linuxnet.containers.container_network), M(linuxnet.containers.netns_endpoint) and
    M(linuxnet.containers.port_publish) apply, in one task, one lock, one read of the host and one firewall
    transaction. A playbook that runs the three modules pays Ansible's cost of a task three times; this module once.
  - O(networks), O(endpoints) and O(published_ports) take the items of the batch forms of those modules, with the
    same options and the same meaning. A list that is left out is not touched.
  - The lists are resolved in this order, each on the result of the one before. First the removed published
    ports and endpoints (items with O(endpoints[].state=absent), and with O(exclusive) the ones not listed), then
    the networks (present and absent items), then present endpoints, then present published ports, and with
    O(exclusive) last the removal of the networks not listed. An endpoint may so name a network of the same task,
    a published port an endpoint of the same task, and a network be removed in the task that removes its endpoints.
  - Every item of every list is checked before anything changes; a bad port in O(published_ports) fails before
    a network is created. A reference to a network or endpoint that is neither in the task nor on the host fails,
    naming the field (for example C(endpoints[3].network)) and the fix. In check mode such a reference is assumed
    to be created by an earlier task, as the three modules do, and the task reports a change with a warning.
  - In check mode on an empty host the whole task is previewed (the endpoints on networks the task creates too).
extends_documentation_fragment:
  - linuxnet.containers.attributes
  - linuxnet.containers.items.networks
  - linuxnet.containers.items.endpoints
  - linuxnet.containers.requirements
options:
  state:
    description:
      - V(present) or V(absent), for every item of the three lists that does not set its own state.
      - V(absent) with the same lists tears down what V(present) built (ports, endpoints, then networks).
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - Each list that is given is authoritative, with the meaning
        O(linuxnet.containers.container_network#module:exclusive),
        O(linuxnet.containers.netns_endpoint#module:exclusive) and
        O(linuxnet.containers.port_publish#module:exclusive) give it. Networks, endpoints and published ports of
        the collection that the list does not name are removed. A list that is left out is not touched.
    type: bool
    default: false
  networks:
    description:
      - The networks, each as an item of O(linuxnet.containers.container_network#module:networks).
  endpoints:
    description:
      - The endpoints, each as an item of O(linuxnet.containers.netns_endpoint#module:endpoints). They may attach
        networks of O(networks) and share the namespace of another endpoint of the list.
  published_ports:
    description:
      - The published ports, keyed by endpoint, each as an item of O(linuxnet.containers.port_publish#module:endpoints).
        The endpoint may be one of O(endpoints).
    type: list
    elements: dict
    suboptions:
      endpoint: {description: As O(linuxnet.containers.port_publish#module:endpoint)., type: str, required: true}
      network: {description: As O(linuxnet.containers.port_publish#module:network)., type: str}
      ports: {description: As O(linuxnet.containers.port_publish#module:ports)., type: list, elements: raw,
              default: []}
      state: {description: "V(present) or V(absent); defaults to the top-level O(state).", type: str,
              choices: [present, absent]}
      allowed_sources: {description: As O(linuxnet.containers.port_publish#module:allowed_sources)., type: list,
                        elements: str}
notes:
  - Runs serialise on a host-wide lock, so concurrent playbooks or AWX jobs against one host are safe.
  - At least one of O(networks), O(endpoints) and O(published_ports) is required.
seealso:
  - module: linuxnet.containers.container_network
  - module: linuxnet.containers.netns_endpoint
  - module: linuxnet.containers.port_publish
  - module: linuxnet.containers.container_network_info
author:
  - linuxnet.containers contributors (@linuxnet)
"""

EXAMPLES = r"""
- name: A network, two containers and a published port, in one task (docker compose up)
  linuxnet.containers.network_state:
    networks:
      - name: front
        subnet: 172.20.0.0/24
    endpoints:
      - name: web
        network: front
      - name: web-sidecar
        mode: container
        container: web
    published_ports:
      - endpoint: web
        ports: ["8080:80"]
  register: app

- name: Show web's address and host port
  ansible.builtin.debug:
    msg: "web is {{ app.endpoints[0].interfaces[0].ipv4_address }}, on host port {{ app.published[0].host_port }}"

- name: Exactly this on the host, nothing else of ours (docker compose up --remove-orphans)
  linuxnet.containers.network_state:
    exclusive: true
    networks:
      - name: front
    endpoints:
      - name: web
        network: front
    published_ports:
      - endpoint: web
        ports: ["8080:80"]

- name: Tear it down again (docker compose down)
  linuxnet.containers.network_state:
    state: absent
    networks:
      - name: front
    endpoints:
      - name: web
      - name: web-sidecar
"""

RETURN = r"""
networks:
  description:
    - The networks of O(networks) that exist after the run, in the order of the list, each as
      RV(linuxnet.containers.container_network#module:network). Empty without O(networks).
  returned: always
  type: list
  elements: dict
endpoints:
  description:
    - The endpoints of O(endpoints) that exist after the run, in the order of the list, each as
      RV(linuxnet.containers.netns_endpoint#module:endpoint). Empty without O(endpoints).
  returned: always
  type: list
  elements: dict
published:
  description:
    - The published ports of the endpoints of O(published_ports), one entry per host port, as
      RV(linuxnet.containers.port_publish#module:published). Empty without O(published_ports).
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
  sample: {"net.ipv4.ip_forward": "1"}
collected:
  description:
    - Adopted endpoints whose name and process had both vanished; their records and leftovers were removed, as
      RV(linuxnet.containers.netns_endpoint#module:collected).
  returned: when any
  type: list
  elements: str
"""

# _codecache first: it keeps the compiled code of the module_utils imported after it (see its docstring)
from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.linuxnet.containers.plugins.module_utils._compose import run_state_module


def main():
    run_state_module()


if __name__ == "__main__":
    main()
