# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile path on fakes of its adapters (no root, no kernel): each fake keeps an in-memory host
that the applied actions change, so a second run proves the plan converged."""
import contextlib
import dataclasses
import functools
import json
import threading
import time

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _cli as cli
from ansible_collections.linuxnet.containers.plugins.module_utils import _limits as limits
from ansible_collections.linuxnet.containers.plugins.module_utils import _teardown as teardown
from ansible_collections.linuxnet.containers.plugins.module_utils._engine import Adapters, Engine
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption, KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import ENDPOINTS, NETWORKS, PUBLISHED
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Link, NetnsView
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import FirewallPlan

HOST = "/proc/self/ns/net"


class FakeNetlink:
    def __init__(self):
        self.links = {"eth0": Link("eth0", 2, None, 1500, "52:54:00:00:00:01", True, None, None, ("192.0.2.10/24",),
                                   None)}
        self.namespaces = {}   # path -> {"inode", "links", "route"}
        self.sysctls = {"net.ipv4.ip_forward": "0"}
        self.calls = []
        self._inode = 100
        self.veth_spaces = {}   # host ifname -> the namespace (its dict) its peer lives in
        self.held = set()       # inodes of namespaces a process lives in (seen in /proc, netns_holders)
        self.hidden = set()     # inodes held by something /proc does not show (another process's open socket)
        self.removing = threading.Lock()   # the engine removes namespace names on several threads

    # reading
    def host_routes(self):
        return ["192.0.2.0/24"]

    def host_links(self):
        return dict(self.links)

    def host_network_links(self, ifnames):
        self.calls.append(("host_network_links", tuple(ifnames)))
        return {name: link for name, link in self.links.items() if link.kind in ("bridge", "vxlan") or name in ifnames}

    def host_link_names(self):
        return list(self.links)

    @staticmethod
    def host_routes6():
        return []

    @staticmethod
    def ra_default_links():
        return []

    @staticmethod
    def underlay():
        return "192.0.2.10", {"192.0.2.10": 1500}

    def _unused(self, *args, **kwargs):
        raise AssertionError("an IPv6 or overlay call in a bridge-only test: %r %r" % (args, kwargs))

    add_address6 = set_default_route6 = set_netns_ipv6_conf = _unused
    create_vxlan = set_vxlan_port = fdb_add = fdb_del = _unused

    def netns_inode(self, path):
        if path == HOST:
            return 1
        space = self.namespaces.get(path)
        return space["inode"] if space else None

    def netns_identity(self, path):
        if path in (HOST, "/proc/1/ns/net"):   # PID 1 of this fake host lives in the host's namespace
            return (0, 1)
        inode = self.netns_inode(path)
        return None if inode is None else (0, inode)

    def read_netns(self, path):
        return self.netns_view(path) if path in self.namespaces else None

    def netns_view(self, path):
        self.calls.append(("netns_view", path))
        space = self.namespaces[path]
        gateway, dev = space["route"]
        return NetnsView(inode=space["inode"], links=dict(space["links"]), default_gateway=gateway, default_dev=dev)

    def get_sysctl(self, key):
        return self.sysctls.get(key, "0")

    # changing
    def _link(self, ifname, netns):
        return (self.namespaces[netns]["links"] if netns else self.links), ifname

    def _replace(self, ifname, netns, **changes):
        table, name = self._link(ifname, netns)
        table[name] = dataclasses.replace(table[name], **changes)

    def create_bridge(self, ifname, mtu, alias):
        self.calls.append("create_bridge")
        self.links[ifname] = Link(ifname, len(self.links) + 10, "bridge", mtu, "02:6c:6e:00:00:01", True, alias, None,
                                  (), None)

    def add_address(self, ifname, cidr, netns=None):
        table, name = self._link(ifname, netns)
        self._replace(ifname, netns, addresses=tuple(sorted(set(table[name].addresses) | {cidr})))

    def del_address(self, ifname, cidr, netns=None):
        table, name = self._link(ifname, netns)
        self._replace(ifname, netns, addresses=tuple(a for a in table[name].addresses if a != cidr))

    def create_netns(self, name):
        self._inode += 1
        self.namespaces["/run/netns/" + name] = {
            "inode": self._inode, "route": (None, None),
            "links": {"lo": Link("lo", 1, None, 65536, "00:00:00:00:00:00", True, None, None, (), None)}}

    def bind_netns(self, name, source_path):
        inode = self.netns_inode(source_path)
        source = self.namespaces.get(source_path, {"inode": inode, "links": dict(self.links), "route": (None, None)})
        self.namespaces["/run/netns/" + name] = source

    def remove_netns(self, name):
        """As the kernel does: a namespace nothing holds any more is destroyed, with both ends of its veths."""
        with self.removing:
            self.calls.append(("remove_netns", name, threading.current_thread().name))
            self._remove_netns(name)

    def _remove_netns(self, name):
        space = self.namespaces.pop("/run/netns/" + name, None)
        if space is None or any(other is space for other in self.namespaces.values()) or \
                space["inode"] in self.held | self.hidden:
            return
        for ifname in [i for i, peer_space in self.veth_spaces.items() if peer_space is space]:
            self.links.pop(ifname, None)
            del self.veth_spaces[ifname]

    def holders(self):
        return set(self.held), {}

    def create_veth(self, host_ifname, peer_ifname, netns_path, mtu, mac, alias, master, isolated):
        self.calls.append("create_veth")
        self.links[host_ifname] = Link(host_ifname, len(self.links) + 10, "veth", mtu, "ee:ee:ee:ee:ee:ee", True, alias,
                                       master, (), isolated, hairpin=True)
        self.veth_spaces[host_ifname] = self.namespaces[netns_path]
        self.namespaces[netns_path]["links"][peer_ifname] = Link(peer_ifname, 2, "veth", mtu, mac, True, None, None,
                                                                 (), None)

    def delete_link(self, ifname, netns=None):
        table, name = self._link(ifname, netns)
        table.pop(name, None)
        if netns is None:
            for space in self.namespaces.values():
                for peer in [n for n in space["links"] if n.startswith("eth")]:
                    if not any(link.alias and link.master and host == ifname for host, link in self.links.items()):
                        space["links"].pop(peer, None)

    def delete_links(self, ifnames, netns=None):
        self.calls.append(("delete_links", tuple(sorted(ifnames))))
        for ifname in ifnames:
            self.delete_link(ifname, netns)

    def set_default_route(self, netns, gateway, dev):
        self.namespaces[netns]["route"] = (gateway, dev)

    def set_up(self, ifname, netns=None):
        self._replace(ifname, netns, up=True)

    def set_mtu(self, ifname, mtu, netns=None):
        self._replace(ifname, netns, mtu=mtu)

    def set_mac(self, ifname, mac, netns=None):
        self._replace(ifname, netns, mac=mac)

    def set_alias(self, ifname, alias):
        self._replace(ifname, None, alias=alias)

    def set_port(self, ifname, master, isolated):
        self._replace(ifname, None, master=master, isolated=isolated, hairpin=True)

    def set_sysctl(self, key, value):
        self.sysctls[key] = str(value)

    def close(self):
        pass


class FakeNft:
    def __init__(self):
        self.applied = None

    def plan(self, desired):
        wanted = desired if desired.networks or desired.publishes else None
        changes = [] if wanted == self.applied else ["table to %d networks, %d publishes" % (
            len(desired.networks), len(desired.publishes))]
        plan = FirewallPlan(changes, "script", {}, {})
        plan.desired = wanted
        return plan

    def plan_networks(self, desired):
        """The networks' part alone (Nftables.plan_networks): a fake table is always planned whole."""
        assert not desired.publishes
        self.partial = getattr(self, "partial", 0) + 1

    def apply(self, plan):
        self.applied = plan.desired

    @staticmethod
    def foreign_forward_drops():
        return []


