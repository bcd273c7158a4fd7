# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The conntrack adapter: forget UDP flows of a published port whose mapping changed.

UDP has no connection end, so a client that keeps sending keeps its conntrack entry, and the entry keeps
the old translation (or none, for a flow that began before the port was published). Flushing the entries
whose original destination is the host port makes the next datagram take the current mapping.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import Runner

# (host address, or None for every IPv4 address, '::' for every IPv6 address; host port)
UdpFlow = Tuple[Optional[str], int]


def flush_argv(flow: UdpFlow) -> List[str]:
    host_ip, port = flow
    argv = ["conntrack", "-D", "-p", "udp", "--orig-port-dst", str(port)]
    if host_ip is not None and ":" in host_ip:   # IPv6 flows: conntrack lists only IPv4 unless told
        argv[2:2] = ["-f", "ipv6"]
    if host_ip not in (None, "::"):
        argv += ["--orig-dst", host_ip]
    return argv


def nothing_to_delete(rc: int, stderr: str) -> bool:
    """conntrack exits 1 when no entry matched; that is success for a flush."""
    return rc == 1 and "0 flow entries" in stderr


class Conntrack:
    def __init__(self, runner: Runner):
        self.run = runner

    def require(self) -> None:
        try:
            rc = self.run(["conntrack", "--version"], None)[0]
        except OSError:
            rc = 127
        if rc != 0:
            raise MissingDependency("install the conntrack package (conntrack-tools): published UDP ports need it "
                                    "to forget flows of a changed mapping")

    def flush_udp(self, flows: Iterable[UdpFlow]) -> None:
        for flow in flows:
            argv: Sequence[str] = flush_argv(flow)
            rc, _out, err = self.run(argv, None)
            if rc != 0 and not nothing_to_delete(rc, err):
                raise KernelError("%s failed (rc %d): %s" % (" ".join(argv), rc, err.strip()))
