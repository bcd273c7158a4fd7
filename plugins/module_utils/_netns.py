# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named network namespaces the way iproute2 makes them, in-process (no fork per namespace).

/run/netns is a shared mount point; each name is a file with the namespace's nsfs bind-mounted on it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import NETNS_DIR, netns_path

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise KernelError("%s: %s" % (what, os.strerror(code)), errno=code)


def _mount(source, target, flags, fstype=b"none") -> int:
    return _libc.mount(source and source.encode(), target.encode(), fstype, flags, None)


def setns(fd: int, what: str) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), what)


@contextlib.contextmanager
def inside(path: str):
    """Run the block with this thread in the namespace at `path`; always come back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        os.close(home)
        raise KernelError("cannot open namespace %s: %s" % (path, exc.strerror)) from None
    try:
        setns(target, "enter namespace %s" % path)
        try:
            yield
        finally:
            setns(home, "return to the host namespace")
    finally:
        os.close(target)
        os.close(home)


def nsfs_device() -> int:
    return os.stat("/proc/self/ns/net").st_dev


def inode(path: str):
    """Inode of the namespace at path, or None when missing or not a namespace (a stale plain file)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino if info.st_dev == nsfs_device() else None


def _prepare_run_dir() -> None:
    os.makedirs(NETNS_DIR, mode=0o755, exist_ok=True)
    if _mount(None, NETNS_DIR, MS_SHARED | MS_REC) == 0:
        return
    if ctypes.get_errno() != errno.EINVAL:
        _check(-1, "make %s a shared mount" % NETNS_DIR)
    _check(_mount(NETNS_DIR, NETNS_DIR, MS_BIND | MS_REC), "bind %s on itself" % NETNS_DIR)
    _check(_mount(None, NETNS_DIR, MS_SHARED | MS_REC), "make %s a shared mount" % NETNS_DIR)


def _name_file(name: str) -> str:
    _prepare_run_dir()
    path = netns_path(name)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        if inode(path) is not None:
            raise KernelError("namespace name %s is already in use" % path) from None
    return path


def bind(name: str, source: str) -> str:
    path = _name_file(name)
    if _mount(source, path, MS_BIND) != 0:
        code = ctypes.get_errno()
        os.unlink(path)
        raise KernelError("name %s as %s: %s" % (source, path, os.strerror(code)))
    return path


def create(name: str) -> str:
    """A new empty namespace named NAME (lo is brought up by the caller)."""
    path = _name_file(name)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_libc.unshare(CLONE_NEWNET), "create a network namespace")
        try:
            result = _mount("/proc/thread-self/ns/net", path, MS_BIND)
            code = ctypes.get_errno()
        finally:
            setns(home, "return to the host namespace")
    finally:
        os.close(home)
    if result != 0:
        os.unlink(path)
        raise KernelError("name the new namespace %s: %s" % (path, os.strerror(code)))
    return path


def remove(name: str) -> None:
    path = netns_path(name)
    _libc.umount2(path.encode(), MNT_DETACH)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
