# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs killed with SIGKILL at several points converge on the next run, with nothing left unowned: no
/run/netns/NAME, /etc/netns/NAME, veth or state record outside what the store says (a real module process,
killed from outside, in a sandbox host)."""
import json
import os
import subprocess
import time

import yaml
from harness import VENV_BIN, VENV_PYTHON

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
COUNT = 24
KILL_AFTER = (0.1, 0.4, 0.8)   # seconds after the module process appears (its Python start-up included)


def playbook_argv(sandbox, tasks):
    path = os.path.join(sandbox.workdir(), "play.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], handle)
    return sandbox.argv([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                         "-e", "ansible_python_interpreter=%s" % VENV_PYTHON, path])


def killed_after(sandbox, tasks, delay):
    """Starts the play, kills its module process `delay` s after it appears; whether it was still running."""
    play = subprocess.Popen(playbook_argv(sandbox, tasks), env=sandbox.ansible_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _module_pids(sandbox) and play.poll() is None:
        time.sleep(0.02)
    time.sleep(delay)
    pids = _module_pids(sandbox)
    for pid in pids:
        sandbox.run(["kill", "-9", pid], check=False)
    play.wait(timeout=120)
    return bool(pids)


def _module_pids(sandbox):
    return sandbox.run(["pgrep", "-f", "AnsiballZ_netns_endpoint"], check=False).stdout.split()


def state_file(sandbox):
    text = sandbox.run(["sh", "-c", "cat /var/lib/linuxnet-containers/state.json 2>/dev/null || "
                                    "cat /run/linuxnet-containers/state.json"]).stdout
    return json.loads(text)


def owned_leftovers(sandbox):
    """What exists on the host that belongs to the collection's endpoints, by kind."""
    state = state_file(sandbox)
    names = set(state.get("endpoints", {}))
    netns = set(sandbox.run(["ls", "/run/netns"]).stdout.split()) - {"lan"}
    etc = set(sandbox.run(["sh", "-c", "ls /etc/netns 2>/dev/null || true"]).stdout.split())
    veths = {link["ifname"] for link in sandbox.ip(None, "link") if link["ifname"].startswith("lnv")}
    return {"records": names, "netns": netns, "etc": etc, "veths": veths, "pending": state.get("pending") or {}}


def test_killed_teardowns_and_setups_converge_with_nothing_unowned(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    endpoints = [{"name": "k%02d" % i, "network": "front"} for i in range(COUNT)]
    setup = [{"name": "setup", EP: {"endpoints": endpoints}}]
    teardown = [{"name": "teardown", EP: {"endpoints": [], "exclusive": True}}]
    interrupted = 0
    for delay in KILL_AFTER:
        sandbox.playbook([{"hosts": "localhost", "gather_facts": False, "tasks": setup}])
        interrupted += killed_after(sandbox, teardown, delay)
        left = owned_leftovers(sandbox)
        # whatever the kill left, every namespace, file and veth still belongs to a record or a pending removal
        owned = left["records"] | set(left["pending"])
        assert left["netns"] <= owned and left["etc"] <= owned, (delay, left)
        again = sandbox.module(EP, endpoints=[], exclusive=True)
        assert again is not None
        assert owned_leftovers(sandbox) == {"records": set(), "netns": set(), "etc": set(), "veths": set(),
                                            "pending": {}}, delay
        assert not sandbox.module(EP, endpoints=[], exclusive=True)["changed"]
    for delay in KILL_AFTER[:2]:
        interrupted += killed_after(sandbox, setup, delay)
        converged = sandbox.module(EP, endpoints=endpoints)
        assert not sandbox.module(EP, endpoints=endpoints)["changed"], converged["actions"]
        left = owned_leftovers(sandbox)
        assert left["netns"] == left["records"] == {e["name"] for e in endpoints} and not left["pending"]
        assert len(left["veths"]) == COUNT
        sandbox.module(EP, endpoints=[], exclusive=True)
    assert interrupted >= 3, "most kills must land while the module runs (%d of 5 did)" % interrupted
