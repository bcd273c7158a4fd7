# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""df_probe.py serve IP PORT: answers each UDP datagram with its length.
df_probe.py IP PORT SIZE: sends SIZE bytes with DF set (no fragmentation anywhere) and prints the answer."""
import socket
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DO = getattr(socket, "IP_MTU_DISCOVER", 10), getattr(socket, "IP_PMTUDISC_DO", 2)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[1] == "serve":
    sock.bind((sys.argv[2], int(sys.argv[3])))
    while True:
        data, peer = sock.recvfrom(65535)
        sock.sendto(str(len(data)).encode(), peer)
sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
sock.settimeout(1)
try:
    sock.sendto(b"x" * int(sys.argv[3]), (sys.argv[1], int(sys.argv[2])))
    print(sock.recv(64).decode())
except OSError as exc:
    print("error: %s" % exc, file=sys.stderr)
    sys.exit(1)
