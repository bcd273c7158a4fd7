# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""probe_gateways.py ENDPOINT,IFNAME,GATEWAY ...: prove that each endpoint reaches each gateway.

One process, no child: for each probe it joins /run/netns/ENDPOINT (setns, which moves only the calling thread),
opens the probe's socket there, and returns to its own namespace; a socket keeps the namespace it was made in.
Then it waits for every answer at once (poll). Each probe sends an ICMP echo request to the gateway, and a second
one half-way through its TIMEOUT; when neither is answered (a host firewall may drop ping), a TCP connection to
the gateway's discard port that is refused (or accepted) proves the round trip as well. So healthy endpoints cost
about one round trip, however many there are. Prints one line per probe, by endpoint name (an endpoint's probes
in the order given), and exits 1 if any endpoint does not reach its gateway. Standard library only, Python 3.6+.
"""
import collections
import ctypes
import errno
import os
import resource
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TIMEOUT = 1.0       # seconds for the pings of one probe, and again for its TCP connection
ATTEMPTS = 2        # echo requests per probe, spread over TIMEOUT
DISCARD_PORT = 9
PING, TCP, NO_ANSWER, NO_NAMESPACE, FAILED = 20, 21, 22, 23, -1
OUTCOMES = {PING: "answers ping", TCP: "answers TCP", NO_ANSWER: "no answer", NO_NAMESPACE: "no namespace"}
REACHED = (PING, TCP)
SPARE_FDS = 32      # descriptors kept free for the interpreter and the namespace files
# Probes waiting for an answer at once. Each first packet from a fresh namespace is an ARP broadcast that the bridge
# floods to every port; hundreds at once overflow the kernel's backlog and lose ARP requests (the kernel asks again
# only after a second, past TIMEOUT). Answered probes leave at once, so this bounds only the unanswered.
WINDOW = 128


class Namespaces:
    """Enter a named network namespace and come back, on the calling thread."""

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.home = os.open("/proc/thread-self/ns/net" if os.path.exists("/proc/thread-self") else
                            "/proc/self/ns/net", os.O_RDONLY)

    def _setns(self, fd):
        if self.libc.setns(fd, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    def sockets_in(self, name, kinds):
        """New non-blocking sockets made inside /run/netns/NAME, one per (family, type, proto) of kinds.
        NamespaceError when the namespace cannot be entered, OSError when a socket cannot be made."""
        try:
            fd = os.open("/run/netns/" + name, os.O_RDONLY)
        except OSError as exc:
            raise NamespaceError(str(exc)) from exc
        try:
            try:
                self._setns(fd)
            except OSError as exc:
                raise NamespaceError(str(exc)) from exc
            try:
                made = []
                try:
                    for family, kind, proto in kinds:
                        sock = socket.socket(family, kind, proto)
                        made.append(sock)
                        sock.setblocking(False)
                except BaseException:
                    for sock in made:
                        sock.close()
                    raise
                return made
            finally:
                self._setns(self.home)  # back home whatever happened: a later probe must not start elsewhere
        finally:
            os.close(fd)


class NamespaceError(Exception):
    pass


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


def is_echo_reply(packet, source, gateway, ident):
    if source != gateway or len(packet) < 20:
        return False
    icmp = packet[(packet[0] & 0x0F) * 4:]
    return len(icmp) >= 8 and icmp[:1] == b"\0" and struct.unpack("!H", icmp[4:6])[0] == ident


def is_ipv4(address):
    try:
        socket.inet_aton(address)
    except (OSError, ValueError):
        return False
    return address.count(".") == 3


class Probe:
    """One endpoint's interface and gateway: pinging, then (no echo reply) connecting, then done."""

    def __init__(self, index, endpoint, gateway):
        self.index, self.endpoint, self.gateway = index, endpoint, gateway
        self.ident = (os.getpid() + index) & 0xFFFF
        self.sock = None
        self.phase = "ping"
        self.sent = 0
        self.next_send = 0.0
        self.deadline = 0.0
        self.outcome = None


