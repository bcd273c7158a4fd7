# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named network namespaces made and removed in-process, as a container runtime does (no fork of ip(8)).

create(name) unshares a new network namespace on the calling thread, bind-mounts it at /run/netns/NAME and
returns to the original one; `inside(name)` runs a callable there. Standard library only.
"""
import ctypes
import os

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2
RUN_NETNS = "/run/netns"
libc = ctypes.CDLL(None, use_errno=True)
_HOME = None


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def _home():
    global _HOME  # pylint: disable=global-statement
    if _HOME is None:
        _HOME = os.open("/proc/self/ns/net", os.O_RDONLY)
    return _HOME


def path(name):
    return os.path.join(RUN_NETNS, name)


def create(name, then=None):
    """Makes /run/netns/NAME; with `then`, calls it while inside the new namespace and returns its result."""
    home = _home()
    os.makedirs(RUN_NETNS, exist_ok=True)
    os.close(os.open(path(name), os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    _check(libc.unshare(CLONE_NEWNET), "unshare")
    try:
        _check(libc.mount(b"/proc/thread-self/ns/net", path(name).encode(), b"none", MS_BIND, None),
               "bind " + path(name))
        return then() if then else None
    finally:
        _check(libc.setns(home, CLONE_NEWNET), "setns back")


def inside(name, call):
    """call() with the calling thread in namespace NAME; back home afterwards."""
    home = _home()
    fd = os.open(path(name), os.O_RDONLY)
    try:
        _check(libc.setns(fd, CLONE_NEWNET), "setns " + name)
        try:
            return call()
        finally:
            _check(libc.setns(home, CLONE_NEWNET), "setns back")
    finally:
        os.close(fd)


def remove(name):
    """Unmounts and unlinks /run/netns/NAME; the kernel frees the namespace (and its veths) once unused."""
    _check(libc.umount2(path(name).encode(), MNT_DETACH), "umount " + path(name))
    os.unlink(path(name))