class FakeStore:
    def __init__(self):
        self.data = State().to_dict()
        self.saves = 0

    @staticmethod
    def lock():
        return contextlib.nullcontext()

    def load(self):
        return State.from_dict(self.data)

    def save(self, state):
        self.saves += 1
        self.data = state.to_dict()


class FakeFiles:
    def __init__(self):
        self.files = {}   # path -> content

    def read_endpoint_files(self, name, contents=True):
        prefix = "/etc/netns/%s/" % name
        return {path[len(prefix):]: text if contents else None
                for path, text in self.files.items() if path.startswith(prefix)}

    def write_text(self, path, content):
        self.files[path] = content

    def remove_file(self, path):
        self.files.pop(path, None)

    def remove_endpoint_dir(self, name):
        for path in [p for p in self.files if p.startswith("/etc/netns/%s/" % name)]:
            del self.files[path]

    @staticmethod
    def host_resolv_conf():
        return "nameserver 192.0.2.53\n"


@pytest.fixture
def host():
    netlink = FakeNetlink()
    return Adapters(netlink=netlink, nft=FakeNft(), store=FakeStore(), files=FakeFiles(),
                    port_owner=lambda protocol, host_ip, port: "process sshd (pid 1)" if port == 22 else None,
                    netns_holders=netlink.holders,
                    settle=functools.partial(teardown.wait_links_gone, timeout=0.5, sleep=lambda _seconds: None))


def run(host, kind, *items, check=False, exclusive=False):
    specs = [kind.parse(item, "") for item in items]
    return Engine(host, check_mode=check).reconcile(kind, specs, exclusive, {})


