# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tiny network probe for the demo: `probe.py serve PORT` or `probe.py get HOST PORT`.

`serve` answers every TCP connection with one line naming the server and the client address it saw;
`get` connects, prints the answer (or why it failed) and exits 0 either way, so the demo can show it.
"""
import socket
import sys


def serve(port: int, name: str) -> None:
    """Listens on every IPv4 and IPv6 address (IPv4 only where IPv6 is off)."""
    try:
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        address = "::"
    except OSError:
        listener, address = socket.socket(socket.AF_INET, socket.SOCK_STREAM), "0.0.0.0"
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(16)
    while True:
        conn, peer = listener.accept()
        client = peer[0][7:] if peer[0].startswith("::ffff:") else peer[0]
        with conn:
            conn.sendall(("%s answered; it saw the client as %s\n" % (name, client)).encode())


def get(host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            print(conn.recv(200).decode().strip())
    except OSError as exc:
        print("no answer (%s)" % (exc.strerror or exc.__class__.__name__))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        get(sys.argv[2], int(sys.argv[3]))
