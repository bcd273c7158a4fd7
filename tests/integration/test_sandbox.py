# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox is what keeps every other test off this machine's real network: prove it."""
import os
import subprocess


def real_host_view():
    return (subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=False).stdout,
            sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else None,
            subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=False).stdout)


def test_sandbox_is_a_fresh_private_host_and_leaves_nothing(sandbox):
    before = real_host_view()
    inner = sandbox.run(["stat", "-L", "-c", "%i", "/proc/self/ns/net"]).stdout.strip()
    assert int(inner) != os.stat("/proc/self/ns/net").st_ino
    assert sandbox.run(["ls", "/run/netns"]).stdout.split() == ["lan"]
    assert sandbox.run(["nft", "list", "ruleset"]).stdout.strip() == ""
    assert sandbox.run(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout.strip() == "0"
    assert sandbox.run(["sysctl", "-n", "net.ipv4.conf.all.route_localnet"]).stdout.strip() == "0"
    sandbox.serve(None, "198.51.100.1", 7001)
    sandbox.serve(None, "198.51.100.1", 7001, proto="udp")
    assert sandbox.request("lan", "198.51.100.1", 7001) == "host 198.51.100.2"
    assert sandbox.request("lan", "198.51.100.1", 7001, proto="udp") == "host 198.51.100.2"
    assert sandbox.request("lan", "198.51.100.1", 7002, timeout=1) is None
    sandbox.run(["ip", "netns", "add", "scratch"])
    assert not os.path.exists("/run/netns/scratch")
    pid = sandbox.pid
    sandbox.close()
    assert not os.path.exists("/proc/%d" % pid)
    assert real_host_view() == before


def test_ansible_runs_inside_the_sandbox(sandbox):
    result = sandbox.module("ansible.builtin.command", cmd="ip -o link show uplink0")
    assert "uplink0" in result["stdout"]
