# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each call of the netlink adapter asks the kernel for, against a recording stand-in for its rtnetlink
socket (the message stand-ins are in conftest.py; the real kernel is tests/integration/test_netlink.py)."""
import errno
import os
import socket
import struct
import subprocess
import sys

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import (
    _netlink6,
    _netlink_parse,
    _rtnl_codec,
    _sysctl,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import (
    Link,
    Netlink,
    NetnsView,
    bridge_mac,
    sysctl_path,
)

TYPES = {_rtnl_codec.RTM_NEWLINK: "newlink", _rtnl_codec.RTM_SETLINK: "setlink", _rtnl_codec.RTM_DELLINK: "dellink",
         _rtnl_codec.RTM_NEWADDR: "newaddr", _rtnl_codec.RTM_DELADDR: "deladdr", _rtnl_codec.RTM_NEWROUTE: "newroute"}


class FakeRtnl:
    """Answers link lookups from `links` and dumps from `dumps` (type -> messages), records every change as
    (kind, attributes and header fields it carries), fails those listed in `failures` (kind -> errno, or a list
    of errnos consumed in turn). A change naming a link not in `links` is ENODEV, creating one there EEXIST."""

    def __init__(self, links=(), failures=None, dumps=None):
        self.links = {message.get_attr("IFLA_IFNAME"): message for message in links}
        self.failures = dict(failures or {})
        self.dumps = dict(dumps or {})
        self.requests = []
        self.lookups = []
        self.dumped = []
        self.closed = False

    def _failure(self, kind, message, flags):
        failure = self.failures.get(kind)
        if isinstance(failure, list):
            failure = failure.pop(0) if failure else None
        name = message.get_attr("IFLA_IFNAME") if kind in ("newlink", "setlink", "dellink") else None
        if failure is None and name is not None and not message["index"]:
            if flags & _rtnl_codec.NLM_F_CREATE:
                failure = errno.EEXIST if name in self.links else None
            elif name not in self.links:
                failure = errno.ENODEV
        return failure

    def batch(self, what, requests, ignore=()):
        done = []
        for msg_type, payload, flags in requests:
            kind, message = TYPES[msg_type], _rtnl_codec.decode(msg_type, payload)
            self.requests.append((kind, summary(message)))
            failure = self._failure(kind, message, flags)
            if failure and failure not in ignore:
                raise KernelError("%s: %s" % (what, os.strerror(failure)), errno=failure)
            if not failure and kind == "newlink" and flags & _rtnl_codec.NLM_F_CREATE:  # learn what was made
                data = message.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA")
                for made in (message, data and data.get_attr("VETH_INFO_PEER")):
                    if made:
                        self.links[made.get_attr("IFLA_IFNAME")] = made
            done.append(not failure)
        return done

    def request(self, what, msg_type, payload, flags=0, ignore=()):
        return self.batch(what, [(msg_type, payload, flags)], ignore)[0]

    def get(self, what, msg_type, payload, ignore=()):
        name = _rtnl_codec.decode(msg_type, payload).get_attr("IFLA_IFNAME")
        self.lookups.append(name)
        if name in self.links:
            return self.links[name]
        if errno.ENODEV in ignore:
            return None
        raise KernelError("%s: %s" % (what, os.strerror(errno.ENODEV)), errno=errno.ENODEV)

    def dump(self, _what, msg_type, payload, keep=None):
        """The dump's messages; with `keep`, those whose header fields it takes, as _rtnl.Rtnl.dump."""
        self.lookups.append(msg_type)
        self.dumped.append((msg_type, summary(_rtnl_codec.decode(msg_type, payload))))
        return [m for m in self.dumps.get(msg_type, ()) if keep is None or keep(dict(m))]

    def close(self):
        self.closed = True


def summary(message):
    """What a request carries: its attributes (nested ones as dicts) and its non-zero header fields."""
    found = {key: value for key, value in message.fields.items() if value}
    for name, value in message.attrs.items():
        found[name] = summary(value) if isinstance(value, _rtnl_codec.Message) else value
    return found


def adapter(*links, failures=None, dumps=None):
    host = FakeRtnl(links, failures, dumps)
    return Netlink(library=lambda: host), host


