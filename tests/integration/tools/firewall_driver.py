# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewall_driver.py COMMAND: drives the nftables adapter inside a sandbox host, as the engine would.

    plan                 stdin: a FirewallState as JSON; prints the plan
    apply                stdin: a FirewallState as JSON; plans, applies, prints the plan
    drops                prints foreign_forward_drops()
"""
import json
import subprocess
import sys

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    Nftables,
)


def runner(argv, stdin=None):
    proc = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def state_from(data):
    return FirewallState(
        networks=tuple(FirewallNetwork(**item) for item in data.get("networks", ())),
        publishes=tuple(FirewallPublish(**dict(item, allowed_sources=tuple(item.get("allowed_sources", ()))))
                        for item in data.get("publishes", ())),
        foreign_accept=tuple(data.get("foreign_accept", ())))


def main(args):
    nft = Nftables(runner)
    nft.require()
    command = args[0]
    if command == "drops":
        print(json.dumps(nft.foreign_forward_drops()))
        return 0
    if command not in ("plan", "apply"):
        print(__doc__, file=sys.stderr)
        return 2
    plan = nft.plan(state_from(json.load(sys.stdin)))
    if command != "plan":
        nft.apply(plan)
    print(json.dumps({"changes": plan.changes, "script": plan.script, "before": plan.before, "after": plan.after,
                      "flush_udp": plan.flush_udp}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except LinuxnetError as exc:
        print(json.dumps({"error": exc.msg, "details": {k: str(v) for k, v in exc.details.items()}}))
        sys.exit(1)
