# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named network namespaces the way iproute2 makes them, in-process: nothing forks per namespace.

/run/netns is a shared mount point (bound on itself once); each name is an empty file with the
namespace's nsfs inode bind-mounted on it. A thread enters a namespace with setns(2) only for the
length of a `with` block and always comes back, so the rest of the process never leaves the host's.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import threading
from typing import Iterator, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption, KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import NETNS_DIR, netns_path

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2
NS_GET_NSTYPE = 0xB703  # ioctl: the CLONE_NEW* type of a namespace file (Linux 4.11)

Identity = Tuple[int, int]  # (st_dev, st_ino) of an nsfs inode: equal identities, same namespace

_LIBC = []
_NSFS = []


def _libc():
    if not _LIBC:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
        libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.unshare.argtypes = [ctypes.c_int]
        _LIBC.append(libc)
    return _LIBC[0]


def _failed(what: str, code: int) -> KernelError:
    return KernelError("%s: %s" % (what, os.strerror(code)), errno=code)


def _syscall(result: int, what: str) -> None:
    if result != 0:
        raise _failed(what, ctypes.get_errno())


def _setns(fd: int, what: str) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        try:
            os.setns(fd, CLONE_NEWNET)
        except OSError as exc:
            raise _failed(what, exc.errno) from None
    else:
        _syscall(_libc().setns(fd, CLONE_NEWNET), what)


def _unshare_net(what: str) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        try:
            os.unshare(CLONE_NEWNET)
        except OSError as exc:
            raise _failed(what, exc.errno) from None
    else:
        _syscall(_libc().unshare(CLONE_NEWNET), what)


def _mount(source: Optional[str], target: str, flags: int) -> int:
    """mount(2); 0 or the errno."""
    result = _libc().mount(source.encode() if source else None, target.encode(), b"none", flags, None)
    return ctypes.get_errno() if result != 0 else 0


def thread_netns() -> str:
    """The namespace file of the calling thread (not the process: setns works per thread)."""
    return "/proc/self/task/%d/ns/net" % threading.get_native_id()


# identities --------------------------------------------------------------------------------
def _nsfs_device() -> int:
    """The device of nsfs, where every namespace inode lives (one per boot)."""
    if not _NSFS:
        _NSFS.append(os.stat("/proc/self/ns/net").st_dev)
    return _NSFS[0]


def identity(path: str) -> Optional[Identity]:
    """(device, inode) of the network namespace at path; None when missing or anything else: a stale plain
    file, a directory, or a namespace of another type (/proc/PID/ns/uts lives on nsfs too)."""
    found = opened(path)
    if found is None:
        return None
    os.close(found[0])
    return found[1]


def opened(path: str) -> Optional[Tuple[int, Identity]]:
    """(an O_RDONLY descriptor, the identity) of the network namespace at path, None as for identity(): one
    open to check a namespace and then enter it. The caller closes the descriptor."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # ValueError: an embedded NUL
        return None
    if info.st_dev != _nsfs_device():
        return None
    try:  # only nsfs files get here, so the open cannot block on a FIFO or a device
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if fcntl.ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET:
            info = os.fstat(fd)
            if info.st_dev == _nsfs_device():
                return fd, (info.st_dev, info.st_ino)
    except OSError:
        pass
    os.close(fd)
    return None


def inode(path: str) -> Optional[int]:
    found = identity(path)
    return found[1] if found else None


def open_namespace(path: str) -> int:
    """An O_RDONLY descriptor of the namespace at path, checked to be one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise KernelError("open network namespace %s: %s" % (path, exc.strerror), errno=exc.errno) from None
    if os.fstat(fd).st_dev != _nsfs_device():
        os.close(fd)
        raise KernelError("open network namespace %s: not a namespace (nothing is mounted on it)" % path,
                          errno=errno.EINVAL)
    return fd


