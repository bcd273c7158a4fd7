# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throwaway sandbox hosts: private net, mount, pid, uts and ipc namespaces on this machine.

    sandbox.py start            prints the PID 1 of a new sandbox host
    sandbox.py stop PID         kills it (its namespaces, mounts and processes go with it)
    sandbox.py exec PID -- ARGV runs ARGV inside it

Inside: tmpfs on /run (with /run/netns), /etc and /var overlaid on tmpfs, /usr read-only (a package
install inside fails loudly instead of writing the real disk), lo up, the sysctls of a
fresh server (ip_forward=0, route_localnet=0), and a LAN: a namespace `lan` (198.51.100.2/24)
joined to the sandbox host's `uplink0` (198.51.100.1/24), which is also its default route; `lan` also
holds 198.51.100.3 (a second client) and routes Docker's pools to the sandbox host, as a LAN router would.
Nothing here touches the machine's real network, /run/netns, nftables ruleset, /etc or /var.
"""

import os
import signal
import subprocess
import sys
import time

SETUP = r"""
set -e
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mkdir -p /run/netns /run/sandbox/etc /run/sandbox/var
for top in etc var; do
  mkdir -p /run/sandbox/$top/upper /run/sandbox/$top/work
  mount -t overlay overlay -o lowerdir=/$top,upperdir=/run/sandbox/$top/upper,workdir=/run/sandbox/$top/work /$top
done
rm -rf /etc/netns
mount --bind /usr /usr
mount -o remount,bind,ro /usr
touch /run/linuxnet-sandbox
hostname sandbox
ip link set lo up
sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.route_localnet=0 net.ipv4.conf.default.route_localnet=0
ip netns add lan
ip link add uplink0 type veth peer name eth0 netns lan
ip addr add 198.51.100.1/24 dev uplink0
ip link set uplink0 up
ip -n lan link set lo up
ip -n lan addr add 198.51.100.2/24 dev eth0
ip -n lan link set eth0 up
ip -n lan addr add 198.51.100.3/24 dev eth0
ip route add default via 198.51.100.2
ip -n lan route add 172.16.0.0/12 via 198.51.100.1
ip -n lan route add 192.168.0.0/16 via 198.51.100.1
printf 'nameserver 198.51.100.53\nsearch sandbox.test\n' > /etc/resolv.conf
echo ready > /run/sandbox/ready
exec sleep infinity
"""

ENTER = ["nsenter", "-n", "-m", "-p", "-u", "-i"]


def _children(pid: int):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(p) for p in handle.read().split()]
    except FileNotFoundError:
        return []


def _netns(pid) -> int:
    return os.stat("/proc/%s/ns/net" % pid).st_ino


def start(timeout: float = 15.0) -> int:
    unshare = subprocess.Popen(
        ["setsid", "unshare", "--net", "--mount", "--uts", "--ipc", "--pid", "--fork", "--propagation", "private",
         "--mount-proc", "/bin/sh", "-c", SETUP],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    pid = None
    while time.monotonic() < deadline:
        children = _children(unshare.pid)
        if children:
            pid = children[0]
            if os.path.exists("/proc/%d/root/run/sandbox/ready" % pid):
                break
        if unshare.poll() is not None:
            raise RuntimeError("sandbox failed to start: %s" % unshare.stderr.read().decode())
        time.sleep(0.02)
    else:
        if pid:
            stop(pid)
        raise RuntimeError("sandbox did not become ready in %.0fs" % timeout)
    if _netns(pid) == _netns("self"):
        stop(pid)
        raise RuntimeError("sandbox %d shares this process's network namespace; refusing to go on" % pid)
    return pid


def stop(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and os.path.exists("/proc/%d" % pid):
        time.sleep(0.02)


def enter(pid: int, argv):
    """The argv that runs `argv` inside the sandbox host."""
    if not os.path.exists("/proc/%d/root/run/linuxnet-sandbox" % pid):
        raise RuntimeError("process %d is not a sandbox host" % pid)
    return ENTER + ["-t", str(pid), "--"] + list(argv)


def main(args) -> int:
    if args[:1] == ["start"]:
        print(start())
        return 0
    if len(args) == 2 and args[0] == "stop":
        stop(int(args[1]))
        return 0
    if len(args) >= 4 and args[0] == "exec" and args[2] == "--":
        os.execvp("nsenter", enter(int(args[1]), args[3:]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