def build(host):
    run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"})
    run(host, ENDPOINTS, {"name": "web", "network": "front"}, {"name": "side", "mode": "container", "container": "web"})
    return run(host, PUBLISHED, {"endpoint": "web", "ports": ["8080:80"]})


def test_each_kind_converges_and_a_second_run_changes_nothing(host):
    first = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"})
    assert [a.op for a in first.actions] == ["create_bridge", "add_address", "set_sysctl", "apply_firewall"]
    assert first.result(single=True)["network"]["gateway"] == "172.20.0.1"
    endpoints = run(host, ENDPOINTS, {"name": "web", "network": "front"},
                    {"name": "side", "mode": "container", "container": "web"})
    ops = [a.op for a in endpoints.actions]
    assert ops[:4] == ["create_netns", "create_veth", "add_address", "set_default_route"]
    assert "bind_netns" in ops and ops.count("write_text") == 4   # resolv.conf and hosts, the sharer's the same
    files = host.files.files
    assert files["/etc/netns/side/hosts"] == files["/etc/netns/web/hosts"] and "172.20.0.2" in files["/etc/netns/web/hosts"]
    published = run(host, PUBLISHED, {"endpoint": "side", "ports": ["8080:80"]})
    assert [a.op for a in published.actions] == ["set_sysctl", "apply_firewall"]
    assert host.netlink.sysctls["net.ipv4.conf.lnc-front.route_localnet"] == "1"   # 127.0.0.1:8080 from the host
    assert published.result(single=True)["published"][0]["container_ip"] == "172.20.0.2"
    assert host.nft.applied.publishes[0].host_port == 8080
    for kind, item in ((NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"}),
                       (ENDPOINTS, {"name": "web", "network": "front"}),
                       (PUBLISHED, {"endpoint": "side", "ports": ["8080:80"]})):
        again = run(host, kind, item)
        assert (again.changed, again.actions) == (False, [])


def test_check_mode_plans_the_same_and_changes_nothing(host):
    build(host)
    saved, links = host.store.saves, dict(host.netlink.links)
    preview = run(host, ENDPOINTS, {"name": "api", "network": "front"}, check=True)
    assert preview.changed and [a.op for a in preview.actions][:2] == ["create_netns", "create_veth"]
    assert (host.store.saves, host.netlink.links) == (saved, links)
    assert "/run/netns/api" not in host.netlink.namespaces
    assert preview.after["endpoints"]["api"]["interfaces"][0]["ipv4_address"] == "172.20.0.3"
    assert preview.before["endpoints"]["api"] is None


def test_state_is_saved_before_the_actions_apply(host):
    build(host)

    class Broken(Exception):
        pass

    def fail(**_kwargs):
        raise Broken()

    host.netlink.create_veth = fail
    with pytest.raises(Broken):
        run(host, ENDPOINTS, {"name": "api", "network": "front"})
    assert "api" in host.store.data["endpoints"]   # recorded, so the next run converges


def test_exclusive_removes_the_unnamed_and_diff_shows_it(host):
    build(host)
    outcome = run(host, ENDPOINTS, {"name": "web", "network": "front"}, exclusive=True)
    assert outcome.after["endpoints"]["side"] is None and outcome.before["endpoints"]["side"]["mode"] == "container"
    assert "remove_netns" in [a.op for a in outcome.actions]
    assert "/run/netns/side" not in host.netlink.namespaces
    assert sorted(host.store.data["endpoints"]) == ["web"]
    assert not run(host, ENDPOINTS, {"name": "web", "network": "front"}, exclusive=True).changed


def test_refusals_change_nothing(host):
    build(host)
    before = (dict(host.store.data), dict(host.netlink.links), host.nft.applied)
    with pytest.raises(InvalidOption, match="network ghost does not exist"):
        run(host, ENDPOINTS, {"name": "api", "network": "ghost"})
    with pytest.raises(Exception, match="held by process sshd"):
        run(host, PUBLISHED, {"endpoint": "web", "ports": ["22:22"]})
    assert (host.store.data, host.netlink.links, host.nft.applied) == before


@pytest.mark.parametrize("item, words", [
    ({"name": "bad", "pid": 1, "network": "front"}, "host's own network namespace"),
    ({"name": "bad", "netns_path": "/proc/self/ns/net", "network": "front"}, "host's own network namespace"),
    ({"name": "bad", "netns_path": "/proc/1/ns/uts", "network": "front"}, "not a network namespace"),
    ({"name": "bad", "netns_path": "/run/netns/web", "network": "front"}, "managed endpoint web"),
    ({"name": "bad", "netns_path": "/run/netns/side"}, "managed endpoint web"),
])
def test_adoption_refusals_save_nothing_and_call_nothing(host, item, words):
    build(host)
    before = (dict(host.store.data), dict(host.netlink.links), dict(host.netlink.namespaces), len(host.netlink.calls))
    with pytest.raises(InvalidOption, match=words):
        run(host, ENDPOINTS, item)
    after = (host.store.data, host.netlink.links, host.netlink.namespaces, len(host.netlink.calls))
    assert after == before


def test_a_vanished_namespace_keeps_its_record_and_the_next_run_naming_it_makes_it_again(host):
    build(host)
    allocated = host.store.data["endpoints"]["web"]
    host.netlink.namespaces.pop("/run/netns/web")
    host.netlink.namespaces.pop("/run/netns/side")
    other = run(host, PUBLISHED, {"endpoint": "web", "ports": ["8080:80"]})
    assert not other.collected and host.store.data["endpoints"]["web"] == allocated
    again = run(host, ENDPOINTS, {"name": "web", "network": "front"},
                {"name": "side", "mode": "container", "container": "web"})
    assert not again.collected and "create_netns" in [a.op for a in again.actions]
    assert host.store.data["endpoints"]["web"] == allocated
    assert host.netlink.netns_inode("/run/netns/side") == host.netlink.netns_inode("/run/netns/web")


def test_an_adopted_namespace_whose_process_is_gone_is_collected(host):
    build(host)
    lo = Link("lo", 1, None, 65536, "00:00:00:00:00:00", False, None, None, (), None)
    host.netlink.namespaces["/proc/42/ns/net"] = {"inode": 4242, "links": {"lo": lo}, "route": (None, None)}
    run(host, ENDPOINTS, {"name": "job", "pid": 42, "network": "front"})
    assert host.netlink.netns_inode("/run/netns/job") == 4242
    host.netlink.namespaces.pop("/proc/42/ns/net")
    host.netlink.namespaces.pop("/run/netns/job")
    outcome = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"})
    assert outcome.collected == ["job"] and outcome.result(single=False)["collected"] == ["job"]
    assert "job" not in host.store.data["endpoints"]
    assert not [path for path in host.files.files if path.startswith("/etc/netns/job/")]


# restore and status (Engine.replay and the linuxnet-containers command) -----------------------
def reboot(host):
    """What a reboot leaves: no namespaces, none of our links, an empty ruleset, default sysctls; store and files kept."""
    host.netlink.namespaces = {path: space for path, space in host.netlink.namespaces.items()
                               if not path.startswith("/run/netns/")}
    host.netlink.links = {"eth0": host.netlink.links["eth0"]}
    host.netlink.sysctls = {"net.ipv4.ip_forward": "0"}
    host.nft.applied = None


def test_restore_after_a_reboot_rebuilds_the_same_and_the_next_run_changes_nothing(host):
    build(host)
    stored = json.dumps(host.store.data, sort_keys=True)
    links = dict(host.netlink.links)
    firewall = host.nft.applied
    mac = host.netlink.namespaces["/run/netns/web"]["links"]["eth0"].mac
    reboot(host)
    status = Engine(host, check_mode=True).replay()
    assert status.drift and {"firewall", "networks", "sysctls", "endpoints"} <= set(status.areas())
    assert host.netlink.links.keys() == {"eth0"}                      # status changes nothing
    restored = Engine(host, check_mode=False).replay()
    assert restored.applied and restored.actions and not restored.skipped
    assert json.dumps(host.store.data, sort_keys=True) == stored     # the store is not rewritten
    assert host.netlink.links.keys() == links.keys() and host.nft.applied == firewall
    assert host.netlink.namespaces["/run/netns/web"]["links"]["eth0"].mac == mac
    assert host.netlink.netns_inode("/run/netns/side") == host.netlink.netns_inode("/run/netns/web")
    assert not Engine(host, check_mode=True).replay().drift
    for kind, items in ((NETWORKS, [{"name": "front", "subnet": "172.20.0.0/24"}]),
                        (ENDPOINTS, [{"name": "web", "network": "front"},
                                     {"name": "side", "mode": "container", "container": "web"}]),
                        (PUBLISHED, [{"endpoint": "web", "ports": ["8080:80"]}])):
        assert not run(host, kind, *items).changed


def test_a_flushed_ruleset_is_status_drift_in_the_firewall_and_restore_heals_it(host, capsys):
    build(host)
    assert cli.main(["status"], adapters=host) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "status: the host matches the store"
    host.nft.applied = None
    assert cli.main(["status"], adapters=host) == cli.EXIT_DRIFT
    out = capsys.readouterr().out
    assert "differs: firewall: nftables:" in out and out.splitlines()[-1] == "status: drift in firewall"
    assert cli.main(["restore"], adapters=host) == 0
    assert "restored: firewall" in capsys.readouterr().out
    assert cli.main(["status"], adapters=host) == 0


def test_an_adopted_endpoint_whose_process_is_gone_is_reported_and_skipped(host):
    build(host)
    lo = Link("lo", 1, None, 65536, "00:00:00:00:00:00", True, None, None, (), None)
    host.netlink.namespaces["/proc/42/ns/net"] = {"inode": 4242, "links": {"lo": lo}, "route": (None, None)}
    run(host, ENDPOINTS, {"name": "job", "pid": 42, "network": "front"},
        {"name": "jobside", "mode": "container", "container": "job"})
    reboot(host)
    host.netlink.namespaces.pop("/proc/42/ns/net")
    report = Engine(host, check_mode=False).replay()
    assert sorted(report.skipped) == ["job", "jobside"] and "adopts it again" in report.skipped["job"]
    assert "/run/netns/job" not in host.netlink.namespaces and "/run/netns/web" in host.netlink.namespaces
    assert "job" in host.store.data["endpoints"]
    assert any(line.startswith("cannot restore endpoint job:") for line in report.lines())


# a teardown killed after the state is saved --------------------------------------------------------
class Killed(Exception):
    pass


def kill_at(host, op):
    """Make the adapter call `op` die as a run killed there would: nothing of it or after it happens."""
    target = host.netlink if hasattr(host.netlink, op) else host.files if hasattr(host.files, op) else host

    def die(*_args, **_kwargs):
        raise Killed(op)

    setattr(target, op, die)
    return target, op


@pytest.mark.parametrize("op", ["delete_link", "remove_netns", "remove_endpoint_dir", "settle"])
@pytest.mark.parametrize("how", ["absent", "exclusive"])
def test_a_teardown_killed_after_the_save_leaves_nothing_unowned(host, op, how):
    build(host)
    run(host, ENDPOINTS, {"name": "api", "network": "front"})
    assert "/etc/netns/api/hosts" in host.files.files
    if op == "delete_link":   # a process lives in the namespace: its veths are deleted, not left to the kernel
        host.netlink.held.add(host.netlink.netns_inode("/run/netns/api"))
    if op == "settle":   # killed while the kernel's cleanup is still to remove the veths
        host.netlink.hidden.add(host.netlink.netns_inode("/run/netns/api"))
    target = host.netlink if hasattr(host.netlink, op) else host.files if hasattr(host.files, op) else host
    original = getattr(target, op)
    target, name = kill_at(host, op)
    if how == "absent":
        request = [{"name": "api", "state": "absent"}]
    else:
        request = [{"name": "web", "network": "front"}, {"name": "side", "mode": "container", "container": "web"}]
    with pytest.raises(Killed):
        run(host, ENDPOINTS, *request, exclusive=how == "exclusive")
    assert "api" not in host.store.data["endpoints"] and "api" in host.store.data["pending"]
    setattr(target, name, original)
    # the next run, whatever it names (here nothing but the endpoints that stay), finishes the teardown
    again = run(host, ENDPOINTS, *request[-1:]) if how == "absent" else run(host, ENDPOINTS, *request, exclusive=True)
    assert again.changed
    assert not [path for path in host.files.files if path.startswith("/etc/netns/api/")]
    assert "/run/netns/api" not in host.netlink.namespaces
    assert not [l for l in host.netlink.links.values() if l.alias and "endpoint=api " in l.alias]
    assert host.store.data["pending"] == {}
    assert not run(host, ENDPOINTS, *request[-1:]).changed


def test_with_no_endpoints_left_exclusive_removes_every_name_even_after_a_kill(host):
    build(host)
    target, name = kill_at(host, "remove_netns")
    with pytest.raises(Killed):
        run(host, ENDPOINTS, exclusive=True)
    del target.__dict__[name]
    assert not run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"}).collected
    assert [p for p in host.netlink.namespaces if p.startswith("/run/netns/")] == []
    assert not [path for path in host.files.files if path.startswith("/etc/netns/")]


def test_restore_finishes_a_killed_teardown_too(host):
    build(host)
    target, name = kill_at(host, "remove_netns")
    with pytest.raises(Killed):
        run(host, ENDPOINTS, {"name": "side", "state": "absent"})
    del target.__dict__[name]
    assert cli.main(["restore"], adapters=host) == 0
    assert "/run/netns/side" not in host.netlink.namespaces and host.store.data["pending"] == {}
    assert not [path for path in host.files.files if path.startswith("/etc/netns/side/")]


# kernel limits ------------------------------------------------------------------------------------
def test_the_neighbour_table_warning_comes_in_check_mode_too(host):
    build(host)
    host.neigh_limit = lambda: 2
    preview = run(host, ENDPOINTS, {"name": "api", "network": "front"}, check=True)
    assert [w for w in preview.warnings if "gc_thresh3 (2)" in w]
    host.neigh_limit = lambda: 1024
    assert not [w for w in run(host, ENDPOINTS, {"name": "api", "network": "front"}).warnings if "gc_thresh3" in w]


def test_an_attachment_past_the_bridge_port_limit_is_refused_before_any_change(host, monkeypatch):
    build(host)
    monkeypatch.setattr(limits, "BRIDGE_PORTS", 2)
    monkeypatch.setattr(limits.check_bridge_ports, "__defaults__", (2,))
    before = (dict(host.store.data), dict(host.netlink.links))
    with pytest.raises(Conflict, match="network front would have 3 endpoints on bridge .* at most 2 ports"):
        run(host, ENDPOINTS, {"name": "api", "network": "front"}, {"name": "db", "network": "front"})
    assert (host.store.data, host.netlink.links) == before


def test_check_mode_of_a_play_on_a_fresh_host_assumes_earlier_tasks(host):
    """The network task ran in check mode too, so the network does not exist: report, do not fail."""
    preview = run(host, ENDPOINTS, {"name": "web", "network": "front"}, check=True)
    assert preview.changed and "network front does not exist" in preview.actions[0].text
    assert preview.warnings and host.store.saves == 0
    with pytest.raises(InvalidOption, match="network front does not exist"):
        run(host, ENDPOINTS, {"name": "web", "network": "front"})


def test_state_only_changes_are_actions_too(host):
    build(host)
    narrowed = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24", "ip_range": "172.20.0.128/25"},
                   check=True)
    assert [a.op for a in narrowed.actions] == ["record"] and "172.20.0.128/25" in narrowed.actions[0].text
    assert run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24", "ip_range": "172.20.0.128/25"}).changed
    assert not run(host, NETWORKS, {"name": "front"}).changed   # left out: kept
    widened = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24", "ip_range": "172.20.0.0/24"})
    assert "the whole subnet" in widened.actions[0].text


