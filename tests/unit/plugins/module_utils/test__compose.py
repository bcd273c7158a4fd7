# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_state's request on the engine's fakes (see test__engine): the same host as the three modules build,
every check before any change, check mode on an empty host, exclusive per list."""
import copy

import pytest

from test__engine import host, run  # noqa: F401  pylint: disable=unused-import

from ansible_collections.linuxnet.containers.plugins.module_utils import _compose as compose
from ansible_collections.linuxnet.containers.plugins.module_utils._batch import batch_argument_spec
from ansible_collections.linuxnet.containers.plugins.module_utils._engine import Engine
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import ENDPOINTS, NETWORKS, PUBLISHED
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._options import (
    ENDPOINT_OPTIONS,
    NETWORK_OPTIONS,
    PUBLISH_OPTIONS,
)

NETS = [{"name": "front", "subnet": "172.20.0.0/24"}, {"name": "back", "subnet": "172.21.0.0/24"}]
EPS = [{"name": "web", "networks": [{"name": "front"}, {"name": "back"}]},
       {"name": "db", "network": "back", "ipv4_address": "172.21.0.10"},
       {"name": "side", "mode": "container", "container": "web"}]
PUBS = [{"endpoint": "web", "ports": ["8080:80"]}]


def params(state="present", exclusive=False, **lists):
    """module.params as AnsibleModule fills them: every option of every item, None when left out."""
    spec = compose.argument_spec()
    result = {"state": state, "exclusive": exclusive}
    for key in ("networks", "endpoints", "published_ports"):
        items = lists.get(key)
        options = spec[key]["options"]
        result[key] = None if items is None else [
            {name: item.get(name, copy.deepcopy(option.get("default"))) for name, option in options.items()}
            for item in items]
    return result


def apply(adapters, check=False, **kwargs):
    request = compose.parse_request(params(**kwargs))
    return Engine(adapters, check_mode=check).reconcile(compose.Composite(request), [request], request.exclusive, {})


def changes(adapters):
    """The fake kernel's calls that change something (reads are not recorded, but netns_view)."""
    return [call for call in adapters.netlink.calls if call[0] != "netns_view"]


def test_the_spec_is_the_three_batch_forms_items():
    spec = compose.argument_spec()
    assert spec["networks"] == batch_argument_spec(NETWORK_OPTIONS, "networks")["networks"]
    assert spec["endpoints"] == batch_argument_spec(ENDPOINT_OPTIONS, "endpoints")["endpoints"]
    assert spec["published_ports"]["options"] == \
        batch_argument_spec(PUBLISH_OPTIONS, "endpoints", "endpoint")["endpoints"]["options"]
    assert spec["state"]["default"] == "present" and spec["exclusive"] == {"type": "bool", "default": False}


def test_one_task_builds_what_the_three_modules_build_and_converges(host):
    outcome = apply(host, networks=NETS, endpoints=EPS, published_ports=PUBS)
    result = outcome.result(single=False)
    assert result["changed"] and [n["name"] for n in result["networks"]] == ["front", "back"]
    assert [e["name"] for e in result["endpoints"]] == ["web", "db", "side"]
    assert [(p["host_port"], p["container_ip"]) for p in result["published"]] == [(8080, "172.20.0.2")]
    assert set(outcome.before) == {"networks", "endpoints", "published", "firewall"}
    ops = [a.op for a in outcome.actions]
    assert ops.count("apply_firewall") == 1 and ops.index("create_bridge") < ops.index("create_netns")
    assert host.store.saves == 1
    # a second identical run changes nothing; nor do the three modules on what it built
    again = apply(host, networks=NETS, endpoints=EPS, published_ports=PUBS)
    assert not again.changed and again.before == again.after
    assert not run(host, NETWORKS, *NETS).changed
    assert not run(host, ENDPOINTS, *EPS).changed
    assert not run(host, PUBLISHED, *PUBS).changed
    # state absent removes it all in one run, in a safe order: the bridges before the namespaces (_teardown)
    removed = apply(host, state="absent", networks=NETS, endpoints=EPS, published_ports=PUBS)
    ops = [a.op for a in removed.actions]
    assert ops.index("apply_firewall") < ops.index("delete_link") < ops.index("remove_netns")
    assert "delete_link" not in ops[ops.index("remove_netns"):]
    assert host.store.load().to_dict() == State().to_dict()
    assert not apply(host, state="absent", networks=NETS, endpoints=EPS, published_ports=PUBS).changed


