# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""container_network_info's read path: what it reports, what it reads, and what it imports."""
import ast
import contextlib
import os
import subprocess
import sys

from ansible_collections.linuxnet.containers.plugins.module_utils import _facts as facts
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Attachment, Endpoint, Network, Publish, State

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PREFIX = "ansible_collections.linuxnet.containers.plugins.module_utils."


class FakeStore:
    def __init__(self, state):
        self.state = state
        self.locked = False

    @contextlib.contextmanager
    def lock(self):
        self.locked = True
        yield
        self.locked = False

    def load(self):
        assert self.locked, "the store is read under its lock"
        return self.state


def no_netlink():
    raise AssertionError("a netlink socket opened without all_namespaces")


def test_everything_managed_is_reported_without_netlink(monkeypatch):
    monkeypatch.setattr(facts.netns, "inode", lambda path: 4026532001 if path == "/run/netns/web" else None)
    monkeypatch.setattr(facts, "link_exists", lambda ifname: ifname == "lnc-front")
    attachment = Attachment(network="front", ifname="eth0", ipv4_address="172.20.0.2", mac_address="02:42:ac:14:00:02",
                            host_ifname="lnv0")
    network = Network(name="front", bridge="lnc-front", subnet="172.20.0.0/24", gateway="172.20.0.1", ip_range=None,
                      mtu=1500, masquerade=True, icc=True, internal=False, isolated=True)
    publish = Publish(endpoint="web", network="front", protocol="tcp", host_ip=None, host_port=8080, container_port=80)
    state = State(networks={"front": network},
                  endpoints={"web": Endpoint("web", "bridge", (attachment,)), "gone": Endpoint("gone", "none")},
                  published={"web": (publish,)})
    found = facts.gather(FakeStore(state), False, open_netlink=no_netlink)
    assert [(n["name"], n["present"], n["endpoints"]) for n in found["networks"]] == [("front", True, ["web"])]
    assert [(e["name"], e["present"], e["managed"], e["netns_inode"]) for e in found["endpoints"]] == [
        ("gone", False, True, None), ("web", True, True, 4026532001)]
    assert found["endpoints"][1]["interfaces"][0]["prefix_length"] == 24
    assert [(p["endpoint"], p["host_port"], p["container_ip"]) for p in found["published"]] == [("web", 8080, "172.20.0.2")]


def module_utils_closure(path, seen=None):
    """The collection's module_utils a file imports, directly or not, anywhere in it: what Ansible bundles."""
    seen = set() if seen is None else seen
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module + "." + alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            for candidate in (name, name.rsplit(".", 1)[0]):
                if candidate.startswith(PREFIX) and "." not in candidate[len(PREFIX):]:
                    short = candidate[len(PREFIX):]
                    if short not in seen:
                        seen.add(short)
                        module_utils_closure(os.path.join(ROOT, "plugins", "module_utils", short + ".py"), seen)
                    break
    return seen


def test_the_info_module_bundles_no_engine():
    closure = module_utils_closure(os.path.join(ROOT, "plugins", "modules", "container_network_info.py"))
    assert {"_facts", "_store", "_views", "_exit", "_netns"} <= closure
    assert not closure & {"_engine", "_batch", "_kinds", "_plan", "_resolve", "_desired", "_nft", "_files"}, closure
    batch = module_utils_closure(os.path.join(ROOT, "plugins", "modules", "netns_endpoint.py"))
    assert {"_engine", "_nft", "_plan"} <= batch   # the walk finds what a changing module bundles


def test_the_netlink_reader_is_bundled_but_imported_only_for_all_namespaces():
    closure = module_utils_closure(os.path.join(ROOT, "plugins", "modules", "container_network_info.py"))
    assert {"_netlink", "_rtnl", "_rtnl_codec"} <= closure   # the deferred import is still bundled
    probe = ("import sys; from ansible_collections.linuxnet.containers.plugins.module_utils import _facts; "
             "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith(%r)))" % PREFIX)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    imported = set(ast.literal_eval(proc.stdout))
    assert "_facts" in imported and not imported & {"_netlink", "_netlink_base", "_rtnl", "_rtnl_codec"}, imported


def test_all_namespaces_opens_the_netlink_reader(monkeypatch):
    opened = []

    class FakeNetlink:
        def __init__(self):
            opened.append(self)

        @staticmethod
        def close():
            opened.append("closed")

    monkeypatch.setattr(facts, "_netlink_class", lambda: FakeNetlink)
    monkeypatch.setattr(facts, "foreign_namespaces", lambda netlink, state: [{"name": "other", "managed": False}])
    found = facts.gather(FakeStore(State()), True)
    assert found["endpoints"] == [{"name": "other", "managed": False}] and opened[1:] == ["closed"]
