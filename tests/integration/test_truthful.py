# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Honest reports and options left alone (issue: safe and truthful), on a real kernel in sandbox hosts:
every applied change is in `actions`, the diff and check mode's preview; options left out keep their value."""
import json

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
PUB = "linuxnet.containers.port_publish"


def nft_sets(sandbox):
    data = json.loads(sandbox.run(["nft", "-j", "list", "table", "inet", "linuxnet_containers"]).stdout)
    sets = {}
    for item in data["nftables"]:
        body = item.get("set")
        if body:
            sets[body["name"]] = [str(e) for e in body.get("elem", ())]
    return sets


def inet(sandbox, netns, ifname):
    found = sandbox.ip(netns, "addr", "show", ifname)
    return [a["local"] for a in found[0]["addr_info"] if a["family"] == "inet"]


def test_options_left_out_are_kept_and_state_only_changes_are_reported(sandbox):
    sandbox.module(NET, name="b", subnet="172.30.0.0/16", internal=True, icc=False)
    named = sandbox.module(NET, name="b", diff=True)
    assert not named["changed"], named["actions"]
    assert (named["network"]["internal"], named["network"]["icc"]) == (True, False)
    assert "lnc-b" in str(nft_sets(sandbox)["internal"])
    preview = sandbox.module(NET, name="b", subnet="172.30.0.0/16", ip_range="172.30.5.0/24", check=True, diff=True)
    assert preview["changed"] and any("172.30.5.0/24" in text for text in preview["actions"])
    assert preview["diff"]["after"]["networks"]["b"]["ip_range"] == "172.30.5.0/24"
    narrowed = sandbox.module(NET, name="b", subnet="172.30.0.0/16", ip_range="172.30.5.0/24")
    assert narrowed["changed"] and narrowed["network"]["ip_range"] == "172.30.5.0/24"
    assert sandbox.module(EP, name="e1", network="b")["endpoint"]["interfaces"][0]["ipv4_address"] == "172.30.5.1"
    widened = sandbox.module(NET, name="b", subnet="172.30.0.0/16", ip_range="172.30.0.0/16")
    assert widened["changed"] and widened["network"]["ip_range"] is None
    back = sandbox.module(NET, name="b", internal=False, icc=True)
    assert back["changed"] and "lnc-b" not in str(nft_sets(sandbox).get("internal", []))


def test_a_new_gateway_keeps_the_bridge_addressed_and_moves_the_routes(sandbox):
    sandbox.run(["sysctl", "-qw", "net.ipv4.conf.all.promote_secondaries=0",
                 "net.ipv4.conf.default.promote_secondaries=0"])
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    sandbox.run(["sysctl", "-qw", "net.ipv4.conf.lnc-front.promote_secondaries=0"])
    moved = sandbox.module(NET, name="front", subnet="172.20.0.0/24", gateway="172.20.0.254")
    assert moved["changed"]
    assert inet(sandbox, None, "lnc-front") == ["172.20.0.254"]
    route = sandbox.ip("web", "route", "show", "default")
    assert route[0]["gateway"] == "172.20.0.254"
    sandbox.serve(None, "172.20.0.254", 7000)
    assert sandbox.request("web", "172.20.0.254", 7000) == "host 172.20.0.2"
    assert not sandbox.module(NET, name="front", subnet="172.20.0.0/24", gateway="172.20.0.254")["changed"]


def test_one_container_port_published_twice_and_route_localnet_given_back(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    first = sandbox.module(PUB, endpoint="web", ports=["8080:80", "80"])
    ports = sorted(p["host_port"] for p in first["published"])
    assert ports == [8080, 32768]
    again = sandbox.module(PUB, endpoint="web", ports=["8080:80", "80"])
    assert not again["changed"] and sorted(p["host_port"] for p in again["published"]) == ports
    twice = sandbox.module(PUB, endpoint="web", ports=["80", "80"])
    assert not sandbox.module(PUB, endpoint="web", ports=["80", "80"])["changed"]
    assert len({p["host_port"] for p in twice["published"]}) == 2
    key = "net.ipv4.conf.lnc-front.route_localnet"
    assert sandbox.run(["sysctl", "-n", key]).stdout.strip() == "1"
    gone = sandbox.module(PUB, endpoint="web", state="absent")
    assert any(key in text and "= 0" in text for text in gone["actions"])
    assert sandbox.run(["sysctl", "-n", key]).stdout.strip() == "0"
    assert not sandbox.module(PUB, endpoint="web", state="absent")["changed"]


def test_allowed_sources_left_out_are_kept(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    sandbox.module(PUB, endpoint="web", ports=["8080:80"], allowed_sources=["198.51.100.0/24"])
    kept = sandbox.module(PUB, endpoint="web", ports=["8080:80"])
    assert not kept["changed"] and kept["published"][0]["allowed_sources"] == ["198.51.100.0/24"]
    opened = sandbox.module(PUB, endpoint="web", ports=["8080:80"], allowed_sources=[])
    assert opened["changed"] and opened["published"][0]["allowed_sources"] == []


def test_check_mode_of_a_whole_play_on_a_fresh_host(sandbox):
    pristine = sandbox.snapshot()
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "network", NET: {"name": "front"}},
        {"name": "endpoint", EP: {"name": "web", "network": "front"}},
        {"name": "ports", PUB: {"endpoint": "web", "ports": ["8080:80"]}},
    ]}]
    results = sandbox.playbook(play, check=True)
    assert [r["status"] for r in results] == ["changed", "changed", "changed"]
    assert "assumed" in " ".join(results[1]["result"]["actions"])
    assert any("assumed" in warning for warning in results[2]["result"].get("warnings", ()))
    assert sandbox.snapshot() == pristine
