# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import PortSpec
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import (
    endpoint_spec,
    network_spec,
    port_spec,
    publish_spec,
)


def test_options_left_out_stay_open():
    """Left out is None in the spec: the resolver keeps an existing network's value or applies the default."""
    spec = network_spec({"name": "front"})
    assert (spec.mtu, spec.masquerade, spec.icc, spec.internal, spec.isolated) == (None, None, None, None, None)
    assert spec.subnet is None and spec.bridge is None and spec.ip_range is None
    assert endpoint_spec({"name": "web", "network": "front"}).dns_search is None


@pytest.mark.parametrize("params, field, words", [
    ({"name": "-bad"}, "name", "not a valid name"),
    ({"name": "x" * 65}, "name", "not a valid name"),
    ({"name": "n", "subnet": "172.20.0.0/33"}, "subnet", "not an IPv4 CIDR"),
    ({"name": "n", "subnet": "banana"}, "subnet", "not an IPv4 CIDR"),
    ({"name": "n", "subnet": "172.20.0.1/16"}, "subnet", "did you mean 172.20.0.0/16"),
    ({"name": "n", "subnet": "172.20.0.0/31"}, "subnet", "no room"),
    ({"name": "n", "subnet": "172.20.0.0/16", "gateway": "172.21.0.1"}, "gateway", "not a usable address"),
    ({"name": "n", "subnet": "172.20.0.0/16", "gateway": "172.20.255.255"}, "gateway", "not a usable address"),
    ({"name": "n", "gateway": "172.20.0.1"}, "gateway", "explicit subnet"),
    ({"name": "n", "subnet": "172.20.0.0/16", "ip_range": "172.21.0.0/24"}, "ip_range", "not inside subnet"),
    ({"name": "n", "bridge": "a-bridge-name-too-long"}, "bridge", "Linux allows 1 to 15"),
    ({"name": "n", "bridge": "br/0"}, "bridge", "refuses"),
    ({"name": "n", "mtu": 20}, "mtu", "outside 68-65535"),
])
def test_network_bad_input_names_the_field(params, field, words):
    with pytest.raises(InvalidOption) as info:
        network_spec(params, "networks[3].")
    assert info.value.field == "networks[3]." + field
    assert words in info.value.msg
    assert info.value.msg.startswith("networks[3].%s: " % field)


def test_endpoint_shorthand_becomes_one_attachment():
    spec = endpoint_spec({"name": "web", "network": "front", "ipv4_address": "172.20.0.9"})
    assert spec.mode == "bridge"
    assert [(a.network, a.ifname, a.ipv4_address) for a in spec.networks] == [("front", "eth0", "172.20.0.9")]


def test_endpoint_networks_get_eth_names_in_order():
    spec = endpoint_spec({"name": "api", "networks": [{"name": "a"}, {"name": "b", "mac_address": "02-42-AC-11-00-09"},
                                                      {"name": "c", "ifname": "data"}]})
    assert [a.ifname for a in spec.networks] == ["eth0", "eth1", "data"]
    assert spec.networks[1].mac_address == "02:42:ac:11:00:09"


@pytest.mark.parametrize("params, field, words", [
    ({"name": "s", "mode": "container", "container": "web", "network": "front"}, "network", "conflicting options"),
    ({"name": "s", "mode": "container", "container": "web", "dns": ["1.1.1.1"]}, "dns", "conflicting options"),
    ({"name": "s", "mode": "container", "container": "web", "etc_hosts": {"a": "1.2.3.4"}}, "etc_hosts",
     "conflicting options"),
    ({"name": "s", "mode": "container"}, "container", "needs the endpoint"),
    ({"name": "s", "mode": "container", "container": "s"}, "container", "its own namespace"),
    ({"name": "s", "mode": "bridge", "container": "web"}, "container", "only used with mode: container"),
    ({"name": "s", "mode": "host", "network": "front"}, "network", "host mode has no networks"),
    ({"name": "s", "mode": "none", "networks": [{"name": "a"}]}, "networks", "none mode has no networks"),
    ({"name": "s", "mode": "host", "pid": 5}, "pid", "host mode"),
    ({"name": "s", "mode": "warp"}, "mode", "not a mode"),
    ({"name": "s", "network": "front", "ipv4_address": "300.1.1.1"}, "ipv4_address", "not an IPv4 address"),
    ({"name": "s", "network": "front", "mac_address": "01:00:5e:00:00:01"}, "mac_address", "multicast"),
    ({"name": "s", "ipv4_address": "172.20.0.2"}, "ipv4_address", "only allowed together with network"),
    ({"name": "s", "networks": [{"name": "a", "ifname": "averyveryverylongname"}]}, "networks[0].ifname",
     "Linux allows"),
    ({"name": "s", "networks": [{"name": "a"}, {"name": "a"}]}, "networks[1].name", "listed twice"),
    ({"name": "s", "networks": [{"name": "a"}, {"name": "b", "ifname": "eth0"}]}, "networks[1].ifname",
     "used twice"),
    ({"name": "s", "netns_path": "relative/path"}, "netns_path", "absolute path"),
    ({"name": "s", "netns_path": "/proc/1/ns/net", "pid": 3}, "pid", "mutually exclusive"),
    ({"name": "s", "dns": ["dns.example"]}, "dns", "not an IPv4 or IPv6 address"),
    ({"name": "s", "etc_hosts": {"db": "nope"}}, "etc_hosts.db", "not an IPv4 or IPv6 address"),
])
def test_endpoint_bad_input_names_the_field(params, field, words):
    with pytest.raises(InvalidOption) as info:
        endpoint_spec(params)
    assert info.value.field == field
    assert words in info.value.msg


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


