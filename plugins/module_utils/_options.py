# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of one network, one endpoint and one endpoint's published ports: the single form of
container_network, netns_endpoint and port_publish, the items of their batch forms (see _batch), and the items
of network_state's three lists (see _compose). Each module documents them next to its DOCUMENTATION."""

from __future__ import annotations

STATE = dict(type="str", choices=["present", "absent"])

NETWORK_OPTIONS = dict(
    name=dict(type="str"), state=STATE, bridge=dict(type="str"),
    subnet=dict(type="str"), gateway=dict(type="str"), ip_range=dict(type="str"), mtu=dict(type="int"),
    masquerade=dict(type="bool"), icc=dict(type="bool"), internal=dict(type="bool"), isolated=dict(type="bool"),
    accept_in_foreign_firewalls=dict(type="bool"),
    enable_ipv6=dict(type="bool"), enable_ipv4=dict(type="bool"), ipv6_subnet=dict(type="str"),
    ipv6_gateway=dict(type="str"), ipv6_ip_range=dict(type="str"),
    gateway_mode_ipv4=dict(type="str", choices=["nat", "routed"]),
    gateway_mode_ipv6=dict(type="str", choices=["nat", "routed"]),
    driver=dict(type="str", choices=["bridge", "overlay"]), vni=dict(type="int"),
    peers=dict(type="list", elements="str"), local_address=dict(type="str"),
    peer_slices=dict(type="list", elements="str"),
    remote_endpoints=dict(type="list", elements="dict"),
)

ATTACHMENT_OPTIONS = dict(
    name=dict(type="str", required=True), ifname=dict(type="str"),
    ipv4_address=dict(type="str"), mac_address=dict(type="str"), aliases=dict(type="list", elements="str", default=[]),
    ipv6_address=dict(type="str"),
)

ENDPOINT_OPTIONS = dict(
    name=dict(type="str"), state=STATE, mode=dict(type="str", choices=["none", "bridge", "host", "container"]),
    network=dict(type="str"), networks=dict(type="list", elements="dict", options=ATTACHMENT_OPTIONS),
    ipv4_address=dict(type="str"), ipv6_address=dict(type="str"), mac_address=dict(type="str"),
    container=dict(type="str"), netns_path=dict(type="str"), pid=dict(type="int"), recreate=dict(type="bool"),
    dns=dict(type="list", elements="str"), dns_search=dict(type="list", elements="str"),
    dns_options=dict(type="list", elements="str"), etc_hosts=dict(type="dict"),
)

PUBLISH_OPTIONS = dict(
    endpoint=dict(type="str"), state=STATE, network=dict(type="str"),
    ports=dict(type="list", elements="raw", default=[]), allowed_sources=dict(type="list", elements="str"),
)
