# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Teardown through the kernel's own namespace cleanup.

Deleting veths one request at a time costs an RCU grace period each (tens of ms). A namespace that nothing
holds any more is destroyed by the kernel, which removes all its devices in one batch for every namespace that
died meanwhile: both ends of each veth go with it. So for a removed endpoint whose namespace the collection made
and nothing else holds, a run removes the namespace's name only (the netlink adapter closes its own socket in it
first), then waits, bounded, until the host ends are gone, so the result is truthful and the next run sees a
clean host; ends still there at the deadline are deleted as before, with a warning.

What may hold a namespace besides its name: another endpoint that shares it (container mode), a process or thread
living in it, another mount of it (`ip netns attach`, a runtime's bind mount). The first is in the state
(`kernel_removals`), the others are read from /proc (`netns_holders`); a namespace held by any of them keeps
today's path (its veths deleted explicitly, in one batch). An open file or socket of another process in it is not
seen: its veths are then deleted at the deadline.

Order, so that the kernel's work overlaps ours instead of following it: the bridges of removed networks go first
(a bridge takes its ports off itself in our request; left to the cleanup, each port costs the dying namespaces a
grace period under the lock every link operation needs, and the unmounts behind it slow down tenfold), then the
names, on a few threads (`remove_all`: each unmount waits for a grace period of its own, and threads share them),
then the files and the state while the kernel destroys the namespaces; the wait comes last.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._models import OWN_NAMESPACE_MODES, State, netns_path

SETTLE_TIMEOUT = 30.0   # seconds the kernel gets to destroy released namespaces before we delete what is left
POLL_FIRST, POLL_MAX = 0.005, 0.05   # seconds between two polls of the host's link names
REMOVE_THREADS = 8   # namespace names unmounted at once
Holders = Tuple[Set[int], Dict[int, Set[str]]]   # (nsfs inodes tasks live in, nsfs inode -> its mount points)


@dataclass(frozen=True)
class Named:
    """A namespace name that exists, as the planner needs it for an endpoint being removed: its view is not read."""

    inode: int


def kernel_removals(before: State, new: State, removed: Iterable[str]) -> Set[str]:
    """The removed endpoints whose namespace the collection made (its own mode, not adopted) and that no endpoint
    kept in `new` shares, directly or through a chain of container-mode endpoints."""
    # A kept sharer's chain may pass through endpoints this run removes: walk it over both states.
    both = State(endpoints={**before.endpoints, **new.endpoints})
    shared = {owner.name for owner in (both.namespace_owner(name) for name in new.endpoints)
              if owner is not None}
    found = set()
    for name in removed:
        endpoint = before.endpoints.get(name)
        if endpoint is not None and endpoint.mode in OWN_NAMESPACE_MODES and not endpoint.adopted \
                and name not in shared:
            found.add(name)
    return found


def released(named: Dict[str, int], holders: Holders, removed: Iterable[str]) -> Set[str]:
    """Of `named` (endpoint -> inode of its namespace), those nothing holds once the names of `removed` go."""
    tasks, mounts = holders
    going = {netns_path(name) for name in removed}
    return {name for name, inode in named.items() if inode not in tasks and mounts.get(inode, set()) <= going}


def netns_holders(proc: str = "/proc") -> Holders:
    """The network namespaces (nsfs inodes) of every task, and every nsfs mount of a network namespace."""
    tasks: Set[int] = set()
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            threads = os.listdir(os.path.join(proc, pid, "task"))
        except OSError:
            continue   # gone meanwhile
        for tid in threads:
            try:
                tasks.add(os.stat(os.path.join(proc, pid, "task", tid, "ns", "net")).st_ino)
            except OSError:
                continue
    mounts: Dict[int, Set[str]] = {}
    try:
        with open(os.path.join(proc, "self", "mountinfo"), encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) > 4 and fields[3].startswith("net:[") and fields[3].endswith("]"):
                    mounts.setdefault(int(fields[3][5:-1]), set()).add(fields[4])
    except OSError:
        pass
    return tasks, mounts


def wait_links_gone(host_links: Callable[[], Iterable[str]], ifnames: Iterable[str],
                    timeout: float = SETTLE_TIMEOUT, clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> List[str]:
    """Poll the host's link names (`host_links`: names, or a mapping by name) until none of `ifnames` is left or
    `timeout` passes; what is left, sorted.

    The kernel destroys released namespaces in batches, most of them while the run still removes files and saves
    the state, so the first polls usually find the veths gone or going. A poll is one cheap dump of names, so the
    pause stays short (5 ms, growing to POLL_MAX): the run returns within a few ms of the kernel's last batch
    instead of up to half a second after it."""
    wanted = set(ifnames)
    deadline = clock() + timeout
    pause = POLL_FIRST
    while True:
        left = sorted(wanted.intersection(host_links()))
        if not left or clock() >= deadline:
            return left
        sleep(max(0.0, min(pause, deadline - clock())))
        pause = min(pause * 1.5, POLL_MAX)


def remove_all(remove: Callable[[Any], None], names: Iterable[Any], threads: int = REMOVE_THREADS) -> None:
    """`remove(name)` for every name (or action), on up to `threads` threads (the calls must be independent).
    After a failure no further name is started; the failure of the earliest in `names` is raised, as one thread
    would have."""
    names = list(names)
    if threads <= 1 or len(names) < 2:
        for name in names:
            remove(name)
        return
    todo = iter(enumerate(names))
    failures: Dict[int, BaseException] = {}
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                item = None if failures else next(todo, None)
            if item is None:
                return
            try:
                remove(item[1])
            except BaseException as exc:   # pylint: disable=broad-except   # raised again by the caller's thread
                with lock:
                    failures[item[0]] = exc

    workers = [threading.Thread(target=work, name="linuxnet-remove-%d" % number, daemon=True)
               for number in range(min(threads, len(names)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[min(failures)]
