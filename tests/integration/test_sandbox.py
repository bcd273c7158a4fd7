# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox is what keeps every other test off this machine's real network: prove it."""
import os
import signal
import subprocess
import sys
import time

import pytest

from harness import ROOT, SYSTEM_PYTHON, PlaybookError, sandbox_host

LAN = "198.51.100.2"
SECOND_LAN_CLIENT = "198.51.100.3"
HOST = "198.51.100.1"


def real_host_view():
    """This machine's links, named namespaces and ruleset, as a test must leave them."""
    return {
        "links": subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout,
        "netns": sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else None,
        "nft": subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=False).stdout,
    }


def probe_processes(marker):
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False).stdout.split()


def wait_gone(pid, seconds=10):
    deadline = time.monotonic() + seconds
    while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists("/proc/%d" % pid)


def test_sandbox_is_a_fresh_private_host(sandbox):
    inner = sandbox.run(["stat", "-L", "-c", "%i", "/proc/self/ns/net"]).stdout.strip()
    assert int(inner) != os.stat("/proc/self/ns/net").st_ino
    assert sandbox.run(["hostname"]).stdout.strip() == "sandbox"
    assert sandbox.run(["ls", "/run/netns"]).stdout.split() == ["lan"]
    assert sandbox.run(["nft", "list", "ruleset"]).stdout.strip() == ""
    for sysctl in ("net.ipv4.ip_forward", "net.ipv4.conf.all.route_localnet",
                   "net.ipv4.conf.default.route_localnet"):
        assert sandbox.run(["sysctl", "-n", sysctl]).stdout.strip() == "0", sysctl
    assert [link["ifname"] for link in sandbox.ip(None, "link")] == ["lo", "uplink0"]
    assert sandbox.ip(None, "route", "show", "default")[0]["gateway"] == LAN
    lan_eth0 = sandbox.ip("lan", "addr", "show", "eth0")[0]
    assert [a["local"] for a in lan_eth0["addr_info"] if a["family"] == "inet"] == [LAN, SECOND_LAN_CLIENT]


def test_lan_host_and_sandbox_host_talk_over_the_uplink(sandbox):
    sandbox.serve(None, HOST, 7001)
    sandbox.serve(None, HOST, 7001, proto="udp")
    sandbox.serve("lan", LAN, 7002)
    assert sandbox.request("lan", HOST, 7001) == "host " + LAN
    assert sandbox.request("lan", HOST, 7001, proto="udp") == "host " + LAN
    assert sandbox.request("lan", HOST, 7001, source=SECOND_LAN_CLIENT) == "host " + SECOND_LAN_CLIENT
    assert sandbox.request(None, LAN, 7002) == "lan " + HOST
    assert sandbox.request("lan", HOST, 7009, timeout=1) is None
    assert sandbox.request("lan", HOST, 7009, proto="udp", timeout=0.5) is None


def test_writes_inside_stay_inside_and_stop_leaves_nothing(sandbox):
    before = real_host_view()
    sandbox.run(["ip", "netns", "add", "scratch"])
    sandbox.run(["ip", "link", "add", "lnc-probe0", "type", "bridge"])
    sandbox.run(["nft", "add", "table", "inet", "lnc_probe"])
    sandbox.run(["sh", "-c", "mkdir -p /etc/netns/lnc-probe /var/lib/lnc-probe /run/linuxnet-containers /usr/local/lnc-probe && "
                             "touch /etc/netns/lnc-probe/hosts /var/lib/lnc-probe/x /run/linuxnet-containers/x "
                             "/usr/local/lnc-probe/x"])
    assert sandbox.run(["touch", "/usr/lnc-probe"], check=False).returncode != 0
    for path in ("/run/netns/scratch", "/etc/netns/lnc-probe", "/var/lib/lnc-probe",
                 "/run/linuxnet-containers/x", "/usr/lnc-probe", "/usr/local/lnc-probe"):
        assert not os.path.exists(path), path
    assert real_host_view() == before

    server = sandbox.serve(None, HOST, 7093, name="lnc-probe-7093")
    assert probe_processes("lnc-probe-7093")
    pid = sandbox.pid
    sandbox.close()
    sandbox.close()
    assert not os.path.exists("/proc/%d" % pid)
    assert server.poll() is not None
    assert not probe_processes("lnc-probe-7093")
    assert real_host_view() == before


