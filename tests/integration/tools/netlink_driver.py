# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netlink_driver.py COMMAND: drives the netlink adapter inside a sandbox host, as the engine would.

    calls          stdin: a JSON list of [method, {kwargs}]; runs them on ONE Netlink, prints a JSON list with
                   {"ok": result} or {"error": message, "type": class, "errno": n} per call
    ping IP        one ICMP echo (raw socket) to IP; exit 0 on a reply within a second

Besides the adapter's methods, `calls` knows a few probes of this process:
    _fds              open file descriptors
    _sockets          namespace sockets the adapter keeps open
    _thread_netns     inode of this thread's network namespace (must stay the host's)
    _pyroute2_loaded  whether pyroute2 is among this process's modules (the adapter must not need it)
    _pyroute2_importable  whether this interpreter has pyroute2 at all (so the check above means something)
    _wait_gone IFNAME polls (5 s) until the host link IFNAME is gone, returns whether it went
"""
import dataclasses
import json
import os
import socket
import struct
import sys
import time

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._netlink import Netlink


def plain(value):
    if dataclasses.is_dataclass(value):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def pyroute2_importable():
    import importlib.util  # pylint: disable=import-outside-toplevel
    return importlib.util.find_spec("pyroute2") is not None


def probe(netlink, name, kwargs):
    if name == "_fds":
        return len(os.listdir("/proc/self/fd"))
    if name == "_sockets":
        return len(netlink._sockets)  # pylint: disable=protected-access
    if name == "_thread_netns":
        return os.stat("/proc/thread-self/ns/net").st_ino
    if name == "_pyroute2_loaded":
        return "pyroute2" in sys.modules
    if name == "_pyroute2_importable":
        return pyroute2_importable()
    if name == "_wait_gone":
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if kwargs["ifname"] not in netlink.host_links():
                return True
            time.sleep(0.05)
        return False
    raise ValueError("unknown probe %s" % name)


def calls(requests):
    answers = []
    netlink = Netlink()
    try:
        for name, kwargs in requests:
            try:
                if name.startswith("_"):
                    result = probe(netlink, name, kwargs)
                else:
                    result = getattr(netlink, name)(**kwargs)
                answers.append({"ok": plain(result)})
            except LinuxnetError as exc:
                answers.append({"error": exc.msg, "type": type(exc).__name__, "errno": exc.details.get("errno")})
    finally:
        netlink.close()
    return answers


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def ping(address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.settimeout(1.0)
    ident = os.getpid() & 0xFFFF
    header = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"linuxnet"
    sock.sendto(struct.pack("!BBHHH", 8, 0, checksum(header), ident, 1) + b"linuxnet", (address, 0))
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            packet, peer = sock.recvfrom(1024)
        except socket.timeout:
            return 1
        offset = (packet[0] & 0x0F) * 4
        kind, _code, _sum, reply_ident, _seq = struct.unpack("!BBHHH", packet[offset:offset + 8])
        if kind == 0 and reply_ident == ident and peer[0] == address:
            return 0
    return 1


def main(args):
    if args[:1] == ["calls"]:
        print(json.dumps(calls(json.load(sys.stdin))))
        return 0
    if len(args) == 2 and args[0] == "ping":
        return ping(args[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
