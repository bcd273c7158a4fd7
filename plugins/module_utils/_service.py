# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the restore_service module installs on a managed node, and how it installs it.

    SBIN_DIR/linuxnet-containers                 a launcher: the module's own Python (or `python`), then _cli.main
    LIB_DIR/ansible_collections/.../module_utils the collection's own engine, copied from the module's payload
    UNIT_DIR/linuxnet-containers.service         restore at boot, and again when nftables.service restarts

Rendering is pure; `install` writes each file atomically and only when its content differs. Standard library
only: the module that uses it copies the engine's sources from its payload without importing (compiling) them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._text import read_text

COMMAND = "linuxnet-containers"
UNIT = "linuxnet-containers.service"
SBIN_DIR = "/usr/local/sbin"
LIB_DIR = "/usr/local/lib/linuxnet-containers"
UNIT_DIR = "/etc/systemd/system"
PACKAGE = "ansible_collections.linuxnet.containers.plugins.module_utils"
WANTED_BY = "multi-user.target"


def bundled_modules() -> List[str]:
    """The modules of PACKAGE that this process can load, without loading them. In a module's payload these are
    the engine's files Ansible bundled: every module_utils file the module imports, directly or through others."""
    package = importlib.import_module(PACKAGE)
    return sorted(name for _finder, name, is_package in pkgutil.iter_modules(package.__path__) if not is_package)


def module_sources(names: Sequence[str]) -> Dict[str, str]:
    """Module name -> source text, read from wherever PACKAGE is loaded from (the payload's zip archive)."""
    return {name: (pkgutil.get_data(PACKAGE, name + ".py") or b"").decode("utf-8") for name in names}


def launcher(python: str, lib_dir: str) -> str:
    return "\n".join([
        "#!%s" % python,
        "# Installed by linuxnet.containers.restore_service; changes are overwritten.",
        '"""linuxnet-containers restore|status: see docs/operations.md of the linuxnet.containers collection."""',
        "import sys",
        "",
        "sys.path.insert(0, %r)" % lib_dir,
        "from %s._cli import main  # noqa: E402" % PACKAGE,
        "",
        "sys.exit(main())",
        "",
    ])


def unit(command: str) -> str:
    """Restore at boot before the network is online (workloads order After=/Requires= it); PartOf= and
    ReloadPropagatedFrom= re-run it when nftables.service restarts or reloads, which flush the ruleset."""
    return "\n".join([
        "# Installed by linuxnet.containers.restore_service; changes are overwritten.",
        "[Unit]",
        "Description=Restore the networks, namespaces and published ports of linuxnet.containers",
        "Documentation=https://github.com/linuxnet/containers/blob/main/docs/operations.md",
        "After=local-fs.target systemd-sysctl.service systemd-modules-load.service nftables.service",
        "After=firewalld.service",
        "Before=network-online.target",
        "PartOf=nftables.service",
        "ReloadPropagatedFrom=nftables.service",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        "ExecStart=%s restore" % command,
        "ExecReload=%s restore" % command,
        "",
        "[Install]",
        "WantedBy=%s" % WANTED_BY,
        "",
    ])


def library_files(sources: Dict[str, str], lib_dir: str) -> Dict[str, str]:
    """The engine's files (module name -> source) under lib_dir, with the packages' __init__.py, so that this
    copy, first on sys.path, is the one imported even where another ansible_collections is installed."""
    base = os.path.join(lib_dir, *PACKAGE.split("."))
    wanted = {os.path.join(base, name + ".py"): text for name, text in sources.items()}
    parts = PACKAGE.split(".")
    for depth in range(1, len(parts) + 1):
        wanted[os.path.join(lib_dir, *parts[:depth], "__init__.py")] = ""
    return wanted


def desired_files(sources: Dict[str, str], python: str, sbin_dir: str, lib_dir: str,
                  unit_dir: str) -> Dict[str, Tuple[str, int]]:
    """Path -> (content, mode) of everything installed."""
    command = os.path.join(sbin_dir, COMMAND)
    files = {path: (text, 0o644) for path, text in library_files(sources, lib_dir).items()}
    files[command] = (launcher(python, lib_dir), 0o755)
    files[os.path.join(unit_dir, UNIT)] = (unit(command), 0o644)
    return files


def wants_link(unit_dir: str) -> str:
    return os.path.join(unit_dir, WANTED_BY + ".wants", UNIT)


def _mode(path: str) -> Optional[int]:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def plan(files: Dict[str, Tuple[str, int]], unit_dir: str, enabled: bool, present: bool,
         stale: List[str]) -> List[Tuple[str, str, Optional[str]]]:
    """[(op, path, content)] with op in write, chmod, link, unlink, remove; stale: engine files no longer shipped."""
    changes: List[Tuple[str, str, Optional[str]]] = []
    link = wants_link(unit_dir)
    target = os.path.join(unit_dir, UNIT)
    if present:
        for path, (content, mode) in sorted(files.items()):
            if read_text(path) != content:
                changes.append(("write", path, content))
            elif _mode(path) != mode:
                changes.append(("chmod", path, None))
        changes += [("remove", path, None) for path in sorted(stale)]
        linked = os.path.islink(link) and os.readlink(link) == target
        if enabled and not linked:
            changes.append(("link", link, target))
        elif not enabled and os.path.lexists(link):
            changes.append(("unlink", link, None))
    else:
        if os.path.lexists(link):
            changes.append(("unlink", link, None))
        changes += [("remove", path, None) for path in sorted(files) + sorted(stale) if os.path.lexists(path)]
    return changes


def apply(changes, files: Dict[str, Tuple[str, int]]) -> None:
    for op, path, content in changes:
        if op == "write":
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            temporary = "%s.%d.tmp" % (path, os.getpid())
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(temporary, files[path][1])
            os.replace(temporary, path)
        elif op == "chmod":
            os.chmod(path, files[path][1])
        elif op == "link":
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(content, path)
        elif op in ("unlink", "remove"):
            os.unlink(path)


def installed_engine_files(lib_dir: str) -> List[str]:
    base = os.path.join(lib_dir, *PACKAGE.split("."))
    try:
        return [os.path.join(base, name) for name in os.listdir(base) if name.endswith(".py")]
    except FileNotFoundError:
        return []
