# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""echo_server.py PROTO IP PORT NAME: answers each request with "NAME PEER_IP"."""
import socket
import sys

proto, ip, port, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
number = socket.IPPROTO_SCTP if proto == "sctp" else 0
family = socket.AF_INET6 if ":" in ip else socket.AF_INET
server = socket.socket(family, kind, number)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if ip == "::":  # both families; IPv4 peers show as plain IPv4 addresses
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)


def shown(peer):
    return peer[0][7:] if peer[0].startswith("::ffff:") else peer[0]


server.bind((ip, port))
if proto == "udp":
    while True:
        data, peer = server.recvfrom(512)
        server.sendto(("%s %s\n" % (name, shown(peer))).encode(), peer)
server.listen(64)
while True:
    conn, peer = server.accept()
    with conn:
        try:
            conn.recv(512)
            conn.sendall(("%s %s\n" % (name, shown(peer))).encode())
        except OSError:
            pass
