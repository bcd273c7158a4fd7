# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile and malformed input, table by table: every case must fail with its field named and leave the
host exactly as it was (links, addresses and routes in the host and in every namespace, the nftables
ruleset, /etc/netns and /run/netns, the state store). One playbook runs every case, each followed by a
snapshot taken with `raw` (no module round trip), so the whole table costs one ansible-playbook run."""
import json
import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from harness import COLLECTIONS, ROOT, VENV_PYTHON  # noqa: E402  pylint: disable=wrong-import-position

NS = "linuxnet.containers."
HOST_FILE = "/run/hostile-regular-file"
HOST_FIFO = "/run/hostile-fifo"
WEB_ALIAS = "/run/hostile-web-alias"   # web's namespace bind-mounted under another name


def state_file():
    """The store's path as _store.py says (it may move under /var/lib)."""
    with open(os.path.join(ROOT, "plugins", "module_utils", "_store.py"), encoding="utf-8") as handle:
        text = handle.read()
    scope = {}
    for line in text.splitlines():
        if line.startswith(("STATE_DIR =", "STATE_FILE =")):
            exec(line, scope)  # pylint: disable=exec-used
    return scope["STATE_FILE"]


SNAPSHOT = r'''
import json, os, subprocess, sys

def ip(*args):
    out = subprocess.run(["ip", "-j"] + list(args), capture_output=True, text=True, check=True).stdout
    return json.loads(out or "[]")

def links(prefix):
    found = []
    for link in ip(*(prefix + ["-d", "addr"])):
        found.append([link["ifname"], sorted(set(link.get("flags", ())) - {"LOWER_UP", "NO-CARRIER"}),
                      link.get("mtu"), link.get("master"), link.get("address"), link.get("ifalias"),
                      (link.get("linkinfo") or {}).get("info_kind"),
                      sorted("%s/%s" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", ()))])
    return found

def routes(prefix):
    return sorted(json.dumps(r, sort_keys=True) for r in ip(*(prefix + ["route", "show", "table", "all"]))
                  if r.get("type") != "multicast")

def listing(top):
    found = {}
    for folder, dirs, names in os.walk(top):
        for name in dirs + names:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            text = None
            if os.path.isfile(path) and not top.startswith("/run/netns"):
                with open(path, errors="replace") as handle:
                    text = handle.read()
            found[path] = [oct(info.st_mode), text]
    return found

names = sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []
snap = {"host": [links([]), routes([])],
        "netns": {name: [links(["-n", name]), routes(["-n", name]),
                         os.stat(os.path.join("/run/netns", name)).st_ino] for name in names},
        "nft": subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=True).stdout,
        "files": dict(listing("/etc/netns"), **listing("/run/netns")),
        "store": open(sys.argv[1]).read() if os.path.exists(sys.argv[1]) else None}
print(json.dumps(snap, sort_keys=True))
'''

LONG = "x" * 65
CYRILLIC_WEB = "w\u0435b"      # Cyrillic e
FULLWIDTH_80 = "\uff18\uff10"

