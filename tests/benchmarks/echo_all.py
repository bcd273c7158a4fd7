# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""echo_all.py PORTS NAME...: one process serving TCP on 0.0.0.0:80..80+PORTS-1 in every /run/netns/NAME.

Each listening socket is opened inside its namespace (setns there and back), so one process serves them all;
each connection is answered with "NAME PEER_IP". Prints "ready PID" once every socket listens. Standard library.
"""
import ctypes
import os
import resource
import selectors
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workload import container_port  # noqa: E402  pylint: disable=wrong-import-position

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def main(ports, names):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, len(names) * ports + 256)), hard))
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    selector = selectors.DefaultSelector()
    for name in names:
        fd = os.open("/run/netns/" + name, os.O_RDONLY)
        setns(fd)
        try:
            for j in range(ports):
                server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.bind(("0.0.0.0", container_port(j)))
                server.listen(16)
                server.setblocking(False)
                selector.register(server, selectors.EVENT_READ, name)
        finally:
            setns(home)
            os.close(fd)
    print("ready %d" % os.getpid(), flush=True)
    while True:
        for key, _events in selector.select():
            try:
                conn, peer = key.fileobj.accept()
            except BlockingIOError:
                continue
            with conn:
                try:
                    conn.settimeout(2)
                    conn.recv(64)
                    conn.sendall(("%s %s\n" % (key.data, peer[0])).encode())
                except OSError:
                    pass


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
