# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection says the managed node needs is what its code needs: the standard library, Ansible's own
module_utils, and jmespath for container_network_info's query; no pyroute2 anywhere it is declared or installed."""

from __future__ import annotations

import ast
import os
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Besides the standard library: Ansible on the managed node (AnsiballZ) and the lazy import behind `query`.
ALLOWED = {"ansible", "ansible_collections", "jmespath"}


def python_files(top):
    for base, _dirs, names in os.walk(os.path.join(ROOT, top)):
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(base, name)


def imported_top_levels(path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.skipif(sys.version_info < (3, 10), reason="sys.stdlib_module_names is Python 3.10+")
def test_the_plugins_import_only_the_standard_library_ansible_and_jmespath():
    foreign = {(os.path.relpath(path, ROOT), name) for path in python_files("plugins")
               for name in imported_top_levels(path)
               if name not in sys.stdlib_module_names and name not in ALLOWED}
    assert not foreign


def test_the_scan_sees_a_third_party_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom pyroute2 import IPRoute\n", encoding="utf-8")
    assert list(imported_top_levels(str(probe))) == ["os", "pyroute2"]


def test_the_role_installs_no_python_library():
    with open(os.path.join(ROOT, "roles", "container_networking", "vars", "main.yml"), encoding="utf-8") as handle:
        packages = yaml.safe_load(handle)["__container_networking_packages"]
    assert set(packages) == {"Debian", "RedHat"}
    assert all(not name.startswith("python") for names in packages.values() for name in names)


def test_neither_the_requirements_nor_the_modules_docs_name_pyroute2():
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as handle:
        wanted = [line.split("#")[0].strip() for line in handle]
    assert [line for line in wanted if line] == ["jmespath>=1.0"]
    from ansible_collections.linuxnet.containers.plugins.doc_fragments.requirements import ModuleDocFragment
    requirements = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["requirements"]
    assert requirements and not [line for line in requirements if "pyroute2" in line.lower()]
