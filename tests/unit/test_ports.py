# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._ports import (
    PortSpec,
    port_spec,
    publish_spec,
    resolve_publishes,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import endpoint_spec, network_spec


@pytest.mark.parametrize("text, expected", [
    ("80", PortSpec("tcp", None, None, 80)),
    ("8080:80", PortSpec("tcp", None, 8080, 80)),
    ("127.0.0.1:8080:80", PortSpec("tcp", "127.0.0.1", 8080, 80)),
    ("127.0.0.1::80/udp", PortSpec("udp", "127.0.0.1", None, 80)),
    ("0.0.0.0:53:53/udp", PortSpec("udp", None, 53, 53)),
    ("8000-8010:9000-9010/sctp", PortSpec("sctp", None, 8000, 9000, 11)),
    ("7000-7002", PortSpec("tcp", None, None, 7000, 3)),
    ({"host_port": 8443, "container_port": "443", "protocol": "TCP"}, PortSpec("tcp", None, 8443, 443)),
    ({"container_port": 53, "protocol": "udp", "host_ip": "198.51.100.1"}, PortSpec("udp", "198.51.100.1", None, 53)),
])
def test_docker_port_syntax(text, expected):
    assert port_spec(text, "ports[0]") == expected


@pytest.mark.parametrize("text, words", [
    ("70000:80", "out of range"),
    ("0:80", "out of range"),
    ("80/icmp", "not a protocol"),
    ("8000-8010:80", "host range has 11 ports, container range 1"),
    ("abc", "not a port"),
    ("300.1.1.1:80:80", "not an IPv4 address"),
    ("90-80", "ends before it starts"),
    ({"host_port": 80}, "container_port"),
    ({"container_port": 80, "proto": "udp"}, "unknown key"),
])
def test_bad_ports_name_the_field(text, words):
    with pytest.raises(InvalidOption) as info:
        port_spec(text, "ports[2]")
    assert info.value.field.startswith("ports[2]") and words in info.value.msg


def build_state():
    state = resolve_networks(State(), [network_spec({"name": "front", "subnet": "172.20.0.0/24"}),
                                       network_spec({"name": "vault", "subnet": "172.21.0.0/24",
                                                     "internal": True})], False, [], {}).state
    items = [{"name": "web", "network": "front"}, {"name": "api", "network": "front"},
             {"name": "side", "mode": "container", "container": "web"}, {"name": "mon", "mode": "host"},
             {"name": "job", "mode": "none"}, {"name": "safe", "network": "vault"}]
    return resolve_endpoints(state, [endpoint_spec(i) for i in items], False, lambda p: True, {}).state


def publish(state, *items, owner=lambda proto, ip, port: None, exclusive=False):
    return resolve_publishes(state, [publish_spec(i) for i in items], exclusive, owner, {}).state


def test_auto_host_ports_are_lowest_free_and_stable():
    state = publish(build_state(), {"endpoint": "web", "ports": ["80", "443"]})
    assert [p.host_port for p in state.published["web"]] == [32768, 32769]
    state = publish(state, {"endpoint": "api", "ports": ["80"]},
                    owner=lambda proto, ip, port: "process nginx (pid 7)" if port == 32770 else None)
    assert state.published["api"][0].host_port == 32771
    again = publish(state, {"endpoint": "web", "ports": ["443", "80"]})
    assert sorted(p.host_port for p in again.published["web"]) == [32768, 32769]


def test_conflicts_name_the_owner():
    state = publish(build_state(), {"endpoint": "web", "ports": ["8080:80"]})
    with pytest.raises(Conflict, match="ports\\[0\\]: host port tcp/8080 is already published by endpoint web"):
        publish(state, {"endpoint": "api", "ports": ["8075-8085:8075-8085"]})
    with pytest.raises(Conflict, match="held by process sshd \\(pid 1\\)"):
        publish(state, {"endpoint": "api", "ports": ["2222:22"]},
                owner=lambda proto, ip, port: "process sshd (pid 1)" if port == 2222 else None)
    assert publish(state, {"endpoint": "api", "ports": ["8080:80/udp"]}).published["api"][0].protocol == "udp"


def test_loopback_and_specific_ip_overlap_any_address():
    state = publish(build_state(), {"endpoint": "web", "ports": ["127.0.0.1:9000:80"]})
    with pytest.raises(Conflict):
        publish(state, {"endpoint": "api", "ports": ["9000:80"]})
    ok = publish(state, {"endpoint": "api", "ports": ["198.51.100.1:9000:80"]})
    assert ok.published["api"][0].host_ip == "198.51.100.1"


@pytest.mark.parametrize("item, words", [
    ({"endpoint": "ghost", "ports": ["80"]}, "endpoint ghost does not exist"),
    ({"endpoint": "mon", "ports": ["80"]}, "host mode"),
    ({"endpoint": "job", "ports": ["80"]}, "none mode"),
    ({"endpoint": "web", "network": "vault", "ports": ["80"]}, "not attached to network vault"),
    ({"endpoint": "safe", "ports": ["80"]}, "internal"),
    ({"endpoint": "web", "ports": ["80"], "allowed_sources": ["10.0.0.1/8"]}, "host bits"),
])
def test_refusals(item, words):
    with pytest.raises(InvalidOption, match=words):
        publish(build_state(), item)


def test_container_mode_publishes_on_its_target_and_absent_and_exclusive_clear():
    state = publish(build_state(), {"endpoint": "side", "ports": ["8080:80"], "allowed_sources": ["198.51.100.7"]},
                    {"endpoint": "web", "ports": ["8081:81"]})
    assert state.published["side"][0].network == "front"
    assert state.published["side"][0].allowed_sources == ("198.51.100.7/32",)
    assert "side" not in publish(state, {"endpoint": "side", "state": "absent"}).published
    assert sorted(publish(state, {"endpoint": "web", "ports": ["8081:81"]}, exclusive=True).published) == ["web"]
