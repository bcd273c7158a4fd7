# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""echo_client.py PROTO IP PORT TIMEOUT [SOURCE_IP [SOURCE_PORT]]: prints the reply; exit 1 without one."""
import socket
import sys

proto, ip, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
source = (sys.argv[5], int(sys.argv[6]) if len(sys.argv) > 6 else 0) if len(sys.argv) > 5 else None
family = socket.AF_INET
if ip.startswith("ipv6:"):  # a name resolved to its IPv6 address
    ip, family = ip[5:], socket.AF_INET6
elif ":" in ip:
    family = socket.AF_INET6
try:
    if proto == "udp":
        client = socket.socket(family, socket.SOCK_DGRAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if source:
            client.bind(source)
        client.settimeout(timeout)
        client.sendto(b"hello\n", (ip, port))
        reply = client.recv(512)
    else:
        number = socket.IPPROTO_SCTP if proto == "sctp" else 0
        client = socket.socket(family, socket.SOCK_STREAM, number)
        if source:
            client.bind(source)
        client.settimeout(timeout)
        client.connect((ip, port))
        client.sendall(b"hello\n")
        reply = client.recv(512)
except OSError as exc:
    print("error: %s" % exc, file=sys.stderr)
    sys.exit(1)
print(reply.decode().strip())
sys.exit(0 if reply else 1)
