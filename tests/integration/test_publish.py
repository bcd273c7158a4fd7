# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_publish and container_network_info: every path a user relies on, with real packets."""
import pytest

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
PUB = "linuxnet.containers.port_publish"
INFO = "linuxnet.containers.container_network_info"
HOST = "198.51.100.1"


@pytest.fixture
def web(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, endpoints=[{"name": "web", "network": "front"}, {"name": "api", "network": "front"},
                                  {"name": "peer", "network": "front"},
                                  {"name": "side", "mode": "container", "container": "api"},
                                  {"name": "mon", "mode": "host"}])
    for proto in ("tcp", "udp"):
        sandbox.serve("web", "0.0.0.0", 80, proto=proto, name="web")
        sandbox.serve("api", "0.0.0.0", 80, proto=proto, name="api")
    return sandbox


def nft_table(sandbox):
    return sandbox.run(["nft", "list", "table", "inet", "linuxnet_containers"]).stdout


def test_publish_every_path_check_diff_idempotence_and_removal(web):
    sandbox = web
    before = sandbox.snapshot()
    ports = ["8080:80", "5353:80/udp", "127.0.0.1:8081:80", "9000-9002:80-82"]
    planned = sandbox.module(PUB, endpoint="web", ports=ports, check=True, diff=True)
    assert planned["changed"] and planned["diff"]["before"]["published"]["web"] == []
    assert sandbox.snapshot() == before
    result = sandbox.module(PUB, endpoint="web", ports=ports, diff=True)
    assert result["changed"] and len(result["published"]) == 6
    assert {"host_ip": "127.0.0.1", "host_port": 8081, "container_ip": "172.20.0.2", "container_port": 80,
            "protocol": "tcp"}.items() <= result["published"][2].items()
    assert result["sysctls"]["net.ipv4.conf.lnc-front.route_localnet"] == "1"
    assert sandbox.run(["sysctl", "-n", "net.ipv4.conf.all.route_localnet"]).stdout.strip() == "0"
    assert not sandbox.module(PUB, endpoint="web", ports=ports)["changed"]
    assert not sandbox.module(PUB, endpoint="web", ports=ports, check=True)["changed"]
    # from another host: the client's address is preserved
    assert sandbox.request("lan", HOST, 8080) == "web 198.51.100.2"
    assert sandbox.request("lan", HOST, 5353, proto="udp") == "web 198.51.100.2"
    assert sandbox.request("lan", HOST, 9000) == "web 198.51.100.2"
    assert sandbox.request("lan", HOST, 9001, timeout=1) is None  # range maps 9001 to 81: nothing listens there
    # from the host itself, on its own address and on 127.0.0.1, without a proxy process
    assert sandbox.request(None, HOST, 8080).startswith("web ")
    assert sandbox.request(None, "127.0.0.1", 8080).startswith("web ")
    assert sandbox.request(None, "127.0.0.1", 8081).startswith("web ")
    assert sandbox.run(["ss", "-ltnH", "sport = :8080"]).stdout.strip() == ""
    # a port bound to 127.0.0.1 never answers another host
    assert sandbox.request("lan", HOST, 8081, timeout=1) is None
    # hairpin: another container, and the endpoint itself, through the host's address
    assert sandbox.request("peer", HOST, 8080).startswith("web ")
    assert sandbox.request("web", HOST, 8080).startswith("web ")
    # unpublished ports stay closed
    assert sandbox.request("lan", "172.20.0.2", 80, timeout=1) is None
    # removal: no map element, no route_localnet need
    removed = sandbox.module(PUB, endpoint="web", state="absent", diff=True)
    assert removed["changed"] and removed["diff"]["after"]["published"]["web"] == []
    assert "8080" not in nft_table(sandbox) and "9000" not in nft_table(sandbox)
    assert sandbox.request("lan", HOST, 8080, timeout=1) is None
    assert not sandbox.module(PUB, endpoint="web", state="absent")["changed"]


