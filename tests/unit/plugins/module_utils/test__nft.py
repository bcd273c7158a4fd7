# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables adapter with a fake runner: one read per plan, one transaction per apply."""
import json

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._nft import (
    FirewallPlan,
    FirewallState,
    Nftables,
    parse_version,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import build_plan, desired_elements
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import LEGACY
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET
from nft_samples import FOREIGN, STATE, listing, ours


class FakeRunner:
    def __init__(self, responses):
        self.responses = responses
        self.calls = []

    def __call__(self, argv, stdin=None):
        self.calls.append((list(argv), stdin))
        for prefix, response in self.responses:
            if list(argv[:len(prefix)]) == prefix:
                if isinstance(response, Exception):
                    raise response
                return response
        raise AssertionError("unexpected %s" % (argv,))


# FOREIGN without its chain in our table (there to prove that foreign_view skips our table)
OTHER_TABLES = [item for item in FOREIGN if item.get("chain", {}).get("table") != "linuxnet_containers"]


def listed(ruleset):
    return ["nft", "-j", "list", "ruleset"], (0, json.dumps(ruleset), "")


@pytest.mark.parametrize("response, ok", [
    ((0, "nftables v1.0.6 (Lester Gooch #5)\n", ""), True),
    ((0, "nftables v0.9.4 (Jive at Five)\n", ""), True),
    ((0, "nftables v0.9.3 (Topsy)\n", ""), False),
    ((127, "", "nft: not found"), False),
    (FileNotFoundError("nft"), False),
])
def test_require_names_the_package_and_version(response, ok):
    nft = Nftables(FakeRunner([(["nft", "--version"], response)]))
    if ok:
        nft.require()
    else:
        with pytest.raises(MissingDependency, match="install the nftables package"):
            nft.require()
    assert parse_version("nftables v1.0.6 (Lester Gooch #5)") == (1, 0, 6)


def test_plan_reads_once_apply_runs_one_transaction_then_flushes_udp():
    runner = FakeRunner([listed({"nftables": FOREIGN}),
                         (["conntrack", "--version"], (0, "conntrack v1.4.7", "")),
                         (["nft", "-f", "-"], (0, "", "")),
                         (["conntrack", "-D"], (1, "", "conntrack v1.4.7: 0 flow entries have been deleted.\n"))])
    nft = Nftables(runner)
    plan = nft.plan(STATE)
    assert [call[0][:2] for call in runner.calls] == [["nft", "-j"], ["conntrack", "--version"]]
    nft.apply(plan)
    assert [call[0] for call in runner.calls[2:]] == [
        ["nft", "-f", "-"],
        ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "53", "--orig-dst", "127.0.0.1"],
        ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "5353"]]
    assert runner.calls[2][1] == plan.script