def changes(host):
    return list(host.requests)


def test_the_adapter_needs_no_third_party_library(monkeypatch, link_message):
    monkeypatch.setitem(sys.modules, "pyroute2", None)
    netlink, host = adapter(link_message(1, "lo"))
    netlink.set_up("lo")
    netlink.close()
    assert host.closed and changes(host) == [("setlink", {"flags": 1, "change": 1, "IFLA_IFNAME": "lo"})]


def test_importing_and_opening_the_adapter_does_not_import_pyroute2():
    code = ("import sys; from ansible_collections.linuxnet.containers.plugins.module_utils import _netlink_vxlan; "
            "_netlink_vxlan.OverlayNetlink(library=lambda: None); print('pyroute2' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": ":".join(sys.path)})
    assert proc.stdout.strip() == "False"


def test_the_records_and_helpers_the_engine_imports_from_the_adapter_are_the_split_modules_own():
    assert (Link, NetnsView, bridge_mac) == (_netlink_parse.Link, _netlink_parse.NetnsView, _netlink_parse.bridge_mac)
    assert sysctl_path is _sysctl.sysctl_path
    assert Netlink.get_sysctl is _sysctl.get_sysctl and Netlink.set_sysctl is _sysctl.set_sysctl


def test_kernel_refusals_name_the_operation_and_the_object(link_message):
    netlink, _host = adapter(link_message(3, "lnv1", kind="veth"), failures={"setlink": errno.EINVAL})
    with pytest.raises(KernelError) as raised:
        netlink.set_mtu("lnv1", 1)
    assert raised.value.msg == "set mtu 1 of lnv1: Invalid argument" and raised.value.details["errno"] == errno.EINVAL
    netlink, _host = adapter()
    with pytest.raises(KernelError, match="interface nothere does not exist") as raised:
        netlink.set_up("nothere")
    assert raised.value.details["errno"] == errno.ENODEV


def test_create_bridge_creates_with_a_fixed_mac_or_configures_an_existing_bridge_and_refuses_other_kinds(
        link_message):
    netlink, host = adapter()
    netlink.create_bridge("lnc-front", 1400, "mark")
    created = {"IFLA_IFNAME": "lnc-front", "IFLA_MTU": 1400, "IFLA_ADDRESS": bridge_mac("lnc-front"),
               "IFLA_LINKINFO": {"IFLA_INFO_KIND": "bridge"}}
    assert changes(host)[0] == ("newlink", created)
    netlink, host = adapter(link_message(2, "lnc-front", kind="bridge"))
    netlink.create_bridge("lnc-front", 1400, "mark")
    assert changes(host) == [("newlink", created), ("setlink", {
        "flags": 1, "change": 1, "IFLA_IFNAME": "lnc-front", "IFLA_MTU": 1400, "IFLA_IFALIAS": "mark"})]
    netlink, host = adapter(link_message(2, "eth0", kind="veth"))
    with pytest.raises(KernelError, match="create bridge eth0: an interface of kind veth has that name"):
        netlink.create_bridge("eth0", 1500, "mark")
    assert [kind for kind, _attrs in changes(host)] == ["newlink"]


def test_addresses_and_links_already_as_wanted_are_no_error(link_message):
    netlink, host = adapter(link_message(2, "br0", kind="bridge"), failures={
        "newaddr": errno.EEXIST, "deladdr": errno.EADDRNOTAVAIL})
    netlink.add_address("br0", "172.31.0.1/24")
    netlink.del_address("br0", "172.31.0.9/24")
    netlink.del_address("nothere", "172.31.0.9/24")
    netlink.delete_link("nothere")
    netlink.delete_link("eth0", netns="/run/netns/does-not-exist")
    assert changes(host) == [
        ("newaddr", {"family": socket.AF_INET, "prefixlen": 24, "index": 2, "IFA_LOCAL": "172.31.0.1",
                     "IFA_ADDRESS": "172.31.0.1", "IFA_BROADCAST": "172.31.0.255"}),
        ("deladdr", {"family": socket.AF_INET, "prefixlen": 24, "index": 2, "IFA_LOCAL": "172.31.0.9",
                     "IFA_ADDRESS": "172.31.0.9"}),
        ("dellink", {"IFLA_IFNAME": "nothere"}),
    ]
    assert host.lookups == ["br0", "nothere"]  # br0's index is looked up once


