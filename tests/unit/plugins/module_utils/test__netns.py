# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Namespace identities and names, without creating or entering any namespace."""
import errno
import os

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _netns as netns
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption, KernelError


def test_namespace_identity_tells_a_mounted_namespace_from_a_stale_file(tmp_path):
    stale = tmp_path / "stale"
    stale.write_text("")
    assert netns.identity(str(stale)) is None and netns.inode(str(tmp_path / "missing")) is None
    assert netns.inode("/proc/self/ns/net") == netns.identity(netns.thread_netns())[1]
    with pytest.raises(KernelError, match="not a namespace") as raised:
        netns.open_namespace(str(stale))
    assert raised.value.details["errno"] == errno.EINVAL
    with pytest.raises(KernelError, match="No such file") as raised:
        netns.open_namespace(str(tmp_path / "missing"))
    assert raised.value.details["errno"] == errno.ENOENT


@pytest.mark.parametrize("name", ["", "a/b", "..", "."])
def test_a_name_that_is_no_file_name_is_refused_before_anything_happens(name):
    for call in (lambda: netns.remove(name), lambda: netns.bind(name, "/proc/self/ns/net")):
        with pytest.raises(InvalidOption, match="cannot name a namespace"):
            call()


def test_a_namespace_opened_to_be_entered_is_checked_like_its_identity(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    fd, found = netns.opened("/proc/self/ns/net")
    try:
        assert found == netns.identity("/proc/self/ns/net") and os.fstat(fd).st_ino == found[1]
    finally:
        os.close(fd)
    stale = tmp_path / "stale"
    stale.write_text("")
    assert netns.opened(str(stale)) is None and netns.opened(str(tmp_path / "missing")) is None
    assert netns.opened("/proc/self/ns/uts") is None     # on nsfs, but not a network namespace
    assert len(os.listdir("/proc/self/fd")) == before    # nothing left open
