# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throwaway sandbox hosts: private net, mount, pid, uts and ipc namespaces on this machine.

    sandbox.py start            prints the PID 1 of a new sandbox host
    sandbox.py stop PID         kills it (its namespaces, mounts and processes go with it)
    sandbox.py exec PID -- ARGV runs ARGV inside it (net, mount, pid, uts and ipc namespaces)

Inside: sysfs on /sys, tmpfs on /run (with /run/netns), /etc, /var (so /var/lib) and /usr/local
overlaid on tmpfs, the rest of /usr read-only (a package install inside fails loudly instead of
writing the real disk), lo up, the
sysctls of a fresh server (ip_forward=0, route_localnet=0), and a LAN: a namespace `lan`
(198.51.100.2/24) joined to the sandbox host's `uplink0` (198.51.100.1/24), which is also its
default route; `lan` also holds 198.51.100.3 (a second client) and routes Docker's pools to the
sandbox host, as a LAN router would. Nothing here touches the machine's real network, /run/netns,
nftables ruleset, /etc or /var. Standard library only, so Debian's python3 runs it too.
"""

import os
import signal
import subprocess
import sys
import time

MARKER = "/run/linuxnet-sandbox"

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
mkdir -p /run/sandbox/usr-local/upper /run/sandbox/usr-local/work
mount -t overlay overlay -o lowerdir=/usr/local,upperdir=/run/sandbox/usr-local/upper,workdir=/run/sandbox/usr-local/work /usr/local
touch %(marker)s
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
exec sleep infinity </dev/null >/dev/null 2>&1
""" % {"marker": MARKER}

UNSHARE = ["unshare", "--net", "--mount", "--uts", "--ipc", "--pid", "--fork", "--propagation", "private",
           "--mount-proc"]
ENTER = ["nsenter", "-n", "-m", "-p", "-u", "-i"]
# The kernel sends this to a process when the thread that started it dies.
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL"]


class SandboxError(RuntimeError):
    pass


def _netns_inode(pid) -> int:
    return os.stat("/proc/%s/ns/net" % pid).st_ino


def _children(pid: int):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(child) for child in handle.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def _is_pid_namespace_init(pid: int) -> bool:
    """True when `pid` is PID 1 of a PID namespace below ours (its NSpid line ends in 1)."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    ids = line.split()[1:]
                    return len(ids) > 1 and ids[-1] == "1"
    except (FileNotFoundError, ProcessLookupError):
        pass
    return False


def _find_init(ancestor: int):
    """The PID 1 of the new PID namespace among the descendants of `ancestor` (unshare), or None."""
    pending = _children(ancestor)
    while pending:
        pid = pending.pop(0)
        if _is_pid_namespace_init(pid):
            return pid
        pending.extend(_children(pid))
    return None


def is_sandbox(pid: int) -> bool:
    """True when `pid` is the PID 1 of a sandbox host that this module started."""
    try:
        return (_is_pid_namespace_init(pid) and os.path.exists("/proc/%d/root%s" % (pid, MARKER))
                and _netns_inode(pid) != _netns_inode("self"))
    except (FileNotFoundError, ProcessLookupError):
        return False


def start(timeout: float = 15.0, die_with_parent: bool = False) -> int:
    """Starts a sandbox host and returns its PID 1 (a `sleep infinity`), once its LAN is up.

    With die_with_parent the kernel kills the sandbox when the calling thread dies, even by
    SIGKILL: a test run that is killed leaves no sandbox behind. The CLI cannot use it, since
    its process exits right after printing the PID.
    """
    guard = DIE_WITH_PARENT if die_with_parent else []
    unshare = subprocess.Popen(["setsid"] + guard + UNSHARE + guard + ["/bin/sh", "-c", SETUP],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    pid = None
    while True:
        pid = pid or _find_init(unshare.pid)
        if pid and os.path.exists("/proc/%d/root/run/sandbox/ready" % pid):
            break
        if unshare.poll() is not None:
            raise SandboxError("sandbox failed to start (unshare rc=%d): %s"
                               % (unshare.returncode, unshare.stderr.read().decode(errors="replace").strip()))
        if time.monotonic() > deadline:
            unshare.kill()
            if pid:
                stop(pid, force=True)
            raise SandboxError("sandbox did not become ready in %.0fs" % timeout)
        time.sleep(0.01)
    unshare.stderr.close()
    if not is_sandbox(pid):
        stop(pid, force=True)
        raise SandboxError("process %d is not an isolated sandbox host (it shares this process's network "
                           "namespace or lacks %s); refusing to go on" % (pid, MARKER))
    return pid


def stop(pid: int, timeout: float = 10.0, force: bool = False) -> None:
    """Kills sandbox host `pid` and waits until it is gone; a PID that is already gone is fine.

    Refuses any process that is not a sandbox host, so a wrong PID cannot kill something else.
    """
    if not os.path.exists("/proc/%d" % pid):
        return
    if not force and not is_sandbox(pid):
        raise SandboxError("process %d is not a sandbox host; not killing it" % pid)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while os.path.exists("/proc/%d" % pid):
        if time.monotonic() > deadline:
            raise SandboxError("sandbox %d is still there %.0fs after SIGKILL" % (pid, timeout))
        time.sleep(0.01)


def enter(pid: int, argv) -> list:
    """The argv that runs `argv` inside sandbox host `pid`; its processes die with the sandbox."""
    if not is_sandbox(pid):
        raise SandboxError("process %d is not a sandbox host" % pid)
    return ENTER + ["-t", str(pid), "--"] + [str(arg) for arg in argv]


def main(args) -> int:
    try:
        if args == ["start"]:
            print(start())
            return 0
        if len(args) == 2 and args[0] == "stop" and args[1].isdigit():
            stop(int(args[1]))
            return 0
        if len(args) >= 4 and args[0] == "exec" and args[1].isdigit() and args[2] == "--":
            argv = enter(int(args[1]), args[3:])
            os.execvp(argv[0], argv)
    except SandboxError as error:
        print("sandbox.py: %s" % error, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
