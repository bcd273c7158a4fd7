# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify_gateways.py JSON: for each [endpoint, gateway], prove the endpoint reaches its gateway.

A TCP connection to the gateway's discard port either connects or is refused: both prove the packet
went there and back. Only a timeout or "unreachable" is a failure. Prints JSON; exits 1 on failure.
"""
import json
import subprocess
import sys

PROBE = ("import socket,sys\n"
         "s=socket.socket(); s.settimeout(2)\n"
         "try:\n"
         "    s.connect((sys.argv[1], 9))\n"
         "except ConnectionRefusedError:\n"
         "    pass\n")

results = {}
for endpoint, gateway in json.loads(sys.argv[1]):
    proc = subprocess.run(["ip", "netns", "exec", endpoint, sys.executable, "-c", PROBE, gateway],
                          capture_output=True, text=True, check=False)
    results[endpoint] = "reaches %s" % gateway if proc.returncode == 0 else proc.stderr.strip().splitlines()[-1:]
print(json.dumps(results))
sys.exit(0 if all(isinstance(v, str) for v in results.values()) else 1)
