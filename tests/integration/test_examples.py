# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's EXAMPLES run as written, in one sandbox host, module after module: what ansible-doc shows
a user must work when copied. Only what an example cannot know is supplied (a process to adopt, and the
endpoints the port_publish examples publish for)."""
import ast
import os

import yaml
from harness import ROOT

MODULES = ("container_network", "netns_endpoint", "port_publish", "container_network_info")


def examples(module):
    """The EXAMPLES tasks of a module, read from its source without importing it."""
    with open(os.path.join(ROOT, "plugins", "modules", module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ["EXAMPLES"]:
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % module)


def test_every_modules_examples_run_as_written(sandbox):
    sandbox.spawn(["unshare", "--net", "sleep", "600"])
    setup_for_publish = {"name": "endpoints the port_publish examples publish for",
                         "linuxnet.containers.netns_endpoint": {"endpoints": [
                             {"name": "web", "network": "front"}, {"name": "resolver", "network": "front"},
                             {"name": "api", "networks": [{"name": "front"}, {"name": "backend"}]},
                             {"name": "web6", "network": "v6only"}]}}
    tasks = []
    counts = {}
    for module in MODULES:
        found = examples(module)
        counts[module] = len(found)
        if module == "port_publish":
            tasks.append(setup_for_publish)
        tasks += found
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    results = sandbox.playbook(play, extra_vars={"db_leader_pid": _child_pid(sandbox)})
    ran = [r for r in results if r["task"] != setup_for_publish["name"]]
    assert len(ran) == sum(counts.values()) and all(counts.values()), counts
    failed = [(r["task"], r["result"].get("msg")) for r in results if r["status"] == "failed"]
    assert not failed
    by_task = {r["task"]: r["result"] for r in results}
    assert by_task["The address of endpoint web on network front"]["result"].startswith("172.17.")
    assert any(p["port"] == 9000 and p["to"] == "api" for p in by_task["Host ports published anywhere, for a firewall report"]["result"])


def _child_pid(sandbox):
    """The PID, inside the sandbox's PID namespace, of the process whose namespace the examples adopt."""
    for _attempt in range(50):
        found = sandbox.run(["pgrep", "-n", "-f", "sleep 600"], check=False).stdout.split()
        if found:
            return int(found[0])
        sandbox.run(["sleep", "0.1"])
    raise AssertionError("the process to adopt did not start")


def test_network_states_examples_run_as_written(sandbox):
    """network_state's examples build, prune and tear down on their own: a fresh host, nothing supplied."""
    found = examples("network_state")
    results = sandbox.playbook([{"hosts": "localhost", "gather_facts": False, "tasks": found}])
    assert [r["status"] for r in results] == ["changed", "ok", "changed", "changed"], results
    shown = results[1]["result"]["msg"]
    assert shown == "web is 172.20.0.2, on host port 8080", shown
    assert sandbox.run(["ls", "/run/netns"]).stdout.split() == ["lan"]