def test_an_ipv6_address_is_added_without_dad_and_routes_use_the_index_the_last_read_showed(link_message):
    netlink, host = adapter(link_message(1, "lo"), link_message(7, "eth0"),
                            dumps={_rtnl_codec.RTM_GETLINK: [link_message(1, "lo"), link_message(7, "eth0")]})
    netlink.host_links()
    netlink.add_address6("eth0", "fd00::2/64")
    netlink.set_default_route6("/proc/self/ns/net", "fd00::1", "eth0")
    netlink.set_default_route("/proc/self/ns/net", "172.31.0.1", "eth0")
    assert changes(host) == [
        ("newaddr", {"family": socket.AF_INET6, "prefixlen": 64, "flags": 2, "index": 7, "IFA_ADDRESS": "fd00::2"}),
        ("newroute", {"family": socket.AF_INET6, "table": 254, "proto": 3, "type": 1, "RTA_GATEWAY": "fd00::1",
                      "RTA_OIF": 7, "RTA_TABLE": 254}),
        ("newroute", {"family": socket.AF_INET, "table": 254, "proto": 3, "type": 1, "RTA_GATEWAY": "172.31.0.1",
                      "RTA_OIF": 7, "RTA_TABLE": 254})]
    assert host.lookups == [_rtnl_codec.RTM_GETLINK, _rtnl_codec.RTM_GETADDR]  # no name lookups


def test_an_index_that_went_stale_is_looked_up_again_once(link_message):
    netlink, host = adapter(link_message(9, "eth0"), failures={"newaddr": [errno.ENODEV]},
                            dumps={_rtnl_codec.RTM_GETLINK: [link_message(7, "eth0")]})
    netlink.host_links()
    netlink.add_address("eth0", "172.31.0.2/24")
    assert [attrs["index"] for _kind, attrs in changes(host)] == [7, 9]
    assert host.lookups[-1] == "eth0"
    netlink, host = adapter(failures={"newaddr": [errno.ENODEV]})
    with pytest.raises(KernelError, match="interface eth0 does not exist"):
        netlink.add_address("eth0", "172.31.0.2/24")


def test_a_namespace_is_read_with_three_dumps_and_addresses_and_routes_split_by_family(
        monkeypatch, message, link_message, route):
    monkeypatch.setattr(_netlink6.namespaces, "entered", None)   # IPv6 settings too come without entering it
    conf = _rtnl_codec.nested(socket.AF_INET6, _rtnl_codec.rtattr(2, struct.pack("=7i", 0, 64, 1280, 2, 1, 1, 1)))
    addresses = [message({"IFA_LOCAL": "172.31.0.2", "IFA_ADDRESS": "172.31.0.2"}, family=2, index=7, prefixlen=24,
                         scope=0),
                 message({"IFA_ADDRESS": "fd00::2"}, family=10, index=7, prefixlen=64, scope=0),
                 message({"IFA_ADDRESS": "fe80::2"}, family=10, index=7, prefixlen=64, scope=253)]
    routes = [dict_route(route(None, 0, RTA_GATEWAY="172.31.0.1", RTA_OIF=7), 2),
              dict_route(route(None, 0, RTA_GATEWAY="fe80::1", RTA_OIF=7), 10),
              dict_route(route(None, 0, RTA_GATEWAY="192.0.2.1", RTA_OIF=7), 128)]
    routes.append(dict_route(route(None, 0, table=255, RTA_GATEWAY="172.31.0.9", RTA_OIF=7), 2))  # not main: ignored
    routes.append(Unread(dict_route(route("172.31.0.0", 24), 2)))   # not a default route: its attributes are not read
    links = [link_message(1, "lo", IFLA_AF_SPEC=conf), link_message(7, "eth0", IFLA_AF_SPEC=conf),
             link_message(8, "eth1")]
    netlink, host = adapter(dumps={_rtnl_codec.RTM_GETLINK: links,
                                   _rtnl_codec.RTM_GETADDR: addresses, _rtnl_codec.RTM_GETROUTE: routes})
    view = netlink.netns_view("/proc/self/ns/net")
    assert host.lookups == [_rtnl_codec.RTM_GETLINK, _rtnl_codec.RTM_GETADDR, _rtnl_codec.RTM_GETROUTE]
    assert host.dumped == [(_rtnl_codec.RTM_GETLINK, {"IFLA_EXT_MASK": _rtnl_codec.RTEXT_FILTER_SKIP_STATS}),
                           (_rtnl_codec.RTM_GETADDR, {}), (_rtnl_codec.RTM_GETROUTE, {"table": 254})]
    assert view.ipv6_conf == {"eth0": {"accept_ra": "2", "autoconf": "1"}, "eth1": {}}  # lo left out
    assert (view.links["eth0"].addresses, view.links["eth0"].addresses6) == (("172.31.0.2/24",), ("fd00::2/64",))
    assert (view.default_gateway, view.default_dev, view.default_gateway6, view.default_dev6) == \
        ("172.31.0.1", "eth0", "fe80::1", "eth0")