def test_the_opt_in_accept_rules_are_part_of_the_one_transaction_and_go_with_an_empty_list():
    desired = desired_elements(STATE)
    runner = FakeRunner([listed(listing(desired, foreign=OTHER_TABLES)), (["conntrack", "--version"], (0, "", "")),
                         (["nft", "-f", "-"], (0, "", ""))])
    wanted = FirewallState(STATE.networks, STATE.publishes, foreign_accept=("lnc-front", "lnc-front"))
    plan = Nftables(runner).plan(wanted)
    assert plan.changes == ["insert accept rule iifname lnc-front into inet firewalld filter_FORWARD",
                            "insert accept rule oifname lnc-front into inet firewalld filter_FORWARD",
                            "insert accept rule iifname lnc-front into ip filter FORWARD",
                            "insert accept rule oifname lnc-front into ip filter FORWARD"]
    assert plan.script.splitlines() == [
        'insert rule inet firewalld filter_FORWARD iifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule inet firewalld filter_FORWARD oifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule ip filter FORWARD iifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule ip filter FORWARD oifname "lnc-front" counter accept comment "linuxnet.containers"']
    assert "foreign_accept" not in plan.before and len(plan.after["foreign_accept"]) == 4
    Nftables(runner).apply(plan)
    assert runner.calls[-1] == (["nft", "-f", "-"], plan.script)
    installed = OTHER_TABLES + [ours("ip filter FORWARD", "iifname", "lnc-front", 20),
                                ours("ip filter FORWARD", "oifname", "lnc-front", 21),
                                ours("inet firewalld filter_FORWARD", "iifname", "lnc-front", 22),
                                ours("inet firewalld filter_FORWARD", "oifname", "lnc-front", 23)]
    again = Nftables(FakeRunner([listed(listing(desired, foreign=installed))])).plan(wanted)
    assert (again.changes, again.script) == ([], "") and again.before == again.after
    removal = Nftables(FakeRunner([listed(listing(desired, foreign=installed))])).plan(STATE)
    assert sorted(removal.script.splitlines()) == ["delete rule inet firewalld filter_FORWARD handle 22",
                                                   "delete rule inet firewalld filter_FORWARD handle 23",
                                                   "delete rule ip filter FORWARD handle 20",
                                                   "delete rule ip filter FORWARD handle 21"]
    assert all(change.startswith("remove accept rule") for change in removal.changes)
    assert len(removal.before["foreign_accept"]) == 4 and "foreign_accept" not in removal.after
    everything = Nftables(FakeRunner([listed(listing(desired, foreign=installed)),
                                      (["conntrack", "--version"], (0, "", ""))])).plan(FirewallState())
    assert everything.script.splitlines()[0] == "delete table inet linuxnet_containers"
    assert len([line for line in everything.script.splitlines() if line.startswith("delete rule ")]) == 4


def test_a_host_upgraded_from_0_1_0_has_its_ip_table_replaced_by_inet_in_the_same_transaction():
    desired = desired_elements(STATE)
    legacy = {name: items for name, items in desired.items() if name in LEGACY.specs}
    old = listing(legacy, skeleton=LEGACY)
    plan = Nftables(FakeRunner([listed(old)])).plan(STATE)  # the same elements: no conntrack flush, no tool needed
    assert plan.changes == ["replace table ip linuxnet_containers by inet linuxnet_containers (%s), in one "
                            "transaction" % INET.marker]
    assert plan.script.startswith("delete table ip linuxnet_containers\ntable inet linuxnet_containers {\n")
    assert plan.script == "delete table ip linuxnet_containers\n" + INET.script(desired)
    assert plan.before == plan.after and plan.flush_udp == []
    both = {"nftables": listing(desired)["nftables"] + old["nftables"][1:]}
    leftover = Nftables(FakeRunner([listed(both)])).plan(STATE)
    assert (leftover.changes, leftover.script) == (["delete table ip linuxnet_containers"],
                                                   "delete table ip linuxnet_containers\n")
    emptied = Nftables(FakeRunner([listed(old), (["conntrack", "--version"], (0, "", ""))])).plan(FirewallState())
    assert emptied.script == "delete table ip linuxnet_containers\n"


def test_apply_reports_nfts_error_and_conntrack_failures():
    nft = Nftables(FakeRunner([(["nft", "-f", "-"], (1, "", "Error: Could not process rule: No such file\n"))]))
    with pytest.raises(KernelError, match="No such file") as raised:
        nft.apply(build_plan(desired_elements(STATE), None, False))
    assert raised.value.details["script"].startswith("table inet linuxnet_containers {")
    broken = Nftables(FakeRunner([(["conntrack", "-D"], (2, "", "Operation not permitted"))]))
    with pytest.raises(KernelError, match="not permitted"):
        broken.apply(FirewallPlan([], "", {}, {}, [(None, 53)]))


def test_plan_with_udp_flushes_needs_the_conntrack_tool_before_anything_changes():
    nft = Nftables(FakeRunner([(["nft", "-j", "list", "ruleset"], (0, '{"nftables": []}', "")),
                               (["conntrack", "--version"], FileNotFoundError("conntrack"))]))
    with pytest.raises(MissingDependency, match="conntrack"):
        nft.plan(STATE)
    assert Nftables(FakeRunner([(["nft", "-j"], (0, '{"nftables": []}', ""))])).plan(FirewallState()).changes == []


