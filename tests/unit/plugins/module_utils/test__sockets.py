# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who holds a host port: /proc/net parsing and the owner lookup, without root."""
import socket

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _sockets as sockets

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0
   2: 0264A8C6:1F92 0264A8C6:D431 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0
"""
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0
   1: 0000000000000000FFFF0000016433C6:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0
"""
UDP = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 3001 2 0 0
"""
SCTP = """\
 ENDPT     SOCK   STY SST HBKT LPORT   UID INODE LADDRS
ffff8a0d 5c1d8000  2   10  29   7300      0 4001 198.51.100.1 10.0.0.1
ffff8a0e 5c1d9000  2   10  30   7301      0 4002
"""


def test_tcp_listeners_only_with_addresses_in_every_family():
    assert sockets.parse_proc_net(TCP, "tcp") == [("0.0.0.0", 8080, "1001"), ("127.0.0.1", 8081, "1002")]
    assert sockets.parse_proc_net(TCP6, "tcp") == [("::", 80, "2001"), ("198.51.100.1", 81, "2002")]


def test_udp_bound_sockets_and_sctp_endpoints():
    assert sockets.parse_proc_net(UDP, "udp") == [("127.0.0.53", 53, "3001")]
    assert sockets.parse_sctp_eps(SCTP) == [("198.51.100.1", 7300, "4001"), ("10.0.0.1", 7300, "4001"),
                                            ("0.0.0.0", 7301, "4002")]


@pytest.mark.parametrize("host_ip, port, expected", [
    (None, 8080, "1001"),            # wildcard listener
    ("198.51.100.1", 8080, "1001"),  # a wildcard listener holds every address
    ("198.51.100.1", 8081, None),    # a loopback listener does not hold another address
    ("127.0.0.1", 8081, "1002"),
    (None, 8081, "1002"),            # publishing on every address includes 127.0.0.1
    (None, 8082, None),
])
def test_which_socket_holds_a_port(host_ip, port, expected):
    assert sockets.holder(sockets.parse_proc_net(TCP, "tcp"), port, host_ip) == expected


def test_the_owner_of_a_real_listening_socket_is_this_process():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        sockets.forget()
        owner = sockets.listening_owner("tcp", None, port)
        assert owner is not None and owner.startswith("process ") and "(pid " in owner
        assert sockets.listening_owner("tcp", "192.0.2.1", port) is None
    finally:
        server.close()
        sockets.forget()