def test_snapshot_sees_changes(sandbox):
    first = sandbox.snapshot()
    assert first == sandbox.snapshot()
    assert first["netns"] == ["lan"] and first["files"] == {}
    sandbox.run(["ip", "link", "add", "lnc-probe0", "type", "bridge"])
    sandbox.run(["sh", "-c", "mkdir -p /etc/netns/x && echo nameserver 192.0.2.1 > /etc/netns/x/resolv.conf"])
    second = sandbox.snapshot()
    assert "lnc-probe0" in [link["ifname"] for link in second["links"]]
    assert second["files"] == {"/etc/netns/x/resolv.conf": "nameserver 192.0.2.1\n"}


def test_ansible_runs_inside_the_sandbox(sandbox):
    result = sandbox.module("ansible.builtin.command", cmd="stat -L -c %i /proc/self/ns/net")
    assert int(result["stdout"]) != os.stat("/proc/self/ns/net").st_ino
    assert "uplink0" in sandbox.module("ansible.builtin.command", cmd="cat /proc/self/net/dev")["stdout"]
    written = sandbox.module("ansible.builtin.copy", dest="/etc/lnc-probe", content="x\n")
    assert written["changed"] and not os.path.exists("/etc/lnc-probe")


def test_playbook_returns_every_task_in_order(sandbox):
    results = sandbox.playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: reads
      ansible.builtin.command: "true"
      changed_when: false
    - name: writes
      ansible.builtin.copy: {dest: /run/probe, content: "x"}
    - name: skips
      ansible.builtin.debug: {msg: never}
      when: false
    - name: fails
      ansible.builtin.fail: {msg: on purpose}
      ignore_errors: true
""", diff=True)
    assert [(r["task"], r["host"], r["status"]) for r in results] == [
        ("reads", "localhost", "ok"), ("writes", "localhost", "changed"),
        ("skips", "localhost", "skipped"), ("fails", "localhost", "failed")]
    assert results[1]["result"]["diff"][0]["after"] == "x"
    assert results[3]["result"]["msg"] == "on purpose"
    assert sandbox.playbook([{"hosts": "localhost", "gather_facts": False,
                              "tasks": [{"ansible.builtin.copy": {"dest": "/run/probe", "content": "x"}}]}],
                            check=True)[0]["status"] == "ok"


def test_failures_raise_with_the_output_unless_expected(sandbox):
    with pytest.raises(PlaybookError, match="on purpose"):
        sandbox.module("ansible.builtin.fail", msg="on purpose")
    assert sandbox.module("ansible.builtin.fail", msg="on purpose", expect_failure=True)["msg"] == "on purpose"
    with pytest.raises(PlaybookError, match="expected to fail"):
        sandbox.module("ansible.builtin.ping", expect_failure=True)
    failed = sandbox.playbook("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                              "    - ansible.builtin.fail: {msg: stop}\n", expect_rc=2)
    assert failed[0]["status"] == "failed"


@pytest.mark.skipif(not os.path.exists(SYSTEM_PYTHON), reason="no Debian python3")
def test_python_selects_the_managed_node_interpreter(sandbox):
    facts = sandbox.module("ansible.builtin.setup", gather_subset=["!all", "!min", "python"],
                           python=SYSTEM_PYTHON)["ansible_facts"]
    assert facts["ansible_python"]["executable"] == SYSTEM_PYTHON
    probe = "from importlib.metadata import version; print(version('pyroute2'))"
    version = sandbox.run([SYSTEM_PYTHON, "-c", probe]).stdout
    assert version.startswith("0.7."), version


def test_a_killed_test_process_takes_its_sandbox_along():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, %r); import harness; "
                               "box = harness.Sandbox(); print(box.pid, flush=True); time.sleep(60)"
         % os.path.join(ROOT, "tests", "integration")],
        stdout=subprocess.PIPE, text=True)
    pid = int(child.stdout.readline())
    assert sandbox_host.is_sandbox(pid)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert wait_gone(pid), "sandbox %d outlived the process that started it" % pid


def test_stop_refuses_a_process_that_is_no_sandbox():
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(sandbox_host.SandboxError):
            sandbox_host.stop(bystander.pid)
        with pytest.raises(sandbox_host.SandboxError):
            sandbox_host.enter(bystander.pid, ["true"])
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
