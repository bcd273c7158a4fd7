# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # What every module of the collection needs on the managed node.
    DOCUMENTATION = r"""
options: {}
requirements:
  - root on the managed node (the modules create namespaces, links and nftables rules)
  - Python 3.9 or newer on the managed node; no Python library beyond the standard library (the modules talk
    rtnetlink themselves), except C(jmespath) for the C(query) option of C(container_network_info)
  - the C(nft) tool, nftables 0.9.4 or newer, on Linux 5.6 or newer
  - the C(conntrack) tool (conntrack-tools), to flush UDP flows of changed published ports
"""
