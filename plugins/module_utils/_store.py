# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state store: what the collection manages and every allocation it made.

The store is durable (/var/lib/linuxnet-containers/state.json): it outlives a reboot, so the
restore command and the next run rebuild the same namespaces, addresses, MACs and host ports.
The host-wide lock that serialises concurrent runs (two playbooks, AWX jobs, forks against one
host) stays under /run, as runtime data. A store left under /run by 0.1.0 is moved into the
durable one, once, under the lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._text import read_text

STATE_DIR = "/var/lib/linuxnet-containers"
STATE_FILE = STATE_DIR + "/state.json"
RUN_DIR = "/run/linuxnet-containers"
LOCK_FILE = RUN_DIR + "/lock"
LEGACY_STATE_FILE = RUN_DIR + "/state.json"      # where 0.1.0 kept the store
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
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                waited = time.monotonic() - started
                if waited >= self.timeout:
                    os.close(self._fd)
                    self._fd = None
                    # What we measured is how long this run waited, not how long the other has held it.
                    raise Conflict("gave up after waiting %ds for %s: another linuxnet.containers run holds it; "
                                   "wait for that run to finish or stop it" % (round(waited), self.path)) from None
                time.sleep(0.05)

    def __exit__(self, *exc_info) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def load(path: str = STATE_FILE) -> State:
    try:
        text = read_text(path)
        if text is None:
            return State()
        data = json.loads(text)
    except ValueError as exc:   # not JSON, or not UTF-8
        raise LinuxnetError("state file %s is corrupt (%s); restore it from a backup, or move it away and "
                            "re-run the playbook to rebuild it" % (path, exc)) from None
    return State.from_dict(data)


def _write(path: str, text: str) -> None:
    """Write atomically and durably: a run killed halfway leaves the old or the new file, never half of one."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def dumps(data: dict) -> str:
    """The store's text: a line per record (an endpoint, a network, ...) under its section, keys sorted, so that
    `cat` and `diff` stay readable. Each line is one compact dump, which json's C encoder makes; an indented dump
    goes through its Python encoder, about ten times slower (0.1 s per save at 500 endpoints)."""
    lines = ["{"]
    for number, key in enumerate(sorted(data)):
        value, comma = data[key], "," if number < len(data) - 1 else ""
        if isinstance(value, dict) and value:
            records = sorted(value.items())
            lines.append(" %s: {" % json.dumps(key))
            lines += ["  %s: %s%s" % (json.dumps(name), json.dumps(record, sort_keys=True),
                                      "," if index < len(records) - 1 else "")
                      for index, (name, record) in enumerate(records)]
            lines.append(" }" + comma)
        else:
            lines.append(" %s: %s%s" % (json.dumps(key), json.dumps(value, sort_keys=True), comma))
    return "\n".join(lines + ["}"]) + "\n"


def save(state: State, path: str = STATE_FILE) -> None:
    _write(path, dumps(state.to_dict()))


def migrate(legacy: str, path: str) -> bool:
    """Move a 0.1.0 store from /run into the durable one; True when it did. Call it under the lock.

    The durable copy is written atomically before the old file goes, so a run killed in between
    leaves both, and the next call, seeing the durable store, only removes the old one."""
    if not os.path.exists(legacy):
        return False
    if not os.path.exists(path):
        with open(legacy, encoding="utf-8") as handle:
            text = handle.read()
        try:
            json.loads(text)
        except ValueError as exc:
            raise LinuxnetError("state file %s (from 0.1.0) is corrupt (%s); move it away and re-run the playbook "
                                "to rebuild it" % (legacy, exc)) from None
        _write(path, text)
    os.unlink(legacy)
    return True


class Store:
    """The store adapter the engine uses: the host lock, and the state loaded and saved atomically.

    The paths are attributes so that tests and sandboxes can point them elsewhere."""

    def __init__(self, state_file: str = STATE_FILE, lock_file: str = LOCK_FILE,
                 legacy_file: str = LEGACY_STATE_FILE, lock_timeout: float = LOCK_TIMEOUT):
        self.state_file = state_file
        self.lock_file = lock_file
        self.legacy_file = legacy_file
        self.lock_timeout = lock_timeout
        self.migrated = False

    def lock(self) -> HostLock:
        return HostLock(self.lock_file, self.lock_timeout)

    def load(self) -> State:
        if self.legacy_file and migrate(self.legacy_file, self.state_file):
            self.migrated = True
        return load(self.state_file)

    def save(self, state: State) -> None:
        save(state, self.state_file)
