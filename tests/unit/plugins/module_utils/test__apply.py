# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a plan's actions are applied: in order, host link deletions in one request, names on several threads."""
import threading

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _apply
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._plan import Action


def act(op, **kwargs):
    return Action(op, kwargs, "%s %s" % (op, " ".join(str(v) for v in kwargs.values())))


PLAN = [act("apply_firewall"), act("delete_link", ifname="br", netns=None), act("delete_link", ifname="v1", netns=None),
        act("delete_link", ifname="eth0", netns="/run/netns/a"), act("remove_netns", name="a"),
        act("remove_netns", name="b"), act("remove_endpoint_dir", name="a"), act("remove_netns", name="c")]


def test_host_link_deletions_and_name_removals_come_in_batches():
    assert [[a.op for a in batch] for batch in _apply.batches(PLAN)] == [
        ["apply_firewall"], ["delete_link", "delete_link"], ["delete_link"], ["remove_netns", "remove_netns"],
        ["remove_endpoint_dir"], ["remove_netns"]]


def test_actions_run_in_order_with_one_request_for_the_host_links():
    done, threads = [], set()
    lock = threading.Lock()

    def call(op):
        def run(**kwargs):
            with lock:
                done.append((op, kwargs.get("name") or kwargs.get("ifname")))
                threads.add(threading.current_thread().name if op == "remove_netns" else None)
        return run

    calls = {op: call(op) for op in ("apply_firewall", "delete_link", "remove_netns", "remove_endpoint_dir")}
    _apply.apply(calls, PLAN, lambda ifnames: done.append(("delete_links", tuple(ifnames))))
    assert done[:3] == [("apply_firewall", None), ("delete_links", ("br", "v1")), ("delete_link", "eth0")]
    assert sorted(done[3:5]) == [("remove_netns", "a"), ("remove_netns", "b")]   # on threads: either order
    assert done[5:] == [("remove_endpoint_dir", "a"), ("remove_netns", "c")]
    assert any(name and name.startswith("linuxnet-remove-") for name in threads)


def test_an_os_error_names_the_actions_that_failed_and_stops_the_plan():
    done = []

    def fail(ifnames):
        raise OSError(16, "Device or resource busy")

    def removed(name):
        done.append(name)

    calls = {"apply_firewall": lambda: done.append("firewall"), "remove_netns": removed}
    with pytest.raises(KernelError, match=r"^delete_link br None; delete_link v1 None failed: \[Errno 16\] Device "):
        _apply.apply(calls, PLAN, fail)
    assert done == ["firewall"]
    kernel = KernelError("unmount /run/netns/x: busy")

    def busy(name):
        raise kernel

    with pytest.raises(KernelError) as raised:
        _apply.applied({"remove_netns": busy}, [act("remove_netns", name="x")])
    assert raised.value is kernel   # already named: raised as it is