class Unread(dict):
    """A message whose attributes must never be read (the dump's `keep` refuses it by its header)."""

    def get_attr(self, name):
        raise AssertionError("%s of %r was read" % (name, self))


def dict_route(message, family):
    message["family"] = family
    return message


def test_set_port_attaches_only_when_needed_and_sets_both_flags(link_message):
    bridge = link_message(2, "br0", kind="bridge")
    netlink, host = adapter(bridge, link_message(5, "lnv1", kind="veth", master=2, port={"IFLA_BRPORT_ISOLATED": 0}))
    netlink.set_port("lnv1", "br0", False)
    flags = {"IFLA_IFNAME": "lnv1", "IFLA_LINKINFO": {"IFLA_INFO_SLAVE_KIND": "bridge", "IFLA_INFO_SLAVE_DATA": {
        "IFLA_BRPORT_ISOLATED": 0, "IFLA_BRPORT_MODE": 1}}}
    assert changes(host) == [("newlink", flags)]
    netlink, host = adapter(bridge, link_message(5, "lnv1", kind="veth"))
    with pytest.raises(KernelError, match="this kernel lacks it"):  # the stand-in never shows the flag set
        netlink.set_port("lnv1", "br0", True)
    flags["IFLA_LINKINFO"]["IFLA_INFO_SLAVE_DATA"]["IFLA_BRPORT_ISOLATED"] = 1
    assert changes(host) == [("setlink", {"IFLA_IFNAME": "lnv1", "IFLA_MASTER": 2}), ("newlink", flags)]


def test_a_new_veth_is_one_request_with_the_peer_in_the_namespace_then_flags_and_up(link_message):
    netlink, host = adapter(link_message(2, "br0", kind="bridge"))
    netlink.create_veth("lnv9", "eth9", "/proc/self/ns/net", 1400, "02:42:ac:1f:00:02", "ours", "br0", False)
    (kind, created), = changes(host)[:1]
    peer = created["IFLA_LINKINFO"]["IFLA_INFO_DATA"]["VETH_INFO_PEER"]
    assert kind == "newlink" and (created["IFLA_IFNAME"], created["IFLA_MTU"], created["IFLA_MASTER"]) == \
        ("lnv9", 1400, 2)
    assert (peer["IFLA_IFNAME"], peer["IFLA_MTU"], peer["IFLA_ADDRESS"]) == ("eth9", 1400, "02:42:ac:1f:00:02")
    assert "IFLA_NET_NS_FD" in peer and "flags" not in peer  # a veth's peer cannot be made up with the pair
    assert [(kind, attrs.get("IFLA_IFNAME"), attrs.get("IFLA_IFALIAS"), attrs.get("flags")) for kind, attrs in
            changes(host)[1:]] == [("newlink", "lnv9", "ours", 1), ("setlink", "eth9", None, 1)]


def test_create_veth_refuses_a_host_name_that_is_not_its_own(link_message):
    netlink, host = adapter(link_message(2, "br0", kind="bridge"),
                            link_message(7, "lnv1", kind="dummy", IFLA_IFALIAS="the user's"))
    with pytest.raises(KernelError, match="lnv1 already exists and is not this endpoint's veth") as raised:
        netlink.create_veth("lnv1", "eth0", "/proc/self/ns/net", 1500, "02:42:ac:11:00:02", "ours", "br0", False)
    assert raised.value.details["errno"] == errno.EEXIST
    assert [kind for kind, _attrs in changes(host)] == ["newlink"]
    assert changes(host)[0][1]["IFLA_MASTER"] == 2


