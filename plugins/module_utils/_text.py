# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a small text file. Standard library only: the service installer (_service) uses it without loading the
engine, and the engine's file handling (_files) uses the same."""

from __future__ import annotations

from typing import Optional


def read_text(path: str) -> Optional[str]:
    """The file's text as text mode reads it (UTF-8, universal newlines), or None when there is no such file. Read
    as bytes, with no text layer set up per file: a run reads two small files of every endpoint."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except FileNotFoundError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