def test_a_new_gateway_replaces_the_old_address_first(host):
    build(host)
    moved = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24", "gateway": "172.20.0.254"})
    ops = [a.op for a in moved.actions]
    assert ops.index("del_address") < ops.index("add_address") < ops.index("set_default_route")
    assert host.netlink.links["lnc-front"].addresses == ("172.20.0.254/24",)
    assert host.netlink.namespaces["/run/netns/web"]["route"] == ("172.20.0.254", "eth0")


def test_route_localnet_goes_back_when_the_last_publish_goes(host):
    build(host)
    key = "net.ipv4.conf.lnc-front.route_localnet"
    host.netlink.links["lnc-front"] = dataclasses.replace(host.netlink.links["lnc-front"], route_localnet=True)
    gone = run(host, PUBLISHED, {"endpoint": "web", "state": "absent"})
    assert ("set_sysctl", {"key": key, "value": "0"}) in [(a.op, a.kwargs) for a in gone.actions]
    assert host.netlink.sysctls[key] == "0"


def test_results_follow_the_order_of_the_task(host):
    """Playbooks index results (endpoints[1]) in the order they listed the objects, not sorted."""
    run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"})
    items = [{"name": "zeta", "network": "front"}, {"name": "alpha", "mode": "none"}, {"name": "mid", "network": "front"}]
    outcome = run(host, ENDPOINTS, *items)
    assert [e["name"] for e in outcome.result(single=False)["endpoints"]] == ["zeta", "alpha", "mid"]


