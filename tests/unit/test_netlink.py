# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink adapter's pure parts: message parsing, sysctl paths, names, and what each call asks the kernel
for (against a recording stand-in for pyroute2's IPRoute; the real kernel is tests/integration/test_netlink.py)."""
import errno
import subprocess
import sys

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import (
    InvalidOption,
    KernelError,
    MissingDependency,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import (
    INSTALL_PYROUTE2,
    Netlink,
    addresses_by_index,
    bridge_mac,
    broadcast_of,
    default_route,
    links_from,
    main_table_destinations,
    split_cidr,
    sysctl_path,
)


class Message(dict):
    """A netlink message as pyroute2 decodes it: header fields by key, attributes through get_attr()."""

    def __init__(self, attrs=None, **fields):
        super().__init__(fields)
        self.attrs = attrs or {}

    def get_attr(self, name):
        return self.attrs.get(name)


def link_message(index, ifname, kind=None, master=None, port=None, flags=1, **attrs):
    linkinfo = {}
    if kind:
        linkinfo["IFLA_INFO_KIND"] = kind
    if port is not None:
        linkinfo["IFLA_INFO_SLAVE_KIND"] = "bridge"
        linkinfo["IFLA_INFO_SLAVE_DATA"] = Message(port)
    attrs = dict({"IFLA_IFNAME": ifname, "IFLA_MTU": 1500, "IFLA_ADDRESS": "02:00:00:00:00:%02x" % index}, **attrs)
    if master:
        attrs["IFLA_MASTER"] = master
    if linkinfo:
        attrs["IFLA_LINKINFO"] = Message(linkinfo)
    return Message(attrs, index=index, flags=flags)


def route(dst, dst_len, table=254, **attrs):
    return Message(dict(attrs, RTA_DST=dst, RTA_TABLE=table), dst_len=dst_len, table=min(table, 252))


# pure helpers ------------------------------------------------------------------------------
@pytest.mark.parametrize("key, path", [
    ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
    ("net.ipv4.conf.all.forwarding", "/proc/sys/net/ipv4/conf/all/forwarding"),
    ("net.ipv4.conf.lnc-front.route_localnet", "/proc/sys/net/ipv4/conf/lnc-front/route_localnet"),
    ("net.ipv4.conf.br.0.route_localnet", "/proc/sys/net/ipv4/conf/br.0/route_localnet"),
    ("net.ipv6.conf.eth0.100.disable_ipv6", "/proc/sys/net/ipv6/conf/eth0.100/disable_ipv6"),
    ("net/ipv4/conf/br.0/route_localnet", "/proc/sys/net/ipv4/conf/br.0/route_localnet"),
    ("/proc/sys/net/ipv4/conf/br.0/route_localnet", "/proc/sys/net/ipv4/conf/br.0/route_localnet"),
])
def test_sysctl_keys_in_every_form_map_to_proc_sys(key, path):
    assert sysctl_path(key) == path


def test_a_path_outside_proc_sys_is_no_sysctl():
    with pytest.raises(KernelError, match="not under /proc/sys"):
        sysctl_path("/proc/sys/../../etc/passwd")


def test_bridge_mac_is_stable_unicast_locally_administered_and_apart_from_endpoint_macs():
    mac = bridge_mac("lnc-front")
    assert mac == bridge_mac("lnc-front") != bridge_mac("lnc-back")
    first = int(mac[:2], 16)
    assert first & 0x02 and not first & 0x01
    assert len(mac.split(":")) == 6 and not mac.startswith("02:42:")


@pytest.mark.parametrize("cidr, broadcast", [("172.17.0.1/16", "172.17.255.255"), ("10.0.0.9/24", "10.0.0.255"),
                                             ("10.0.0.0/31", None), ("10.0.0.1/32", None)])
def test_broadcast_is_set_as_brd_plus_would(cidr, broadcast):
    assert broadcast_of(cidr) == broadcast


def test_split_cidr_keeps_the_host_address():
    assert split_cidr("172.31.0.2/24") == ("172.31.0.2", 24)
    with pytest.raises(ValueError):
        split_cidr("172.31.0.300/24")


def test_links_read_kind_master_port_flags_alias_and_sorted_addresses():
    messages = [
        link_message(1, "lo", flags=1, IFLA_MTU=65536, IFLA_ADDRESS="00:00:00:00:00:00"),
        link_message(2, "br0", kind="bridge", IFLA_IFALIAS="linuxnet.containers network=front"),
        link_message(3, "veth1", kind="veth", master=2, port={"IFLA_BRPORT_ISOLATED": 1, "IFLA_BRPORT_MODE": 0}),
        link_message(4, "old", kind="veth", master=2, port={"IFLA_BRPORT_MODE": 1}, flags=0, IFLA_IFALIAS=""),
        Message({"IFLA_IFNAME": "tun0"}, index=5, flags=0),
    ]
    addresses = addresses_by_index([
        Message({"IFA_LOCAL": "172.31.0.1", "IFA_ADDRESS": "172.31.0.1"}, index=2, prefixlen=24),
        Message({"IFA_ADDRESS": "10.9.0.1"}, index=2, prefixlen=8),
        Message({"IFA_LOCAL": "172.31.0.10", "IFA_ADDRESS": "172.31.0.10"}, index=2, prefixlen=24),
    ])
    links = links_from(messages, addresses)
    assert links["br0"].addresses == ("10.9.0.1/8", "172.31.0.1/24", "172.31.0.10/24")
    assert (links["br0"].kind, links["br0"].alias, links["br0"].master, links["br0"].isolated) == \
        ("bridge", "linuxnet.containers network=front", None, None)
    assert (links["veth1"].master, links["veth1"].isolated, links["veth1"].hairpin, links["veth1"].up) == \
        ("br0", True, False, True)
    assert (links["old"].isolated, links["old"].hairpin, links["old"].up, links["old"].alias) == \
        (None, True, False, None)
    assert (links["lo"].kind, links["lo"].mtu, links["lo"].index) == (None, 65536, 1)
    assert (links["tun0"].mac, links["tun0"].mtu, links["tun0"].addresses) == ("", 0, ())


def test_host_routes_are_the_main_table_without_default_unique_and_sorted():
    messages = [route(None, 0, RTA_GATEWAY="198.51.100.2"), route("198.51.100.0", 24), route("10.98.0.0", 16),
                route("10.98.0.0", 16, RTA_PRIORITY=50), route("10.99.0.0", 16, table=1000),
                route("172.16.0.0", 12), route("9.0.0.0", 8)]
    assert main_table_destinations(messages) == ["9.0.0.0/8", "10.98.0.0/16", "172.16.0.0/12", "198.51.100.0/24"]


def test_the_default_route_is_the_lowest_metric_one():
    names = {2: "eth0", 3: "eth1"}
    assert default_route([], names) == (None, None)
    assert default_route([route("172.31.0.0", 24, RTA_OIF=2)], names) == (None, None)
    assert default_route([route(None, 0, RTA_GATEWAY="10.0.0.1", RTA_OIF=3, RTA_PRIORITY=100),
                          route(None, 0, RTA_GATEWAY="172.31.0.1", RTA_OIF=2),
                          route(None, 0, table=1000, RTA_GATEWAY="192.0.2.1", RTA_OIF=2)], names) == \
        ("172.31.0.1", "eth0")


# namespace names and files -----------------------------------------------------------------
def test_namespace_identity_tells_a_mounted_namespace_from_a_stale_file(tmp_path):
    stale = tmp_path / "stale"
    stale.write_text("")
    assert netns.identity(str(stale)) is None and netns.inode(str(tmp_path / "missing")) is None
    assert netns.inode("/proc/self/ns/net") == netns.identity(netns.thread_netns())[1]
    with pytest.raises(KernelError, match="not a namespace") as raised:
        netns.open_namespace(str(stale))
    assert raised.value.details["errno"] == errno.EINVAL
    with pytest.raises(KernelError, match="No such file") as raised:
        netns.open_namespace(str(tmp_path / "missing"))
    assert raised.value.details["errno"] == errno.ENOENT


@pytest.mark.parametrize("name", ["", "a/b", "..", "."])
def test_a_name_that_is_no_file_name_is_refused_before_anything_happens(name):
    for call in (lambda: netns.remove(name), lambda: netns.bind(name, "/proc/self/ns/net")):
        with pytest.raises(InvalidOption, match="cannot name a namespace"):
            call()


# the adapter against a recording stand-in ---------------------------------------------------
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
    assert raised.value.msg == INSTALL_PYROUTE2
    assert INSTALL_PYROUTE2 == ("install pyroute2: apt install python3-pyroute2, dnf install python3-pyroute2, "
                                "or pip install pyroute2")


def test_importing_the_adapter_does_not_import_pyroute2():
    code = ("import sys; from ansible_collections.linuxnet.containers.plugins.module_utils import _netlink; "
            "print('pyroute2' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": ":".join(sys.path)})
    assert proc.stdout.strip() == "False"


def test_kernel_refusals_name_the_operation_and_the_object():
    netlink, _host = adapter(link_message(3, "lnv1", kind="veth"), failures={("link", "set"): errno.EINVAL})
    with pytest.raises(KernelError) as raised:
        netlink.set_mtu("lnv1", 1)
    assert raised.value.msg == "set mtu 1 of lnv1: Invalid argument" and raised.value.details["errno"] == errno.EINVAL
    with pytest.raises(KernelError, match="interface nothere does not exist"):
        netlink.set_up("nothere")


def test_create_bridge_creates_with_a_fixed_mac_or_configures_an_existing_bridge_and_refuses_other_kinds():
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


def test_addresses_links_and_routes_already_as_wanted_are_no_error():
    netlink, host = adapter(link_message(2, "br0", kind="bridge"), failures={
        ("addr", "add"): errno.EEXIST, ("addr", "del"): errno.EADDRNOTAVAIL, ("route", "del"): [0, 0, errno.ESRCH]})
    netlink.add_address("br0", "172.31.0.1/24")
    netlink.del_address("br0", "172.31.0.9/24")
    netlink.del_address("nothere", "172.31.0.9/24")
    netlink.delete_link("nothere")
    netlink.delete_link("eth0", netns="/run/netns/does-not-exist")
    netlink.del_default_route("/proc/self/ns/net")
    assert changes(host) == [
        ("addr", "add", {"index": 2, "address": "172.31.0.1", "prefixlen": 24, "broadcast": "172.31.0.255"}),
        ("addr", "del", {"index": 2, "address": "172.31.0.9", "prefixlen": 24}),
    ] + [("route", "del", {"dst": "0.0.0.0", "dst_len": 0, "table": 254})] * 3


def test_set_port_attaches_only_when_needed_and_sets_both_flags():
    bridge = link_message(2, "br0", kind="bridge")
    netlink, host = adapter(bridge, link_message(5, "lnv1", kind="veth", master=2, port={"IFLA_BRPORT_ISOLATED": 0}))
    netlink.set_port("lnv1", "br0", False)
    assert changes(host) == [("link", "set", {"index": 5, "kind": "bridge_slave", "isolated": 0, "mode": 1})]
    netlink, host = adapter(bridge, link_message(5, "lnv1", kind="veth"))
    with pytest.raises(KernelError, match="this kernel lacks it"):  # the stand-in never shows the flag set
        netlink.set_port("lnv1", "br0", True)
    assert changes(host) == [("link", "set", {"index": 5, "master": 2}),
                             ("link", "set", {"index": 5, "kind": "bridge_slave", "isolated": 1, "mode": 1})]


def test_create_veth_refuses_a_host_name_that_is_not_its_own():
    netlink, host = adapter(link_message(2, "br0", kind="bridge"),
                            link_message(7, "lnv1", kind="dummy", IFLA_IFALIAS="the user's"))
    with pytest.raises(KernelError, match="lnv1 already exists and is not this endpoint's veth") as raised:
        netlink.create_veth("lnv1", "eth0", "/proc/self/ns/net", 1500, "02:42:ac:11:00:02", "ours", "br0", False)
    assert raised.value.details["errno"] == errno.EEXIST
    assert [(method, command) for method, command, _kwargs in changes(host)] == [("link", "add")]
    assert changes(host)[0][2]["peer"]["ifname"] == "eth0" and changes(host)[0][2]["master"] == 2


def test_close_closes_every_socket_once():
    netlink, host = adapter()
    with netlink:
        pass
    assert host.closed
    netlink.close()


def test_delete_links_marks_the_present_links_with_an_unused_group_and_deletes_the_group_at_once():
    links = [link_message(3, "lnv1", kind="veth"), link_message(4, "lnv2", kind="veth", IFLA_GROUP=0x6C6E0000)]
    netlink, host = adapter(*links)
    host.get_links = lambda: links
    netlink.delete_links(["lnv2", "gone", "lnv1", "lnv1"])
    assert changes(host) == [("link", "set", {"index": 3, "group": 0x6C6E0001}),
                             ("link", "set", {"index": 4, "group": 0x6C6E0001}),
                             ("link", "del", {"group": 0x6C6E0001})]


def test_delete_links_puts_the_groups_back_when_the_kernel_refuses():
    links = [link_message(3, "eth0"), link_message(4, "lnv2", kind="veth", IFLA_GROUP=7)]
    netlink, host = adapter(*links, failures={("link", "del"): errno.EOPNOTSUPP})
    host.get_links = lambda: links
    with pytest.raises(KernelError, match="delete eth0, lnv2: Operation not supported"):
        netlink.delete_links(["eth0", "lnv2"])
    assert changes(host)[-2:] == [("link", "set", {"index": 3, "group": 0}), ("link", "set", {"index": 4, "group": 7})]


def test_delete_links_of_one_link_is_a_plain_delete():
    netlink, host = adapter(link_message(3, "lnv1", kind="veth"))
    netlink.delete_links(["lnv1", "gone"])
    assert changes(host) == [("link", "del", {"index": 3})]
