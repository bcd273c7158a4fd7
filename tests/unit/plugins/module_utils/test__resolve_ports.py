# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve_ports import resolve_publishes
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import (
    endpoint_spec,
    network_spec,
    publish_spec,
)


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


def test_one_container_port_published_twice_keeps_both_on_rerun():
    """Docker allows -p 8080:80 -p 80; the auto-picked port must not take the explicit one on a re-run."""
    state = publish(build_state(), {"endpoint": "web", "ports": ["8080:80", "80"]})
    first = sorted(p.host_port for p in state.published["web"])
    assert first == [8080, 32768]
    again = publish(state, {"endpoint": "web", "ports": ["8080:80", "80"]})
    assert sorted(p.host_port for p in again.published["web"]) == first
    twice = publish(build_state(), {"endpoint": "web", "ports": ["80", "80"]})
    ports = [p.host_port for p in twice.published["web"]]
    assert ports == [32768, 32769]
    assert [p.host_port for p in publish(twice, {"endpoint": "web", "ports": ["80", "80"]}).published["web"]] == ports


def test_allowed_sources_left_out_are_kept_and_an_empty_list_opens_the_port():
    state = publish(build_state(), {"endpoint": "web", "ports": ["8080:80"], "allowed_sources": ["198.51.100.0/24"]})
    kept = publish(state, {"endpoint": "web", "ports": ["8080:80", "8443:443"]})
    assert [p.allowed_sources for p in kept.published["web"]] == [("198.51.100.0/24",)] * 2
    opened = publish(kept, {"endpoint": "web", "ports": ["8080:80"], "allowed_sources": []})
    assert opened.published["web"][0].allowed_sources == ()
