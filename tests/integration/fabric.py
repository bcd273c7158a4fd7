# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several sandbox hosts joined by an underlay, for tests of networks that span hosts.

    switch   one more sandbox host: bridge `under0` (192.0.2.1/24, the hosts' default gateway) and the
             "internet" address 203.0.113.1 on a dummy link, which answers probes of outbound traffic
    hostN    sandbox hosts (scripts/sandbox.py); each gets `under0` (192.0.2.1N/24), a veth made in the
             switch whose peer is moved into the host's network namespace by its PID 1, and its default
             route through the switch (so masquerading shows each host's own underlay address)

Every sandbox dies with the process that started it (die_with_parent), so a killed test run leaves nothing.
Ansible reaches each host as its own inventory host through community.docker.nsenter (`inventory()`).
"""

import json
import os
import tempfile

import yaml

from harness import VENV_BIN, VENV_PYTHON, Sandbox, run_playbook  # pylint: disable=import-error

# scripts/underlay.py: harness puts scripts/ on the path
import underlay  # noqa: E402  pylint: disable=wrong-import-position,import-error
from underlay import INTERNET_ADDRESS, SWITCH_ADDRESS, underlay_address  # noqa: E402  pylint: disable=import-error

__all__ = ["Fabric", "INTERNET_ADDRESS", "SWITCH_ADDRESS", "underlay_address"]


class Fabric:
    """`count` sandbox hosts and a switch sandbox; close() stops them all."""

    def __init__(self, count=3):
        self.switch = Sandbox()
        self.hosts = []
        try:
            self._switch_setup()
            for index in range(count):
                self.hosts.append(Sandbox())
                self._join(index, self.hosts[-1])
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        for host in self.hosts + [self.switch]:
            host.close()

    @property
    def names(self):
        return ["host%d" % (index + 1) for index in range(len(self.hosts))]

    def _switch_setup(self):
        underlay.make_switch(self.switch.pid)

    def _join(self, index, host):
        underlay.join(self.switch.pid, host.pid, index)

    # ansible ------------------------------------------------------------------------------
    def inventory(self, group="overlay_hosts", hostvars=None):
        """An inventory that reaches each host through community.docker.nsenter by its own PID 1."""
        hosts = {}
        for index, (name, host) in enumerate(zip(self.names, self.hosts)):
            hosts[name] = dict({
                "ansible_connection": "community.docker.nsenter",
                "ansible_nsenter_pid": host.pid,
                "ansible_python_interpreter": VENV_PYTHON,
                "container_networking_underlay_address": underlay_address(index),
            }, **((hostvars or {}).get(name, {})))
        return {"all": {"children": {group: {"hosts": hosts}}}}

    def playbook(self, play, extra_vars=None, check=False, expect_rc=0, inventory=None, limit=None):
        """Runs `play` (text or plays) across the hosts; returns every task result, each with its host."""
        runner = self.switch
        workdir = runner.workdir()
        path = os.path.join(workdir, "play.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(play if isinstance(play, str) else yaml.safe_dump(play))
        inventory_path = os.path.join(workdir, "inventory.yml")
        with open(inventory_path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(inventory or self.inventory(), handle)
        dump = os.path.join(workdir, "results.jsonl")
        env = runner.ansible_env()
        env["RESULT_DUMP"] = dump
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory_path, "-f", "3", path]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        if check:
            argv.append("--check")
        if limit:
            argv += ["--limit", limit]
        return run_playbook(argv, env, dump, expect_rc, tail=10000)

    def tempdir(self):
        return tempfile.mkdtemp(prefix="fabric-", dir=self.switch.workdir())
