# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""probe_gateways.py ENDPOINT,IFNAME,GATEWAY ...: prove that each endpoint reaches each gateway.

Each probe runs in a forked child that joins /run/netns/ENDPOINT (setns, so one process serves hundreds of
endpoints) and sends ICMP echo requests to the gateway; when none is answered (a host firewall may drop ping),
a TCP connection to the gateway's discard port that is refused proves the round trip as well. Prints one line
per probe and exits 1 if any endpoint does not reach its gateway. Standard library only, Python 3.6+.
"""
import ctypes
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
PARALLEL = 32
TIMEOUT = 1.0
PING, TCP, NO_ANSWER, NO_NAMESPACE = 20, 21, 22, 23
OUTCOMES = {PING: "answers ping", TCP: "answers TCP", NO_ANSWER: "no answer", NO_NAMESPACE: "no namespace"}
REACHED = (PING, TCP)


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    finally:
        os.close(fd)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def echo_request(ident, sequence):
    payload = b"linuxnet.containers probe"
    header = struct.pack("!BBHHH", 8, 0, 0, ident, sequence)
    return struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, sequence) + payload


def answers_ping(address, attempts=2):
    ident = os.getpid() & 0xFFFF
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        for sequence in range(attempts):
            try:
                sock.sendto(echo_request(ident, sequence), (address, 0))
            except OSError:  # no route, interface down
                return False
            deadline = time.monotonic() + TIMEOUT / attempts
            while select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
                packet, (source, _port) = sock.recvfrom(1500)
                icmp = packet[(packet[0] & 0x0F) * 4:]
                if source == address and icmp[:1] == b"\0" and struct.unpack("!H", icmp[4:6])[0] == ident:
                    return True
    return False


def answers_tcp(address):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.connect((address, 9))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
    return True


def probe(endpoint, gateway):
    """The outcome of one probe, run in a child that has its own network namespace to enter."""
    try:
        enter_netns(endpoint)
    except OSError:
        return NO_NAMESPACE
    if answers_ping(gateway):
        return PING
    return TCP if answers_tcp(gateway) else NO_ANSWER


def in_child(endpoint, gateway):
    status = 1
    try:
        status = probe(endpoint, gateway)
    finally:
        os._exit(status)  # never return into the parent's loop, whatever happened


def run(probes):
    outcomes, running, pending = {}, {}, list(enumerate(probes))
    while pending or running:
        while pending and len(running) < PARALLEL:
            index, (endpoint, _ifname, gateway) = pending.pop(0)
            child = os.fork()
            if child == 0:
                in_child(endpoint, gateway)
            running[child] = index
        child, status = os.wait()
        outcomes[running.pop(child)] = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return [outcomes[index] for index in range(len(probes))]


def main(args):
    probes = [arg.split(",") for arg in args]
    outcomes = run(probes)
    for (endpoint, ifname, gateway), outcome in zip(probes, outcomes):
        print("%s %s -> gateway %s: %s" % (endpoint, ifname, gateway, OUTCOMES.get(outcome, "probe failed")))
    failed = ["%s %s -> %s" % tuple(p) for p, outcome in zip(probes, outcomes) if outcome not in REACHED]
    if failed:
        print("gateways not reached: %s" % ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
