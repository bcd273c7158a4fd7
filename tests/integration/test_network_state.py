# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_state: networks, endpoints and published ports in one task, with real packets."""

STATE = "linuxnet.containers.network_state"
NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
PUB = "linuxnet.containers.port_publish"
HOST = "198.51.100.1"

APP = dict(
    networks=[{"name": "front", "subnet": "172.20.0.0/24"}, {"name": "back", "subnet": "172.21.0.0/24"}],
    endpoints=[{"name": "web", "networks": [{"name": "front"}, {"name": "back"}]},
               {"name": "db", "network": "back", "ipv4_address": "172.21.0.10"},
               {"name": "side", "mode": "container", "container": "web"}],
    published_ports=[{"endpoint": "web", "ports": ["8080:80", "5353:53/udp"]}],
)


def names(result, key):
    return [item["name"] for item in result[key]]


def test_one_task_builds_reruns_and_tears_down(sandbox):
    pristine = sandbox.snapshot()
    # check mode on an empty host: the whole task previewed (endpoints on networks not created yet), nothing changed
    planned = sandbox.module(STATE, check=True, diff=True, **APP)
    assert planned["changed"] and not planned.get("warnings")
    assert sandbox.snapshot() == pristine, "check mode changed the host"
    assert any("connect db eth0 (172.21.0.10/24" in action for action in planned["actions"])
    before, after = planned["diff"]["before"], planned["diff"]["after"]
    assert before["networks"] == {"front": None, "back": None} and before["endpoints"]["web"] is None
    assert after["networks"]["back"]["subnet"] == "172.21.0.0/24"
    assert after["endpoints"]["db"]["interfaces"][0]["ipv4_address"] == "172.21.0.10"
    assert before["published"]["web"] == [] and len(after["published"]["web"]) == 2

    built = sandbox.module(STATE, **APP)
    assert built["changed"] and names(built, "networks") == ["front", "back"]
    assert names(built, "endpoints") == ["web", "db", "side"]
    assert built["endpoints"][0]["netns_inode"] == built["endpoints"][2]["netns_inode"]
    assert [(p["host_port"], p["protocol"], p["container_ip"]) for p in built["published"]] == \
        [(8080, "tcp", "172.20.0.2"), (5353, "udp", "172.20.0.2")]
    assert built["sysctls"]["net.ipv4.ip_forward"] == "1"
    # networks before endpoints before the firewall's published ports are used, endpoint files last
    actions = built["actions"]
    assert actions.index("create bridge lnc-front (mtu 1500) for network front") < \
        next(i for i, a in enumerate(actions) if a.startswith("create namespace /run/netns/web"))

    # real packets: another host reaches the published ports, endpoints reach each other by name
    for proto in ("tcp", "udp"):
        sandbox.serve("web", "0.0.0.0", 80 if proto == "tcp" else 53, proto=proto, name="web")
    sandbox.serve("db", "0.0.0.0", 5432, name="db")
    assert sandbox.request("lan", HOST, 8080) == "web 198.51.100.2"
    assert sandbox.request("lan", HOST, 5353, proto="udp") == "web 198.51.100.2"
    assert sandbox.request("side", "db", 5432) == "db 172.21.0.2"
    assert sandbox.request("lan", HOST, 5432, timeout=1) is None   # not published

    # a second identical run changes nothing, in check mode neither
    state_file = sandbox.snapshot()
    assert not sandbox.module(STATE, **APP)["changed"]
    rerun = sandbox.module(STATE, check=True, diff=True, **APP)
    assert not rerun["changed"] and rerun["actions"] == []
    assert rerun["diff"]["before"] == rerun["diff"]["after"]
    assert sandbox.snapshot() == state_file
    # the three modules agree: each sees its part as converged
    assert not sandbox.module(NET, networks=APP["networks"])["changed"]
    assert not sandbox.module(EP, endpoints=APP["endpoints"])["changed"]
    assert not sandbox.module(PUB, endpoints=APP["published_ports"])["changed"]

    # state absent tears everything down in one task: ports, endpoints, then networks; no leftovers
    previewed = sandbox.module(STATE, state="absent", check=True, **APP)
    assert previewed["changed"] and sandbox.snapshot() == state_file
    removed = sandbox.module(STATE, state="absent", **APP)
    assert removed["changed"] and removed["networks"] == removed["endpoints"] == removed["published"] == []
    assert sandbox.request("lan", HOST, 8080, timeout=1) is None
    assert not sandbox.module(STATE, state="absent", **APP)["changed"]
    left = sandbox.snapshot()
    assert left["links"] == pristine["links"]
    assert left["netns"] == pristine["netns"] == ["lan"]
    assert left["nft"] == pristine["nft"] == ""
    assert set(left["files"]) <= {"/var/lib/linuxnet-containers/state.json"}


