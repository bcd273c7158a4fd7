# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An underlay joining sandbox hosts (scripts/sandbox.py), for networks that span hosts.

    underlay.py join SWITCH_PID HOST_PID...    makes sandbox SWITCH_PID the switch and joins each host to it

The switch is a sandbox with bridge `under0` (192.0.2.1/24, the hosts' default gateway) and the "internet"
address 203.0.113.1 on its lo, which answers probes of outbound traffic. Host N (from 0) gets `under0`
(192.0.2.(11+N)/24): a veth made in the switch whose peer is moved into the host's network namespace by the host's
PID 1, and its default route through the switch, so outbound traffic shows each host's own underlay address.
Standard library only, so Debian's python3 runs it too.
"""

import subprocess
import sys

import sandbox

SWITCH_ADDRESS = "192.0.2.1"
INTERNET_ADDRESS = "203.0.113.1"


def underlay_address(index: int) -> str:
    return "192.0.2.%d" % (11 + index)


def _run(pid: int, *argv) -> None:
    subprocess.run(sandbox.enter(pid, list(argv)), check=True, capture_output=True, timeout=30)


def make_switch(pid: int) -> None:
    _run(pid, "ip", "link", "add", "under0", "type", "bridge")
    _run(pid, "ip", "addr", "add", SWITCH_ADDRESS + "/24", "dev", "under0")
    _run(pid, "ip", "link", "set", "under0", "up")
    _run(pid, "ip", "addr", "add", INTERNET_ADDRESS + "/32", "dev", "lo")


def join(switch: int, host: int, index: int) -> None:
    port, moved = "port%d" % index, "h%d-under" % index
    _run(switch, "ip", "link", "add", port, "type", "veth", "peer", "name", moved)
    _run(switch, "ip", "link", "set", port, "master", "under0", "up")
    if not sandbox.is_sandbox(host):
        raise sandbox.SandboxError("process %d is not a sandbox host" % host)
    # Only the switch's network namespace is entered: the host's PID 1 is not visible in the switch's PID one.
    subprocess.run(["nsenter", "-n", "-t", str(switch), "--", "ip", "link", "set", moved, "netns", str(host)],
                   check=True, capture_output=True, timeout=30)
    _run(host, "ip", "link", "set", moved, "name", "under0")
    _run(host, "ip", "addr", "add", underlay_address(index) + "/24", "dev", "under0")
    _run(host, "ip", "link", "set", "under0", "up")
    _run(host, "ip", "route", "replace", "default", "via", SWITCH_ADDRESS, "dev", "under0")


def main(args) -> int:
    if len(args) >= 3 and args[0] == "join" and all(arg.isdigit() for arg in args[1:]):
        try:
            make_switch(int(args[1]))
            for index, host in enumerate(args[2:]):
                join(int(args[1]), int(host), index)
        except (sandbox.SandboxError, subprocess.CalledProcessError) as error:
            print("underlay.py: %s" % error, file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
