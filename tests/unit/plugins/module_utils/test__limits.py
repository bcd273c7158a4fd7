# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel limits: the bridge port limit and the shared neighbour table."""
import errno
import struct

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _limits as limits
from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Attachment, Endpoint, Network, State
from ansible_collections.linuxnet.containers.plugins.module_utils._rtnl import Rtnl

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


class Datagrams:
    """A socket stand-in answering each receive with the next of `datagrams`; counts what is read."""

    def __init__(self, *datagrams):
        self.datagrams = list(datagrams)
        self.sent, self.read, self.timeout, self.closed = [], 0, None, False

    def settimeout(self, seconds):
        self.timeout = seconds

    def send(self, data):
        self.sent.append(codec.split(data))

    def recv_into(self, buffer):
        data = self.datagrams.pop(0)
        buffer[:len(data)] = data
        self.read += 1
        return len(data)

    def close(self):
        self.closed = True


def thresh3(*datagrams):
    sock = Datagrams(*datagrams)
    return limits.ntable_thresh3(library=lambda timeout: Rtnl(sock, timeout)), sock


def test_gc_thresh3_from_the_first_answer_of_the_neighbour_table_dump_and_the_command_as_fallback():
    parms = codec.nested(6, codec.u32(1, 3))   # a per-interface entry: NDTA_PARMS, no thresholds
    table = neightbl("arp_cache", codec.u32(2, 128), codec.u32(3, 512), codec.u32(4, 2048))
    entries = neightbl("arp_cache", parms) * 3
    found, sock = thresh3(table + entries, entries, entries + codec.nlmsg(codec.NLMSG_DONE, 2, 1, b"\0" * 4))
    assert found == 2048 and sock.read == 1 and sock.closed and sock.timeout == 5   # the entries are never read
    kind, flags, _seq, payload = sock.sent[0][0]
    assert (kind, flags, payload) == (limits.RTM_GETNEIGHTBL, codec.NLM_F_REQUEST | codec.NLM_F_DUMP, b"\2\0\0\0")
    end = codec.nlmsg(codec.NLMSG_DONE, 2, 1, b"\0" * 4)
    found, sock = thresh3(neightbl("ndisc_cache", codec.u32(4, 9)) + entries, end)
    assert found is None and sock.read == 2 and sock.closed
    refused = codec.nlmsg(codec.NLMSG_ERROR, 0, 1, struct.pack("=i", -errno.EOPNOTSUPP) + b"\0" * 16)
    assert thresh3(refused)[0] is None
    assert thresh3(b"\1\2\3")[0] is None   # not a netlink message

    def no_socket(timeout):
        raise KernelError("open a netlink socket: Operation not permitted (%s s)" % timeout)
    assert limits.ntable_thresh3(library=no_socket) is None
    assert limits.thresh3_of(limits.RTM_NEWNEIGHTBL, codec.split(table)[0][3], "arp_cache") == 2048
    assert limits.thresh3_of(codec.RTM_NEWLINK, codec.split(table)[0][3], "arp_cache") is None
    assert limits.neigh_limit(lambda argv, stdin: (1, "", "unused"), read=lambda: 4096) == 4096
    assert limits.neigh_limit(lambda argv, stdin: (0, NTABLE, ""), read=lambda: None) == 1024
