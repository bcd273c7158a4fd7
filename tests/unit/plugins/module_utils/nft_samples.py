# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nftables unit tests share: a few networks and publishes, and `nft -j list ruleset` as nft 1.0.6
prints our inet table or 0.1.0's ip table (their rules as they are in fixtures/, read from a real kernel)."""
import copy
import json
import os

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import (
    FirewallNetwork,
    FirewallPublish,
    FirewallState,
    desired_elements,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import LEGACY
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

FRONT = FirewallNetwork("front", "lnc-front", "172.20.0.0/24", "172.20.0.1", True, True, False, True)
SOLO = FirewallNetwork("solo", "lnc-solo", "172.21.0.0/24", "172.21.0.1", True, False, False, True)
VAULT = FirewallNetwork("vault", "lnc-vault", "172.22.0.0/24", "172.22.0.1", True, True, True, False)
PLAIN = FirewallNetwork("plain", "lnc-plain", "172.23.0.0/24", "172.23.0.1", False, True, False, False)
WEB = FirewallPublish("web", "tcp", None, 8080, "172.20.0.2", 80, "lnc-front")
DNS = FirewallPublish("web", "udp", "127.0.0.1", 53, "172.20.0.2", 53, "lnc-front")
STATE = FirewallState(networks=(FRONT, SOLO, VAULT, PLAIN), publishes=(
    WEB, DNS, FirewallPublish("web", "udp", None, 5353, "172.20.0.2", 53, "lnc-front", ("10.0.0.0/8",))))


def elements_of(*networks, publishes=()):
    found = desired_elements(FirewallState(networks=networks, publishes=tuple(publishes)))
    return {name: items for name, items in found.items() if items}


def skeleton_rules(skeleton=INET):
    """A skeleton's rules as `nft -j list ruleset` items, as nft 1.0.6 printed them on Linux 6.1."""
    name = "nft-1.0.6-skeleton-rules.json" if skeleton is LEGACY else "nft-1.0.6-inet-skeleton-rules.json"
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)["nftables"]


def nft_json(value, kind):
    """How nft 1.0.6 prints one field."""
    if kind in ("ipv4_addr", "ipv6_addr") and "/" in value:
        address, length = value.split("/")
        return {"prefix": {"addr": address, "len": int(length)}}
    return value


def nft_key(kinds, values):
    parts = [nft_json(v, k) for k, v in zip(kinds, values)]
    return {"concat": parts} if len(parts) > 1 else parts[0]


def listing(elements, skeleton_ok=True, foreign=(), skeleton=INET):
    """`nft -j list ruleset` once `elements` are in our table (and `foreign` items elsewhere); without
    skeleton_ok, one rule of the forward chain is missing. `skeleton`: LEGACY for 0.1.0's ip table."""
    family = skeleton.family
    items = [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": family, "name": "linuxnet_containers"}},
             {"set": {"family": family, "table": "linuxnet_containers", "name": skeleton.marker,
                      "type": "inet_service"}}]
    for spec in skeleton.sets:
        body = {"family": family, "table": "linuxnet_containers", "name": spec.name,
                "type": list(spec.key) if len(spec.key) > 1 else spec.key[0]}
        if spec.interval:
            body["flags"] = ["interval"]
        rendered = []
        for element in elements.get(spec.name, ()):
            if spec.data:
                rendered.append([nft_key(spec.key, element[0]), nft_key(spec.data.split(" . "), element[1])])
            else:
                rendered.append(nft_key(spec.key, element))
        if rendered:
            body["elem"] = rendered
        if spec.data:
            body["map"] = spec.data
        items.append({"map" if spec.data else "set": body})
    rules = copy.deepcopy(skeleton_rules(skeleton))
    for chain in skeleton.chains:
        body = {"family": family, "table": "linuxnet_containers", "name": chain.name}
        if chain.hook:
            body.update(type=chain.type, hook=chain.hook, prio=chain.priority, policy=chain.policy)
        items.append({"chain": body})
        own = [rule for rule in rules if rule["rule"]["chain"] == chain.name]
        items += own if skeleton_ok or chain.name != "forward" else own[1:]
    return {"nftables": items + list(foreign)}


# --- other tables --------------------------------------------------------------------------------
def chain(family, table, name, hook="forward", policy="accept"):
    return {"chain": {"family": family, "table": table, "name": name, "type": "filter", "hook": hook, "prio": 0,
                      "policy": policy}}


def rule(family, table, chain_name, expr, handle=1, comment=None):
    body = {"family": family, "table": table, "chain": chain_name, "handle": handle, "expr": expr}
    if comment:
        body["comment"] = comment
    return {"rule": body}


def ours(chain_ref, direction, bridge, handle):
    """One of our marked accept rules in another table, as nft prints it."""
    family, table, name = chain_ref.split()
    return rule(family, table, name, [{"match": {"op": "==", "left": {"meta": {"key": direction}}, "right": bridge}},
                                      {"counter": {"packets": 0, "bytes": 0}}, {"accept": None}],
                handle, "linuxnet.containers")


FOREIGN = [
    chain("ip", "filter", "FORWARD", policy="drop"),
    rule("ip", "filter", "FORWARD", [{"counter": None}, {"jump": {"target": "DOCKER-USER"}}], 3),
    chain("inet", "firewalld", "filter_FORWARD"),
    rule("inet", "firewalld", "filter_FORWARD", [{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}], 9),
    chain("inet", "quiet", "fwd"),
    rule("inet", "quiet", "fwd", [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "x"}},
                                  {"drop": None}]),
    chain("bridge", "br", "forward", policy="drop"),
    chain("ip", "filter", "INPUT", hook="input", policy="drop"),
    chain("inet", "linuxnet_containers", "forward", policy="drop"),
]
