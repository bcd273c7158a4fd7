# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site and teardown playbooks, run by name with the example inventory, and the role's nsenter guard.

The refusals run in check mode as well: should a guard ever fail open, nothing would change this machine.
"""
import os
import re
import subprocess

import yaml
from harness import COLLECTIONS, ROOT, VENV_BIN

INVENTORY = os.path.join(ROOT, "playbooks", "inventory")


def ansible_playbook(tmp_path, *args, sandbox_pid=None):
    env = {k: v for k, v in os.environ.items() if k != "LINUXNET_SANDBOX_PID"}
    env.update(PATH=VENV_BIN + ":" + env.get("PATH", ""), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1")
    if sandbox_pid is not None:
        env["LINUXNET_SANDBOX_PID"] = str(sandbox_pid)
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook")] + list(args), capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap(output):
    """{'ok': n, 'changed': n, 'failed': n, ...} of the one host in the PLAY RECAP."""
    line = output[output.rindex("PLAY RECAP"):].splitlines()[1]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def test_example_inventory_refuses_without_a_sandbox_pid(tmp_path):
    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.site", "--check")
    assert rc != 0
    assert "Set LINUXNET_SANDBOX_PID (or -e ansible_nsenter_pid=PID)" in output
    assert recap(output)["ok"] == 0


def test_role_refuses_a_target_in_this_machines_network_namespace(tmp_path):
    """ansible_nsenter_pid names this very process: the role stops before its first change."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"container_hosts": {"hosts": {"not-a-sandbox": {
        "ansible_connection": "community.docker.nsenter", "ansible_nsenter_pid": os.getpid(),
        "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    rc, output = ansible_playbook(tmp_path, "-i", str(inventory), "linuxnet.containers.site", "--check",
                                  "-e", "container_networking_install_prerequisites=false",
                                  "-e", "container_networking_verify=false",
                                  "-e", "@" + os.path.join(INVENTORY, "group_vars", "container_hosts.yml"))
    assert rc != 0
    assert "is in this controller's own network namespace" in output
    assert "Apply networks, endpoints and published ports in one step" not in output


def test_site_and_teardown_by_name_with_the_example_inventory(sandbox, tmp_path):
    # Check mode on a fresh host: one step previews networks, endpoints and ports together, and changes nothing.
    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.site", "--check",
                                  sandbox_pid=sandbox.pid)
    assert rc == 0, output[-4000:]
    assert "Check mode did not preview" not in output
    step = output[output.index("Apply networks, endpoints and published ports in one step"):]
    assert step.split("TASK [", 1)[0].count("changed: [") == 1, output[-4000:]
    assert sandbox.run(["ls", "/run/netns"]).stdout.split() == ["lan"]

    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.site", sandbox_pid=sandbox.pid)
    assert rc == 0, output[-4000:]
    assert recap(output)["changed"] == 2  # networks, endpoints and ports in one step, the restore service
    assert sandbox.run(["/usr/local/sbin/linuxnet-containers", "status"]).stdout.splitlines()[-1] == \
        "status: the host matches the store"
    assert sandbox.run(["test", "-L", "/etc/systemd/system/multi-user.target.wants/linuxnet-containers.service"]
                       ).returncode == 0
    assert sorted(sandbox.run(["ls", "/run/netns"]).stdout.split()) == [
        "batch", "db", "lan", "node-exporter", "web", "web-metrics"]

    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.site", "--check",
                                  sandbox_pid=sandbox.pid)
    assert rc == 0 and recap(output)["changed"] == 0, output[-4000:]

    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.teardown", "--check",
                                  sandbox_pid=sandbox.pid)
    assert rc == 0 and recap(output)["changed"] == 1, output[-4000:]
    assert "Check mode did not preview" not in output
    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.teardown",
                                  sandbox_pid=sandbox.pid)
    assert rc == 0, output[-4000:]
    assert recap(output)["changed"] == 1  # ports, endpoints and networks removed in one step
    rc, output = ansible_playbook(tmp_path, "-i", INVENTORY, "linuxnet.containers.teardown",
                                  sandbox_pid=sandbox.pid)
    assert rc == 0 and recap(output)["changed"] == 0, output[-4000:]

    assert sandbox.run(["ls", "/run/netns"]).stdout.split() == ["lan"]
    links = [link["ifname"] for link in sandbox.ip(None, "link")]
    assert sorted(links) == ["lo", "uplink0"], links
    assert "linuxnet" not in sandbox.run(["nft", "list", "ruleset"]).stdout
