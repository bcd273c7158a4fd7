# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each call of the netlink adapter asks the kernel for, against a recording stand-in for pyroute2's IPRoute
(the message stand-ins are in conftest.py; the real kernel is tests/integration/test_netlink.py)."""
import errno
import subprocess
import sys

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _netlink_parse, _sysctl
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import (
    INSTALL_PYROUTE2,
    Link,
    Netlink,
    NetnsView,
    bridge_mac,
    sysctl_path,
)


class FakeNetlinkError(Exception):
    def __init__(self, code):
        super().__init__(code, "error %d" % code)
        self.code = code


class FakeIPRoute:
    """Answers link lookups from `links`, records every request, fails those listed in `failures`."""

    def __init__(self, links=(), failures=None):
        self.links = {message.get_attr("IFLA_IFNAME"): message for message in links}
        self.failures = dict(failures or {})  # (method, command) -> errno, or a list of errnos consumed in turn
        self.requests = []
        self.closed = False

    def _answer(self, method, command, kwargs):
        self.requests.append((method, command, kwargs))
        failure = self.failures.get((method, command))
        if isinstance(failure, list):
            failure = failure.pop(0) if failure else None
        if failure:
            raise FakeNetlinkError(failure)
        return []

    def link(self, command, **kwargs):
        if command == "get":
            if kwargs["ifname"] not in self.links:
                raise FakeNetlinkError(errno.ENODEV)
            return [self.links[kwargs["ifname"]]]
        if command == "add" and kwargs["ifname"] in self.links:
            self.requests.append(("link", command, kwargs))
            raise FakeNetlinkError(errno.EEXIST)
        return self._answer("link", command, kwargs)

    def addr(self, command, **kwargs):
        return self._answer("addr", command, kwargs)

    def route(self, command, **kwargs):
        return self._answer("route", command, kwargs)

    def close(self):
        self.closed = True


def adapter(*links, failures=None):
    host = FakeIPRoute(links, failures)
    return Netlink(library=(lambda: host, FakeNetlinkError)), host


def changes(host):
    return list(host.requests)


def test_a_missing_pyroute2_is_reported_at_construction_with_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyroute2", None)
    with pytest.raises(MissingDependency) as raised:
        Netlink()
    assert INSTALL_PYROUTE2 in raised.value.msg
    assert "interpreter %s on the managed node has no pyroute2" % sys.executable in raised.value.msg
    assert INSTALL_PYROUTE2 == ("install pyroute2: apt install python3-pyroute2, dnf install python3-pyroute2, "
                                "or pip install pyroute2")


def test_importing_the_adapter_does_not_import_pyroute2():
    code = ("import sys; from ansible_collections.linuxnet.containers.plugins.module_utils import _netlink; "
            "print('pyroute2' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": ":".join(sys.path)})
    assert proc.stdout.strip() == "False"


def test_the_records_and_helpers_the_engine_imports_from_the_adapter_are_the_split_modules_own():
    assert (Link, NetnsView, bridge_mac) == (_netlink_parse.Link, _netlink_parse.NetnsView, _netlink_parse.bridge_mac)
    assert sysctl_path is _sysctl.sysctl_path
    assert Netlink.get_sysctl is _sysctl.get_sysctl and Netlink.set_sysctl is _sysctl.set_sysctl


def test_kernel_refusals_name_the_operation_and_the_object(link_message):
    netlink, _host = adapter(link_message(3, "lnv1", kind="veth"), failures={("link", "set"): errno.EINVAL})
    with pytest.raises(KernelError) as raised:
        netlink.set_mtu("lnv1", 1)
    assert raised.value.msg == "set mtu 1 of lnv1: Invalid argument" and raised.value.details["errno"] == errno.EINVAL
    with pytest.raises(KernelError, match="interface nothere does not exist"):
        netlink.set_up("nothere")


def test_create_bridge_creates_with_a_fixed_mac_or_configures_an_existing_bridge_and_refuses_other_kinds(
        link_message):
    netlink, host = adapter()
    with pytest.raises(KernelError):  # the stand-in does not learn links: the configure step finds none
        netlink.create_bridge("lnc-front", 1400, "mark")
    assert changes(host)[0] == ("link", "add", {"ifname": "lnc-front", "kind": "bridge", "mtu": 1400,
                                                "address": bridge_mac("lnc-front")})
    netlink, host = adapter(link_message(2, "lnc-front", kind="bridge"))
    netlink.create_bridge("lnc-front", 1400, "mark")
    assert changes(host) == [("link", "set", {"index": 2, "mtu": 1400, "ifalias": "mark", "state": "up"})]
    netlink, host = adapter(link_message(2, "eth0", kind="veth"))
    with pytest.raises(KernelError, match="create bridge eth0: an interface of kind veth has that name"):
        netlink.create_bridge("eth0", 1500, "mark")
    assert changes(host) == []


def test_addresses_and_links_already_as_wanted_are_no_error(link_message):
    netlink, host = adapter(link_message(2, "br0", kind="bridge"), failures={
        ("addr", "add"): errno.EEXIST, ("addr", "del"): errno.EADDRNOTAVAIL})
    netlink.add_address("br0", "172.31.0.1/24")
    netlink.del_address("br0", "172.31.0.9/24")
    netlink.del_address("nothere", "172.31.0.9/24")
    netlink.delete_link("nothere")
    netlink.delete_link("eth0", netns="/run/netns/does-not-exist")
    assert changes(host) == [
        ("addr", "add", {"index": 2, "address": "172.31.0.1", "prefixlen": 24, "broadcast": "172.31.0.255"}),
        ("addr", "del", {"index": 2, "address": "172.31.0.9", "prefixlen": 24}),
    ]


def test_set_port_attaches_only_when_needed_and_sets_both_flags(link_message):
    bridge = link_message(2, "br0", kind="bridge")
    netlink, host = adapter(bridge, link_message(5, "lnv1", kind="veth", master=2, port={"IFLA_BRPORT_ISOLATED": 0}))
    netlink.set_port("lnv1", "br0", False)
    assert changes(host) == [("link", "set", {"index": 5, "kind": "bridge_slave", "isolated": 0, "mode": 1})]
    netlink, host = adapter(bridge, link_message(5, "lnv1", kind="veth"))
    with pytest.raises(KernelError, match="this kernel lacks it"):  # the stand-in never shows the flag set
        netlink.set_port("lnv1", "br0", True)
    assert changes(host) == [("link", "set", {"index": 5, "master": 2}),
                             ("link", "set", {"index": 5, "kind": "bridge_slave", "isolated": 1, "mode": 1})]


def test_create_veth_refuses_a_host_name_that_is_not_its_own(link_message):
    netlink, host = adapter(link_message(2, "br0", kind="bridge"),
                            link_message(7, "lnv1", kind="dummy", IFLA_IFALIAS="the user's"))
    with pytest.raises(KernelError, match="lnv1 already exists and is not this endpoint's veth") as raised:
        netlink.create_veth("lnv1", "eth0", "/proc/self/ns/net", 1500, "02:42:ac:11:00:02", "ours", "br0", False)
    assert raised.value.details["errno"] == errno.EEXIST
    assert [(method, command) for method, command, _kwargs in changes(host)] == [("link", "add")]
    assert changes(host)[0][2]["peer"]["ifname"] == "eth0" and changes(host)[0][2]["master"] == 2


def test_close_closes_every_socket_once():
    netlink, host = adapter()
    netlink.close()
    assert host.closed
    netlink.close()


def test_delete_links_marks_the_present_links_with_an_unused_group_and_deletes_the_group_at_once(link_message):
    links = [link_message(3, "lnv1", kind="veth"), link_message(4, "lnv2", kind="veth", IFLA_GROUP=0x6C6E0000)]
    netlink, host = adapter(*links)
    host.get_links = lambda: links
    netlink.delete_links(["lnv2", "gone", "lnv1", "lnv1"])
    assert changes(host) == [("link", "set", {"index": 3, "group": 0x6C6E0001}),
                             ("link", "set", {"index": 4, "group": 0x6C6E0001}),
                             ("link", "del", {"group": 0x6C6E0001})]


def test_delete_links_puts_the_groups_back_when_the_kernel_refuses(link_message):
    links = [link_message(3, "eth0"), link_message(4, "lnv2", kind="veth", IFLA_GROUP=7)]
    netlink, host = adapter(*links, failures={("link", "del"): errno.EOPNOTSUPP})
    host.get_links = lambda: links
    with pytest.raises(KernelError, match="delete eth0, lnv2: Operation not supported"):
        netlink.delete_links(["eth0", "lnv2"])
    assert changes(host)[-2:] == [("link", "set", {"index": 3, "group": 0}), ("link", "set", {"index": 4, "group": 7})]


def test_delete_links_of_one_link_is_a_plain_delete(link_message):
    netlink, host = adapter(link_message(3, "lnv1", kind="veth"))
    netlink.delete_links(["lnv1", "gone"])
    assert changes(host) == [("link", "del", {"index": 3})]
