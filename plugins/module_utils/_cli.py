# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `linuxnet-containers` command on the managed node: restore and status, without a controller.

    linuxnet-containers restore   rebuild everything in the store (boot, after a ruleset flush)
    linuxnet-containers status    print what is managed and what differs from the store; exit 1 on drift

It runs the collection's own engine (Engine.replay), installed next to it by the
restore_service module, so it plans exactly what a module run would.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._store import LOCK_FILE, STATE_FILE, Store

EXIT_DRIFT = 1
EXIT_ERROR = 2


def subprocess_runner(argv: Sequence[str], stdin: Optional[str] = None) -> Tuple[int, str, str]:
    # The command runs without AnsibleModule, so there is no run_command to call.
    proc = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,  # pylint: disable=ansible-bad-function
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="linuxnet-containers",
                                    description="Restore or check what linuxnet.containers manages on this host.")
    parse.add_argument("command", choices=("restore", "status"),
                       help="restore: rebuild everything in the store; status: what differs from it (exit 1)")
    parse.add_argument("--state-file", default=STATE_FILE, help="the state store (default %(default)s)")
    parse.add_argument("--lock-file", default=LOCK_FILE, help="the host lock (default %(default)s)")
    return parse


def main(argv: Optional[Sequence[str]] = None, adapters=None) -> int:
    """The command; `adapters` (an _engine.Adapters) replaces the real ones in tests."""
    # The engine is imported only once the arguments are fine, so --help works anywhere.
    from ansible_collections.linuxnet.containers.plugins.module_utils._engine import Adapters, Engine

    args = parser().parse_args(argv)
    try:
        if adapters is None:
            adapters = Adapters.real(subprocess_runner)
            adapters.store = Store(state_file=args.state_file, lock_file=args.lock_file)
        with Engine(adapters, check_mode=args.command == "status") as engine:
            report = engine.replay()
    except (LinuxnetError, OSError) as exc:
        sys.stderr.write("linuxnet-containers %s: %s\n" % (args.command, exc))
        return EXIT_ERROR
    sys.stdout.write("".join(line + "\n" for line in report.lines()))
    if args.command == "status" and report.drift:
        return EXIT_DRIFT
    return 0
