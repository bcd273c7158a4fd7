# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel limits: the bridge port limit and the shared neighbour table."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _limits as limits
from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Attachment, Endpoint, Network, State

NTABLE = """inet arp_cache
    thresh1 128 thresh2 512 thresh3 1024 gc_int 30000
    refcnt 1 reachable 25928 base_reachable 30000 retrans 1000
"""


def state(count):
    network = Network("front", "lnc-front", "172.20.0.0/16", "172.20.0.1", None, 1500, True, True, False, True)
    endpoints = {}
    for index in range(count):
        name = "e%d" % index
        endpoints[name] = Endpoint(name, "bridge", (Attachment("front", "eth0", "172.20.%d.%d" % divmod(index + 2, 256),
                                                               "02:42:00:00:00:01", "lnv%d" % index),))
    return State(networks={"front": network}, endpoints=endpoints)


def test_the_1024th_port_is_refused_naming_the_network_and_the_limit():
    limits.check_bridge_ports(state(1022), state(1023))
    with pytest.raises(Conflict, match="network front would have 1024 endpoints on bridge lnc-front, "
                                       "and a Linux bridge holds at most 1023 ports; nothing was changed"):
        limits.check_bridge_ports(state(1023), state(1024))
    limits.check_bridge_ports(state(1025), state(1024))   # shrinking is never refused


def test_neighbour_table_warning_past_two_entries_per_attachment():
    assert limits.parse_thresh3(NTABLE) == 1024
    assert limits.gc_thresh3(lambda argv, stdin: (0, NTABLE, "")) == 1024
    assert limits.gc_thresh3(lambda argv, stdin: (1, "", "no")) is None
    assert limits.neigh_warnings(state(512), 1024) == []
    warning = limits.neigh_warnings(state(513), 1024)
    assert len(warning) == 1 and "513 bridge-mode attachments need about 1026" in warning[0]
    assert "gc_thresh3 (1024)" in warning[0] and "container_networking_neigh_gc_thresh" in warning[0]
    assert limits.neigh_warnings(state(600), None) == []


def neightbl(name, *attrs):
    """An RTM_NEWNEIGHTBL message: ndtmsg, NDTA_NAME, then `attrs`."""
    return codec.nlmsg(limits.RTM_NEWNEIGHTBL, codec.NLM_F_MULTI, 1, b"\2\0\0\0" + codec.string(1, name) + b"".join(attrs))


def test_gc_thresh3_from_the_neighbour_table_dump_and_the_command_as_fallback():
    parms = codec.nested(6, codec.u32(1, 3))   # a per-interface entry: NDTA_PARMS, no thresholds
    table = neightbl("arp_cache", codec.u32(2, 128), codec.u32(3, 512), codec.u32(4, 2048))
    assert limits.thresh3_in(neightbl("arp_cache", parms) + table, "arp_cache") == (True, 2048)
    assert limits.thresh3_in(neightbl("ndisc_cache", codec.u32(4, 9)), "arp_cache") == (False, None)
    assert limits.thresh3_in(codec.nlmsg(codec.NLMSG_DONE, 0, 1, b"\0" * 4), "arp_cache") == (True, None)
    assert limits.neigh_limit(lambda argv, stdin: (1, "", "unused"), read=lambda: 4096) == 4096
    assert limits.neigh_limit(lambda argv, stdin: (0, NTABLE, ""), read=lambda: None) == 1024