def test_check_mode_on_an_empty_host_previews_everything_and_changes_nothing(host):
    outcome = apply(host, check=True, networks=NETS, endpoints=EPS, published_ports=PUBS)
    assert outcome.changed and not outcome.warnings
    assert "create_veth" in [a.op for a in outcome.actions]
    assert outcome.after["endpoints"]["db"]["interfaces"][0]["ipv4_address"] == "172.21.0.10"
    assert host.store.saves == 0 and host.nft.applied is None and not changes(host)


@pytest.mark.parametrize("lists, field", [
    ({"published_ports": [{"endpoint": "web", "ports": ["99999:80"]}]}, "published_ports[0].ports[0]"),
    ({"endpoints": EPS + [{"name": "api", "network": "nowhere"}]}, "endpoints[3].network"),
    ({"endpoints": EPS + [{"name": "api", "networks": [{"name": "front"}, {"name": "nowhere"}]}]},
     "endpoints[3].networks[1].name"),
    ({"endpoints": EPS + [{"name": "solo", "mode": "container", "container": "ghost"}]}, "endpoints[3].container"),
    ({"published_ports": [{"endpoint": "ghost", "ports": ["80"]}]}, "published_ports[0].endpoint"),
    ({"endpoints": EPS + [{"name": "db", "state": "absent"}]}, "endpoints[3].name"),
    ({"networks": NETS + [{"name": "bad", "subnet": "10.0.0.0/31"}]}, "networks[2].subnet"),
])
def test_every_list_is_checked_before_any_change(host, lists, field):
    task = dict({"networks": NETS, "endpoints": EPS, "published_ports": PUBS}, **lists)
    with pytest.raises(InvalidOption) as error:
        apply(host, **task)
    assert error.value.field == field and error.value.msg.startswith(field + ": ")
    assert host.store.saves == 0 and host.nft.applied is None and not changes(host)


def test_an_unknown_reference_says_how_to_fix_it_and_check_mode_assumes_it(host):
    task = {"endpoints": [{"name": "api", "network": "nowhere"}]}
    with pytest.raises(InvalidOption) as error:
        apply(host, **task)
    assert "list it under networks in this task" in error.value.msg
    assumed = apply(host, check=True, **task)
    assert assumed.changed and "assumed to be created by an earlier task" in assumed.warnings[0]
    assert "endpoints: api" in assumed.actions[0].text
    assert assumed.result(single=False)["endpoints"] == [] and host.store.saves == 0


def test_exclusive_applies_to_each_list_given(host):
    apply(host, networks=NETS, endpoints=[{"name": "web", "network": "front"}] + EPS[1:],
          published_ports=PUBS + [{"endpoint": "db", "ports": ["5432"]}])
    # no networks list: the networks stay, unnamed endpoints and ports go
    kept = apply(host, exclusive=True, endpoints=[{"name": "web", "network": "front"}],
                 published_ports=[{"endpoint": "web", "ports": ["8080:80"]}])
    state = host.store.load()
    assert sorted(state.endpoints) == ["web"] and sorted(state.published) == ["web"]
    assert sorted(state.networks) == ["back", "front"] and kept.changed
    # a network still holding an endpoint of another list is not pruned: the run fails before any change
    saves = host.store.saves
    with pytest.raises(Conflict):
        apply(host, exclusive=True, networks=[{"name": "back"}])
    assert host.store.saves == saves
    # the networks list prunes last, after the endpoints it removes
    pruned = apply(host, exclusive=True, networks=[{"name": "front"}], endpoints=[{"name": "web", "network": "front"}])
    assert sorted(host.store.load().networks) == ["front"] and pruned.changed
    assert sorted(host.store.load().published) == ["web"]   # published_ports not given: kept
    # (that the next run changes nothing is proved on a real kernel, test_network_state.py: this fake kernel drops
    # namespace ends of veths when a bridge goes)


def test_networks_are_resolved_after_removed_endpoints_and_before_present_ones(host):
    apply(host, networks=NETS, endpoints=EPS)
    # db removed first, so back may go in the same task; web, still on back until its own step, holds it
    saves, calls = host.store.saves, len(changes(host))
    with pytest.raises(Conflict) as error:
        apply(host, networks=[{"name": "back", "state": "absent"}],
              endpoints=[{"name": "web", "network": "front"}, {"name": "db", "state": "absent"},
                         {"name": "side", "mode": "container", "container": "web"}])
    assert "networks[0].state: network back still has endpoints attached: web" in error.value.msg
    assert (host.store.saves, len(changes(host))) == (saves, calls)
    apply(host, endpoints=[{"name": "web", "network": "front"}])
    gone = apply(host, networks=[{"name": "back", "state": "absent"}], endpoints=[{"name": "db", "state": "absent"}])
    assert gone.changed and sorted(host.store.load().networks) == ["front"]
