# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import (
    endpoint_spec,
    network_spec,
    port_spec,
    publish_spec,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._validate6 import host_ip6, ipv6_address, ipv6_cidr


def test_ipv6_cidrs_are_normalised():
    assert ipv6_cidr("fd00:0006:0001::/64", "f") == "fd00:6:1::/64"
    assert ipv6_address("[fd00:6::0a]", "f") == "fd00:6::a"


@pytest.mark.parametrize("value, message", [
    ("fd00:6::/zz", "not an IPv6 CIDR"),
    ("fd00:6::1/64", "host bits set"),
    ("fd00:6::", "host bits set"),
    ("172.20.0.0/16", "not an IPv6 CIDR"),
    (["fd00::/64"], "expected an IPv6 CIDR"),
])
def test_bad_ipv6_cidrs(value, message):
    with pytest.raises(InvalidOption, match=message):
        ipv6_cidr(value, "ipv6_subnet")


@pytest.mark.parametrize("params, field, message", [
    ({"enable_ipv6": True, "ipv6_subnet": "fd00:6::/127"}, "ipv6_subnet", "no room"),
    ({"enable_ipv6": True, "ipv6_subnet": "fd00:6::/64", "ipv6_gateway": "fd00:7::1"}, "ipv6_gateway",
     "not a usable address"),
    ({"enable_ipv6": True, "ipv6_subnet": "fd00:6::/64", "ipv6_gateway": "fd00:6::"}, "ipv6_gateway",
     "not a usable address"),
    ({"enable_ipv6": True, "ipv6_gateway": "fd00:6::1"}, "ipv6_gateway", "needs an explicit ipv6_subnet"),
    ({"enable_ipv6": True, "ipv6_subnet": "fd00:6::/64", "ipv6_ip_range": "fd00:7::/80"}, "ipv6_ip_range",
     "not inside ipv6_subnet"),
    ({"enable_ipv6": False, "ipv6_subnet": "fd00:6::/64"}, "ipv6_subnet", "enable_ipv6 is false"),
    ({"enable_ipv4": False, "enable_ipv6": False}, "enable_ipv4", "at least one address family"),
    ({"enable_ipv4": False, "enable_ipv6": True, "subnet": "172.20.0.0/16"}, "subnet", "IPv6-only"),
    ({"gateway_mode_ipv6": "bridge"}, "gateway_mode_ipv6", "not a gateway mode"),
])
def test_bad_network_ipv6_options_name_the_field(params, field, message):
    with pytest.raises(InvalidOption, match="^networks\\[0\\]\\.%s: .*%s" % (field, message)):
        network_spec(dict(name="n", **params), "networks[0].")


def test_network_ipv6_options_left_out_stay_open():
    spec = network_spec({"name": "n"})
    assert (spec.enable_ipv6, spec.enable_ipv4, spec.ipv6_subnet, spec.gateway_mode_ipv6) == (None, None, None, None)
    spec = network_spec({"name": "n", "enable_ipv6": True, "ipv6_subnet": "fd00:6::/64", "gateway_mode_ipv4": "routed"})
    assert (spec.enable_ipv6, spec.ipv6_subnet, spec.gateway_mode_ipv4) == (True, "fd00:6::/64", "routed")


def test_endpoint_ipv6_address():
    spec = endpoint_spec({"name": "e", "network": "n", "ipv6_address": "fd00:6::10"})
    assert spec.networks[0].ipv6_address == "fd00:6::10"
    spec = endpoint_spec({"name": "e", "networks": [{"name": "n", "ipv6_address": "fd00:6::11"}]})
    assert spec.networks[0].ipv6_address == "fd00:6::11"
    with pytest.raises(InvalidOption, match="ipv6_address: only allowed together with network"):
        endpoint_spec({"name": "e", "networks": [{"name": "n"}], "ipv6_address": "fd00:6::10"})
    with pytest.raises(InvalidOption, match="networks\\[0\\].ipv6_address: fe80::1 is not a unicast"):
        endpoint_spec({"name": "e", "networks": [{"name": "n", "ipv6_address": "fe80::1"}]})


def test_ipv6_published_ports():
    assert port_spec("[2001:db8::1]:8080:80", "ports[0]").host_ip == "2001:db8::1"
    assert port_spec("[::]:8080:80", "ports[0]").host_ip == "::"
    assert port_spec({"host_ip": "::", "container_port": 80}, "ports[0]").host_ip == "::"
    with pytest.raises(InvalidOption, match="route_localnet.*127.0.0.1"):
        port_spec("[::1]:8080:80", "ports[0]")
    with pytest.raises(InvalidOption, match="not a unicast host address"):
        host_ip6("fe80::1", "ports[0]")
    spec = publish_spec({"endpoint": "e", "ports": ["80"], "allowed_sources": ["2001:db8::/32", "2001:db8::7"]})
    assert spec.allowed_sources == ("2001:db8::/32", "2001:db8::7/128")
    with pytest.raises(InvalidOption, match="host bits set"):
        publish_spec({"endpoint": "e", "ports": ["80"], "allowed_sources": ["2001:db8::1/32"]})


# --- dns and etc_hosts take both families --------------------------------------------------------------
def test_dns_and_etc_hosts_take_ipv6_addresses_normalised():
    spec = endpoint_spec({"name": "web", "dns": ["2001:0db8::0053", "192.0.2.53", "::1"],
                          "etc_hosts": {"db.example": "fd00:1:0::5", "old.example": "10.0.0.5"}})
    assert spec.dns == ("2001:db8::53", "192.0.2.53", "::1")
    assert spec.etc_hosts == (("db.example", "fd00:1::5"), ("old.example", "10.0.0.5"))


@pytest.mark.parametrize("params, field, message", [
    ({"dns": ["fe80::1"]}, "dns", "link-local or has a zone"),
    ({"dns": ["fe80::1%eth0"]}, "dns", "fe80::1%eth0"),
    ({"dns": ["2001:db8::53%eth0"]}, "dns", "has a zone"),
    ({"dns": ["2001:db8::53%eth0\nnameserver 6.6.6.6"]}, "dns", "has a zone"),
    ({"dns": ["2001:db8::53\n"]}, "dns", "not an IPv4 or IPv6 address"),
    ({"dns": [" 2001:db8::53"]}, "dns", "not an IPv4 or IPv6 address"),
    ({"dns": ["[2001:db8::53]"]}, "dns", "not an IPv4 or IPv6 address"),
    ({"dns": ["2001:db8::53/64"]}, "dns", "not an IPv4 or IPv6 address"),
    ({"dns": ["::"]}, "dns", "not a unicast address"),
    ({"dns": ["ff02::1"]}, "dns", "not a unicast address"),
    ({"etc_hosts": {"db": "fe80::5"}}, "etc_hosts.db", "link-local"),
    ({"etc_hosts": {"db": "fd00::5%eth0"}}, "etc_hosts.db", "has a zone"),
    ({"etc_hosts": {"db": "fd00::5 evil"}}, "etc_hosts.db", "not an IPv4 or IPv6 address"),
])
def test_bad_ipv6_dns_and_hosts_entries_name_the_field(params, field, message):
    with pytest.raises(InvalidOption) as raised:
        endpoint_spec(dict(params, name="web"))
    assert raised.value.field == field and message in str(raised.value), str(raised.value)