@contextlib.contextmanager
def _coming_back(what: str) -> Iterator[None]:
    """Whatever the block does to this thread's network namespace, the thread ends in the one it started in."""
    home = os.open(thread_netns(), os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield
    finally:
        try:
            _setns(home, "return to the original network namespace after: " + what)
        finally:
            os.close(home)


@contextlib.contextmanager
def entered(fd: int, what: str) -> Iterator[None]:
    """Run the block with this thread in the namespace of fd; come back whatever happens."""
    with _coming_back(what):
        _setns(fd, what)
        yield


# names -------------------------------------------------------------------------------------
def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise InvalidOption("name", "%r cannot name a namespace file in %s" % (name, NETNS_DIR))


def prepare_run_dir() -> None:
    """Make /run/netns a shared mount point, as `ip netns add` does, so names propagate to every mount namespace."""
    os.makedirs(NETNS_DIR, mode=0o755, exist_ok=True)
    code = _mount(None, NETNS_DIR, MS_SHARED | MS_REC)
    if code == 0:
        return
    if code != errno.EINVAL:  # EINVAL: not a mount point yet
        raise _failed("make %s a shared mount" % NETNS_DIR, code)
    code = _mount(NETNS_DIR, NETNS_DIR, MS_BIND | MS_REC)
    if code:
        raise _failed("bind %s on itself" % NETNS_DIR, code)
    code = _mount(None, NETNS_DIR, MS_SHARED | MS_REC)
    if code:
        raise _failed("make %s a shared mount" % NETNS_DIR, code)


def _name_file(name: str, what: str) -> str:
    """The empty file a namespace is mounted on; a stale plain file left by a crash is reused."""
    path = netns_path(name)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0))
    except FileExistsError:
        if identity(path) is not None:
            raise KernelError("%s: %s already names a namespace" % (what, path), errno=errno.EEXIST) from None
    except OSError as exc:
        raise KernelError("%s: create %s: %s" % (what, path, exc.strerror), errno=exc.errno) from None
    return path


def _discard_name_file(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def bind(name: str, source: str) -> str:
    """Name the namespace at source (/proc/PID/ns/net, another name, a runtime's path) /run/netns/NAME.

    Naming it again is a no-op; a name that holds another namespace is refused (remove it first).
    """
    _check_name(name)
    what = "name %s %s" % (source, netns_path(name))
    wanted = identity(source)
    if wanted is None:
        raise KernelError("%s: %s is not a network namespace" % (what, source), errno=errno.ENOENT)
    if identity(netns_path(name)) == wanted:
        return netns_path(name)
    prepare_run_dir()
    path = _name_file(name, what)
    code = _mount(source, path, MS_BIND)
    if code:
        _discard_name_file(path)
        raise _failed(what, code)
    return path


@contextlib.contextmanager
def created(name: str) -> Iterator[str]:
    """A new empty namespace named NAME; the block runs inside it (e.g. to open a socket there).

    If the block fails the name is removed again, so no half-made namespace stays behind.
    """
    _check_name(name)
    what = "create network namespace %s" % netns_path(name)
    prepare_run_dir()
    path = _name_file(name, what)
    with _coming_back(what):
        try:
            _unshare_net(what)
        except KernelError:
            _discard_name_file(path)
            raise
        code = _mount(thread_netns(), path, MS_BIND)
        if code:
            _discard_name_file(path)
            raise _failed(what, code)
        try:
            yield path
        except BaseException:
            remove(name)
            raise


def remove(name: str) -> None:
    """Unmount and unlink /run/netns/NAME; the namespace lives on while a process or another name holds it."""
    _check_name(name)
    path = netns_path(name)
    for _stacked in range(8):  # a racing second bind stacks a mount; unlink needs them all gone
        if _libc().umount2(path.encode(), MNT_DETACH) != 0:
            code = ctypes.get_errno()
            if code not in (errno.EINVAL, errno.ENOENT):  # not mounted (a stale file) or no such name
                raise _failed("unmount %s" % path, code)
            break
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise KernelError("remove %s: %s" % (path, exc.strerror), errno=exc.errno) from None
