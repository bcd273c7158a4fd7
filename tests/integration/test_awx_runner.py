# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml as AWX runs it: an ansible-runner job against a sandbox host reached with community.docker.nsenter.

The private data dir is laid out as AWX lays it out for a job: project/ holds the playbook, inventory/ the example
inventory of playbooks/inventory (an inventory sourced from the project), env/extravars the job's extra variables
(here the sandbox's PID, as a survey would pass it) and env/envvars the job's environment.
"""
import glob
import json
import os
import shutil
import subprocess

import yaml
from harness import COLLECTIONS, ROOT, VENV_BIN

INVENTORY = os.path.join(ROOT, "playbooks", "inventory")


def private_data_dir(path, sandbox_pid, ansible_home):
    (path / "env").mkdir(parents=True)
    (path / "project").mkdir()
    shutil.copy(os.path.join(ROOT, "playbooks", "site.yml"), path / "project" / "site.yml")
    shutil.copytree(INVENTORY, path / "inventory")
    (path / "env" / "extravars").write_text(yaml.safe_dump({"ansible_nsenter_pid": sandbox_pid}))
    (path / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_HOME": str(ansible_home), "ANSIBLE_NOCOLOR": "1"}))
    return str(path)


def run_job(data_dir, ident):
    """Runs the job; returns (status, rc, events, stdout) from its artifacts, as AWX reads them."""
    env = {k: v for k, v in os.environ.items() if k != "LINUXNET_SANDBOX_PID"}
    env["PATH"] = VENV_BIN + ":" + env.get("PATH", "")
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-runner"), "run", data_dir, "-p", "site.yml",
                           "--ident", ident], capture_output=True, text=True, env=env, timeout=300, check=False)
    artifacts = os.path.join(data_dir, "artifacts", ident)
    with open(os.path.join(artifacts, "status")) as handle:
        status = handle.read().strip()
    with open(os.path.join(artifacts, "rc")) as handle:
        rc = int(handle.read().strip())
    events = []
    for path in sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json")),
                       key=lambda p: int(os.path.basename(p).split("-", 1)[0])):
        with open(path) as handle:
            events.append(json.load(handle))
    return status, rc, events, proc.stdout + proc.stderr


def ok_results(events, action):
    """The results of every runner_on_ok event of tasks running `action`."""
    return [e["event_data"]["res"] for e in events
            if e.get("event") == "runner_on_ok" and e["event_data"].get("resolved_action") == action]


def changed_tasks(events):
    return [e["event_data"]["task"] for e in events
            if e.get("event") == "runner_on_ok" and e["event_data"]["res"].get("changed")]


def test_site_playbook_as_an_awx_job(sandbox, tmp_path):
    data = private_data_dir(tmp_path / "job", sandbox.pid, tmp_path / "ansible-home")

    status, rc, events, output = run_job(data, "first")
    assert (status, rc) == ("successful", 0), output[-4000:]
    assert events[-1]["event"] == "playbook_on_stats"
    guard = [e for e in events if e.get("event") == "runner_on_ok"
             and e["event_data"]["task"] == "Refuse a target that shares the controller's network namespace"]
    assert guard, "the nsenter guard did not run"
    endpoints = ok_results(events, "linuxnet.containers.network_state")  # the role's one step
    assert len(endpoints) == 1 and endpoints[0]["changed"] is True
    assert {e["name"]: e["mode"] for e in endpoints[0]["endpoints"]} == {
        "web": "bridge", "db": "bridge", "web-metrics": "container", "node-exporter": "host", "batch": "none"}
    db = next(e for e in endpoints[0]["endpoints"] if e["name"] == "db")
    assert db["interfaces"][0]["ipv4_address"] == "172.31.0.10"
    assert sorted((p["host_ip"], p["host_port"]) for p in endpoints[0]["published"]) == [
        ("0.0.0.0", 8080), ("127.0.0.1", 9100)]
    probes = ok_results(events, "ansible.builtin.script")
    assert probes and all("answers" in line for line in probes[0]["stdout_lines"]), probes

    status, rc, events, output = run_job(data, "second")
    assert (status, rc) == ("successful", 0), output[-4000:]
    endpoints = ok_results(events, "linuxnet.containers.network_state")
    assert len(endpoints) == 1 and endpoints[0]["changed"] is False
    assert changed_tasks(events) == []

    # The job really configured the sandbox: the published port answers a host on its LAN.
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    assert sandbox.request("lan", "198.51.100.1", 8080) == "web 198.51.100.2"
