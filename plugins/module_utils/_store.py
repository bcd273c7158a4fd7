# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state store: what the collection manages, kept next to the kernel objects it describes.

It lives under /run, so it shares the lifetime of the namespaces, bridges and rules it
describes: after a reboot both are gone and the next run rebuilds them. A host-wide
lock serialises concurrent runs (two playbooks, AWX jobs, forks against one host).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State

STATE_DIR = "/run/linuxnet-containers"
STATE_FILE = STATE_DIR + "/state.json"
LOCK_FILE = STATE_DIR + "/lock"
LOCK_TIMEOUT = 300


class HostLock:
    """An exclusive flock on the collection's lock file, held for one whole run."""

    def __init__(self, path: str = LOCK_FILE, timeout: float = LOCK_TIMEOUT):
        self.path = path
        self.timeout = timeout
        self._fd = None

    def __enter__(self) -> "HostLock":
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    os.close(self._fd)
                    raise Conflict("another linuxnet.containers run has held %s for %ds; "
                                   "wait for it to finish or stop it" % (self.path, self.timeout)) from None
                time.sleep(0.05)

    def __exit__(self, *exc_info) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def load(path: str = STATE_FILE) -> State:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return State()
    except ValueError as exc:
        raise LinuxnetError("state file %s is corrupt (%s); move it away and re-run the playbook to rebuild it"
                            % (path, exc)) from None
    return State.from_dict(data)


def save(state: State, path: str = STATE_FILE) -> None:
    """Write atomically: a run killed halfway leaves the old or the new file, never half of one."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(state.to_dict(), handle, indent=1, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Store:
    """The store adapter the engine uses: the host lock, and the state loaded and saved atomically."""

    def __init__(self, state_file: str = STATE_FILE, lock_file: str = LOCK_FILE):
        self.state_file = state_file
        self.lock_file = lock_file

    def lock(self) -> HostLock:
        return HostLock(self.lock_file)

    def load(self) -> State:
        return load(self.state_file)

    def save(self, state: State) -> None:
        save(state, self.state_file)
