# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import resolve_endpoints, resolve_networks
from ansible_collections.linuxnet.containers.plugins.module_utils._validate import endpoint_spec, network_spec


def networks(state, *items, exclusive=False, routes=()):
    return resolve_networks(state, [network_spec(i) for i in items], exclusive, list(routes), {}).state


def endpoints(state, *items, exclusive=False, existing=()):
    return resolve_endpoints(state, [endpoint_spec(i) for i in items], exclusive,
                             lambda path: path in existing, {}).state


@pytest.fixture
def front():
    return networks(State(), {"name": "front", "subnet": "172.20.0.0/24"})


def test_auto_subnets_skip_host_routes_and_other_networks_and_stay_stable():
    state = networks(State(), {"name": "a"}, {"name": "b", "subnet": "172.18.0.0/16"}, routes=["172.17.0.0/16"])
    assert state.networks["a"].subnet == "172.19.0.0/16"
    assert state.networks["a"].gateway == "172.19.0.1"
    again = networks(state, {"name": "a"}, routes=["172.17.0.0/16", "172.19.0.0/16"])
    assert again.networks["a"].subnet == "172.19.0.0/16"


def test_overlapping_explicit_subnet_names_the_other_network(front):
    with pytest.raises(InvalidOption, match="subnet: 172.20.0.0/16 overlaps network front"):
        networks(front, {"name": "back", "subnet": "172.20.0.0/16"})


def test_bridge_name_clash(front):
    with pytest.raises(InvalidOption, match="bridge: bridge lnc-front already belongs to network front"):
        networks(front, {"name": "back", "bridge": "lnc-front"})


def test_addresses_are_allocated_kept_and_static_ones_win(front):
    state = endpoints(front, {"name": "a", "network": "front"}, {"name": "b", "network": "front"},
                      {"name": "c", "network": "front", "ipv4_address": "172.20.0.2"})
    addresses = {n: e.attachments[0].ipv4_address for n, e in state.endpoints.items()}
    assert addresses == {"a": "172.20.0.3", "b": "172.20.0.4", "c": "172.20.0.2"}
    assert state.endpoints["c"].attachments[0].mac_address == "02:42:ac:14:00:02"
    again = endpoints(state, {"name": "b", "network": "front"}, {"name": "a", "network": "front"})
    assert {n: e.attachments[0].ipv4_address for n, e in again.endpoints.items()} == addresses


def test_duplicate_static_address_names_the_holder(front):
    state = endpoints(front, {"name": "a", "network": "front", "ipv4_address": "172.20.0.7"})
    with pytest.raises(InvalidOption, match="ipv4_address: 172.20.0.7 is already used by endpoint a"):
        endpoints(state, {"name": "b", "network": "front", "ipv4_address": "172.20.0.7"})


@pytest.mark.parametrize("address, words", [
    ("172.21.0.7", "outside subnet 172.20.0.0/24"),
    ("172.20.0.1", "gateway, network or broadcast"),
    ("172.20.0.255", "gateway, network or broadcast"),
])
def test_static_address_must_be_usable(front, address, words):
    with pytest.raises(InvalidOption, match=words):
        endpoints(front, {"name": "a", "network": "front", "ipv4_address": address})


def test_unknown_network_and_unknown_container(front):
    with pytest.raises(InvalidOption, match="network: network nope does not exist"):
        endpoints(front, {"name": "a", "network": "nope"})
    with pytest.raises(InvalidOption, match="container: endpoint ghost does not exist"):
        endpoints(front, {"name": "s", "mode": "container", "container": "ghost"})


def test_container_target_in_the_same_batch(front):
    state = endpoints(front, {"name": "side", "mode": "container", "container": "web"},
                      {"name": "web", "network": "front"})
    assert state.endpoints["side"].container == "web"


def test_mode_change_needs_recreate_only_across_namespace_kinds(front):
    state = endpoints(front, {"name": "a", "mode": "none"})
    existing = ["/run/netns/a"]
    bridged = endpoints(state, {"name": "a", "network": "front"}, existing=existing)
    assert bridged.endpoints["a"].mode == "bridge"
    with pytest.raises(InvalidOption, match="mode: changing a from its own namespace to the host's namespace"):
        endpoints(state, {"name": "a", "mode": "host"}, existing=existing)
    assert endpoints(state, {"name": "a", "mode": "host", "recreate": True}, existing=existing).endpoints["a"].mode \
        == "host"


