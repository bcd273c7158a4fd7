# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the engine runs outside tools (nft, conntrack): always argv lists, never a shell."""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

# runner(argv, stdin) -> (rc, stdout, stderr); AnsibleModule.run_command fits behind it.
Runner = Callable[[Sequence[str], Optional[str]], Tuple[int, str, str]]


def module_runner(module) -> Runner:
    """Adapt AnsibleModule.run_command to the Runner signature."""

    def run(argv: Sequence[str], stdin: Optional[str] = None) -> Tuple[int, str, str]:
        return module.run_command(list(argv), data=stdin, binary_data=stdin is not None, check_rc=False)

    return run
