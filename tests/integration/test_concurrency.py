# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent runs on one host serialise on the lock; a run killed halfway converges on the next."""
import json
import os
import subprocess
import threading
import time

import yaml
from harness import COLLECTIONS, VENV_BIN, VENV_PYTHON

EP = "linuxnet.containers.netns_endpoint"
NET = "linuxnet.containers.container_network"


def play(args):
    return yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                            "tasks": [{"name": "under test", EP: args}]}])


def state(sandbox):
    return json.loads(sandbox.run(["cat", "/var/lib/linuxnet-containers/state.json"]).stdout)


def test_two_concurrent_runs_both_land(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    results = {}

    def run(prefix):
        results[prefix] = sandbox.playbook(play({"endpoints": [{"name": "%s%d" % (prefix, i), "network": "front"}
                                                               for i in range(10)]}))

    threads = [threading.Thread(target=run, args=(prefix,)) for prefix in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r[-1]["status"] == "changed" for r in results.values())
    endpoints = state(sandbox)["endpoints"]
    assert len(endpoints) == 20
    addresses = [e["attachments"][0]["ipv4_address"] for e in endpoints.values()]
    assert len(set(addresses)) == 20, "two runs handed out the same address"


def test_a_run_killed_halfway_converges_on_the_next(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/16")
    args = {"endpoints": [{"name": "e%d" % i, "network": "front"} for i in range(150)]}
    path = os.path.join(sandbox.workdir(), "killed.yml")
    with open(path, "w") as handle:
        handle.write(play(args))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_PYTHON_INTERPRETER=VENV_PYTHON,
               ANSIBLE_HOME=os.path.dirname(path))
    proc = subprocess.Popen(sandbox.argv([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                                          path]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = sandbox.run(["ls", "/run/netns"]).stdout.split()
        if len(names) > 20:
            break
        time.sleep(0.05)
    sandbox.run(["pkill", "-KILL", "-f", "AnsiballZ"], check=False)
    proc.kill()
    proc.wait()
    assert len(sandbox.run(["ls", "/run/netns"]).stdout.split()) < 151, "the run finished before it was killed"
    again = sandbox.module(EP, **args)
    assert again["changed"]
    assert not sandbox.module(EP, **args)["changed"]
    links = [link["ifname"] for link in sandbox.ip(None, "link") if link["ifname"].startswith("lnv")]
    assert len(links) == 150
    sandbox.serve("e0", "0.0.0.0", 80, name="e0")
    assert sandbox.request("e149", "e0", 80) is not None
