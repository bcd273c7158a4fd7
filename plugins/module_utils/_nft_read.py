# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our table read back from `nft -j list ruleset` (pure): its elements, and whether its skeleton is ours.

The skeleton is intact when its sets and chains, and the number of rules in each chain, are those of
_nft_schema; a table that differs is rebuilt whole, in one transaction.
"""

from __future__ import annotations

import socket
from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import (
    CHAINS,
    FAMILY,
    MARKER_SET,
    NAME,
    SETS,
    SPECS,
    Elements,
    SetSpec,
    cidr,
)

PROTOCOL_NAMES = {6: "tcp", 17: "udp", 132: "sctp"}


# ---------------------------------------------------------------------------------------------
# Elements
# ---------------------------------------------------------------------------------------------
def _field(kind: str, value):
    """One key or value field as desired_elements writes it, whatever form nft printed."""
    if isinstance(value, dict):
        if "prefix" in value:
            return cidr("%s/%d" % (value["prefix"]["addr"], value["prefix"]["len"]))
        if "range" in value:
            return "%s-%s" % tuple(value["range"])
        if "elem" in value:
            return _field(kind, value["elem"]["val"])
    if kind == "inet_proto":
        return PROTOCOL_NAMES.get(value, value) if isinstance(value, int) else value
    if kind == "inet_service" and not isinstance(value, int):
        try:
            return int(value)
        except ValueError:
            return socket.getservbyname(value)
    if kind == "ipv4_addr":
        return cidr(value)
    return value


def _fields(kinds: Sequence[str], value) -> tuple:
    if isinstance(value, dict) and "elem" in value:
        value = value["elem"]["val"]
    parts = value["concat"] if isinstance(value, dict) and "concat" in value else [value]
    return tuple(_field(kind, part) for kind, part in zip(kinds, parts))


def _elements(spec: SetSpec, body: dict) -> set:
    if spec.data:
        return {(_fields(spec.key, e[0]), _fields(spec.data_kinds, e[1])) for e in body.get("elem") or ()}
    return {_fields(spec.key, e) for e in body.get("elem") or ()}


def _words(value) -> Tuple[str, ...]:
    """A list nft prints as one string when it has one item (types, flags)."""
    return tuple(value) if isinstance(value, list) else (value,) if value is not None else ()


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
def _set_shape(key: Tuple[str, ...], data: Optional[str], flags: Sequence[str]) -> tuple:
    return key, data, frozenset(flags)


EXPECTED_SETS = {spec.name: _set_shape(spec.key, spec.data, ("interval",) if spec.interval else ())
                 for spec in SETS + (MARKER_SET,)}
EXPECTED_CHAINS = {chain.name: (chain.type, chain.hook, chain.priority, chain.policy) for chain in CHAINS}
EXPECTED_RULES = {chain.name: len(chain.rules) for chain in CHAINS}


def _ours(ruleset: dict) -> List[Tuple[str, dict]]:
    found = []
    for item in ruleset.get("nftables", ()):
        kind, body = next(iter(item.items()))
        if isinstance(body, dict) and body.get("family") == FAMILY and \
                body.get("name" if kind == "table" else "table") == NAME:
            found.append((kind, body))
    return found


def table_view(ruleset: dict) -> Tuple[Optional[Elements], bool]:
    """Our table's elements (None: no table) and whether its skeleton is exactly the current one."""
    ours = _ours(ruleset)
    if not any(kind == "table" for kind, _body in ours):
        return None, False
    elements: Elements = {}
    sets: Dict[str, tuple] = {}
    chains: Dict[str, tuple] = {}
    rules: Dict[str, int] = {}
    for kind, body in ours:
        if kind in ("set", "map"):
            data = body.get("map")
            sets[body["name"]] = _set_shape(_words(body.get("type")), data if isinstance(data, str) else None,
                                            _words(body.get("flags")))
            if body["name"] in SPECS:
                elements[body["name"]] = _elements(SPECS[body["name"]], body)
        elif kind == "chain":
            chains[body["name"]] = (body.get("type"), body.get("hook"), body.get("prio"), body.get("policy"))
            rules.setdefault(body["name"], 0)
        elif kind == "rule":
            rules[body["chain"]] = rules.get(body["chain"], 0) + 1
    return elements, (sets, chains, rules) == (EXPECTED_SETS, EXPECTED_CHAINS, EXPECTED_RULES)