def test_a_network_run_that_changes_nothing_reads_no_endpoint(host):
    """Its cost must not grow with the endpoints it does not touch: no namespace read, no file read."""
    build(host)
    host.netlink.calls.clear()
    reads = []
    host.files.read_endpoint_files = lambda name, contents=True: reads.append(name) or {}
    again = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"})
    assert not again.changed and reads == []
    assert not [call for call in host.netlink.calls if call[0] == "netns_view"]
    moved = run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24", "mtu": 1400}, check=True)
    assert "set_mtu" in [a.op for a in moved.actions] and ("netns_view", "/run/netns/web") in host.netlink.calls


def test_one_new_endpoint_rewrites_its_peers_hosts_files_and_nothing_else(host):
    build(host)
    run(host, ENDPOINTS, {"name": "db", "mode": "none"})
    written = run(host, ENDPOINTS, {"name": "api", "network": "front"})
    paths = sorted(a.kwargs["path"] for a in written.actions if a.op == "write_text")
    assert paths == ["/etc/netns/api/hosts", "/etc/netns/api/resolv.conf", "/etc/netns/side/hosts",
                     "/etc/netns/web/hosts"]
    assert "172.20.0.3\tapi" in host.files.files["/etc/netns/side/hosts"]


def test_without_diff_mode_the_outcome_carries_no_before_and_after(host):
    """diff's views walk every object the run touches: only diff mode pays for them. The plan is the same."""
    build(host)
    change = {"name": "front", "subnet": "172.20.0.0/24", "mtu": 1400}
    specs = [NETWORKS.parse(change, "")]
    plain = Engine(host, check_mode=True, diff=False).reconcile(NETWORKS, specs, False, {})
    shown = Engine(host, check_mode=True).reconcile(NETWORKS, specs, False, {})
    assert (plain.before, plain.after) == ({}, {})
    assert shown.before["networks"] != shown.after["networks"]
    assert [a.text for a in plain.actions] == [a.text for a in shown.actions] and plain.actions
    assert plain.result(single=True) == shown.result(single=True)


