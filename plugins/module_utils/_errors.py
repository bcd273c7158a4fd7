# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions raised inside the engine; only a module's main() turns them into fail_json."""

from __future__ import annotations


class LinuxnetError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, msg: str, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class InvalidOption(LinuxnetError):
    """Bad user input: names the offending field and how to fix it. Raised before any change."""

    def __init__(self, field: str, problem: str, fix: str = ""):
        text = "%s: %s" % (field, problem)
        if fix:
            text += "; %s" % fix
        super().__init__(text, field=field)
        self.field = field


class UnknownReference(InvalidOption):
    """The request names a network or endpoint that does not exist. In check mode an earlier task of the
    same play may be about to create it, so the engine reports instead of failing."""


class Conflict(LinuxnetError):
    """The request is valid on its own but clashes with what exists (in use, taken, attached)."""


class MissingDependency(LinuxnetError):
    """A library or tool the managed node needs is absent; the message says what to install."""


class KernelError(LinuxnetError):
    """The kernel or a tool refused an operation while applying a plan."""
