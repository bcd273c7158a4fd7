# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rtnetlink client's conversation, against a scripted stand-in for the kernel's side of the socket
(the real socket is proven by tests/integration/test_netlink.py and every test that wires endpoints)."""
import errno
import struct

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _rtnl_codec as codec
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._rtnl import Rtnl, decode_dump


class ScriptedSocket:
    """Records what is sent; answers each send with answer(messages sent) -> list of datagrams."""

    def __init__(self, answer):
        self.answer = answer
        self.sent = []
        self.queue = []
        self.closed = False

    def send(self, data):
        messages = codec.split(data)
        self.sent.append(messages)
        self.queue += self.answer(messages)
        return len(data)

    def recv_into(self, buffer):
        data = self.queue.pop(0)
        buffer[:len(data)] = data
        return len(data)

    def close(self):
        self.closed = True


def ack(seq, code=0):
    return codec.nlmsg(codec.NLMSG_ERROR, 0, seq, struct.pack("=i", -code) + b"\0" * 16)


def done(seq, flags=codec.NLM_F_MULTI):
    return codec.nlmsg(codec.NLMSG_DONE, flags, seq, b"\0" * 4)


def link(seq, index, name, flags=codec.NLM_F_MULTI):
    return codec.nlmsg(codec.RTM_NEWLINK, flags, seq, codec.link(index=index, ifname=name))


def client(answer):
    sock = ScriptedSocket(answer)
    return Rtnl(sock), sock


def test_a_change_is_acknowledged_and_an_errno_becomes_a_kernel_error_unless_ignored():
    codes = [0, errno.EEXIST, errno.EINVAL]
    rtnl, sock = client(lambda messages: [ack(messages[0][2], codes.pop(0))])
    assert rtnl.request("add", codec.RTM_NEWADDR, codec.ifaddrmsg(2), codec.NLM_F_CREATE) is True
    assert rtnl.request("add", codec.RTM_NEWADDR, codec.ifaddrmsg(2), ignore=(errno.EEXIST,)) is False
    with pytest.raises(KernelError) as raised:
        rtnl.request("set mtu of x", codec.RTM_SETLINK, codec.link(index=3))
    assert raised.value.msg == "set mtu of x: Invalid argument" and raised.value.details["errno"] == errno.EINVAL
    kind, flags, seq, _payload = sock.sent[0][0]
    assert (kind, flags, seq) == (codec.RTM_NEWADDR, codec.NLM_F_REQUEST | codec.NLM_F_ACK | codec.NLM_F_CREATE, 1)
    assert [sent[0][2] for sent in sock.sent] == [1, 2, 3]


def test_a_dump_reads_every_datagram_to_done_and_skips_stale_answers():
    def answer(messages):
        seq = messages[0][2]
        return [ack(seq - 1) + link(seq - 1, 9, "stale"), link(seq, 1, "lo") + link(seq, 2, "eth0"),
                link(seq, 3, "br0") + done(seq)]
    rtnl, sock = client(answer)
    names = [m.get_attr("IFLA_IFNAME") for m in rtnl.dump("read links", codec.RTM_GETLINK, codec.ifinfomsg())]
    assert names == ["lo", "eth0", "br0"]
    assert sock.sent[0][0][1] == codec.NLM_F_REQUEST | codec.NLM_F_DUMP


def test_an_interrupted_dump_is_read_again_and_a_failed_one_is_an_error():
    rounds = []

    def answer(messages):
        seq = messages[0][2]
        rounds.append(seq)
        flags = codec.NLM_F_MULTI | (codec.NLM_F_DUMP_INTR if len(rounds) == 1 else 0)
        return [link(seq, 1, "lo", flags) + done(seq, flags)]
    rtnl, _sock = client(answer)
    assert len(rtnl.dump("read links", codec.RTM_GETLINK, codec.ifinfomsg())) == 1 and rounds == [1, 2]
    rtnl, _sock = client(lambda messages: [codec.nlmsg(codec.NLMSG_DONE, 2, messages[0][2], struct.pack("=i", -95))])
    with pytest.raises(KernelError, match="read the fdb: Operation not supported"):
        rtnl.dump("read the fdb", codec.RTM_GETNEIGH, codec.ndmsg(7))
    rtnl, _sock = client(lambda messages: [link(messages[0][2], 1, "lo", codec.NLM_F_DUMP_INTR) +
                                           done(messages[0][2])])
    with pytest.raises(KernelError, match="kept changing"):
        rtnl.dump("read links", codec.RTM_GETLINK, codec.ifinfomsg())


def test_get_answers_one_object_or_none_for_an_ignored_errno():
    rtnl, _sock = client(lambda messages: [link(messages[0][2], 4, "lnv1", 0)])
    assert rtnl.get("look up lnv1", codec.RTM_GETLINK, codec.link(ifname="lnv1"))["index"] == 4
    rtnl, _sock = client(lambda messages: [ack(messages[0][2], errno.ENODEV)])
    assert rtnl.get("look up x", codec.RTM_GETLINK, codec.link(ifname="x"), ignore=(errno.ENODEV,)) is None
    with pytest.raises(KernelError, match="No such device"):
        rtnl.get("look up x", codec.RTM_GETLINK, codec.link(ifname="x"))


def test_a_batch_goes_out_in_datagrams_of_64_and_reports_after_reading_every_answer():
    def answer(messages):
        return [b"".join(ack(seq, errno.ENODEV if codec.decode(kind, payload)["index"] == 2 else 0)
                         for kind, _flags, seq, payload in messages)]
    rtnl, sock = client(answer)
    requests = [(codec.RTM_SETLINK, codec.link(index=i, group=5), 0) for i in range(70)]
    results = rtnl.batch("mark", requests, ignore=(errno.ENODEV,))
    assert [len(sent) for sent in sock.sent] == [64, 6]
    assert results == [True, True, False] + [True] * 67
    with pytest.raises(KernelError, match="mark: No such device"):
        rtnl.batch("mark", requests[:4])
    assert rtnl.request("again", codec.RTM_SETLINK, codec.link(index=1)) is True  # nothing left unread
    rtnl.close()
    assert sock.closed
    rtnl.close()


def test_an_answer_that_does_not_add_up_is_a_kernel_error_not_a_crash():
    rtnl, _sock = client(lambda messages: [link(messages[0][2], 1, "lo")[:-3]])
    with pytest.raises(KernelError, match="read links: the kernel's answer could not be read"):
        rtnl.dump("read links", codec.RTM_GETLINK, codec.ifinfomsg())
    rtnl, _sock = client(lambda messages: [codec.nlmsg(codec.RTM_NEWLINK, 0, messages[0][2], b"\0" * 3)])
    with pytest.raises(KernelError, match="look up x: the kernel's answer could not be read"):
        rtnl.get("look up x", codec.RTM_GETLINK, codec.link(ifname="x"))


def test_a_dump_skips_message_types_it_does_not_know():
    rtnl, _sock = client(lambda messages: [codec.nlmsg(0x99, 2, messages[0][2], b"\1" * 8) +
                                           link(messages[0][2], 1, "lo") + done(messages[0][2])])
    assert [m["index"] for m in rtnl.dump("read links", codec.RTM_GETLINK, codec.ifinfomsg())] == [1]


def test_a_dump_with_keep_decodes_only_the_messages_it_takes_in_one_pass_over_each_datagram():
    def answer(messages):
        seq = messages[0][2]
        return [link(seq - 1, 9, "stale") + link(seq, 1, "lo") + link(seq, 2, "eth0"),
                link(seq, 3, "br0", flags=codec.NLM_F_MULTI | codec.NLM_F_DUMP_INTR) + done(seq)
                if len(sock.sent) == 1 else link(seq, 3, "br0") + done(seq)]
    rtnl, sock = client(answer)
    messages = rtnl.dump("read links", codec.RTM_GETLINK, codec.ifinfomsg(), keep=lambda fields: fields["index"] != 2)
    assert [m.get_attr("IFLA_IFNAME") for m in messages] == ["lo", "br0"] and len(sock.sent) == 2   # read again
    assert decode_dump(done(4), 4, []) == (0, False) and decode_dump(link(4, 1, "lo"), 5, []) == (None, False)
    with pytest.raises(KernelError, match="read links: the kernel's answer could not be read"):
        client(lambda messages: [b"\1\2\3"])[0].dump("read links", codec.RTM_GETLINK, codec.ifinfomsg())


def test_dump_until_stops_at_the_first_answer_and_leaves_the_rest_unread():
    rtnl, sock = client(lambda messages: [link(messages[0][2], 1, "lo") + link(messages[0][2], 2, "eth0"),
                                          link(messages[0][2], 3, "br0") + done(messages[0][2])])

    def name(kind, data, start, end):
        return codec.decode(kind, data, start=start, end=end).get_attr("IFLA_IFNAME")
    assert rtnl.dump_until("read", codec.RTM_GETLINK, codec.ifinfomsg(), name) == "lo" and len(sock.queue) == 1
    rtnl, sock = client(lambda messages: [link(messages[0][2], 1, "lo"), done(messages[0][2])])
    assert rtnl.dump_until("read", codec.RTM_GETLINK, codec.ifinfomsg(), lambda *message: None) is None
    assert not sock.queue
    rtnl, _sock = client(lambda messages: [ack(messages[0][2], errno.EOPNOTSUPP)])
    with pytest.raises(KernelError, match="read: Operation not supported"):
        rtnl.dump_until("read", codec.RTM_GETLINK, codec.ifinfomsg(), lambda *message: None)
