# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small rtnetlink client: one AF_NETLINK/NETLINK_ROUTE socket, bound to the network namespace the
calling thread is in when it is opened (the kernel keeps it there).

Every request carries its own sequence number; requests that change something ask for an acknowledgement
(NLM_F_ACK) and an NLMSG_ERROR with an errno becomes a KernelError carrying that errno; dumps are read,
datagram by datagram, up to NLMSG_DONE, and redone when the kernel flags one as interrupted by a change.
Several changes can go out in one datagram (`batch`): the kernel handles them in order and acknowledges each.
The bytes are _rtnl_codec's.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_GET_STRICT_CHK = 12  # Linux 4.20+: dump requests are checked, and their header fields filter the dump
RECV_SIZE = 1 << 18        # a dump datagram is at most 32 KiB (up to a few pages on big-page machines)
BUFFER_SIZE = 1 << 20      # queue room for a batch's acknowledgements
BATCH = 64                 # requests per datagram in a batch
DUMP_ATTEMPTS = 5
_LOCAL = threading.local()


class Rtnl:
    """A netlink route socket in the current thread's network namespace. close() when done."""

    def __init__(self, sock=None, timeout: Optional[float] = None):
        """`sock`: an open socket to talk over (tests); a new NETLINK_ROUTE one by default. `timeout`: seconds
        an answer may take (a socket.timeout, an OSError, after); none by default."""
        self._sock = sock if sock is not None else _open()
        if timeout is not None:
            self._sock.settimeout(timeout)
        self._seq = 0

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _next(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFFFFFF or 1
        return self._seq

    def _send(self, data: bytes) -> None:
        self._sock.send(data)

    def _replies(self, what: str, first: int, last: int) -> Iterable[Tuple[int, int, int, bytes]]:
        """(type, flags, seq, payload) of the kernel's messages for sequence numbers first..last, as they come;
        anything older (left over from an earlier request) is skipped."""
        while True:
            buffer = _buffer()
            size = self._sock.recv_into(buffer)
            try:
                replies = codec.split(bytes(memoryview(buffer)[:size]))
            except codec.CodecError as exc:
                raise KernelError("%s: the kernel's answer could not be read (%s)" % (what, exc)) from None
            for reply in replies:
                if first <= reply[2] <= last:
                    yield reply

    def request(self, what: str, msg_type: int, payload: bytes, flags: int = 0,
                ignore: Sequence[int] = ()) -> bool:
        """Send one change and wait for its acknowledgement; False when refused with an errno in `ignore`."""
        return self.batch(what, [(msg_type, payload, flags)], ignore)[0]

    def batch(self, what: str, requests: Sequence[Tuple[int, bytes, int]], ignore: Sequence[int] = ()) -> List[bool]:
        """Send changes (type, payload, flags), BATCH to a datagram, each acknowledged; one True per request
        done, False per one refused with an errno in `ignore`. Another refusal raises KernelError once all
        of the datagram's answers are read (the kernel goes on with the requests after a refused one)."""
        done: List[bool] = []
        for start in range(0, len(requests), BATCH):
            chunk = requests[start:start + BATCH]
            first = self._seq + 1
            data = b"".join(codec.nlmsg(msg_type, codec.NLM_F_REQUEST | codec.NLM_F_ACK | flags, self._next(),
                                        payload) for msg_type, payload, flags in chunk)
            self._send(data)
            answers = {}
            for msg_type, _flags, seq, body in self._replies(what, first, self._seq):
                if msg_type == codec.NLMSG_ERROR:
                    answers[seq] = codec.error_code(body)
                    if len(answers) == len(chunk):
                        break
            codes = [answers[first + offset] for offset in range(len(chunk))]
            failed = [code for code in codes if code and code not in ignore]
            if failed:
                raise KernelError("%s: %s" % (what, os.strerror(failed[0])), errno=failed[0])
            done += [code == 0 for code in codes]
        return done

    def get(self, what: str, msg_type: int, payload: bytes, ignore: Sequence[int] = ()) -> Optional[codec.Message]:
        """One object (e.g. RTM_GETLINK of a name); None when refused with an errno in `ignore`."""
        seq = self._next()
        self._send(codec.nlmsg(msg_type, codec.NLM_F_REQUEST, seq, payload))
        for reply_type, flags, _seq, body in self._replies(what, seq, seq):
            if reply_type == codec.NLMSG_ERROR:
                code = codec.error_code(body)
                if code in ignore:
                    return None
                raise KernelError("%s: %s" % (what, os.strerror(code)), errno=code)
            return _decoded(what, reply_type, body, flags, seq)
        return None  # not reached: _replies reads until an answer comes

    def dump(self, what: str, msg_type: int, payload: bytes,
             keep: Optional[Callable[[Dict[str, int]], bool]] = None) -> List[codec.Message]:
        """Every object of a kind (RTM_GETLINK, RTM_GETADDR ... with NLM_F_DUMP), in the kernel's order; with
        `keep`, those whose header fields it takes (the others' attributes are never decoded)."""
        for _attempt in range(DUMP_ATTEMPTS):
            seq = self._dump(msg_type, payload)
            messages, interrupted = self._dumped(what, seq, keep)
            if not interrupted:
                return messages
        raise KernelError("%s: the kernel's answer kept changing while read" % what)

    def dump_until(self, what: str, msg_type: int, payload: bytes, read: Callable[[int, bytes, int, int], Any]):
        """The first answer other than None of read(type, datagram, start, end) over a dump's messages, which
        stops the reading there (e.g. RTM_GETNEIGHTBL: the table comes first, then one entry per interface); None
        when the dump ends first. The kernel keeps a dump left unread going, so this socket takes no other dump
        after: use one of its own, closed afterwards."""
        seq = self._dump(msg_type, payload)
        try:
            for reply_type, _flags, data, start, end in self._answers(what, seq):
                found = read(reply_type, data, start, end) if reply_type != codec.NLMSG_DONE else None
                if found is not None:
                    return found
        except codec.CodecError as exc:
            raise KernelError("%s: the kernel's answer could not be read (%s)" % (what, exc)) from None
        return None

    def _dump(self, msg_type: int, payload: bytes) -> int:
        seq = self._next()
        self._send(codec.nlmsg(msg_type, codec.NLM_F_REQUEST | codec.NLM_F_DUMP, seq, payload))
        return seq

    def _dumped(self, what: str, seq: int, keep) -> Tuple[List[codec.Message], bool]:
        """(messages, whether the kernel flagged the dump interrupted) of the dump `seq`, read up to its end; each
        message decoded straight from its datagram (codec.decode_dump)."""
        messages: List[codec.Message] = []
        interrupted = False
        buffer, sock = _buffer(), self._sock
        while True:
            size = sock.recv_into(buffer)
            try:
                code, flagged = decode_dump(bytes(memoryview(buffer)[:size]), seq, messages, keep)
            except codec.CodecError as exc:
                raise KernelError("%s: the kernel's answer could not be read (%s)" % (what, exc)) from None
            interrupted = interrupted or flagged
            if code:
                raise KernelError("%s: %s" % (what, os.strerror(code)), errno=code)
            if code is not None:
                return messages, interrupted

    def _answers(self, what: str, seq: int) -> Iterator[Tuple[int, int, bytes, int, int]]:
        """(type, flags, datagram, start, end) of each message of the dump `seq` as it comes (its payload is
        datagram[start:end]), NLMSG_DONE last; an error the kernel ends it with raises. Anything left over from an
        earlier request is skipped (the loop of _replies, for the many messages of a dump)."""
        buffer = _buffer()
        while True:
            size = self._sock.recv_into(buffer)
            data = bytes(memoryview(buffer)[:size])
            for reply_type, flags, reply_seq, start, end in codec.spans(data):
                if reply_seq != seq:
                    continue
                if reply_type in (codec.NLMSG_DONE, codec.NLMSG_ERROR):
                    code = codec.error_code(data[start:end]) if end - start >= 4 else 0
                    if code:
                        raise KernelError("%s: %s" % (what, os.strerror(code)), errno=code)
                    yield codec.NLMSG_DONE, flags, data, start, end
                    return
                yield reply_type, flags, data, start, end


def decode_dump(data: bytes, seq: int, into: List[codec.Message], keep=None) -> Tuple[Optional[int], bool]:
    """The messages of the dump `seq` in one datagram, decoded into `into` (the types the codec knows, those
    `keep` takes; anything of another sequence number is left over from an earlier request and skipped):
    (None while the dump goes on, else the errno it ended with, 0 at NLMSG_DONE; whether the kernel flagged a
    message NLM_F_DUMP_INTR). What codec.spans() and codec.decode() do, in one pass."""
    offset, size, unpack, interrupted = 0, len(data), codec.NLMSG.unpack_from, False
    while offset < size:
        if size - offset < 16:   # NLMSG.size
            raise codec.CodecError("%d stray bytes after the messages" % (size - offset))
        length, msg_type, flags, reply_seq, _port = unpack(data, offset)
        if length < 16 or offset + length > size:
            raise codec.CodecError("a message of length %d at %d of %d bytes" % (length, offset, size))
        start, end = offset + 16, offset + length
        offset += (length + 3) & ~3
        if reply_seq != seq:
            continue
        interrupted = interrupted or bool(flags & codec.NLM_F_DUMP_INTR)
        if msg_type in (codec.NLMSG_DONE, codec.NLMSG_ERROR):
            return (codec.error_code(data[start:end]) if end - start >= 4 else 0), interrupted
        found = codec.layout(msg_type)
        if found is not None:
            message = codec.message_at(data, *found, msg_type, flags, seq, start, end, keep)
            if message is not None:
                into.append(message)
    return None, interrupted


def _buffer() -> bytearray:
    """This thread's receive buffer: one for all sockets (answers are copied out at once), none per datagram."""
    if not hasattr(_LOCAL, "buffer"):
        _LOCAL.buffer = bytearray(RECV_SIZE)
    return _LOCAL.buffer


def _open() -> socket.socket:
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
    except OSError as exc:
        raise KernelError("open a netlink socket: %s" % os.strerror(exc.errno or 0), errno=exc.errno) from None
    try:
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            sock.setsockopt(socket.SOL_SOCKET, option, BUFFER_SIZE)
        sock.bind((0, 0))
    except OSError as exc:
        sock.close()
        raise KernelError("bind a netlink socket: %s" % os.strerror(exc.errno or 0), errno=exc.errno) from None
    try:  # e.g. a route dump of the main table alone; an older kernel sends everything, and the reader filters
        sock.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
    except OSError:
        pass
    return sock


def _decoded(what: str, msg_type: int, body: bytes, flags: int, seq: int) -> Optional[codec.Message]:
    try:
        return codec.decode(msg_type, body, flags, seq)
    except codec.CodecError as exc:
        raise KernelError("%s: the kernel's answer could not be read (%s)" % (what, exc)) from None
