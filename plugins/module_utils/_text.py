# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a small text file. Standard library only: the service installer (_service) uses it without loading the
engine, and the engine's file handling (_files) uses the same."""

from __future__ import annotations

from typing import Optional


def read_text(path: str) -> Optional[str]:
    """The file's text, or None when there is no such file."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