NETWORK_CASES = [
    ({"name": "evil\n"}, "name"), ({"name": "ev\x00il"}, "name"), ({"name": "../etc"}, "name"),
    ({"name": "a;reboot"}, "name"), ({"name": "$(reboot)"}, "name"), ({"name": "a|b"}, "name"),
    ({"name": "a&b"}, "name"), ({"name": LONG}, "name"), ({"name": {"a": 1}}, "name"), ({"name": ["front"]}, "name"),
    ({"name": "fr\u043ent"}, "name"), ({"name": "front "}, "name"), ({"name": "front\r"}, "name"),
    ({"name": "n1", "bridge": "br0\n"}, "bridge"), ({"name": "n1", "bridge": "br/../x"}, "bridge"),
    ({"name": "n1", "bridge": "br;x"}, "bridge"), ({"name": "n1", "bridge": "b" * 16}, "bridge"),
    ({"name": "n1", "bridge": "br\u0435"}, "bridge"), ({"name": "n1", "bridge": "br\x00"}, "bridge"),
    ({"name": "n1", "bridge": "lnc-front"}, "bridge"),
    ({"name": "n1", "subnet": "172.21.0.0/16\n"}, "subnet"), ({"name": "n1", "subnet": "172.21.0.0/16;ls"}, "subnet"),
    ({"name": "n1", "subnet": {"a": 1}}, "subnet"), ({"name": "n1", "subnet": "\uff11\uff17\uff12.21.0.0/16"}, "subnet"),
    ({"name": "n1", "subnet": "172.20.0.0/24"}, "subnet"),
    ({"name": "n1", "subnet": "172.21.0.0/16", "gateway": "172.21.0.1\n"}, "gateway"),
    ({"name": "n1", "subnet": "172.21.0.0/16", "gateway": "$(id)"}, "gateway"),
    ({"name": "n1", "subnet": "172.21.0.0/16", "ip_range": "172.21.0.0/24\n"}, "ip_range"),
    ({"name": "n1", "mtu": True}, "mtu"), ({"name": "n1", "mtu": "15OO"}, "mtu"), ({"name": "n1", "mtu": 10}, "mtu"),
    ({"name": "n1", "masquerade": "maybe"}, "masquerade"),
    ({"networks": [{"name": "ok\n"}]}, "networks[0].name"),
    ({"networks": [{"name": "n1"}, {"name": "n2", "bridge": "b;r"}]}, "networks[1].bridge"),
]

ENDPOINT_CASES = [
    ({"name": "ep\n", "network": "front"}, "name"), ({"name": "ep\x00", "network": "front"}, "name"),
    ({"name": "../../etc/passwd"}, "name"), ({"name": "ep;reboot"}, "name"), ({"name": "$(touch /x)"}, "name"),
    ({"name": "ep|x"}, "name"), ({"name": "ep&"}, "name"), ({"name": LONG}, "name"), ({"name": {"a": 1}}, "name"),
    ({"name": CYRILLIC_WEB, "network": "front"}, "name"),
    ({"name": "ep", "network": "front\n"}, "network"),
    ({"name": "ep", "networks": [{"name": "front", "ifname": "eth0\n"}]}, "networks[0].ifname"),
    ({"name": "ep", "networks": [{"name": "front", "ifname": "e;th0"}]}, "networks[0].ifname"),
    ({"name": "ep", "networks": [{"name": "front", "ifname": "a" * 16}]}, "networks[0].ifname"),
    ({"name": "ep", "networks": [{"name": "front", "ifname": "../x"}]}, "networks[0].ifname"),
    ({"name": "ep", "networks": [{"name": "front", "aliases": ["www\n"]}]}, "networks[0].aliases"),
    ({"name": "ep", "networks": [{"name": "front", "aliases": ["w w"]}]}, "networks[0].aliases"),
    ({"name": "ep", "network": "front", "ipv4_address": "172.20.0.50\n"}, "ipv4_address"),
    ({"name": "ep", "network": "front", "mac_address": "02:42:ac:14:00:32\n"}, "mac_address"),
    ({"name": "ep", "dns": ["1.1.1.1\nnameserver 6.6.6.6"]}, "dns"),
    ({"name": "ep", "dns_search": ["example.com\nnameserver 6.6.6.6"]}, "dns_search"),
    ({"name": "ep", "dns_search": ["a;b"]}, "dns_search"),
    ({"name": "ep", "dns_options": ["ndots:2\n"]}, "dns_options"),
    ({"name": "ep", "dns_options": ["ndots:2\x00"]}, "dns_options"),
    ({"name": "ep", "dns_options": ["$(id)"]}, "dns_options"),
    ({"name": "ep", "etc_hosts": {"db\n": "10.0.0.5"}}, "etc_hosts"),
    ({"name": "ep", "etc_hosts": {"db": "10.0.0.5\n6.6.6.6 evil"}}, "etc_hosts.db"),
    ({"name": "ep", "etc_hosts": {"db": ["10.0.0.5"]}}, "etc_hosts.db"),
    ({"name": "ep", "netns_path": "/run/netns/x\n"}, "netns_path"),
    ({"name": "ep", "netns_path": "/run/netns/x\x00"}, "netns_path"),
    ({"name": "ep", "netns_path": "/run/netns/../../etc/passwd"}, "netns_path"),
    ({"name": "ep", "netns_path": "relative/path"}, "netns_path"),
    ({"name": "bad", "netns_path": "/proc/self/ns/net", "network": "front"}, "netns_path"),
    ({"name": "bad", "netns_path": "/proc/1/ns/net", "network": "front"}, "netns_path"),
    ({"name": "bad", "pid": 1, "network": "front"}, "pid"),
    ({"name": "bad", "pid": True, "network": "front"}, "pid"),
    ({"name": "bad", "pid": "1; reboot"}, "pid"),
    ({"name": "bad", "netns_path": "/run/netns/web", "network": "front"}, "netns_path"),
    ({"name": "bad", "netns_path": "/run/netns/side"}, "netns_path"),
    ({"name": "bad", "netns_path": WEB_ALIAS, "network": "front"}, "netns_path"),
    ({"name": "bad1", "netns_path": "/proc/1/ns/uts", "network": "front"}, "netns_path"),
    ({"name": "bad", "netns_path": HOST_FILE}, "netns_path"),
    ({"name": "bad", "netns_path": "/run/netns"}, "netns_path"),
    ({"name": "bad", "netns_path": "/dev/null"}, "netns_path"),
    ({"name": "bad", "netns_path": HOST_FIFO}, "netns_path"),
    ({"name": "s2", "mode": "container", "container": "web\n"}, "container"),
    ({"name": "s2", "mode": "container", "container": "web", "dns": ["1.1.1.1"]}, "dns"),
    ({"endpoints": [{"name": "ok", "network": "front"}, {"name": "bad\n", "network": "front"}]}, "endpoints[1].name"),
    ({"endpoints": [{"name": "ok", "network": "front"}, {"name": "bad", "pid": 1}]}, "endpoints[1].pid"),
    ({"name": "ep", "networks": [{"name": "front", "ifname": {"a": 1}}]}, "networks[0].ifname"),
]

