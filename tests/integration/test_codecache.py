# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules run from Ansible's payload keep the compiled code of our module_utils in /var/cache/linuxnet-containers:
private, rebuilt when spoiled, and off when a task says so."""
import json
import os

NET = "linuxnet.containers.container_network"
CACHE = "/var/cache/linuxnet-containers"
NETWORKS = [{"name": "front", "subnet": "172.20.0.0/24"}]

LIST = """
import json, os, stat, sys
d = sys.argv[1]
if not os.path.isdir(d):
    print("null"); raise SystemExit
out = {"mode": oct(os.lstat(d).st_mode & 0o777), "entries": {}}
for name in os.listdir(d):
    info = os.lstat(os.path.join(d, name))
    with open(os.path.join(d, name), "rb") as handle:
        out["entries"][name] = [oct(info.st_mode & 0o777), handle.read()[:8].hex(), info.st_size]
print(json.dumps(out))
"""


def listing(sandbox):
    return json.loads(sandbox.run(["python3", "-c", LIST, CACHE]).stdout)


def bridge_exists(sandbox):
    return sandbox.run(["ip", "link", "show", "lnc-front"], check=False).returncode == 0


def test_modules_keep_their_compiled_code_and_rebuild_a_spoiled_entry(sandbox):
    assert listing(sandbox) is None
    assert sandbox.module(NET, networks=NETWORKS)["changed"]
    assert bridge_exists(sandbox)
    kept = listing(sandbox)
    assert kept["mode"] == "0o700"
    names = sorted(kept["entries"])
    assert any(name.startswith("code-_engine-") for name in names)
    assert any(name.startswith("code-_batch-") for name in names)
    assert not any(name.startswith("code-_codecache-") for name in names)   # the one that installs the finder
    assert {entry[0] for entry in kept["entries"].values()} == {"0o600"}

    spoiled = os.path.join(CACHE, [name for name in names if name.startswith("code-_engine-")][0])
    sandbox.run(["sh", "-c", 'printf "not code" > "$1"', "sh", spoiled])
    assert not sandbox.module(NET, networks=NETWORKS)["changed"]
    again = listing(sandbox)
    assert sorted(again["entries"]) == names
    mode, head, size = again["entries"][os.path.basename(spoiled)]
    assert mode == "0o600" and head != b"not code".hex() and size > 1000   # written again, whole

    sandbox.run(["ip", "link", "del", "lnc-front"])
    assert sandbox.module(NET, networks=NETWORKS)["changed"]   # the kept code still repairs the host
    assert bridge_exists(sandbox)


def test_a_task_can_turn_the_cache_off(sandbox):
    play = [{"hosts": "localhost", "gather_facts": False,
             "environment": {"LINUXNET_CONTAINERS_CODE_CACHE": "off"},
             "tasks": [{"name": "under test", NET: {"networks": NETWORKS}}]}]
    results = sandbox.playbook(play)
    assert results[-1]["result"]["changed"]
    assert bridge_exists(sandbox)
    assert listing(sandbox) is None
