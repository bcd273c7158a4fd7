# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tiny network probe for the demo: `probe.py serve PORT` or `probe.py get HOST PORT`.

`serve` answers every TCP connection with one line naming the server and the client address it saw;
`get` connects, prints the answer (or why it failed) and exits 0 either way, so the demo can show it.
"""
import socket
import sys


def serve(port: int, name: str) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(16)
    while True:
        conn, peer = listener.accept()
        with conn:
            conn.sendall(("%s answered; it saw the client as %s\n" % (name, peer[0])).encode())


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
