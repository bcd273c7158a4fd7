# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One overlay network across three sandbox hosts as AWX runs it: an ansible-runner job over an inventory of three
hosts, each reached with community.docker.nsenter by its own PID 1 (as host variables of an AWX inventory)."""
import os
import shutil

import yaml
from fabric import Fabric
from harness import COLLECTIONS, ROOT
from test_awx_runner import changed_tasks, ok_results, run_job


def test_overlay_across_three_hosts_as_an_awx_job(tmp_path):
    with Fabric(3) as fabric:
        data_dir = tmp_path / "job"
        (data_dir / "env").mkdir(parents=True)
        (data_dir / "project").mkdir()
        (data_dir / "inventory").mkdir()
        shutil.copy(os.path.join(ROOT, "playbooks", "demo_multihost.yml"), data_dir / "project" / "site.yml")
        (data_dir / "inventory" / "hosts.yml").write_text(yaml.safe_dump(fabric.inventory()))
        (data_dir / "env" / "envvars").write_text(yaml.safe_dump({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_HOME": str(tmp_path / "home"), "ANSIBLE_NOCOLOR": "1"}))
        status, rc, events, output = run_job(str(data_dir), "first")
        assert (status, rc) == ("successful", 0), output[-6000:]
        probes = [line for result in ok_results(events, "ansible.builtin.command") for line in result["stdout_lines"]
                  if line.startswith("app-")]
        assert len(probes) == 6 and all(line.endswith(" reached") for line in probes), probes
        hosts = {e["event_data"]["host"] for e in events if e.get("event") == "runner_on_ok"}
        assert hosts == set(fabric.names)
        status, rc, events, output = run_job(str(data_dir), "second")
        assert (status, rc) == ("successful", 0), output[-6000:]
        assert changed_tasks(events) == []
