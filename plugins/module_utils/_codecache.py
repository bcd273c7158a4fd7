# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compiled code of this collection's module_utils, kept on the managed node between runs.

Ansible sends a module and the module_utils it imports as a zip, and Python's zipimport compiles every file from
source on every run (it writes no .pyc; CPython 3.11 even compiles each file twice). For our 50-odd files that is a
quarter of a second of every task. A module imports this file first: when it runs from such a zip, it puts a finder
in front of zipimport for this package's module_utils alone. The finder reads each file's source from the zip, looks
for the code compiled from exactly that source (the key is a SHA-256 of the Python's magic number, the file's name
and its source) in CACHE_DIR, and compiles and stores it when it is not there. Anything else is imported as before.

CACHE_DIR is used only when it is a directory that belongs to the user the module runs as and that no one else may
write; each entry must also belong to that user and carry a checksum of its bytes, so a torn or foreign file is
compiled again instead of being run. It holds no state: removing it costs one slower run. The environment variable
LINUXNET_CONTAINERS_CODE_CACHE=off (in a task's `environment`) turns it off. Standard library only.

`imports_done()`, which a module's runner calls before it parses its arguments, moves what the imports made out of
the garbage collector's way (see there).
"""

from __future__ import annotations

import gc
import hashlib
import importlib.abc
import importlib.util
import marshal
import os
import stat
import sys
import types
import zipimport
from typing import Optional

CACHE_DIR = "/var/cache/linuxnet-containers"
SWITCH = "LINUXNET_CONTAINERS_CODE_CACHE"
PACKAGE = __name__.rpartition(".")[0] + "."
_DIGEST = 32   # bytes of SHA-256 in front of every entry


def _private(mode: int, uid: int) -> bool:
    return uid == os.geteuid() and not mode & (stat.S_IWGRP | stat.S_IWOTH)


def usable_dir(directory: str) -> bool:
    """Whether `directory` may hold code this process runs: made when missing (mode 0700), a real directory, ours,
    writable by no one else."""
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and _private(info.st_mode, info.st_uid)


def entry_name(fullname: str, source: bytes) -> str:
    """`code-<module>-<key>`: the key changes with the source and with the Python that compiles it."""
    key = hashlib.sha256(importlib.util.MAGIC_NUMBER + fullname.encode() + b"\0" + source).hexdigest()[:40]
    return "code-%s-%s" % (fullname.rpartition(".")[2], key)


def load(path: str) -> Optional[types.CodeType]:
    """The code stored at `path`, or None when there is none we may run (missing, not ours, torn, not code)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or not _private(info.st_mode, info.st_uid):
            return None
        with os.fdopen(os.dup(handle), "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    finally:
        os.close(handle)
    digest, payload = data[:_DIGEST], data[_DIGEST:]
    if len(digest) != _DIGEST or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        code = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def store(directory: str, name: str, code: types.CodeType) -> None:
    """Write the entry atomically (a private temporary file renamed over it), then drop the module's older entries.
    A failure leaves the run as it was: the code is already compiled."""
    payload = marshal.dumps(code)
    path = os.path.join(directory, name)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, path)
        stale = name.rpartition("-")[0] + "-"
        for other in os.listdir(directory):
            if other.startswith(stale) and other != name and not other.endswith(".tmp"):
                os.unlink(os.path.join(directory, other))
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


class _Loader(importlib.abc.Loader):
    def __init__(self, finder: "CodeCache", fullname: str, source: bytes):
        self.finder, self.fullname, self.source = finder, fullname, source
        self.path = finder.origin(fullname)

    def get_filename(self, fullname: str) -> str:   # pylint: disable=unused-argument
        return self.path

    def get_source(self, fullname: str) -> str:   # pylint: disable=unused-argument
        return self.source.decode("utf-8")          # for tracebacks (linecache asks the module's loader)

    def is_package(self, fullname: str) -> bool:   # pylint: disable=unused-argument
        return False

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        exec(self.finder.code(self.fullname, self.source, self.path), module.__dict__)   # pylint: disable=exec-used


class CodeCache(importlib.abc.MetaPathFinder):
    """Finds `package`'s plain modules in a zip (`importer`, a zipimporter of the package's folder) and runs them
    from compiled code kept in `directory`."""

    def __init__(self, importer: zipimport.zipimporter, package: str, directory: str):
        self.importer, self.package, self.directory = importer, package, directory

    def origin(self, fullname: str) -> str:
        return os.path.join(self.importer.archive, self.importer.prefix, fullname.rpartition(".")[2] + ".py")

    def find_spec(self, fullname, path=None, target=None):   # pylint: disable=unused-argument
        rest = fullname[len(self.package):]
        if not fullname.startswith(self.package) or not rest or "." in rest:
            return None
        try:
            source = self.importer.get_data(self.importer.prefix + rest + ".py")
        except OSError:
            return None   # not ours, or a package: zipimport answers as before
        loader = _Loader(self, fullname, source)
        return importlib.util.spec_from_file_location(fullname, loader.path, loader=loader)

    def code(self, fullname: str, source: bytes, path: str) -> types.CodeType:
        name = entry_name(fullname, source)
        code = load(os.path.join(self.directory, name))
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
            store(self.directory, name, code)
        return code


def install(loader=None, directory: str = CACHE_DIR) -> Optional[CodeCache]:
    """Put the finder first on sys.meta_path when this file was imported from a zip; otherwise (an installed
    collection, tests, sanity) Python's own .pyc caching already applies and nothing is done."""
    loader = __loader__ if loader is None else loader
    if os.environ.get(SWITCH, "").lower() in ("off", "0", "false", "no"):
        return None
    if not isinstance(loader, zipimport.zipimporter) or not usable_dir(directory):
        return None
    for finder in sys.meta_path:
        if isinstance(finder, CodeCache):
            return finder
    finder = CodeCache(loader, PACKAGE, directory)
    sys.meta_path.insert(0, finder)
    return finder


def imports_done(loader=None) -> None:
    """The module's code is loaded. Objects made by imports (functions, classes, code) live until the process
    exits, yet the full collection that a large run's allocations trigger walks all of them: about 0.05 s at
    500 endpoints. Freezing them leaves the collector the run's own objects. Only when this file came from Ansible's
    zip, that is in a module process that ends with the task; a test process keeps its collector as it is."""
    if isinstance(__loader__ if loader is None else loader, zipimport.zipimporter):
        gc.freeze()


install()
