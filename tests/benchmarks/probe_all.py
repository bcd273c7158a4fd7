# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""probe_all.py HOST PORTS INDEX...: from the client namespace, one TCP request to every published port of
the endpoints INDEX...; prints JSON {"tried", "ok", "failures": [first few]}. A reply counts only when it
names the right endpoint; a port that fails is tried once more after the others (a client on a busy host
retries too), and "retried" says how many needed it. Standard library only."""
import json
import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workload import host_port, name  # noqa: E402  pylint: disable=wrong-import-position


def probe(host, i, port):
    try:
        with socket.create_connection((host, port), timeout=3) as conn:
            conn.sendall(b"hello\n")
            reply = conn.recv(128).decode(errors="replace").split()
    except OSError as exc:
        return "%d: %s" % (port, exc)
    return None if reply[:1] == [name(i)] else "%d: answered %r" % (port, reply)


def main(host, ports, indexes):
    targets = [(i, host_port(i, j, ports)) for i in indexes for j in range(ports)]
    with ThreadPoolExecutor(16) as pool:
        first = list(pool.map(lambda t: probe(host, *t), targets))
    again = [target for target, error in zip(targets, first) if error]
    errors = [e for e in (probe(host, *target) for target in again) if e]
    print(json.dumps({"tried": len(targets), "ok": len(targets) - len(errors), "failures": errors[:5],
                      "retried": len(again)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), [int(i) for i in sys.argv[3:]])
