# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's last step (tasks/verify.yml): which endpoints it probes, from where it learns them, what it says.

After a real run the endpoints come from the registered result of the network_state step and
container_network_info is not run; in check mode, or when that step was skipped, they are read with it. Either
way the same endpoints are probed, in the same order, with the same lines, and an unreachable gateway fails."""
import os

import yaml
from harness import ROOT

INFO = "Read the endpoints the collection manages"
PROBE = "Check that each bridge-mode endpoint reaches the gateway of each of its networks"
EXAMPLE = os.path.join(ROOT, "playbooks", "inventory", "group_vars", "container_hosts.yml")
PLAY = [{"hosts": "localhost", "gather_facts": False, "roles": [{"role": "linuxnet.containers.container_networking"}]}]
# bridge-mode endpoints only (not web-metrics, node-exporter, batch), by name, one line per network
LINES = ["db eth0 -> gateway 172.31.0.1: answers ping",
         "web eth0 -> gateway 172.30.0.1: answers ping",
         "web eth1 -> gateway 172.31.0.1: answers ping"]


def example_vars(**extra):
    with open(EXAMPLE, encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)
    variables["container_networking_install_prerequisites"] = False
    variables.update(extra)
    return variables


def step(results, name):
    found = [r for r in results if r["task"].endswith(" : " + name)]
    assert len(found) == 1, [r["task"] for r in results]
    return found[0]


def test_probes_come_from_the_run_and_from_a_read_in_check_mode(sandbox):
    results = sandbox.playbook(PLAY, extra_vars=example_vars())
    assert step(results, INFO)["status"] == "skipped"
    assert step(results, PROBE)["result"]["stdout_lines"] == LINES
    # a rerun changes nothing and probes the same from its own (unchanged) result
    results = sandbox.playbook(PLAY, extra_vars=example_vars())
    assert [r["task"] for r in results if r["status"] == "changed"] == []
    assert step(results, INFO)["status"] == "skipped"
    assert step(results, PROBE)["result"]["stdout_lines"] == LINES
    # check mode: the endpoint step's result is a preview, so the endpoints are read
    results = sandbox.playbook(PLAY, extra_vars=example_vars(), check=True)
    assert step(results, INFO)["status"] == "ok"
    assert step(results, PROBE)["result"]["stdout_lines"] == LINES
    # no endpoints named (networks only): the step's result lists none, so nothing is read and nothing probed
    results = sandbox.playbook(PLAY, extra_vars=example_vars(container_networking_endpoints=[],
                                                             container_networking_published_ports=[]))
    assert step(results, INFO)["status"] == "skipped"
    assert step(results, PROBE)["status"] == "skipped"
    # the step skipped (nothing named at all): the endpoints are read, and nothing named is probed
    results = sandbox.playbook(PLAY, extra_vars=example_vars(container_networking_networks=[],
                                                             container_networking_endpoints=[],
                                                             container_networking_published_ports=[]))
    assert step(results, INFO)["status"] == "ok"
    assert step(results, PROBE)["status"] == "skipped"


def test_an_unreachable_gateway_fails_the_play_with_the_same_message(sandbox):
    sandbox.playbook(PLAY, extra_vars=example_vars())
    sandbox.run(["nft", "-f", "-"], input="table inet verify_test {\n chain input {\n"
                "  type filter hook input priority -10;\n  ip saddr 172.31.0.10 drop\n }\n}\n")
    for check in (False, True):
        results = sandbox.playbook(PLAY, extra_vars=example_vars(), check=check, expect_rc=2)
        assert step(results, INFO)["status"] == ("ok" if check else "skipped")
        probe = step(results, PROBE)
        assert probe["status"] == "failed"
        assert probe["result"]["stdout_lines"] == ["db eth0 -> gateway 172.31.0.1: no answer"] + LINES[1:]
        assert probe["result"]["stderr"].strip() == "gateways not reached: db eth0 -> 172.31.0.1"
