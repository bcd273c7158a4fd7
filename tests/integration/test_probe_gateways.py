# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's gateway check (roles/container_networking/files/probe_gateways.py) with real packets, inside a
sandbox host: namespaces on a bridge made by hand with `ip`, the host's answers shaped with an nftables table."""
import json
import os
import time

from harness import ROOT

PROBE = os.path.join(ROOT, "roles", "container_networking", "files", "probe_gateways.py")
GATEWAY = "172.30.0.1"
INTERPRETER = "/usr/bin/python3"   # the managed node's, as the role runs the script: not the controller's venv


def build(sandbox, count, prefix="p"):
    """A bridge with GATEWAY and `count` namespaces PREFIX0.. on it (addresses from .10)."""
    commands = [["ip", "link", "add", "lnc-probe", "type", "bridge"],
                ["ip", "addr", "add", GATEWAY + "/16", "dev", "lnc-probe"],
                ["ip", "link", "set", "lnc-probe", "up"]]
    for index in range(count):
        name = "%s%d" % (prefix, index)
        commands += [["ip", "netns", "add", name],
                     ["ip", "link", "add", "ve-" + name, "type", "veth", "peer", "name", "eth0", "netns", name],
                     ["ip", "link", "set", "ve-" + name, "master", "lnc-probe", "up"],
                     ["ip", "-n", name, "addr", "add", "172.30.%d.%d/16" % (1 + index // 200, 10 + index % 200),
                      "dev", "eth0"],
                     ["ip", "-n", name, "link", "set", "eth0", "up"]]
    script = ("import json,subprocess,sys\n"
              "for argv in json.load(sys.stdin): subprocess.run(argv, check=True)\n")
    sandbox.run([INTERPRETER, "-c", script], input=json.dumps(commands), timeout=300)


def shape(sandbox, rules):
    """An input chain on the sandbox host that treats packets from the namespaces as `rules` say."""
    ruleset = "table inet probe_test {\n chain input {\n  type filter hook input priority -10;\n%s\n }\n}\n" % (
        "\n".join("  " + rule for rule in rules))
    sandbox.run(["nft", "-f", "-"], input=ruleset)


def probe(sandbox, *targets):
    args = [",".join(target) for target in targets]
    start = time.monotonic()
    proc = sandbox.run([INTERPRETER, PROBE] + args, check=False, timeout=120)
    return proc, time.monotonic() - start


def test_every_outcome_with_its_line_and_the_exit_code(sandbox):
    build(sandbox, 4)
    # p1 drops ping but refuses TCP; p2 drops everything; p3 drops ping and says host-unreachable to TCP
    shape(sandbox, ["ip saddr 172.30.1.11 icmp type echo-request drop",
                    "ip saddr 172.30.1.12 drop",
                    "ip saddr 172.30.1.13 icmp type echo-request drop",
                    "ip saddr 172.30.1.13 tcp dport 9 reject with icmp type host-unreachable"])
    proc, _seconds = probe(sandbox, ("p0", "eth0", GATEWAY), ("p1", "eth0", GATEWAY), ("p2", "eth0", GATEWAY),
                           ("p3", "eth0", GATEWAY), ("gone", "eth0", GATEWAY))
    assert proc.stdout.splitlines() == [      # by endpoint name, as container_network_info lists them
        "gone eth0 -> gateway 172.30.0.1: no namespace",
        "p0 eth0 -> gateway 172.30.0.1: answers ping",
        "p1 eth0 -> gateway 172.30.0.1: answers TCP",
        "p2 eth0 -> gateway 172.30.0.1: no answer",
        "p3 eth0 -> gateway 172.30.0.1: no answer",
    ], proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("gateways not reached: gone eth0 -> 172.30.0.1, p2 eth0 -> 172.30.0.1, "
                                   "p3 eth0 -> 172.30.0.1")


def test_all_reached_exits_0_and_a_missing_ipv4_gateway_is_no_answer(sandbox):
    build(sandbox, 2)
    proc, _seconds = probe(sandbox, ("p0", "eth0", GATEWAY), ("p1", "eth0", GATEWAY))
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout + proc.stderr
    assert proc.stdout.count(": answers ping") == 2
    # an IPv6-only network has no IPv4 gateway (the role passes None): reported, not a crash
    proc, _seconds = probe(sandbox, ("p0", "eth0", "None"), ("p1", "eth0", GATEWAY))
    assert proc.stdout.splitlines() == ["p0 eth0 -> gateway None: no answer",
                                        "p1 eth0 -> gateway 172.30.0.1: answers ping"], proc.stdout + proc.stderr
    assert proc.returncode == 1


def test_a_shared_namespace_probes_each_gateway_apart(sandbox):
    """Two probes in one namespace (two networks): each counts only its own gateway's echo replies."""
    build(sandbox, 1)
    sandbox.run(["ip", "addr", "add", "172.31.0.1/16", "dev", "lnc-probe"])
    sandbox.run(["ip", "-n", "p0", "addr", "add", "172.31.0.10/16", "dev", "eth0"])
    shape(sandbox, ["ip daddr 172.31.0.1 drop"])
    proc, _seconds = probe(sandbox, ("p0", "eth1", "172.31.0.1"), ("p0", "eth0", GATEWAY))
    # an endpoint's probes keep the order given (its interfaces')
    assert proc.stdout.splitlines() == ["p0 eth1 -> gateway 172.31.0.1: no answer",
                                        "p0 eth0 -> gateway 172.30.0.1: answers ping"], proc.stdout + proc.stderr


def test_probes_wait_together_not_in_turns(sandbox):
    """300 endpoints, 100 of them unanswered: every probe waits at once, so the unanswered ones cost one ping
    timeout plus one TCP timeout (2 s) in all, not per batch; more than the soft descriptor limit of 1024 sockets
    would be needed by a probe that kept them all, so the limit is raised or the probes wait in windows."""
    build(sandbox, 300)
    shape(sandbox, ["ip saddr 172.30.1.10-172.30.1.109 drop"])
    targets = [("p%d" % index, "eth0", GATEWAY) for index in range(300)]
    proc, seconds = probe(sandbox, *reversed(targets))
    lines = proc.stdout.splitlines()
    assert len(lines) == 300, proc.stdout + proc.stderr
    by_name = sorted(targets, key=lambda target: target[0])
    assert lines == ["%s eth0 -> gateway %s: %s" % (name, GATEWAY, "no answer" if int(name[1:]) < 100 else "answers ping")
                     for name, _ifname, _gateway in by_name]
    assert proc.returncode == 1
    assert seconds < 4.5, seconds