# hostile input: every value that reaches a path, a file, netlink or a command is matched as a whole
# string and typed; each refusal names the field and says how to fix it ------------------------------
HOSTILE_NETWORKS = [
    ({"name": "evil\n"}, "name"),
    ({"name": "ev\x00il"}, "name"),
    ({"name": "../etc"}, "name"),
    ({"name": "a;reboot"}, "name"),
    ({"name": {"a": 1}}, "name"),
    ({"name": "n", "bridge": "br0\n"}, "bridge"),
    ({"name": "n", "bridge": "br$(x)"}, "bridge"),
    ({"name": "n", "bridge": "br\x00"}, "bridge"),
    ({"name": "n", "bridge": "bre\u0456"}, "bridge"),          # Cyrillic i
    ({"name": "n", "bridge": ["br0"]}, "bridge"),
    ({"name": "n", "subnet": "172.20.0.0/16\n"}, "subnet"),
    ({"name": "n", "subnet": {"a": 1}}, "subnet"),
    ({"name": "n", "subnet": "172.20.0.0/16", "gateway": "172.20.0.1\n"}, "gateway"),
    ({"name": "n", "subnet": "172.20.0.0/16", "gateway": 2886991873}, "gateway"),
    ({"name": "n", "mtu": True}, "mtu"),
    ({"name": "n", "mtu": "1500"}, "mtu"),
]

HOSTILE_ENDPOINTS = [
    ({"name": "ep\n", "network": "front"}, "name"),
    ({"name": "ep/../x"}, "name"),
    ({"name": "web", "network": "front\n"}, "network"),
    ({"name": "web", "networks": [{"name": "front", "ifname": "eth0\n"}]}, "networks[0].ifname"),
    ({"name": "web", "networks": [{"name": "front", "ifname": "e;th"}]}, "networks[0].ifname"),
    ({"name": "web", "networks": [{"name": "front", "ifname": "\uff45th0"}]}, "networks[0].ifname"),
    ({"name": "web", "networks": [{"name": "front", "ifname": 7}]}, "networks[0].ifname"),
    ({"name": "web", "networks": [{"name": "front", "aliases": ["www\n"]}]}, "networks[0].aliases"),
    ({"name": "web", "networks": [{"name": "front", "aliases": [{"a": 1}]}]}, "networks[0].aliases"),
    ({"name": "web", "network": "front", "mac_address": "02:42:ac:14:00:0a\n"}, "mac_address"),
    ({"name": "web", "network": "front", "ipv4_address": "172.20.0.9\n"}, "ipv4_address"),
    ({"name": "web", "dns": ["1.1.1.1\n"]}, "dns"),
    ({"name": "web", "dns": [16843009]}, "dns"),
    ({"name": "web", "dns_search": ["example.com\n"]}, "dns_search"),
    ({"name": "web", "dns_search": ["example.com\nnameserver 6.6.6.6"]}, "dns_search"),
    ({"name": "web", "dns_options": ["ndots:2\n"]}, "dns_options"),
    ({"name": "web", "dns_options": ["ndots:2\x00"]}, "dns_options"),
    ({"name": "web", "dns_options": ["a;b"]}, "dns_options"),
    ({"name": "web", "dns_options": [5]}, "dns_options"),
    ({"name": "web", "etc_hosts": {"db\n": "10.0.0.5"}}, "etc_hosts"),
    ({"name": "web", "etc_hosts": {"db": "10.0.0.5\n1.2.3.4 evil"}}, "etc_hosts.db"),
    ({"name": "web", "etc_hosts": {"db": ["10.0.0.5"]}}, "etc_hosts.db"),
    ({"name": "web", "etc_hosts": {1: "10.0.0.5"}}, "etc_hosts"),
    ({"name": "web", "etc_hosts": ["db"]}, "etc_hosts"),
    ({"name": "web", "netns_path": "/run/netns/x\n"}, "netns_path"),
    ({"name": "web", "netns_path": "/run/netns/x\x00"}, "netns_path"),
    ({"name": "web", "netns_path": "/run/netns/../../etc/passwd"}, "netns_path"),
    ({"name": "web", "netns_path": "/run/netns//x"}, "netns_path"),
    ({"name": "web", "netns_path": "/run/netns/x/"}, "netns_path"),
    ({"name": "web", "netns_path": "//run/netns/x"}, "netns_path"),
    ({"name": "web", "netns_path": {"a": 1}}, "netns_path"),
    ({"name": "web", "netns_path": "/" + "a" * 5000}, "netns_path"),
    ({"name": "web", "pid": True}, "pid"),
    ({"name": "web", "pid": "1"}, "pid"),
    ({"name": "web", "pid": 1.5}, "pid"),
    ({"name": "web", "pid": -1}, "pid"),
    ({"name": "web", "mode": "container", "container": "web\n"}, "container"),
]