def test_foreign_forward_drops_is_a_read_only_view():
    runner = FakeRunner([listed({"nftables": FOREIGN})])
    assert [drop["table"] for drop in Nftables(runner).foreign_forward_drops()] == ["firewalld", "filter"]
    assert [call[0] for call in runner.calls] == [["nft", "-j", "list", "ruleset"]]


def terse(ruleset):
    """`nft -t -j list ruleset` and `nft -j list sets` of a ruleset: no elements at all, then the sets with theirs."""
    bare = {"nftables": [{kind: {k: v for k, v in body.items() if k != "elem"}} if isinstance(body, dict) else item
                         for item in ruleset["nftables"] for kind, body in item.items()]}
    sets = {"nftables": [item for item in ruleset["nftables"] if "set" in item]}
    return [(["nft", "-t", "-j", "list", "ruleset"], (0, json.dumps(bare), "")),
            (["nft", "-j", "list", "sets"], (0, json.dumps(sets), ""))]


def networks_only(state):
    return FirewallState(networks=state.networks, foreign_accept=state.foreign_accept,
                         overlay_guard=state.overlay_guard)


def test_a_plan_of_the_networks_alone_reads_no_published_port_and_leaves_them_as_they_are():
    installed = desired_elements(STATE)
    assert installed["pub_any"] and installed["bridges"]
    runner = FakeRunner(terse(listing(installed, foreign=OTHER_TABLES)))
    nft = Nftables(runner)
    plan = nft.plan_networks(networks_only(STATE))
    assert (plan.changes, plan.script) == ([], "")
    assert [call[0] for call in runner.calls] == [["nft", "-t", "-j", "list", "ruleset"], ["nft", "-j", "list", "sets"]]
    # the warning about other tables' drops reads the same ruleset, not another
    assert [drop["table"] for drop in nft.foreign_forward_drops()] == ["firewalld", "filter"]
    assert len(runner.calls) == 2
    # published ports missing from the table are not this plan's; a network's subnet missing is
    drifted = {name: set(items) for name, items in installed.items()}
    drifted["pub_any"] = set()
    subnet = sorted(drifted["subnets"])[0]
    drifted["subnets"].discard(subnet)
    plan = Nftables(FakeRunner(terse(listing(drifted)))).plan_networks(networks_only(STATE))
    assert plan.changes == ["add subnet %s" % subnet[0]] and "pub_any" not in plan.script
    assert plan.script.startswith("add element inet linuxnet_containers subnets")


@pytest.mark.parametrize("damage", ["no table", "skeleton", "emptied set", "no network"])
def test_a_plan_of_the_networks_alone_asks_for_the_whole_plan_when_the_table_is_made_again(damage):
    installed = desired_elements(STATE)
    if damage == "no table":
        ruleset = {"nftables": list(OTHER_TABLES)}
    elif damage == "skeleton":
        ruleset = listing(installed, skeleton_ok=False)
    else:
        ruleset = listing(dict(installed, bridges=set()))
    desired = networks_only(STATE) if damage != "no network" else FirewallState()
    runner = FakeRunner(terse(ruleset))
    assert Nftables(runner).plan_networks(desired) is None
    assert len(runner.calls) == (0 if damage == "no network" else 2)


def test_after_a_transaction_the_ruleset_is_read_again():
    runner = FakeRunner(terse(listing(desired_elements(STATE), foreign=OTHER_TABLES))
                        + [(["nft", "-f", "-"], (0, "", "")), listed({"nftables": FOREIGN})])
    nft = Nftables(runner)
    nft.plan_networks(networks_only(STATE))
    nft.apply(FirewallPlan(["x"], "add element inet linuxnet_containers bridges { lnc-x }\n", {}, {}))
    nft.foreign_forward_drops()
    assert [call[0][:4] for call in runner.calls][-1] == ["nft", "-j", "list", "ruleset"]
