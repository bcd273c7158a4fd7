# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtnetlink messages as bytes and back (pure; the socket is _rtnl's).

Packs nlmsghdr, the fixed headers (ifinfomsg, ifaddrmsg, rtmsg, ndmsg) and nested rtattrs with `struct`, and
decodes only the attributes this collection reads. A decoded message is a `Message`: header fields by key
(message["index"]) and attributes by name (message.get_attr("IFLA_IFNAME")), nested ones as Messages too.
Input that does not add up (truncated, lengths past the end, a u32 of 3 bytes) raises CodecError.
"""

from __future__ import annotations

import socket
import struct
from typing import Callable, Dict, Iterator, List, Optional, Tuple

NLMSG = struct.Struct("=IHHII")       # len, type, flags, seq, port id
RTATTR = struct.Struct("=HH")         # len, type
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP_INTR = 0x1, 0x2, 0x4, 0x10
NLM_F_DUMP, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND = 0x300, 0x100, 0x200, 0x400, 0x800
NLA_F_NESTED, NLA_TYPE_MASK = 0x8000, 0x3FFF
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
IFF_UP = 0x1

# the fixed header after nlmsghdr, per message type: its struct and field names (pyroute2's names)
IFINFO = (struct.Struct("=BxHiII"), ("family", "ifi_type", "index", "flags", "change"))
IFADDR = (struct.Struct("=BBBBi"), ("family", "prefixlen", "flags", "scope", "index"))
RTMSG = (struct.Struct("=BBBBBBBBI"),
         ("family", "dst_len", "src_len", "tos", "table", "proto", "scope", "type", "flags"))
NDMSG = (struct.Struct("=BxxxiHBB"), ("family", "ifindex", "state", "flags", "ndm_type"))
ERRMSG = struct.Struct("=i")

# attribute tables: number -> (name, decoder); a decoder is a name below or a nested table
BRPORT = {4: ("IFLA_BRPORT_MODE", "u8"), 33: ("IFLA_BRPORT_ISOLATED", "u8")}
VXLAN = {1: ("IFLA_VXLAN_ID", "u32"), 4: ("IFLA_VXLAN_LOCAL", "ip"), 7: ("IFLA_VXLAN_LEARNING", "u8"),
         15: ("IFLA_VXLAN_PORT", "be16")}
# IFLA_AF_SPEC: per address family, the interface's settings as /proc/sys/net/ipv{4,6}/conf/IFNAME shows them,
# as one array of 32-bit values (IPv4: index IPV4_DEVCONF_* - 1; IPv6: index DEVCONF_*), in the same message;
# kept as bytes, decoded by af_conf() when asked (most links' settings are never looked at)
IFLA_INET_CONF, IFLA_INET6_CONF = 1, 2
IFLA: Dict[int, Tuple[str, object]] = {
    1: ("IFLA_ADDRESS", "mac"), 3: ("IFLA_IFNAME", "str"), 4: ("IFLA_MTU", "u32"), 5: ("IFLA_LINK", "u32"),
    10: ("IFLA_MASTER", "u32"), 18: ("IFLA_LINKINFO", "linkinfo"), 20: ("IFLA_IFALIAS", "str"),
    26: ("IFLA_AF_SPEC", "raw"), 27: ("IFLA_GROUP", "u32"), 28: ("IFLA_NET_NS_FD", "u32"),
    29: ("IFLA_EXT_MASK", "u32"), 37: ("IFLA_LINK_NETNSID", "s32"),
}
IFLA_EXT_MASK = 29
RTEXT_FILTER_SKIP_STATS = 1 << 3   # link dumps leave out IFLA_STATS and IFLA_STATS64
LINKINFO = {1: ("IFLA_INFO_KIND", "str"), 2: ("IFLA_INFO_DATA", None), 4: ("IFLA_INFO_SLAVE_KIND", "str"),
            5: ("IFLA_INFO_SLAVE_DATA", None)}
INFO_DATA = {"vxlan": VXLAN, "veth": {1: ("VETH_INFO_PEER", "peer")}}
SLAVE_DATA = {"bridge": BRPORT}
_LINKINFO_SPANS = {number: (name, "span") for number, (name, _kind) in LINKINFO.items()}
IFA = {1: ("IFA_ADDRESS", "ip"), 2: ("IFA_LOCAL", "ip"), 3: ("IFA_LABEL", "str"), 4: ("IFA_BROADCAST", "ip"),
       8: ("IFA_FLAGS", "u32")}
RTA = {1: ("RTA_DST", "ip"), 4: ("RTA_OIF", "u32"), 5: ("RTA_GATEWAY", "ip"), 6: ("RTA_PRIORITY", "u32"),
       7: ("RTA_PREFSRC", "ip"), 15: ("RTA_TABLE", "u32")}
NDA = {1: ("NDA_DST", "ip"), 2: ("NDA_LLADDR", "mac")}
NAMES = {table_name: {name: number for number, (name, _decoder) in table.items()}
         for table_name, table in (("IFLA", IFLA), ("IFA", IFA), ("RTA", RTA), ("NDA", NDA), ("LINKINFO", LINKINFO),
                                   ("BRPORT", BRPORT), ("VXLAN", VXLAN))}
# message type -> (fixed header, attribute table)
LAYOUT = {RTM_NEWLINK: (IFINFO, IFLA), RTM_DELLINK: (IFINFO, IFLA), RTM_GETLINK: (IFINFO, IFLA),
          RTM_SETLINK: (IFINFO, IFLA), RTM_NEWADDR: (IFADDR, IFA), RTM_DELADDR: (IFADDR, IFA),
          RTM_GETADDR: (IFADDR, IFA), RTM_NEWROUTE: (RTMSG, RTA), RTM_DELROUTE: (RTMSG, RTA),
          RTM_GETROUTE: (RTMSG, RTA), RTM_NEWNEIGH: (NDMSG, NDA), RTM_DELNEIGH: (NDMSG, NDA),
          RTM_GETNEIGH: (NDMSG, NDA)}


class CodecError(ValueError):
    """Bytes that are no well-formed rtnetlink message."""


class Message:
    """A decoded message (or nested attribute set): header fields by key, attributes through get_attr()."""

    __slots__ = ("type", "flags", "seq", "fields", "attrs")

    def __init__(self, fields=None, attrs=None, msg_type=0, flags=0, seq=0):
        self.fields: Dict[str, int] = fields or {}
        self.attrs: Dict[str, object] = attrs or {}
        self.type, self.flags, self.seq = msg_type, flags, seq

    def __getitem__(self, key: str) -> int:
        return self.fields[key]

    def get(self, key: str, default=None):
        return self.fields.get(key, default)

    def get_attr(self, name: str):
        return self.attrs.get(name)

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.type, self.flags, self.fields, self.attrs) == \
            (other.type, other.flags, other.fields, other.attrs)

    def __repr__(self) -> str:
        return "Message(%r, %r, type=%d)" % (self.fields, self.attrs, self.type)


def align(length: int) -> int:
    return (length + 3) & ~3


# encoding ------------------------------------------------------------------------------------
def rtattr(number: int, payload: bytes) -> bytes:
    length = RTATTR.size + len(payload)
    return RTATTR.pack(length, number) + payload + b"\0" * (align(length) - length)


def nested(number: int, *attrs: bytes) -> bytes:
    return rtattr(number | NLA_F_NESTED, b"".join(attrs))


def u8(number: int, value: int) -> bytes:
    return rtattr(number, struct.pack("=B", value))


def u32(number: int, value: int) -> bytes:
    return rtattr(number, struct.pack("=I", value))


def be16(number: int, value: int) -> bytes:
    return rtattr(number, struct.pack("!H", value))


def string(number: int, value: str) -> bytes:
    return rtattr(number, value.encode() + b"\0")


def mac(number: int, value: str) -> bytes:
    return rtattr(number, bytes.fromhex(value.replace(":", "")))


def ip(number: int, value: str) -> bytes:
    return rtattr(number, socket.inet_pton(socket.AF_INET6 if ":" in value else socket.AF_INET, value))


def ifinfomsg(family: int = 0, index: int = 0, flags: int = 0, change: int = 0) -> bytes:
    return IFINFO[0].pack(family, 0, index, flags, change)


def ifaddrmsg(family: int, prefixlen: int = 0, flags: int = 0, scope: int = 0, index: int = 0) -> bytes:
    return IFADDR[0].pack(family, prefixlen, flags, scope, index)


def rtmsg(family: int, dst_len: int = 0, table: int = 0, proto: int = 0, scope: int = 0, rtype: int = 0) -> bytes:
    return RTMSG[0].pack(family, dst_len, 0, 0, table, proto, scope, rtype, 0)


def ndmsg(family: int, ifindex: int = 0, state: int = 0, flags: int = 0) -> bytes:
    return NDMSG[0].pack(family, ifindex, state, flags, 0)


def nlmsg(msg_type: int, flags: int, seq: int, payload: bytes) -> bytes:
    return NLMSG.pack(NLMSG.size + len(payload), msg_type, flags, seq, 0) + payload


# decoding ------------------------------------------------------------------------------------
# A decoder reads an attribute's payload data[start:end] without copying it first; a table of (name, kind) is
# compiled once into {number: (name, decoder)}.
_U32, _S32, _U8, _BE16 = (struct.Struct(layout).unpack_from for layout in ("=I", "=i", "=B", "!H"))
_RTATTR_UNPACK = RTATTR.unpack_from


def _fixed(unpack, size: int, kind: str):
    def decoder(data: bytes, start: int, end: int):
        if end - start != size:
            raise CodecError("a %s of %d bytes" % (kind, end - start))
        return unpack(data, start)[0]
    return decoder


def _string(data: bytes, start: int, end: int) -> str:
    stop = data.find(b"\0", start, end)
    return data[start:end if stop < 0 else stop].decode("utf-8", "replace")


def _ip(data: bytes, start: int, end: int) -> str:
    if end - start == 4:
        return socket.inet_ntop(socket.AF_INET, data[start:end])
    if end - start == 16:
        return socket.inet_ntop(socket.AF_INET6, data[start:end])
    raise CodecError("an address of %d bytes" % (end - start))


_DECODERS = {"u32": _fixed(_U32, 4, "u32"), "s32": _fixed(_S32, 4, "s32"), "u8": _fixed(_U8, 1, "u8"),
             "be16": _fixed(_BE16, 2, "be16"), "str": _string, "ip": _ip,
             "mac": lambda data, start, end: data[start:end].hex(":"),
             "raw": lambda data, start, end: data[start:end],
             "span": lambda data, start, end: (start, end),
             "peer": lambda data, start, end: message_at(data, *layout(RTM_NEWLINK), RTM_NEWLINK, 0, 0, start, end)}
_COMPILED: Dict[int, Tuple[dict, Dict[int, tuple]]] = {}


def _compiled(table: Dict[int, Tuple[str, object]]) -> Dict[int, tuple]:
    """{number: (name, decoder)} of an attribute table (kept per table: the tables are constants)."""
    known = _COMPILED.get(id(table))
    if known is not None and known[0] is table:
        return known[1]
    decoders = {}
    for number, (name, kind) in table.items():
        if isinstance(kind, dict):
            decoders[number] = (name, _nested(kind))
        elif kind in _DECODERS:
            decoders[number] = (name, _DECODERS[kind])
    _COMPILED[id(table)] = (table, decoders)
    return decoders


def _nested(table: Dict[int, Tuple[str, object]]):
    def decoder(data: bytes, start: int, end: int) -> "Message":
        return Message(attrs=decode_attrs(data, table, start, end))
    return decoder


def af_conf(spec: Optional[bytes], family: int, number: int) -> Tuple[int, ...]:
    """The settings array `number` of `family` in an IFLA_AF_SPEC payload; () when the link has none."""
    for nested_family, settings in iter_attrs(spec or b""):
        if nested_family == family:
            for found, payload in iter_attrs(settings):
                if found == number:
                    if len(payload) % 4:
                        raise CodecError("an array of 32-bit values of %d bytes" % len(payload))
                    return struct.unpack("=%di" % (len(payload) // 4), payload)
    return ()


def iter_attrs(data: bytes, offset: int = 0) -> Iterator[Tuple[int, bytes]]:
    """(number without flags, payload) of each rtattr in data[offset:]."""
    end = len(data)
    while offset < end:
        if end - offset < RTATTR.size:
            raise CodecError("%d stray bytes after the attributes" % (end - offset))
        length, number = RTATTR.unpack_from(data, offset)
        if length < RTATTR.size or offset + length > end:
            raise CodecError("an attribute of length %d at %d of %d bytes" % (length, offset, end))
        yield number & NLA_TYPE_MASK, data[offset + RTATTR.size:offset + length]
        offset += align(length)


def decode_attrs(data: bytes, table: Dict[int, Tuple[str, object]], offset: int = 0,
                 end: Optional[int] = None) -> Dict[str, object]:
    """The attributes of data[offset:end] that `table` names, decoded in place (the others are stepped over)."""
    return _attrs(data, _compiled(table), offset, len(data) if end is None else end)


def _attrs(data: bytes, wanted: Dict[int, tuple], offset: int, end: int) -> Dict[str, object]:
    """decode_attrs with a compiled table. The walk ends once every attribute the table names is found (the
    kernel writes each once: a bridge port's forty flags are read up to the two asked for)."""
    found: Dict[str, object] = {}
    unpack, get, left = _RTATTR_UNPACK, wanted.get, len(wanted)
    while offset < end:
        if end - offset < 4:
            raise CodecError("%d stray bytes after the attributes" % (end - offset))
        length, number = unpack(data, offset)
        stop = offset + length
        if length < 4 or stop > end:
            raise CodecError("an attribute of length %d at %d of %d bytes" % (length, offset, end))
        entry = get(number & 0x3FFF)   # NLA_TYPE_MASK
        if entry is not None:
            if entry[0] not in found:
                left -= 1
            found[entry[0]] = entry[1](data, offset + 4, stop)
            if not left:
                break
        offset += (length + 3) & ~3
    return found


def _linkinfo(data: bytes, start: int, end: int) -> Message:
    """IFLA_LINKINFO: the kinds as strings; the data of a kind this module reads (veth, vxlan, bridge ports)."""
    raw = decode_attrs(data, _LINKINFO_SPANS, start, end)
    attrs = {name: _string(data, *raw[name]) for name in ("IFLA_INFO_KIND", "IFLA_INFO_SLAVE_KIND") if name in raw}
    for name, kinds, key in (("IFLA_INFO_DATA", INFO_DATA, "IFLA_INFO_KIND"),
                             ("IFLA_INFO_SLAVE_DATA", SLAVE_DATA, "IFLA_INFO_SLAVE_KIND")):
        table = kinds.get(attrs.get(key))
        if name in raw and table is not None:
            attrs[name] = Message(attrs=decode_attrs(data, table, *raw[name]))
    return Message(attrs=attrs)


_DECODERS["linkinfo"] = _linkinfo


def message_at(data, unpack, size, names, wanted, msg_type, flags, seq, offset, end, keep=None) -> Optional[Message]:
    """The Message at data[offset:end] of a type's layout(); None when `keep` refuses its header fields."""
    if end - offset < size:
        raise CodecError("a message body of %d bytes, %d needed" % (end - offset, size))
    fields = dict(zip(names, unpack(data, offset)))
    if keep is not None and not keep(fields):
        return None
    return Message(fields, _attrs(data, wanted, offset + size, end), msg_type, flags, seq)


def spans(data: bytes) -> List[Tuple[int, int, int, int, int]]:
    """(type, flags, seq, start, end) of each netlink message in one datagram: its payload is data[start:end]."""
    found = []
    offset, size, unpack = 0, len(data), NLMSG.unpack_from
    while offset < size:
        if size - offset < 16:   # NLMSG.size
            raise CodecError("%d stray bytes after the messages" % (size - offset))
        length, msg_type, flags, seq, _port = unpack(data, offset)
        if length < 16 or offset + length > size:
            raise CodecError("a message of length %d at %d of %d bytes" % (length, offset, size))
        found.append((msg_type, flags, seq, offset + 16, offset + length))
        offset += (length + 3) & ~3
    return found


def split(data: bytes) -> List[Tuple[int, int, int, bytes]]:
    """(type, flags, seq, payload) of each netlink message in one datagram."""
    return [(msg_type, flags, seq, data[start:end]) for msg_type, flags, seq, start, end in spans(data)]


def decode(msg_type: int, payload: bytes, flags: int = 0, seq: int = 0, start: int = 0,
           end: Optional[int] = None, keep: Optional[Callable[[Dict[str, int]], bool]] = None) -> Optional[Message]:
    """The Message of an rtnetlink payload (payload[start:end]); None for a type this module does not know, or
    when `keep` given its header fields says no (then its attributes are never read)."""
    found, end = layout(msg_type), len(payload) if end is None else end
    return None if found is None else message_at(payload, *found, msg_type, flags, seq, start, end, keep)


def layout(msg_type: int) -> Optional[tuple]:
    """LAYOUT's header unpacker, size, field names and compiled table of a message type (kept once made)."""
    found = _LAYOUTS.get(msg_type)
    if found is None and msg_type in LAYOUT:
        (header, names), table = LAYOUT[msg_type]
        found = _LAYOUTS[msg_type] = (header.unpack_from, header.size, names, _compiled(table))
    return found


_LAYOUTS: Dict[int, tuple] = {}   # layout() of each message type asked for


def error_code(payload: bytes) -> int:
    """The errno an NLMSG_ERROR (0: an acknowledgement) or an NLMSG_DONE carries, positive."""
    if len(payload) < ERRMSG.size:
        raise CodecError("an error message of %d bytes" % len(payload))  # NLMSG_DONE too: Linux 2.6+ sends one
    return -ERRMSG.unpack_from(payload)[0]


# the requests the adapter sends ----------------------------------------------------------------
def link(index: int = 0, ifname: Optional[str] = None, up: Optional[bool] = None, mtu: Optional[int] = None,
         address: Optional[str] = None, master: Optional[int] = None, alias: Optional[str] = None,
         group: Optional[int] = None, netns_fd: Optional[int] = None, kind: Optional[str] = None,
         data: bytes = b"", port: Optional[Dict[str, int]] = None) -> bytes:
    """An ifinfomsg and its attributes: the link by index (or by ifname when index is 0), what to set,
    `kind` with its IFLA_INFO_DATA payload, `port` as bridge port flags (IFLA_INFO_SLAVE_DATA)."""
    flags, change = (IFF_UP if up else 0, IFF_UP) if up is not None else (0, 0)
    attrs = [string(3, ifname) if ifname is not None else b"", u32(4, mtu) if mtu is not None else b"",
             mac(1, address) if address else b"", u32(10, master) if master is not None else b"",
             string(20, alias) if alias is not None else b"", u32(27, group) if group is not None else b"",
             u32(28, netns_fd) if netns_fd is not None else b""]
    if kind is not None:
        attrs.append(nested(18, string(1, kind), nested(2, data) if data else b""))
    if port:
        attrs.append(nested(18, string(4, "bridge"),
                            nested(5, *(u8(NAMES["BRPORT"][name], value) for name, value in sorted(port.items())))))
    return ifinfomsg(0, index, flags, change) + b"".join(attrs)


def veth_peer(peer: bytes) -> bytes:
    """IFLA_INFO_DATA of a veth: the peer's ifinfomsg and attributes (link() of the peer)."""
    return nested(1, peer)


def vxlan(vni: int, local: str, port: int, learning: bool) -> bytes:
    """IFLA_INFO_DATA of a VXLAN device."""
    return u32(1, vni) + ip(4, local) + u8(7, int(learning)) + be16(15, port)


def address(index: int, cidr_address: str, prefixlen: int, broadcast: Optional[str] = None, flags: int = 0) -> bytes:
    family = socket.AF_INET6 if ":" in cidr_address else socket.AF_INET
    attrs = ip(2, cidr_address) + ip(1, cidr_address) if family == socket.AF_INET else ip(1, cidr_address)
    if broadcast:
        attrs += ip(4, broadcast)
    if flags > 0xFF:
        attrs += u32(8, flags)
    return ifaddrmsg(family, prefixlen, flags & 0xFF, 0, index) + attrs


RT_SCOPE_UNIVERSE, RTPROT_BOOT, RTN_UNICAST = 0, 3, 1


def default_route(gateway: str, oif: int, table: int) -> bytes:
    """A unicast default route via gateway on oif in `table` (as `ip route replace default via ...`)."""
    family = socket.AF_INET6 if ":" in gateway else socket.AF_INET
    return rtmsg(family, 0, table if table < 256 else 252, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST) + \
        ip(5, gateway) + u32(4, oif) + u32(15, table)


def fdb(ifindex: int, lladdr: str, dst: str, state: int = 0, flags: int = 0) -> bytes:
    return ndmsg(7, ifindex, state, flags) + mac(2, lladdr) + ip(1, dst)
