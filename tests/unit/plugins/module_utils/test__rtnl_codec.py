# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtnetlink bytes and back: the requests the adapter sends decode to what was meant, the kernel's layouts
(checked against the numbers of linux/rtnetlink.h, if_link.h, if_addr.h, neighbour.h), and input that does not
add up is refused with CodecError, never half-read."""
import socket
import struct

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink_parse import (
    ipv6_conf,
    links_from,
    port_flag,
    route_localnet,
)


def test_a_link_request_by_name_carries_only_what_is_set():
    payload = codec.link(ifname="lnv1", mtu=1400, address="02:42:AC:1F:00:02", master=3, alias="", group=7, up=True)
    message = codec.decode(codec.RTM_SETLINK, payload)
    assert message.fields == {"family": 0, "ifi_type": 0, "index": 0, "flags": codec.IFF_UP, "change": codec.IFF_UP}
    assert message.attrs == {"IFLA_IFNAME": "lnv1", "IFLA_MTU": 1400, "IFLA_ADDRESS": "02:42:ac:1f:00:02",
                             "IFLA_MASTER": 3, "IFLA_IFALIAS": "", "IFLA_GROUP": 7}
    assert codec.decode(codec.RTM_SETLINK, codec.link(index=5, up=False)).fields["change"] == codec.IFF_UP
    assert codec.decode(codec.RTM_DELLINK, codec.link(index=5)).attrs == {}
    assert payload[:16] == struct.pack("=BxHiII", 0, 0, 0, 1, 1)  # ifinfomsg: 16 bytes, index 0: by name


def test_a_veth_request_nests_the_peer_with_its_own_ifinfomsg_and_the_namespace_fd():
    peer = codec.link(ifname="eth0", mtu=1400, address="02:42:ac:1f:00:02", netns_fd=9)
    message = codec.decode(codec.RTM_NEWLINK, codec.link(ifname="lnv1", mtu=1400, master=2, kind="veth",
                                                         data=codec.veth_peer(peer)))
    info = message.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "veth"
    peer_message = info.get_attr("IFLA_INFO_DATA").get_attr("VETH_INFO_PEER")
    assert peer_message.fields["index"] == 0
    assert peer_message.attrs == {"IFLA_IFNAME": "eth0", "IFLA_MTU": 1400, "IFLA_ADDRESS": "02:42:ac:1f:00:02",
                                  "IFLA_NET_NS_FD": 9}


def test_nested_attributes_are_flagged_nested_as_strict_kernels_want():
    raw = codec.link(kind="bridge")[16:]
    length, number = struct.unpack_from("=HH", raw)
    assert number == 18 | codec.NLA_F_NESTED and length == len(raw)


def test_port_flags_go_as_bridge_slave_data_and_read_back_as_the_parse_functions_expect():
    payload = codec.link(ifname="lnv1", port={"IFLA_BRPORT_ISOLATED": 1, "IFLA_BRPORT_MODE": 0}, alias="x")
    message = codec.decode(codec.RTM_NEWLINK, payload)
    info = message.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_SLAVE_KIND") == "bridge"
    assert (port_flag(message, "IFLA_BRPORT_ISOLATED"), port_flag(message, "IFLA_BRPORT_MODE")) == (True, False)
    link = links_from([codec.Message({"index": 4, "flags": 0}, dict(message.attrs, IFLA_MASTER=2))], {})["lnv1"]
    assert (link.isolated, link.hairpin, link.alias, link.master) == (True, False, "x", None)


def test_a_vxlan_request_has_its_vni_local_port_big_endian_and_learning():
    message = codec.decode(codec.RTM_NEWLINK, codec.link(ifname="lnx1", kind="vxlan",
                                                         data=codec.vxlan(42, "192.0.2.1", 4789, False)))
    data = message.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA")
    assert data.attrs == {"IFLA_VXLAN_ID": 42, "IFLA_VXLAN_LOCAL": "192.0.2.1", "IFLA_VXLAN_LEARNING": 0,
                          "IFLA_VXLAN_PORT": 4789}
    assert struct.pack("!H", 4789) in codec.vxlan(42, "192.0.2.1", 4789, False)


def test_address_requests_per_family():
    four = codec.decode(codec.RTM_NEWADDR, codec.address(3, "172.31.0.2", 24, broadcast="172.31.0.255"))
    assert four.fields == {"family": socket.AF_INET, "prefixlen": 24, "flags": 0, "scope": 0, "index": 3}
    assert four.attrs == {"IFA_LOCAL": "172.31.0.2", "IFA_ADDRESS": "172.31.0.2", "IFA_BROADCAST": "172.31.0.255"}
    six = codec.decode(codec.RTM_NEWADDR, codec.address(3, "fd00::2", 64, flags=0x02))
    assert (six["family"], six["flags"], six.attrs) == (socket.AF_INET6, 0x02, {"IFA_ADDRESS": "fd00::2"})
    wide = codec.decode(codec.RTM_NEWADDR, codec.address(3, "fd00::2", 64, flags=0x302))
    assert (wide["flags"], wide.get_attr("IFA_FLAGS")) == (0x02, 0x302)


def test_a_default_route_request():
    route = codec.decode(codec.RTM_NEWROUTE, codec.default_route("172.31.0.1", 5, 254))
    assert route.fields == {"family": socket.AF_INET, "dst_len": 0, "src_len": 0, "tos": 0, "table": 254,
                            "proto": codec.RTPROT_BOOT, "scope": 0, "type": codec.RTN_UNICAST, "flags": 0}
    assert route.attrs == {"RTA_GATEWAY": "172.31.0.1", "RTA_OIF": 5, "RTA_TABLE": 254}
    six = codec.decode(codec.RTM_NEWROUTE, codec.default_route("fe80::1", 5, 1000))
    assert (six["family"], six["table"], six.get_attr("RTA_TABLE"), six.get_attr("RTA_GATEWAY")) == \
        (socket.AF_INET6, 252, 1000, "fe80::1")


def test_an_fdb_request():
    entry = codec.decode(codec.RTM_NEWNEIGH, codec.fdb(7, "00:00:00:00:00:00", "198.51.100.9", 0x80, 0x02))
    assert entry.fields == {"family": 7, "ifindex": 7, "state": 0x80, "flags": 0x02, "ndm_type": 0}
    assert entry.attrs == {"NDA_LLADDR": "00:00:00:00:00:00", "NDA_DST": "198.51.100.9"}


def test_messages_of_one_datagram_split_with_padding_and_unknown_attributes_are_skipped():
    first = codec.ifinfomsg(index=1) + codec.string(3, "lo") + codec.rtattr(7, b"\1" * 5) + codec.u32(4, 65536)
    done = codec.nlmsg(codec.NLMSG_DONE, 2, 9, b"\0" * 4)
    data = codec.nlmsg(codec.RTM_NEWLINK, codec.NLM_F_MULTI, 9, first) + done
    parts = codec.split(data)
    assert [(kind, flags, seq) for kind, flags, seq, _payload in parts] == [(16, 2, 9), (3, 2, 9)]
    message = codec.decode(parts[0][0], parts[0][3], flags=2, seq=9)
    assert message.attrs == {"IFLA_IFNAME": "lo", "IFLA_MTU": 65536} and message["index"] == 1
    assert codec.error_code(parts[1][3]) == 0
    assert codec.error_code(struct.pack("=i", -17) + b"\0" * 16) == 17
    assert codec.decode(0x99, b"") is None


@pytest.mark.parametrize("data", [
    b"\x10\0\0",                                                       # shorter than nlmsghdr
    struct.pack("=IHHII", 8, 16, 0, 1, 0),                             # a length below the header's
    struct.pack("=IHHII", 40, 16, 0, 1, 0) + b"\0" * 8,                # a length past the end
    codec.nlmsg(16, 0, 1, b"\0" * 16) + b"\0\0",                       # stray bytes after a message
])
def test_broken_datagrams_are_refused(data):
    with pytest.raises(codec.CodecError):
        codec.split(data)


@pytest.mark.parametrize("payload", [
    b"\0" * 10,                                                        # a body shorter than ifinfomsg
    codec.ifinfomsg() + struct.pack("=HH", 2, 3),                      # an attribute length below its header
    codec.ifinfomsg() + struct.pack("=HH", 12, 3) + b"lo\0",           # an attribute past the end
    codec.ifinfomsg() + b"\0\0",                                       # stray bytes after the attributes
    codec.ifinfomsg() + codec.rtattr(4, b"\1\2\3"),                    # an odd-length u32
    codec.ifinfomsg() + codec.nested(18, codec.rtattr(1, b"veth\0"), codec.rtattr(2, b"\1\2")),  # broken nesting
])
def test_broken_link_messages_are_refused(payload):
    with pytest.raises(codec.CodecError):
        codec.decode(codec.RTM_NEWLINK, payload)


def test_addresses_of_odd_lengths_and_short_errors_are_refused():
    with pytest.raises(codec.CodecError):
        codec.decode(codec.RTM_NEWADDR, codec.ifaddrmsg(2) + codec.rtattr(2, b"\1\2\3"))
    with pytest.raises(codec.CodecError):
        codec.error_code(b"\0\0")


def test_messages_compare_by_content():
    one = codec.decode(codec.RTM_NEWLINK, codec.link(index=2, ifname="a"))
    assert one == codec.decode(codec.RTM_NEWLINK, codec.link(index=2, ifname="a")) != \
        codec.decode(codec.RTM_NEWLINK, codec.link(index=3, ifname="a"))
    assert one.get("index") == 2 and one.get("nothing", 5) == 5 and "IFLA_IFNAME" in repr(one)


def af_spec(inet=None, inet6=None):
    """IFLA_AF_SPEC as the kernel writes it (linux/if_link.h): per family a nest holding IFLA_INET_CONF (1) or, after
    IFLA_INET6_FLAGS (1), IFLA_INET6_CONF (2): one array of 32-bit values each, and counters we skip."""
    families = []
    if inet is not None:
        families.append(codec.nested(socket.AF_INET, codec.rtattr(1, struct.pack("=%di" % len(inet), *inet))))
    if inet6 is not None:
        families.append(codec.nested(socket.AF_INET6, codec.u32(1, 0x80000000),
                                     codec.rtattr(2, struct.pack("=%di" % len(inet6), *inet6)),
                                     codec.rtattr(3, b"\7" * 296)))
    return codec.nested(26, *families)


def test_the_sysctls_a_link_message_carries_are_read_by_their_kernel_index():
    inet = [0] * 33
    inet[25] = 1                                     # IPV4_DEVCONF_ROUTE_LOCALNET (26), stored at 26 - 1
    inet6 = list(range(100, 160))                    # DEVCONF_* 0..59: nothing is read by position by accident
    inet6[3], inet6[5] = 2, 0                        # DEVCONF_ACCEPT_RA, DEVCONF_AUTOCONF
    payload = codec.ifinfomsg(index=4) + codec.string(3, "eth0") + codec.rtattr(23, b"\0" * 200) + \
        af_spec(inet, inet6) + codec.u32(4, 1500)
    message = codec.decode(codec.RTM_NEWLINK, payload)
    assert ipv6_conf(message) == {"accept_ra": "2", "autoconf": "0"}
    assert route_localnet(message) is True
    inet[25] = 0
    assert route_localnet(codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + af_spec(inet, [-1] * 6))) is False
    assert ipv6_conf(codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + af_spec(inet, [-1] * 6))) == \
        {"accept_ra": "-1", "autoconf": "-1"}


def test_a_link_without_ipv4_or_ipv6_settings_has_none():
    bare = codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + codec.string(3, "eth0"))
    only4 = codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + af_spec(inet=[0] * 33))
    short6 = codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + af_spec(inet6=[0] * 4))
    assert (ipv6_conf(bare), route_localnet(bare)) == ({}, None)
    assert (ipv6_conf(only4), route_localnet(only4)) == ({}, False)
    assert ipv6_conf(short6) == {"accept_ra": "0"}   # an array too short for autoconf leaves it out


def test_a_settings_array_of_a_broken_length_is_refused_when_read():
    broken = codec.nested(26, codec.nested(socket.AF_INET6, codec.rtattr(2, b"\0" * 6)))
    message = codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + broken)   # kept as bytes until asked for
    with pytest.raises(codec.CodecError):
        ipv6_conf(message)
    with pytest.raises(codec.CodecError):
        route_localnet(codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + codec.nested(26, b"\0\0")))


def test_a_message_decodes_in_place_within_its_datagram_and_never_past_its_end():
    port = codec.link(index=7, ifname="lnv1", mtu=1500, address="02:42:ac:14:00:02", master=3, alias="ep1") + \
        codec.nested(18, codec.string(1, "veth"), codec.string(4, "bridge"),
                     codec.nested(5, codec.u8(4, 1), codec.u8(33, 0), codec.u32(99, 7))) + \
        codec.rtattr(23, b"\0" * 200) + codec.rtattr(62, b"") + codec.u32(37, 0)
    after = codec.link(index=8, ifname="next", mtu=9000)
    data = codec.nlmsg(codec.RTM_NEWLINK, codec.NLM_F_MULTI, 4, port) + codec.nlmsg(codec.RTM_NEWLINK, 0, 4, after)
    spans = codec.spans(data)
    assert [(kind, flags, seq) for kind, flags, seq, _start, _end in spans] == [(16, 2, 4), (16, 0, 4)]
    first, second = (codec.decode(kind, data, flags, seq, start, end) for kind, flags, seq, start, end in spans)
    assert first == codec.decode(codec.RTM_NEWLINK, port, codec.NLM_F_MULTI, 4)
    assert first.attrs["IFLA_IFNAME"] == "lnv1" and first.attrs["IFLA_MTU"] == 1500 and "next" not in repr(first)
    assert (first.get_attr("IFLA_LINK_NETNSID"), first.get_attr("IFLA_MASTER")) == (0, 3)
    assert port_flag(first, "IFLA_BRPORT_MODE") is True and port_flag(first, "IFLA_BRPORT_ISOLATED") is False
    assert first.get_attr("IFLA_LINKINFO").attrs["IFLA_INFO_KIND"] == "veth"
    assert (second["index"], second.attrs) == (8, {"IFLA_IFNAME": "next", "IFLA_MTU": 9000})
    assert codec.split(data)[1][3] == after
    with pytest.raises(codec.CodecError):   # an attribute running past the message's end, into the next
        codec.decode(codec.RTM_NEWLINK, data, start=spans[1][3], end=spans[1][4] - 2)


def test_keep_refuses_a_message_by_its_header_before_its_attributes_are_read():
    six = codec.address(3, "fe80::2", 64) + codec.rtattr(2, b"\1\2\3")   # a broken IFA_LOCAL, never decoded

    def local(fields):
        return fields["family"] == socket.AF_INET
    assert codec.decode(codec.RTM_NEWADDR, six, keep=local) is None
    with pytest.raises(codec.CodecError):
        codec.decode(codec.RTM_NEWADDR, six)
    four = codec.decode(codec.RTM_NEWADDR, codec.address(3, "172.31.0.2", 24), keep=local)
    assert four["index"] == 3 and four.get_attr("IFA_LOCAL") == "172.31.0.2"


def test_a_nest_is_read_up_to_the_last_attribute_its_table_names():
    ports = codec.nested(5, codec.u8(4, 1), codec.u8(33, 0), struct.pack("=HH", 2, 34))   # broken, never reached
    message = codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + codec.nested(18, codec.string(4, "bridge"), ports))
    assert (port_flag(message, "IFLA_BRPORT_MODE"), port_flag(message, "IFLA_BRPORT_ISOLATED")) == (True, False)
    with pytest.raises(codec.CodecError):   # before both are found, a broken attribute is still refused
        codec.decode(codec.RTM_NEWLINK, codec.ifinfomsg() + codec.nested(18, codec.string(4, "bridge"), codec.nested(
            5, codec.u8(4, 1), codec.rtattr(34, b"\1\2\3\4\5\6\7"), struct.pack("=HH", 2, 33))))
