# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our table read back from `nft -j list ruleset` (pure): its elements, and whether its skeleton is ours.

The skeleton is intact when its sets, chains and rules are exactly those of _nft_schema. Rules are compared as
text: each rule's JSON `expr` is written back in the syntax the skeleton uses, for the expressions and
statements the skeleton holds. Anything else (a counter, a log, an operator or match this reader does not
know) makes the rule differ, and a table that differs is rebuilt whole, in one transaction.
"""

from __future__ import annotations

import socket
from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema import (
    NAME,
    Elements,
    SetSpec,
    Skeleton,
    cidr,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_schema6 import INET

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
    if kind in ("ipv4_addr", "ipv6_addr"):
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
# Rules: JSON expr back to the skeleton's syntax
# ---------------------------------------------------------------------------------------------
class _Unknown(Exception):
    """A part of a rule this reader does not write back."""


BARE_META = ("iifname", "oifname")
BITMASKS = ("ct state", "ct status")  # their implicit operator is `in` (any flag), not `==`
KEYWORDS = ("accept", "drop", "return", "masquerade")


def _only(value, *keys) -> dict:
    if not isinstance(value, dict) or set(value) != set(keys):
        raise _Unknown(value)
    return value


def _single(value) -> tuple:
    if not isinstance(value, dict) or len(value) != 1:
        raise _Unknown(value)
    return next(iter(value.items()))


def _expression(value) -> str:
    kind, body = _single(value)
    if kind == "meta":
        key = _only(body, "key")["key"]
        return key if key in BARE_META else "meta %s" % key
    if kind == "payload":
        return "%(protocol)s %(field)s" % _only(body, "protocol", "field")
    if kind == "ct":
        return "ct %s" % _only(body, "key")["key"]
    if kind == "fib":
        _only(body, "result", "flags")
        return "fib %s %s" % (" . ".join(_words(body["flags"])), body["result"])
    if kind == "concat" and isinstance(body, list):
        return " . ".join(_expression(part) for part in body)
    raise _Unknown(value)


def _literal(value, left: str) -> str:
    # nft -j prints a set reference as "@name"; a literal string that starts with @ looks the same
    if isinstance(value, str):
        return value if value.startswith("@") or left not in BARE_META else '"%s"' % value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return ",".join(value)
    prefix = _only(value, "prefix")["prefix"]
    return "%s/%d" % (_only(prefix, "addr", "len")["addr"], prefix["len"])


def _match(body) -> str:
    _only(body, "op", "left", "right")
    left = _expression(body["left"])
    implicit = "in" if left in BITMASKS else "=="
    if body["op"] == implicit:
        return "%s %s" % (left, _literal(body["right"], left))
    if body["op"] in ("==", "!="):
        return "%s %s %s" % (left, body["op"], _literal(body["right"], left))
    raise _Unknown(body)


def _statement(value) -> str:
    kind, body = _single(value)
    if kind == "match":
        return _match(body)
    if kind in KEYWORDS and body is None:
        return kind
    if kind in ("jump", "goto"):
        return "%s %s" % (kind, _only(body, "target")["target"])
    if kind == "dnat":
        _only(body, "family", "addr")
        lookup = _only(_only(body["addr"], "map")["map"], "key", "data")
        if not str(lookup["data"]).startswith("@"):
            raise _Unknown(body)
        return "dnat %s to %s map %s" % (body["family"], _expression(lookup["key"]), lookup["data"])
    raise _Unknown(value)


def rule_text(rule: dict) -> Optional[str]:
    """A rule of `nft -j` in the skeleton's syntax; None for one this reader does not know."""
    if "comment" in rule or not rule.get("expr"):
        return None
    try:
        return " ".join(_statement(statement) for statement in rule["expr"])
    except (_Unknown, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
def _set_shape(key: Tuple[str, ...], data: Optional[str], flags: Sequence[str]) -> tuple:
    return key, data, frozenset(flags)


def expected(skeleton: Skeleton) -> tuple:
    """The sets, chains and rules of `skeleton` as table_view reads them back."""
    return ({spec.name: _set_shape(spec.key, spec.data, ("interval",) if spec.interval else ())
             for spec in skeleton.sets + (skeleton.marker_set,)},
            {chain.name: (chain.type, chain.hook, chain.priority, chain.policy) for chain in skeleton.chains},
            {chain.name: list(chain.rules) for chain in skeleton.chains})


def _ours(ruleset: dict, family: str) -> List[Tuple[str, dict]]:
    found = []
    for item in ruleset.get("nftables", ()):
        kind, body = next(iter(item.items()))
        if isinstance(body, dict) and body.get("family") == family and \
                body.get("name" if kind == "table" else "table") == NAME:
            found.append((kind, body))
    return found


def our_families(ruleset: dict) -> List[str]:
    """The families in which a table of ours exists (inet: ours; ip: 0.1.0's, until a run replaces it)."""
    return sorted({body["family"] for item in ruleset.get("nftables", ()) for kind, body in item.items()
                   if kind == "table" and isinstance(body, dict) and body.get("name") == NAME})


def table_view(ruleset: dict, skeleton: Skeleton = INET) -> Tuple[Optional[Elements], bool]:
    """Our table of `skeleton`'s family: its elements (None: no table) and whether its skeleton is exactly
    `skeleton`."""
    specs = skeleton.specs
    ours = _ours(ruleset, skeleton.family)
    if not any(kind == "table" for kind, _body in ours):
        return None, False
    elements: Elements = {}
    sets: Dict[str, tuple] = {}
    chains: Dict[str, tuple] = {}
    rules: Dict[str, List[Optional[str]]] = {}
    for kind, body in ours:
        if kind in ("set", "map"):
            data = body.get("map")
            sets[body["name"]] = _set_shape(_words(body.get("type")), data if isinstance(data, str) else None,
                                            _words(body.get("flags")))
            if body["name"] in specs:
                elements[body["name"]] = _elements(specs[body["name"]], body)
        elif kind == "chain":
            chains[body["name"]] = (body.get("type"), body.get("hook"), body.get("prio"), body.get("policy"))
            rules.setdefault(body["name"], [])
        elif kind == "rule":
            rules.setdefault(body["chain"], []).append(rule_text(body))
    return elements, (sets, chains, rules) == expected(skeleton)


def with_set_elements(terse: dict, sets: dict) -> dict:
    """A ruleset read without elements (`nft -t -j list ruleset`), its sets replaced by the same sets as
    `nft -j list sets` shows them, with their elements; maps stay without theirs."""
    listed = {}
    for item in sets.get("nftables", ()):
        body = item.get("set")
        if isinstance(body, dict):
            listed[(body.get("family"), body.get("table"), body.get("name"))] = item
    merged = []
    for item in terse.get("nftables", ()):
        body = item.get("set")
        key = (body.get("family"), body.get("table"), body.get("name")) if isinstance(body, dict) else None
        merged.append(listed.get(key, item))
    return {"nftables": merged}
