#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_service
short_description: Install the linuxnet-containers command and its systemd unit, which restore the host at boot
version_added: 0.2.0
description:
  - Installs C(linuxnet-containers) in O(sbin_dir). C(linuxnet-containers restore) rebuilds everything in the state
    store (networks, namespaces under the same names, veths, addresses, MACs, routes, published ports with the same
    host ports, the firewall table, sysctls, C(/etc/netns) files) without a controller.
    C(linuxnet-containers status) prints what is managed and what differs from the store, and exits 1 on drift.
  - The command runs a copy of this collection's own engine, installed under O(lib_dir) from this module's
    payload, so it plans exactly what the modules would; re-run this module after upgrading the collection.
  - Installs the systemd unit C(linuxnet-containers.service) in O(unit_dir) (oneshot, before
    C(network-online.target), re-run whenever C(nftables.service) restarts or reloads, which flush the ruleset), and
    with O(enabled) links it into C(multi-user.target.wants) as C(systemctl enable) does. When systemd runs the
    host, a changed unit is followed by C(systemctl daemon-reload); the module never starts or stops the unit.
  - Workload units that run in a named namespace order after it with C(After=) and
    C(Requires=linuxnet-containers.service).
extends_documentation_fragment:
  - linuxnet.containers.attributes
  - linuxnet.containers.requirements
options:
  state:
    description: C(absent) removes the command, the engine copy and the unit.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description: Whether the unit runs at boot (its C(multi-user.target.wants) link).
    type: bool
    default: true
  sbin_dir:
    description: Where the command goes.
    type: path
    default: /usr/local/sbin
  lib_dir:
    description: Where the copy of the collection's engine goes.
    type: path
    default: /usr/local/lib/linuxnet-containers
  unit_dir:
    description: Where the systemd unit goes.
    type: path
    default: /etc/systemd/system
  python:
    description:
      - The interpreter of the command, any Python 3.9 or newer; the command needs only the standard library.
      - Default the one running this module.
    type: path
seealso:
  - module: linuxnet.containers.netns_endpoint
author:
  - linuxnet.containers contributors (@linuxnet)
"""

EXAMPLES = r"""
- name: Restore networks, endpoints and published ports at boot without the role
  linuxnet.containers.restore_service:

- name: Install the command only; nothing runs at boot
  linuxnet.containers.restore_service:
    enabled: false
"""

RETURN = r"""
command:
  description: The path of the installed command.
  returned: always
  type: str
  sample: /usr/local/sbin/linuxnet-containers
unit:
  description: The path of the systemd unit.
  returned: always
  type: str
  sample: /etc/systemd/system/linuxnet-containers.service
actions:
  description: What was changed (or would be, in check mode).
  returned: always
  type: list
  elements: str
module_python:
  description:
    - The Python interpreter this module ran with on the managed node, as Ansible chose it (inventory,
      C(ansible.cfg), C(ANSIBLE_PYTHON_INTERPRETER) or discovery); the role runs its gateway check with it.
    - Not O(python), the interpreter of the installed command.
  returned: always
  type: str
  sample: /usr/bin/python3
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

# _codecache first: it keeps the compiled code of the module_utils imported after it (see its docstring)
from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.linuxnet.containers.plugins.module_utils import _service as service


def bundle_engine():
    """Imports the engine: called only when the payload cannot be listed. The imports are here, not at the top,
    so that Ansible still bundles the engine (it scans every import of the module) while an ordinary run does not
    compile it: the module only copies its sources, it never runs them."""
    # pylint: disable=import-outside-toplevel,unused-import
    from ansible_collections.linuxnet.containers.plugins.module_utils import _cli  # noqa: F401
    from ansible_collections.linuxnet.containers.plugins.module_utils import _engine  # noqa: F401
    prefix = service.PACKAGE + "."
    return sorted(name[len(prefix):] for name in sys.modules if name.startswith(prefix) and "." not in name[len(prefix):])


def engine_sources():
    names = service.bundled_modules()
    if not {"_cli", "_engine", "_service"} <= set(names):
        names = bundle_engine()
    return service.module_sources(names)


def main():
    module = AnsibleModule(argument_spec=dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        enabled=dict(type="bool", default=True),
        sbin_dir=dict(type="path", default=service.SBIN_DIR),
        lib_dir=dict(type="path", default=service.LIB_DIR),
        unit_dir=dict(type="path", default=service.UNIT_DIR),
        python=dict(type="path"),
    ), supports_check_mode=True)
    params = module.params
    files = service.desired_files(engine_sources(), params["python"] or sys.executable, params["sbin_dir"],
                                  params["lib_dir"], params["unit_dir"])
    stale = [path for path in service.installed_engine_files(params["lib_dir"]) if path not in files]
    changes = service.plan(files, params["unit_dir"], params["enabled"], params["state"] == "present", stale)
    unit_path = os.path.join(params["unit_dir"], service.UNIT)
    diff = [{"before_header": path, "after_header": path, "before": service.read_text(path) or "",
             "after": content or ""} for op, path, content in changes if op == "write" and path == unit_path]
    if changes and not module.check_mode:
        try:
            service.apply(changes, files)
        except OSError as exc:
            module.fail_json(msg="installing %s failed: %s" % (service.COMMAND, exc))
        unit_changed = any(path in (unit_path, service.wants_link(params["unit_dir"])) for _op, path, _c in changes)
        if unit_changed and os.path.isdir("/run/systemd/system"):
            module.run_command(["systemctl", "daemon-reload"], check_rc=True)
    result = dict(changed=bool(changes), command=os.path.join(params["sbin_dir"], service.COMMAND), unit=unit_path,
                  actions=["%s %s" % (op, path) for op, path, _content in changes], module_python=sys.executable)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