def test_close_closes_every_socket_once():
    netlink, host = adapter()
    netlink.close()
    assert host.closed
    netlink.close()


def test_delete_links_marks_the_present_links_with_an_unused_group_and_deletes_the_group_at_once(link_message):
    links = [link_message(3, "lnv1", kind="veth"), link_message(4, "lnv2", kind="veth", IFLA_GROUP=0x6C6E0000)]
    netlink, host = adapter(*links, dumps={_rtnl_codec.RTM_GETLINK: links})
    netlink.delete_links(["lnv2", "gone", "lnv1", "lnv1"])
    assert changes(host) == [("setlink", {"index": 3, "IFLA_GROUP": 0x6C6E0001}),
                             ("setlink", {"index": 4, "IFLA_GROUP": 0x6C6E0001}),
                             ("dellink", {"IFLA_GROUP": 0x6C6E0001})]
    assert host.lookups == [_rtnl_codec.RTM_GETLINK]


def test_delete_links_puts_the_groups_back_when_the_kernel_refuses(link_message):
    links = [link_message(3, "eth0"), link_message(4, "lnv2", kind="veth", IFLA_GROUP=7)]
    netlink, host = adapter(*links, failures={"dellink": errno.EOPNOTSUPP}, dumps={_rtnl_codec.RTM_GETLINK: links})
    with pytest.raises(KernelError, match="delete eth0, lnv2: Operation not supported"):
        netlink.delete_links(["eth0", "lnv2"])
    assert changes(host)[-2:] == [("setlink", {"index": 3, "IFLA_GROUP": 0}),
                                  ("setlink", {"index": 4, "IFLA_GROUP": 7})]


def test_delete_links_of_one_link_is_a_plain_delete(link_message):
    links = [link_message(3, "lnv1", kind="veth")]
    netlink, host = adapter(*links, dumps={_rtnl_codec.RTM_GETLINK: links})
    netlink.delete_links(["lnv1", "gone"])
    assert changes(host) == [("dellink", {"IFLA_IFNAME": "lnv1"})]


def test_a_route_dump_of_a_main_table_never_made_is_empty_and_other_refusals_are_errors():
    """With strict checking the kernel answers ENOENT for an IPv4 main table that has never held a route."""
    netlink, host = adapter()

    def refused(code):
        def dump(what, _msg_type, _payload, keep=None):
            del keep
            raise KernelError("%s: %s" % (what, os.strerror(code)), errno=code)
        return dump
    host.dump = refused(errno.ENOENT)
    assert netlink.host_routes() == []
    host.dump = refused(errno.EPERM)
    with pytest.raises(KernelError, match="read host routes"):
        netlink.host_routes()


def test_a_path_without_a_namespace_is_refused_as_open_namespace_words_it(tmp_path, link_message):
    netlink, host = adapter(link_message(2, "eth0"))
    with pytest.raises(KernelError) as raised:
        netlink.set_mtu("eth0", 1400, netns=str(tmp_path / "gone"))
    assert raised.value.msg == "open network namespace %s: No such file or directory" % (tmp_path / "gone")
    assert raised.value.details["errno"] == errno.ENOENT
    (tmp_path / "plain").write_text("")
    with pytest.raises(KernelError, match="plain: not a namespace \\(nothing is mounted on it\\)"):
        netlink.set_mtu("eth0", 1400, netns=str(tmp_path / "plain"))
    with pytest.raises(KernelError, match="uts: not a network namespace") as raised:
        netlink.set_mtu("eth0", 1400, netns="/proc/self/ns/uts")
    assert raised.value.details["errno"] == errno.EINVAL and changes(host) == []
    netlink.set_mtu("eth0", 1400, netns="/proc/self/ns/net")   # the host's own: its socket, opened once
    assert changes(host) == [("setlink", {"IFLA_IFNAME": "eth0", "IFLA_MTU": 1400})]