class Prober:
    def __init__(self, probes, namespaces):
        self.pending = collections.deque(probes)
        self.active = {}            # fd -> Probe
        self.poller = select.poll()
        self.namespaces = namespaces
        self.window = min(WINDOW, open_file_window(len(probes)))

    def run(self):
        while self.pending or self.active:
            while self.pending and len(self.active) < self.window:
                self.start(self.pending.popleft())
            now = time.monotonic()
            for probe in list(self.active.values()):
                self.tick(probe, now)
            if not self.active:
                continue
            wake = min(probe.next_send if probe.phase == "ping" and probe.sent < ATTEMPTS else probe.deadline
                       for probe in self.active.values())
            timeout = max(0.0, wake - time.monotonic())
            for fd, _events in self.poller.poll(int(timeout * 1000) + 1):
                probe = self.active.get(fd)
                if probe is not None:
                    self.answer(probe)

    def open_socket(self, probe, kind, protocol):
        """An IPv4 socket of `kind` in the probe's namespace, as probe.sock; False (and the probe's outcome set)
        when the namespace is gone or the socket cannot be made."""
        try:
            probe.sock, = self.namespaces.sockets_in(probe.endpoint, [(socket.AF_INET, kind, protocol)])
        except NamespaceError:
            probe.outcome = NO_NAMESPACE
            return False
        except OSError:
            probe.outcome = FAILED
            return False
        return True

    def start(self, probe):
        if not self.open_socket(probe, socket.SOCK_RAW, socket.IPPROTO_ICMP):
            return
        if not is_ipv4(probe.gateway):      # no IPv4 gateway (an IPv6-only network): nothing to ping or connect to
            probe.sock.close()
            probe.outcome = NO_ANSWER
            return
        probe.next_send = time.monotonic()
        probe.deadline = probe.next_send + TIMEOUT   # moved to the first echo request's time when it is sent
        self.watch(probe, select.POLLIN)

    def watch(self, probe, events):
        self.active[probe.sock.fileno()] = probe
        self.poller.register(probe.sock.fileno(), events)

    def forget(self, probe):
        fd = probe.sock.fileno()
        self.poller.unregister(fd)
        del self.active[fd]
        probe.sock.close()
        probe.sock = None

    def tick(self, probe, now):
        if probe.phase == "ping":
            if probe.sent < ATTEMPTS and now >= probe.next_send:
                try:
                    probe.sock.sendto(echo_request(probe.ident, probe.sent), (probe.gateway, 0))
                except OSError:             # no route, interface down: straight to TCP
                    self.connect(probe)
                    return
                if probe.sent == 0:             # TIMEOUT counts from the first request, however late it left
                    probe.deadline = time.monotonic() + TIMEOUT
                probe.sent += 1
                probe.next_send = time.monotonic() + TIMEOUT / ATTEMPTS
            elif now >= probe.deadline:
                self.connect(probe)
        elif now >= probe.deadline:
            self.finish(probe, NO_ANSWER)

    def connect(self, probe):
        """No echo reply: a TCP connection to the gateway's discard port, refused or accepted, answers too."""
        self.forget(probe)
        probe.phase = "tcp"
        if not self.open_socket(probe, socket.SOCK_STREAM, 0):
            return
        code = probe.sock.connect_ex((probe.gateway, DISCARD_PORT))
        if code in (0, errno.ECONNREFUSED):
            probe.sock.close()
            probe.outcome = TCP
        elif code != errno.EINPROGRESS:
            probe.sock.close()
            probe.outcome = NO_ANSWER
        else:
            probe.deadline = time.monotonic() + TIMEOUT
            self.watch(probe, select.POLLOUT)

    def answer(self, probe):
        if probe.phase == "tcp":
            code = probe.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            self.finish(probe, TCP if code in (0, errno.ECONNREFUSED) else NO_ANSWER)
            return
        while True:
            try:
                packet, (source, _port) = probe.sock.recvfrom(1500)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:                 # an error queued on the socket: the deadline still decides
                return
            if is_echo_reply(packet, source, probe.gateway, probe.ident):
                self.finish(probe, PING)
                return

    def finish(self, probe, outcome):
        self.forget(probe)
        probe.outcome = outcome


def open_file_window(count):
    """How many probes may have a socket open at once: all of them when the descriptor limit can be raised."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + SPARE_FDS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (OSError, ValueError):
            pass
    if soft == resource.RLIM_INFINITY:
        return max(count, 1)
    return max(1, min(count, soft - SPARE_FDS))


def run(probes):
    """The outcome of each (endpoint, ifname, gateway), in order."""
    items = [Probe(index, endpoint, gateway) for index, (endpoint, _ifname, gateway) in enumerate(probes)]
    Prober(items, Namespaces()).run()
    return [FAILED if probe.outcome is None else probe.outcome for probe in items]


def main(args):
    probes = sorted((arg.split(",") for arg in args), key=lambda probe: probe[0])   # stable: interfaces keep order
    outcomes = run(probes)
    for (endpoint, ifname, gateway), outcome in zip(probes, outcomes):
        print("%s %s -> gateway %s: %s" % (endpoint, ifname, gateway, OUTCOMES.get(outcome, "probe failed")))
    failed = ["%s %s -> %s" % tuple(p) for p, outcome in zip(probes, outcomes) if outcome not in REACHED]
    if failed:
        print("gateways not reached: %s" % ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