def test_validation_fails_before_any_change(sandbox):
    pristine = sandbox.snapshot()
    bad_port = dict(APP, published_ports=[{"endpoint": "web", "ports": ["8080:80", "99999:80"]}])
    failed = sandbox.module(STATE, expect_failure=True, **bad_port)
    assert failed["msg"].startswith("published_ports[0].ports[1]"), failed["msg"]
    assert sandbox.snapshot() == pristine, "a bad port changed the host"

    unknown = dict(APP, endpoints=APP["endpoints"] + [{"name": "api", "network": "nowhere"}])
    failed = sandbox.module(STATE, expect_failure=True, **unknown)
    assert failed["field"] == "endpoints[3].network"
    assert "network nowhere does not exist" in failed["msg"] and "list it under networks" in failed["msg"]
    assert sandbox.snapshot() == pristine

    stray = dict(APP, published_ports=[{"endpoint": "ghost", "ports": ["8080:80"]}])
    failed = sandbox.module(STATE, expect_failure=True, **stray)
    assert failed["field"] == "published_ports[0].endpoint" and "endpoint ghost does not exist" in failed["msg"]
    twice = dict(APP, endpoints=APP["endpoints"] + [{"name": "db", "state": "absent"}])
    failed = sandbox.module(STATE, expect_failure=True, **twice)
    assert "endpoint db is listed twice" in failed["msg"] and failed["field"].startswith("endpoints[")
    taken = dict(APP, endpoints=APP["endpoints"] + [{"name": "api", "network": "back",
                                                     "ipv4_address": "172.21.0.10"}])
    assert "172.21.0.10" in sandbox.module(STATE, expect_failure=True, **taken)["msg"]
    assert sandbox.snapshot() == pristine

    # in check mode a reference to something neither in the task nor on the host may come from an earlier task
    assumed = sandbox.module(STATE, check=True, **unknown)
    assert assumed["changed"] and "assumed to be created by an earlier task" in " ".join(assumed["warnings"])
    assert sandbox.snapshot() == pristine


def test_exclusive_prunes_each_list_given(sandbox):
    sandbox.module(STATE, **APP)
    sandbox.run(["ip", "link", "add", "docker0", "type", "bridge"])
    sandbox.run(["ip", "netns", "add", "foreign"])
    # no networks list: exclusive prunes endpoints and ports only, and the networks stay
    kept = sandbox.module(STATE, exclusive=True, endpoints=[{"name": "web", "network": "front"}],
                          published_ports=[{"endpoint": "web", "ports": ["8080:80"]}])
    assert kept["changed"] and names(kept, "endpoints") == ["web"]
    assert [p["host_port"] for p in kept["published"]] == [8080]
    assert sorted(sandbox.run(["ls", "/run/netns"]).stdout.split()) == ["foreign", "lan", "web"]
    info = sandbox.module(NET, networks=[{"name": "front"}, {"name": "back"}])
    assert not info["changed"] and names(info, "networks") == ["front", "back"]
    sandbox.serve("web", "0.0.0.0", 80, name="web")
    assert sandbox.request("lan", HOST, 8080) == "web 198.51.100.2"
    assert sandbox.request("lan", HOST, 5353, proto="udp", timeout=1) is None

    # with a networks list, the unnamed network goes last (after its endpoints would have)
    pruned = sandbox.module(STATE, exclusive=True, networks=[{"name": "front"}],
                            endpoints=[{"name": "web", "network": "front"}])
    assert pruned["changed"] and "delete bridge lnc-back of network back" in pruned["actions"]
    assert "lnc-back" not in sandbox.run(["ip", "-o", "link"]).stdout
    assert "docker0" in sandbox.run(["ip", "-o", "link"]).stdout
    assert sandbox.request("lan", HOST, 8080) == "web 198.51.100.2"   # its ports list was not given: kept
    again = sandbox.module(STATE, exclusive=True, networks=[{"name": "front"}],
                           endpoints=[{"name": "web", "network": "front"}])
    assert not again["changed"]

    # a network whose endpoints another list keeps cannot be pruned: the task fails and changes nothing
    before = sandbox.snapshot()
    refused = sandbox.module(STATE, expect_failure=True, exclusive=True, networks=[{"name": "other"}])
    assert "network front still has endpoints attached: web" in refused["msg"]
    assert sandbox.snapshot() == before