def test_a_teardown_leaves_the_veths_to_the_kernel_and_waits_for_them(host):
    """Namespaces the collection made and nothing else holds: their names go, the kernel removes the veths in one
    batch with them; the run waits until the host ends are gone. No namespace view is read."""
    build(host)
    run(host, ENDPOINTS, {"name": "a", "network": "front"}, {"name": "b", "network": "front"})
    host.netlink.calls.clear()
    reads, read = [], host.files.read_endpoint_files
    host.files.read_endpoint_files = lambda name, contents=True: reads.append((name, contents)) or read(name, contents)
    gone = run(host, ENDPOINTS, {"name": "a", "state": "absent"}, {"name": "b", "state": "absent"},
               {"name": "web", "state": "absent"}, {"name": "side", "state": "absent"})
    ops = [a.op for a in gone.actions]
    assert "delete_link" not in ops and ops.count("remove_netns") == 4 and ops[-1] == "wait_links_gone"
    assert sorted(reads) == [(name, False) for name in ("a", "b", "side", "web")]   # which files, not their text
    assert ops.count("remove_endpoint_dir") == 4 and not host.files.files
    assert not [call for call in host.netlink.calls if call[0] in ("delete_links", "netns_view")]
    assert any("the kernel removes veth lnv" in a.text for a in gone.actions) and not gone.warnings
    assert not [name for name in host.netlink.links if name.startswith("lnv")]
    assert not run(host, ENDPOINTS, {"name": "x", "state": "absent"}).changed


