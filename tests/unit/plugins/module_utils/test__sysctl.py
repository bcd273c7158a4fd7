# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sysctl keys and their /proc/sys paths, and reading without changing anything."""
import errno

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError
from ansible_collections.linuxnet.containers.plugins.module_utils._sysctl import get_sysctl, sysctl_path


@pytest.mark.parametrize("key, path", [
    ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
    ("net.ipv4.conf.all.forwarding", "/proc/sys/net/ipv4/conf/all/forwarding"),
    ("net.ipv4.conf.lnc-front.route_localnet", "/proc/sys/net/ipv4/conf/lnc-front/route_localnet"),
    ("net.ipv4.conf.br.0.route_localnet", "/proc/sys/net/ipv4/conf/br.0/route_localnet"),
    ("net.ipv6.conf.eth0.100.disable_ipv6", "/proc/sys/net/ipv6/conf/eth0.100/disable_ipv6"),
    ("net/ipv4/conf/br.0/route_localnet", "/proc/sys/net/ipv4/conf/br.0/route_localnet"),
    ("/proc/sys/net/ipv4/conf/br.0/route_localnet", "/proc/sys/net/ipv4/conf/br.0/route_localnet"),
])
def test_sysctl_keys_in_every_form_map_to_proc_sys(key, path):
    assert sysctl_path(key) == path


def test_a_path_outside_proc_sys_is_no_sysctl():
    with pytest.raises(KernelError, match="not under /proc/sys"):
        sysctl_path("/proc/sys/../../etc/passwd")


def test_a_sysctl_that_cannot_be_read_is_a_kernel_error():
    with pytest.raises(KernelError, match="read sysctl net.ipv4.conf.lnt-nothere.route_localnet") as raised:
        get_sysctl("net.ipv4.conf.lnt-nothere.route_localnet")
    assert raised.value.details["errno"] == errno.ENOENT
