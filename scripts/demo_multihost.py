# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The driver of scripts/demo_multihost.sh: a Fabric of three sandbox hosts, the playbook across them, cleanup.
Every sandbox dies with this process, even when it is killed."""
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from fabric import Fabric  # noqa: E402  pylint: disable=wrong-import-position,import-error
from harness import VENV_BIN  # noqa: E402  pylint: disable=wrong-import-position,import-error


def main(args):
    with Fabric(3) as fabric:
        print("demo_multihost: sandbox hosts %s, underlay switch %d; removed when the demo ends"
              % (", ".join("%s=%d" % (n, h.pid) for n, h in zip(fabric.names, fabric.hosts)), fabric.switch.pid))
        path = os.path.join(fabric.tempdir(), "inventory.yml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(fabric.inventory(), handle)
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", path, "-f", "3",
                os.path.join(ROOT, "playbooks", "demo_multihost.yml")] + list(args)
        env = fabric.switch.ansible_env()
        for key in ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_PLUGINS"):
            env.pop(key, None)
        return subprocess.run(argv, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