def test_names_go_on_several_threads_after_the_veths_deleted_explicitly(host):
    """A held namespace's veths are deleted (one batch) before any name goes; the names go on several threads."""
    build(host)
    many = [{"name": "n%d" % i, "network": "front"} for i in range(12)]
    run(host, ENDPOINTS, *many)
    held = host.netlink.netns_inode("/run/netns/n0")
    host.netlink.held.add(held)
    remove = host.netlink.remove_netns
    host.netlink.remove_netns = lambda name: time.sleep(0.01) or remove(name)   # long enough for the others to start
    host.netlink.calls.clear()
    everything = [dict(item, state="absent") for item in many] + [{"name": "web", "state": "absent"},
                                                                  {"name": "side", "state": "absent"}]
    gone = run(host, ENDPOINTS, *everything)
    ops = [a.op for a in gone.actions]
    assert ops[-1] == "wait_links_gone" and ops.index("delete_link") < ops.index("remove_netns")
    assert "delete_link" not in ops[ops.index("remove_netns"):]
    removals = [call for call in host.netlink.calls if call[0] == "remove_netns"]
    assert sorted(call[1] for call in removals) == sorted(["web", "side"] + ["n%d" % i for i in range(12)])
    assert len({call[2] for call in removals}) > 1 and threading.current_thread().name not in {c[2] for c in removals}
    assert not [name for name in host.netlink.links if name.startswith("lnv")] and not gone.warnings
    assert not [p for p in host.netlink.namespaces if p.startswith("/run/netns/")]
    assert not run(host, ENDPOINTS, *everything).changed


def test_a_failed_name_removal_among_many_is_reported_exactly_and_the_next_run_finishes(host):
    build(host)
    many = [{"name": "n%d" % i, "network": "front"} for i in range(12)]
    run(host, ENDPOINTS, *many)
    remove = host.netlink.remove_netns

    def busy(name):
        if name == "n4":
            raise KernelError("unmount /run/netns/n4: Device or resource busy", errno=16)
        remove(name)

    host.netlink.remove_netns = busy
    everything = [dict(item, state="absent") for item in many]
    with pytest.raises(KernelError, match="^unmount /run/netns/n4: Device or resource busy$"):
        run(host, ENDPOINTS, *everything)
    assert "n4" in host.store.data["pending"] and "/run/netns/n4" in host.netlink.namespaces
    host.netlink.remove_netns = remove
    again = run(host, ENDPOINTS, *everything)
    assert "remove namespace name /run/netns/n4" in " ".join(a.text for a in again.actions)
    assert not [p for p in host.netlink.namespaces if p.startswith("/run/netns/n")] and host.store.data["pending"] == {}
    assert not [name for name in host.netlink.links if "endpoint=n" in (host.netlink.links[name].alias or "")]
    assert not run(host, ENDPOINTS, *everything).changed