def test_host_ip_allowed_sources_container_mode_and_udp_flush(web):
    sandbox = web
    sandbox.module(PUB, endpoints=[
        {"endpoint": "web", "ports": [{"host_ip": HOST, "host_port": 8080, "container_port": 80}],
         "allowed_sources": ["198.51.100.2"]},
        {"endpoint": "side", "ports": ["6000:80/udp", "6001:80"]},
    ])
    # allowed_sources: one LAN client in, another kept out
    assert sandbox.request("lan", HOST, 8080, source="198.51.100.2") == "web 198.51.100.2"
    assert sandbox.request("lan", HOST, 8080, source="198.51.100.3", timeout=1) is None
    # host_ip: only that address
    assert sandbox.request(None, "127.0.0.1", 8080, timeout=1) is None
    # container mode publishes on the endpoint whose namespace it shares
    assert sandbox.request("lan", HOST, 6001) == "api 198.51.100.2"
    # UDP: a changed mapping flushes conntrack, so the same client flow reaches the new target
    assert sandbox.request("lan", HOST, 6000, proto="udp", source="198.51.100.2", source_port=40000) \
        == "api 198.51.100.2"
    sandbox.module(PUB, endpoint="side", state="absent")
    sandbox.module(PUB, endpoint="web", ports=["6000:80/udp"])
    assert sandbox.request("lan", HOST, 6000, proto="udp", source="198.51.100.2", source_port=40000) \
        == "web 198.51.100.2"
    flows = sandbox.run(["conntrack", "-L", "-p", "udp", "--orig-port-dst", "6000"], check=False).stdout
    assert "172.20.0.3" not in flows


def test_conflicts_and_bad_input_change_nothing(web):
    sandbox = web
    sandbox.module(PUB, endpoint="web", ports=["8080:80"])
    sandbox.serve(None, "0.0.0.0", 2222, name="sshd-stand-in")
    snapshot = sandbox.snapshot()
    cases = [
        ({"endpoint": "api", "ports": ["8080:80"]}, "ports[0]: host port tcp/8080 is already published by endpoint web"),
        ({"endpoint": "api", "ports": ["2222:80"]}, "ports[0]: host port tcp/2222 is held by process"),
        ({"endpoint": "api", "ports": ["70000:80"]}, "ports[0]: port 70000 is out of range"),
        ({"endpoint": "ghost", "ports": ["80"]}, "endpoint: endpoint ghost does not exist"),
        ({"endpoint": "mon", "ports": ["80"]}, "endpoint: endpoint mon is in host mode"),
    ]
    for args, words in cases:
        failed = sandbox.module(PUB, expect_failure=True, **args)
        assert words in failed["msg"], failed["msg"]
    assert sandbox.snapshot() == snapshot


def test_auto_ports_sctp_exclusive_and_info_queries(web):
    sandbox = web
    first = sandbox.module(PUB, endpoint="api", ports=["80", "80/udp"])
    assert [p["host_port"] for p in first["published"]] == [32768, 32768]
    assert not sandbox.module(PUB, endpoint="api", ports=["80", "80/udp"])["changed"]
    assert sandbox.request("lan", HOST, 32768) == "api 198.51.100.2"
    sctp = sandbox.run(["python3", "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)"],
                       check=False).returncode == 0
    if sctp:
        sandbox.serve("web", "0.0.0.0", 90, proto="sctp", name="web")
        sandbox.module(PUB, endpoint="web", ports=["9090:90/sctp"])
        assert sandbox.request("lan", HOST, 9090, proto="sctp") == "web 198.51.100.2"
    info = sandbox.module(INFO, query="endpoints[?name=='api'].interfaces[0].ipv4_address | [0]")
    assert info["result"] == "172.20.0.3" and not info["changed"]
    assert {p["host_port"] for p in info["published"] if p["endpoint"] == "api"} == {32768}
    assert [n["name"] for n in info["networks"]] == ["front"] and info["networks"][0]["present"]
    foreign = sandbox.module(INFO, all_namespaces=True, query="endpoints[?!managed].name")
    assert foreign["result"] == ["lan"]
    bad = sandbox.module(INFO, query="endpoints[?", expect_failure=True)
    assert bad["msg"].startswith("query:")
    kept = sandbox.module(PUB, exclusive=True, endpoints=[{"endpoint": "api", "ports": ["80"]}])
    assert [p["endpoint"] for p in kept["published"]] == ["api"]
    after = sandbox.module(INFO)
    assert {(p["endpoint"], p["protocol"]) for p in after["published"]} == {("api", "tcp")}
