# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml as AWX runs it: through ansible-runner, against a sandbox host reached with nsenter."""
import glob
import json
import os
import shutil
import subprocess

import yaml
from harness import COLLECTIONS, ROOT, VENV_BIN, VENV_PYTHON

INVENTORY_VARS = os.path.join(ROOT, "playbooks", "inventory", "group_vars", "container_hosts.yml")


def run_job(data_dir, ident):
    env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-runner"), "run", data_dir, "-p", "site.yml",
                           "--ident", ident], capture_output=True, text=True, env=env, timeout=600, check=False)
    artifacts = os.path.join(data_dir, "artifacts", ident)
    with open(os.path.join(artifacts, "status")) as handle:
        status = handle.read().strip()
    with open(os.path.join(artifacts, "rc")) as handle:
        rc = int(handle.read().strip())
    events = []
    for path in sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json"))):
        with open(path) as handle:
            events.append(json.load(handle))
    return status, rc, events, proc.stdout


def task_results(events, module):
    return [e["event_data"]["res"] for e in events
            if e.get("event") == "runner_on_ok" and e["event_data"].get("resolved_action") == module]


def test_site_playbook_as_an_awx_job(sandbox, tmp_path):
    data = tmp_path / "job"
    (data / "project").mkdir(parents=True)
    (data / "inventory").mkdir()
    (data / "env").mkdir()
    shutil.copy(os.path.join(ROOT, "playbooks", "site.yml"), data / "project" / "site.yml")
    with open(INVENTORY_VARS) as handle:
        group_vars = yaml.safe_load(handle)
    group_vars["container_networking_install_prerequisites"] = False
    inventory = {"container_hosts": {"hosts": {"sandbox": {
        "ansible_connection": "community.docker.nsenter", "ansible_nsenter_pid": sandbox.pid,
        "ansible_python_interpreter": VENV_PYTHON}}, "vars": group_vars}}
    (data / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (data / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1"}))

    status, rc, events, stdout = run_job(str(data), "first")
    assert (status, rc) == ("successful", 0), stdout[-4000:]
    endpoints = task_results(events, "linuxnet.containers.netns_endpoint")
    assert endpoints and endpoints[0]["changed"]
    assert {e["name"] for e in endpoints[0]["endpoints"]} == {"web", "db", "web-metrics", "node-exporter", "batch"}
    ports = task_results(events, "linuxnet.containers.port_publish")
    assert ports[0]["published"][0]["host_port"] == 8080

    status, rc, events, stdout = run_job(str(data), "second")
    assert (status, rc) == ("successful", 0), stdout[-4000:]
    changed = [e["event_data"]["task"] for e in events
               if e.get("event") == "runner_on_ok" and e["event_data"]["res"].get("changed")]
    assert changed == []

    # the job really configured the sandbox: the published port answers a LAN host
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    assert sandbox.request("lan", "198.51.100.1", 8080) == "web 198.51.100.2"