def test_network_in_use_cannot_be_removed_or_renumbered(front):
    state = endpoints(front, {"name": "web", "network": "front"})
    with pytest.raises(Conflict, match="network front still has endpoints attached: web"):
        networks(state, {"name": "front", "state": "absent"})
    with pytest.raises(Conflict, match="would renumber attached endpoints web"):
        networks(state, {"name": "front", "subnet": "172.21.0.0/24"})
    with pytest.raises(Conflict, match="gateway: 172.20.0.2 is the address of endpoint web"):
        networks(state, {"name": "front", "subnet": "172.20.0.0/24", "gateway": "172.20.0.2"})
    changed = networks(state, {"name": "front", "subnet": "172.20.0.0/24", "mtu": 1400, "icc": False})
    assert changed.networks["front"].mtu == 1400


def test_exclusive_removes_unnamed_networks_and_endpoints(front):
    state = networks(front, {"name": "back"})
    state = endpoints(state, {"name": "a", "network": "front"}, {"name": "b", "mode": "none"})
    state = endpoints(state, {"name": "b", "mode": "none"}, exclusive=True)
    assert sorted(state.endpoints) == ["b"]
    state = networks(state, {"name": "back"}, exclusive=True)
    assert sorted(state.networks) == ["back"]


def test_a_new_network_gets_the_defaults():
    created = networks(State(), {"name": "front"}).networks["front"]
    assert (created.mtu, created.masquerade, created.icc, created.internal, created.isolated, created.ip_range,
            created.accept_in_foreign_firewalls) == (1500, True, True, False, True, None, False)


def test_options_left_out_keep_the_current_value():
    state = networks(State(), {"name": "b", "subnet": "172.30.0.0/16", "ip_range": "172.30.5.0/24",
                               "internal": True, "icc": False, "mtu": 9000})
    named = networks(state, {"name": "b"}).networks["b"]
    assert (named.internal, named.icc, named.mtu, named.ip_range) == (True, False, 9000, "172.30.5.0/24")
    back = networks(state, {"name": "b", "subnet": "172.30.0.0/16", "ip_range": "172.30.0.0/16", "internal": False,
                            "icc": True}).networks["b"]
    assert (back.internal, back.icc, back.mtu, back.ip_range) == (False, True, 9000, None)


def test_endpoint_resolver_options_left_out_are_kept(front):
    state = endpoints(front, {"name": "web", "network": "front", "dns": ["192.0.2.53"], "dns_search": ["lab"],
                              "dns_options": ["ndots:2"], "etc_hosts": {"db": "192.0.2.9"}})
    kept = endpoints(state, {"name": "web", "network": "front"}).endpoints["web"]
    assert (kept.dns, kept.dns_search, kept.dns_options, kept.etc_hosts) == \
        (("192.0.2.53",), ("lab",), ("ndots:2",), (("db", "192.0.2.9"),))
    cleared = endpoints(state, {"name": "web", "network": "front", "dns": [], "dns_search": [], "dns_options": [],
                                "etc_hosts": {}}).endpoints["web"]
    assert (cleared.dns, cleared.dns_search, cleared.dns_options, cleared.etc_hosts) == ((), (), (), ())


# adoption (netns_path, pid): refused before any change when the source is not a network namespace,
# is the host's own, or is another managed endpoint's ------------------------------------------------
HOST_ID = (4, 1)
IDENTITIES = {"/proc/self/ns/net": HOST_ID, "/proc/1/ns/net": HOST_ID, "/proc/555/ns/net": HOST_ID,
              "/run/netns/web": (4, 10), "/run/netns/side": (4, 10), "/proc/77/ns/net": (4, 10),
              "/run/netns/foreign": (4, 20), "/proc/88/ns/net": (4, 20), "/run/netns/hostbox": HOST_ID}


def adopting(state, *items):
    return resolve_endpoints(state, [endpoint_spec(i) for i in items], False, lambda p: p in IDENTITIES, {},
                             identity=IDENTITIES.get, host_identity=HOST_ID).state


@pytest.fixture
def managed(front):
    return endpoints(front, {"name": "web", "network": "front"},
                     {"name": "side", "mode": "container", "container": "web"}, {"name": "hostbox", "mode": "host"})