PUBLISH_CASES = [
    ({"endpoint": "web\n", "ports": ["8081:80"]}, "endpoint"), ({"endpoint": "web;id", "ports": ["80"]}, "endpoint"),
    ({"endpoint": "../web", "ports": ["80"]}, "endpoint"), ({"endpoint": {"a": 1}, "ports": ["80"]}, "endpoint"),
    ({"endpoint": CYRILLIC_WEB, "ports": ["80"]}, "endpoint"), ({"endpoint": "ghost", "ports": ["80"]}, "endpoint"),
    ({"endpoint": "web", "ports": ["80\n"]}, "ports[0]"), ({"endpoint": "web", "ports": [" 80"]}, "ports[0]"),
    ({"endpoint": "web", "ports": [FULLWIDTH_80]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["8081:80\n"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["8081:80/tcp;id"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["8081:80/tcp\n"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["127.0.0.1\n:8081:80"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["$(id):80"]}, "ports[0]"), ({"endpoint": "web", "ports": ["8081:80|x"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["8081:80&"]}, "ports[0]"), ({"endpoint": "web", "ports": [True]}, "ports[0]"),
    ({"endpoint": "web", "ports": [None]}, "ports[0]"), ({"endpoint": "web", "ports": [[80]]}, "ports[0]"),
    ({"endpoint": "web", "ports": [1.5]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": True}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": 80, "protocol": ["tcp"]}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": 80, "host_ip": {"a": 1}}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": "80\n"}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": 80, "evil": 1}]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["70000:80"]}, "ports[0]"), ({"endpoint": "web", "ports": ["8081:80/icmp"]}, "ports[0]"),
    ({"endpoint": "side", "ports": ["8080:80"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["8081:80"], "allowed_sources": ["10.0.0.0/8\n"]}, "allowed_sources"),
    ({"endpoint": "web", "ports": ["8081:80"], "allowed_sources": [" 10.0.0.1"]}, "allowed_sources"),
    ({"endpoint": "web", "ports": ["8081:80"], "allowed_sources": ["10.0.0.0/8;id"]}, "allowed_sources"),
    ({"endpoint": "web", "ports": ["8081:80"], "network": "front\n"}, "network"),
    ({"endpoint": "web", "ports": ["8081:80"], "network": "front;id"}, "network"),
]

QUERY_CASES = [({"query": value}, "query") for value in [
    "a;b", "$(reboot)", "a\x00", "../etc", "&&", "||", "5", {"a": 1}, "networks[", "networks[?", "networks[].name |",
    "networks[0", ")", "(", "]", "@@", "a..b", "a.", ".a", "!!", "a <", "a == ", "foo(", "length(", "{a}",
    "x" * 5000, "a\x07", "a\x1b[31m", "networks;rm -rf /", "networks | $(id)", "\"unterminated", "'unterminated",
    "a\u202e", "length(`1`)", "abs(networks)", "",
]]

CASES = ([("container_network", args, field) for args, field in NETWORK_CASES] +
         [("netns_endpoint", args, field) for args, field in ENDPOINT_CASES] +
         [("port_publish", args, field) for args, field in PUBLISH_CASES] +
         [("container_network_info", args, field) for args, field in QUERY_CASES])


DRIVER = r'''
import contextlib, io, json, subprocess, sys
sys.path.insert(0, sys.argv[1])
from ansible.module_utils import basic
snapshot, cases = sys.argv[2:4], json.load(open(sys.argv[4]))

def take():
    return json.loads(subprocess.run([sys.executable] + snapshot, capture_output=True, text=True, check=True).stdout)

def run(module, args):
    """One module run as Ansible runs it (AnsibleModule parses and converts the same arguments)."""
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    main = __import__("ansible_collections.linuxnet.containers.plugins.modules." + module, fromlist=["main"]).main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())

records = [take()]
for module, args in cases:
    records.append(run(module, args))
    records.append(take())
print(json.dumps(records))
'''


def test_hostile_input_is_refused_with_the_field_named_and_nothing_changes(sandbox):
    sandbox.module(NS + "container_network", name="front", subnet="172.20.0.0/24")
    sandbox.module(NS + "netns_endpoint", endpoints=[{"name": "web", "network": "front"},
                                                     {"name": "side", "mode": "container", "container": "web"}])
    sandbox.module(NS + "port_publish", endpoint="web", ports=["8080:80"])
    sandbox.run(["sh", "-ec", "touch %s %s; mount --bind /run/netns/web %s; mkfifo %s"
                 % (HOST_FILE, WEB_ALIAS, WEB_ALIAS, HOST_FIFO)])
    work = sandbox.workdir()
    paths = {}
    for name, text in (("snapshot.py", SNAPSHOT), ("driver.py", DRIVER),
                       ("cases.json", json.dumps([[module, args] for module, args, _field in CASES]))):
        paths[name] = os.path.join(work, name)
        with open(paths[name], "w", encoding="utf-8") as handle:
            handle.write(text)
    # the modules run in one interpreter inside the sandbox host, each case parsed by AnsibleModule as in a play
    proc = sandbox.run([VENV_PYTHON, paths["driver.py"], COLLECTIONS, paths["snapshot.py"], state_file(),
                        paths["cases.json"]], timeout=600)
    records = json.loads(proc.stdout)
    assert len(records) == 2 * len(CASES) + 1
    baseline = records[0]
    assert {"side", "web"} <= set(baseline["netns"]) and baseline["store"] and "8080" in baseline["nft"]
    problems, tried = [], {}
    for index, (module, args, field) in enumerate(CASES):
        result, after = records[2 * index + 1], records[2 * index + 2]
        tried[module] = tried.get(module, 0) + 1
        msg = result.get("msg", "")
        where = "case %d %s %r" % (index, module, args)
        if not result.get("failed"):
            problems.append("%s did not fail: %s" % (where, result))
        elif field not in msg:
            problems.append("%s: message does not name %s: %s" % (where, field, msg))
        elif "unexpected error" in msg or result.get("exception"):
            problems.append("%s: traceback: %s" % (where, msg))
        if after != baseline:
            changed = sorted(key for key in after if after[key] != baseline[key])
            problems.append("%s changed the host: %s" % (where, changed))
            baseline = after
    assert not problems, "\n".join(problems)
    assert all(count >= 30 for count in tried.values()), tried
    print(yaml.safe_dump({"hostile inputs tried and refused with nothing changed": tried}))