HOSTILE_PUBLISHES = [
    ({"endpoint": "web\n", "ports": ["80"]}, "endpoint"),
    ({"endpoint": "web", "network": "front\n", "ports": ["80"]}, "network"),
    ({"endpoint": "web", "ports": ["80\n"]}, "ports[0]"),
    ({"endpoint": "web", "ports": [" 80"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["\uff18\uff10"]}, "ports[0]"),         # fullwidth 80
    ({"endpoint": "web", "ports": ["\u0668\u0660"]}, "ports[0]"),         # Arabic-Indic 80
    ({"endpoint": "web", "ports": ["8080:80/tcp\n"]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["127.0.0.1\n:8080:80"]}, "ports[0]"),
    ({"endpoint": "web", "ports": [True]}, "ports[0]"),
    ({"endpoint": "web", "ports": [None]}, "ports[0]"),
    ({"endpoint": "web", "ports": [[80]]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": True}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": 80, "protocol": ["tcp"]}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": 80, "protocol": {}}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": 80, "host_ip": {"a": 1}}]}, "ports[0]"),
    ({"endpoint": "web", "ports": [{"container_port": "80\n"}]}, "ports[0]"),
    ({"endpoint": "web", "ports": ["80"], "allowed_sources": ["10.0.0.0/8\n"]}, "allowed_sources"),
    ({"endpoint": "web", "ports": ["80"], "allowed_sources": [" 10.0.0.1"]}, "allowed_sources"),
    ({"endpoint": "web", "ports": ["80"], "allowed_sources": [{"a": 1}]}, "allowed_sources"),
]


@pytest.mark.parametrize("parse, params, field", [(network_spec, p, f) for p, f in HOSTILE_NETWORKS] +
                         [(endpoint_spec, p, f) for p, f in HOSTILE_ENDPOINTS] +
                         [(publish_spec, p, f) for p, f in HOSTILE_PUBLISHES])
def test_hostile_values_are_refused_with_the_field_named(parse, params, field):
    with pytest.raises(InvalidOption) as info:
        parse(params, "items[2].")
    assert info.value.field == "items[2]." + field
    assert info.value.msg.startswith("items[2].%s: " % field)
    assert "; " in info.value.msg, "no fix given: %s" % info.value.msg


@pytest.mark.parametrize("params", [
    {"name": "web", "networks": [{"name": "front", "ifname": "data.10", "aliases": ["db.internal", "db_1"]}]},
    {"name": "web", "dns": ["1.1.1.1"], "dns_search": ["corp.example"],
     "dns_options": ["ndots:2", "rotate", "single-request-reopen"]},
    {"name": "web", "netns_path": "/run/netns/foreign"},
    {"name": "web", "pid": 4242},
    {"name": "web", "etc_hosts": {"db.example": "10.0.0.5"}},
])
def test_ordinary_values_still_pass(params):
    endpoint_spec(params)


def test_normalised_path_suggestion():
    with pytest.raises(InvalidOption) as info:
        endpoint_spec({"name": "web", "netns_path": "/run/netns/../netns/x"})
    assert "/run/netns/x" in info.value.msg
