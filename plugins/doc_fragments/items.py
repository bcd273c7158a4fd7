# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# The items of two batch lists, one network and one endpoint: container_network's and netns_endpoint's batch forms
# and network_state's lists of the same names take the same items (plugins/module_utils/_options.py), documented
# once here; a module gives the list its own description. (port_publish calls its list `endpoints` and
# network_state `published_ports`: a fragment merges by option name, so those two document their items each.)


class ModuleDocFragment:
    NETWORKS = r"""
options:
  networks:
    type: list
    elements: dict
    suboptions:
      name: {description: Network name., type: str, required: true}
      state: {description: "V(present) or V(absent); defaults to the top-level O(state).", type: str,
              choices: [present, absent]}
      bridge: {description: As O(linuxnet.containers.container_network#module:bridge)., type: str}
      subnet: {description: As O(linuxnet.containers.container_network#module:subnet)., type: str}
      gateway: {description: As O(linuxnet.containers.container_network#module:gateway)., type: str}
      ip_range: {description: As O(linuxnet.containers.container_network#module:ip_range)., type: str}
      mtu: {description: As O(linuxnet.containers.container_network#module:mtu)., type: int}
      masquerade: {description: As O(linuxnet.containers.container_network#module:masquerade)., type: bool}
      icc: {description: As O(linuxnet.containers.container_network#module:icc)., type: bool}
      internal: {description: As O(linuxnet.containers.container_network#module:internal)., type: bool}
      isolated: {description: As O(linuxnet.containers.container_network#module:isolated)., type: bool}
      accept_in_foreign_firewalls:
        description: As O(linuxnet.containers.container_network#module:accept_in_foreign_firewalls).
        type: bool
      enable_ipv6: {description: As O(linuxnet.containers.container_network#module:enable_ipv6)., type: bool}
      enable_ipv4: {description: As O(linuxnet.containers.container_network#module:enable_ipv4)., type: bool}
      ipv6_subnet: {description: As O(linuxnet.containers.container_network#module:ipv6_subnet)., type: str}
      ipv6_gateway: {description: As O(linuxnet.containers.container_network#module:ipv6_gateway)., type: str}
      ipv6_ip_range: {description: As O(linuxnet.containers.container_network#module:ipv6_ip_range)., type: str}
      gateway_mode_ipv4:
        description: As O(linuxnet.containers.container_network#module:gateway_mode_ipv4).
        type: str
        choices: [nat, routed]
      gateway_mode_ipv6:
        description: As O(linuxnet.containers.container_network#module:gateway_mode_ipv6).
        type: str
        choices: [nat, routed]
      driver: {description: As O(linuxnet.containers.container_network#module:driver)., type: str,
               choices: [bridge, overlay]}
      vni: {description: As O(linuxnet.containers.container_network#module:vni)., type: int}
      peers: {description: As O(linuxnet.containers.container_network#module:peers)., type: list, elements: str}
      local_address: {description: As O(linuxnet.containers.container_network#module:local_address)., type: str}
      peer_slices: {description: As O(linuxnet.containers.container_network#module:peer_slices)., type: list,
                    elements: str}
      remote_endpoints: {description: As O(linuxnet.containers.container_network#module:remote_endpoints).,
                         type: list, elements: dict}
"""

    ENDPOINTS = r"""
options:
  endpoints:
    type: list
    elements: dict
    suboptions:
      name: {description: Endpoint name., type: str, required: true}
      state: {description: "V(present) or V(absent); defaults to the top-level O(state).", type: str,
              choices: [present, absent]}
      mode: {description: As O(linuxnet.containers.netns_endpoint#module:mode)., type: str,
             choices: [none, bridge, host, container]}
      network: {description: As O(linuxnet.containers.netns_endpoint#module:network)., type: str}
      ipv4_address: {description: As O(linuxnet.containers.netns_endpoint#module:ipv4_address)., type: str}
      ipv6_address: {description: As O(linuxnet.containers.netns_endpoint#module:ipv6_address)., type: str}
      mac_address: {description: As O(linuxnet.containers.netns_endpoint#module:mac_address)., type: str}
      networks:
        description: As O(linuxnet.containers.netns_endpoint#module:networks).
        type: list
        elements: dict
        suboptions:
          name: {description: Network name., type: str, required: true}
          ipv4_address: {description: Static address., type: str}
          ipv6_address: {description: Static IPv6 address., type: str}
          mac_address: {description: Static MAC., type: str}
          ifname: {description: Interface name inside the namespace., type: str}
          aliases: {description: Extra names on this network., type: list, elements: str, default: []}
      container: {description: As O(linuxnet.containers.netns_endpoint#module:container)., type: str}
      netns_path: {description: As O(linuxnet.containers.netns_endpoint#module:netns_path)., type: str}
      pid: {description: As O(linuxnet.containers.netns_endpoint#module:pid)., type: int}
      dns: {description: As O(linuxnet.containers.netns_endpoint#module:dns)., type: list, elements: str}
      dns_search: {description: As O(linuxnet.containers.netns_endpoint#module:dns_search)., type: list,
                   elements: str}
      dns_options: {description: As O(linuxnet.containers.netns_endpoint#module:dns_options)., type: list,
                    elements: str}
      etc_hosts: {description: As O(linuxnet.containers.netns_endpoint#module:etc_hosts)., type: dict}
      recreate: {description: As O(linuxnet.containers.netns_endpoint#module:recreate)., type: bool}
"""