@pytest.mark.parametrize("item, field, words", [
    ({"name": "bad", "pid": 1, "network": "front"}, "pid", "host's own network namespace"),
    ({"name": "bad", "pid": 555, "mode": "none"}, "pid", "host's own network namespace"),
    ({"name": "bad", "netns_path": "/proc/self/ns/net", "network": "front"}, "netns_path", "host's own"),
    ({"name": "bad", "netns_path": "/proc/1/ns/uts", "network": "front"}, "netns_path", "not a network namespace"),
    ({"name": "bad", "netns_path": "/etc/hostname"}, "netns_path", "not a network namespace"),
    ({"name": "bad", "netns_path": "/run/netns/web", "network": "front"}, "netns_path", "managed endpoint web"),
    ({"name": "bad", "netns_path": "/run/netns/side"}, "netns_path", "managed endpoint web"),
    ({"name": "bad", "pid": 77}, "pid", "managed endpoint web"),
    ({"name": "bad", "netns_path": "/run/netns/hostbox"}, "netns_path", "host's own"),
])
def test_adoption_refusals(managed, item, field, words):
    with pytest.raises(InvalidOption) as info:
        adopting(managed, item)
    assert info.value.field == field and words in info.value.msg


def test_adopting_a_foreign_namespace_once_and_again(managed):
    state = adopting(managed, {"name": "ext", "netns_path": "/run/netns/foreign", "network": "front"})
    assert state.endpoints["ext"].adopted == "/run/netns/foreign"
    again = adopting(state, {"name": "ext", "netns_path": "/run/netns/foreign", "network": "front"})
    assert again.endpoints["ext"].adopted == "/run/netns/foreign"
    with pytest.raises(InvalidOption) as info:   # the same namespace by another path, for another endpoint
        adopting(state, {"name": "ext2", "pid": 88})
    assert "managed endpoint ext" in info.value.msg


def test_one_namespace_adopted_twice_in_a_batch(managed):
    with pytest.raises(InvalidOption) as info:
        adopting(managed, {"name": "a", "netns_path": "/run/netns/foreign"}, {"name": "b", "pid": 88})
    assert info.value.field == "pid" and "managed endpoint a" in info.value.msg


def test_the_host_routes_are_read_only_when_a_subnet_is_picked():
    reads = []

    def routes():
        reads.append("read")
        return ["172.17.0.0/16"]

    state = resolve_networks(State(), [network_spec({"name": "a"})], False, routes, {}, routes).state
    assert state.networks["a"].subnet == "172.18.0.0/16" and reads == ["read"]
    reads.clear()
    again = resolve_networks(state, [network_spec({"name": "a"}), network_spec({"name": "b", "subnet": "10.9.0.0/24"})],
                             False, routes, {}, routes).state
    assert again.networks["a"] == state.networks["a"] and reads == []


def test_allocation_walks_each_address_once_per_run(monkeypatch):
    """A batch of N new endpoints costs N address checks plus the claims in the way, not N squared."""
    from ansible_collections.linuxnet.containers.plugins.module_utils import _ipam as ipam
    checks = []
    first_free = ipam.first_free

    def counted(first, last, family, unavailable):
        return first_free(first, last, family, lambda text: checks.append(text) or unavailable(text))

    monkeypatch.setattr(ipam, "first_free", counted)
    wide = networks(State(), {"name": "wide", "subnet": "10.8.0.0/16"})
    state = endpoints(wide, *[{"name": "e%d" % i, "network": "wide"} for i in range(300)])
    assert state.endpoints["e299"].attachments[0].ipv4_address == "10.8.1.45"  # .1 is the gateway, e0 has .2
    assert len(checks) <= 2 * 300 + 1, len(checks)  # walking from the start each time: about 45,000


def test_a_claimed_address_is_skipped_for_others_but_stays_open_for_its_claimant(front):
    # b claims .3 statically; a and c are allocated around it; d keeps .3 open only for b
    claimant = {"name": "b", "network": "front", "ipv4_address": "172.20.0.3"}
    state = endpoints(front, {"name": "a", "network": "front"}, claimant,
                      {"name": "c", "network": "front"}, {"name": "d", "network": "front"})
    addresses = {n: e.attachments[0].ipv4_address for n, e in state.endpoints.items()}
    assert addresses == {"a": "172.20.0.2", "b": "172.20.0.3", "c": "172.20.0.4", "d": "172.20.0.5"}


def test_allocation_fills_a_gap_left_by_a_removed_endpoint(front):
    state = endpoints(front, *[{"name": n, "network": "front"} for n in ("a", "b", "c")])
    state = endpoints(state, {"name": "b", "state": "absent"})
    state = endpoints(state, {"name": "d", "network": "front"})
    assert state.endpoints["d"].attachments[0].ipv4_address == "172.20.0.3"


def test_a_full_pool_names_the_field():
    tiny = networks(State(), {"name": "tiny", "subnet": "10.9.0.0/29"})
    with pytest.raises(Conflict, match="ipv4_address: no free address left in 10.9.0.0/29"):
        endpoints(tiny, *[{"name": "e%d" % i, "network": "tiny"} for i in range(6)])