def test_a_namespace_something_else_holds_has_its_veths_deleted_in_one_batch(host):
    build(host)
    run(host, ENDPOINTS, {"name": "a", "network": "front"}, {"name": "b", "network": "front"})
    host.netlink.held.update(host.netlink.netns_inode("/run/netns/" + name) for name in ("a", "b"))
    host.netlink.calls.clear()
    gone = run(host, ENDPOINTS, {"name": "a", "state": "absent"}, {"name": "b", "state": "absent"},
               {"name": "web", "state": "absent"}, {"name": "side", "state": "absent"})
    batches = [call for call in host.netlink.calls if call[0] == "delete_links"]
    assert len(batches) == 1 and len(batches[0][1]) == 2
    assert [a.op for a in gone.actions].count("delete_link") == 2   # each still reported on its own
    assert [a.op for a in gone.actions][-1] == "wait_links_gone"    # web's veth goes with its namespace
    assert not [name for name in host.netlink.links if name.startswith("lnv")] and not gone.warnings


def test_veths_the_kernel_does_not_remove_in_time_are_deleted_with_a_warning(host):
    build(host)
    host.netlink.hidden.add(host.netlink.netns_inode("/run/netns/web"))   # e.g. another process's socket in it
    veths = tuple(sorted(name for name in host.netlink.links if name.startswith("lnv")))
    gone = run(host, ENDPOINTS, {"name": "web", "state": "absent"}, {"name": "side", "state": "absent"})
    assert [a.op for a in gone.actions][-1] == "wait_links_gone"
    assert len(gone.warnings) == 1 and "deleted in one batch instead" in gone.warnings[0]
    assert veths and ("delete_links", veths) in host.netlink.calls and veths[0] in gone.warnings[0]
    assert not [name for name in host.netlink.links if name.startswith("lnv")]
    assert not run(host, ENDPOINTS, {"name": "web", "state": "absent"}).changed


def test_a_network_run_that_touches_no_endpoint_reads_the_networks_part_of_the_host_alone(host, monkeypatch):
    build(host)
    reads = []
    every_link = host.netlink.host_links
    monkeypatch.setattr(host.netlink, "host_links", lambda: reads.append("every link") or every_link())
    host.nft.partial = 0
    front = {"name": "front", "subnet": "172.20.0.0/24"}
    again = run(host, NETWORKS, front)
    assert not again.changed and reads == [] and host.nft.partial == 1
    assert ("host_network_links", ("lnc-front",)) in host.netlink.calls
    # leftovers: the bridge goes now; the veth stays for a run that reads veths
    mark = "linuxnet.containers "
    host.netlink.links["lnc-gone"] = Link("lnc-gone", 50, "bridge", 1500, "02:6c:6e:00:00:01", True,
                                          mark + "network=gone", None, (), None)
    host.netlink.links["lnv-ghost"] = Link("lnv-ghost", 51, "veth", 1500, "02:42:00:00:00:09", True,
                                           mark + "endpoint=ghost network=front", None, (), None)
    swept = run(host, NETWORKS, front)
    assert [a.text for a in swept.actions] == ["delete leftover bridge lnc-gone of network gone"]
    assert "lnv-ghost" in host.netlink.links and reads == []
    # an endpoints run reads every link, and sweeps the leftover veth
    endpoints = run(host, ENDPOINTS, {"name": "web", "network": "front"},
                    {"name": "side", "mode": "container", "container": "web"})
    assert "delete leftover veth lnv-ghost of endpoint ghost" in [a.text for a in endpoints.actions]
    assert reads == ["every link"] and "lnv-ghost" not in host.netlink.links
    # the network's bridge gone: its endpoints are reconciled too, so every host link is read, the whole table planned
    host.netlink.links.pop("lnc-front")
    rebuilt = run(host, NETWORKS, front)
    ops = [a.op for a in rebuilt.actions]
    assert ops[0] == "create_bridge" and "create_veth" in ops
    assert reads == ["every link"] * 2 and host.nft.partial == 2


def test_the_inodes_a_run_reports_are_the_ones_it_read_unless_it_changed_something(host):
    run(host, NETWORKS, {"name": "front", "subnet": "172.20.0.0/24"})
    run(host, ENDPOINTS, {"name": "web", "network": "front"})
    asked = []
    inode = host.netlink.netns_inode
    host.netlink.netns_inode = lambda path: asked.append(path) or inode(path)
    again = run(host, ENDPOINTS, {"name": "web", "network": "front"})
    assert again.inodes == {"web": inode("/run/netns/web")}
    assert asked.count("/run/netns/web") == 1    # the resolver's check that it exists; the inode is the read's
    fresh = run(host, ENDPOINTS, {"name": "api", "network": "front"})
    assert fresh.inodes == {"api": inode("/run/netns/api")} and "/run/netns/api" in asked   # made by this run
