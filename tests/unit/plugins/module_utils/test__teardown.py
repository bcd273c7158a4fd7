# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which removed namespaces the kernel may clean up, what holds a namespace, and the bounded wait."""
import os
import threading

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _teardown as teardown
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Endpoint, State


def state(*endpoints):
    return State(endpoints={e.name: e for e in endpoints})


OWN = Endpoint("own", "bridge")
NONE = Endpoint("job", "none")
ADOPTED = Endpoint("adopted", "bridge", adopted="/proc/42/ns/net")
HOSTED = Endpoint("hosted", "host")
SIDE = Endpoint("side", "container", container="own")
CHAIN = Endpoint("chain", "container", container="side")


def test_only_namespaces_we_made_and_no_kept_endpoint_shares_go_to_the_kernel():
    before = state(OWN, NONE, ADOPTED, HOSTED, SIDE)
    assert teardown.kernel_removals(before, state(), ["own", "job", "adopted", "hosted", "side"]) == {"own", "job"}
    assert teardown.kernel_removals(before, state(SIDE), ["own", "job"]) == {"job"}   # side keeps own's alive


def test_a_chain_of_sharers_keeps_the_namespace_at_its_end():
    before = state(OWN, SIDE, CHAIN)
    assert teardown.kernel_removals(before, state(CHAIN), ["own", "side"]) == set()
    assert teardown.kernel_removals(before, state(), ["own", "side", "chain"]) == {"own"}


def test_released_needs_no_task_and_no_other_mount():
    named = {"a": 10, "b": 11, "c": 12}
    mounts = {10: {"/run/netns/a"}, 11: {"/run/netns/b", "/run/netns/foreign"}, 12: {"/run/netns/c", "/run/netns/a"}}
    assert teardown.released(named, (set(), mounts), ["a", "b", "c"]) == {"a", "c"}
    assert teardown.released(named, ({12}, mounts), ["a", "b", "c"]) == {"a"}
    assert teardown.released({"c": 12}, (set(), mounts), ["c"]) == set()   # another name of it stays


def test_holders_are_read_from_tasks_and_mountinfo(tmp_path):
    for pid, tid in (("7", "7"), ("7", "8"), ("9", "9")):
        os.makedirs(tmp_path / pid / "task" / tid / "ns")
        (tmp_path / pid / "task" / tid / "ns" / "net").write_text("")
    os.makedirs(tmp_path / "self")
    (tmp_path / "self" / "mountinfo").write_text(
        "22 1 0:4 net:[4026532001] /run/netns/web rw shared:5 - nsfs nsfs rw\n"
        "23 1 0:4 net:[4026532001] /run/netns/side rw shared:5 - nsfs nsfs rw\n"
        "24 1 8:1 / / rw - ext4 /dev/sda1 rw\n")
    tasks, mounts = teardown.netns_holders(str(tmp_path))
    assert tasks == {os.stat(tmp_path / p / "task" / t / "ns" / "net").st_ino for p, t in (("7", "7"), ("7", "8"),
                                                                                           ("9", "9"))}
    assert mounts == {4026532001: {"/run/netns/web", "/run/netns/side"}}


def test_the_wait_ends_when_the_links_are_gone_or_at_the_deadline():
    polls = [{"a": 1, "b": 1, "eth0": 1}, {"b": 1, "eth0": 1}, {"eth0": 1}]
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    assert teardown.wait_links_gone(lambda: polls.pop(0), ["a", "b"], clock=lambda: now[0], sleep=sleep) == []
    assert polls == [] and now[0] < 1
    now[0] = 0.0
    left = teardown.wait_links_gone(lambda: {"a": 1}, ["a", "b"], timeout=3, clock=lambda: now[0], sleep=sleep)
    assert left == ["a"] and 3 <= now[0] < 3.1


def test_the_wait_polls_names_and_returns_soon_after_the_kernels_last_batch():
    now = [0.0]
    polls = []

    def names():   # a list of names, as if_nameindex gives them; the veths go at 0.73 s
        polls.append(now[0])
        return ["lo", "eth0"] + (["lnv1", "lnv2"] if now[0] < 0.73 else [])

    def sleep(seconds):
        now[0] += seconds

    assert teardown.wait_links_gone(names, ["lnv1", "lnv2"], clock=lambda: now[0], sleep=sleep) == []
    assert 0.73 <= now[0] <= 0.73 + teardown.POLL_MAX
    assert polls[1] - polls[0] == teardown.POLL_FIRST and len(polls) < 40


def test_names_are_removed_on_several_threads_and_each_once():
    seen, threads = [], set()
    started = threading.Barrier(3, timeout=5)   # passes only if three removals run at the same time

    def remove(name):
        if name in ("a", "b", "c"):
            started.wait()
        seen.append(name)
        threads.add(threading.current_thread().name)

    names = ["a", "b", "c"] + ["n%d" % i for i in range(40)]
    teardown.remove_all(remove, names, threads=4)
    assert sorted(seen) == sorted(names) and len(threads) > 1 and threading.current_thread().name not in threads
    seen.clear()
    teardown.remove_all(seen.append, ["x", "y"], threads=1)   # one thread: in order, on the caller's thread
    assert seen == ["x", "y"]


def test_the_earliest_failure_is_raised_and_no_name_starts_after_one():
    seen = []

    def remove(name):
        seen.append(name)
        if name in ("n3", "n5"):
            raise KernelError("unmount /run/netns/%s: Device or resource busy" % name, errno=16)

    names = ["n%d" % i for i in range(200)]
    with pytest.raises(KernelError, match=r"^unmount /run/netns/n3: Device or resource busy$"):
        teardown.remove_all(remove, names, threads=4)
    assert {"n0", "n1", "n2", "n3"} <= set(seen) and len(seen) < 20   # the names before it were all tried
