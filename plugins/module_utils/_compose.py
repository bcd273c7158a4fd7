# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_state: a host's networks, endpoints and published ports in one task, like a compose file.

The three lists take the items of the three batch modules (their options from _options, their parsers and
resolvers from _kinds). The whole request is one object of a composite kind, so the engine runs it as any other
kind: one lock, one load, one read of the host, one plan and one firewall transaction. Its resolver chains the
three kinds' resolvers, each on the state the previous one returned, in the order the role's tasks rely on:

    1. removals: published ports, then endpoints (items with state absent; with exclusive, the unnamed ones)
    2. networks, present and absent
    3. present endpoints, then 4. present published ports
    5. with exclusive, the networks the list does not name

Every check of every step runs before anything is applied, so a bad item changes nothing; and in check mode a
network of the task that does not exist yet is already in the state the endpoints are resolved against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.containers.plugins.module_utils._batch import (
    batch_argument_spec,
    batch_items,
    fail,
    finish,
    specs_from,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._codecache import imports_done
from ansible_collections.linuxnet.containers.plugins.module_utils._engine import Engine
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import UnknownReference
from ansible_collections.linuxnet.containers.plugins.module_utils._kinds import ENDPOINTS, NETWORKS, PUBLISHED, Kind
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State
from ansible_collections.linuxnet.containers.plugins.module_utils._options import (
    ENDPOINT_OPTIONS,
    NETWORK_OPTIONS,
    PUBLISH_OPTIONS,
    STATE,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._resolve import Resolution, touched_and_removed
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import module_runner


@dataclass(frozen=True)
class Part:
    """One of network_state's lists: the kind of its items, their options, and the objects of that kind."""

    kind: Kind
    options: dict
    list_key: str
    noun: str                                   # for messages: "network", "endpoint"
    existing: Callable[[State], Iterable[str]]  # what `exclusive` compares the list with
    fix: str                                    # how to repair a reference to an object that does not exist

    def absent(self, name: str) -> Any:
        """The spec of an item `{key: name, state: absent}`, through the kind's own parser."""
        return self.kind.parse({self.kind.key: name, "state": "absent"}, "")


NETWORKS_PART = Part(NETWORKS, NETWORK_OPTIONS, "networks", "network", lambda state: state.networks,
                     "list it under networks in this task, or create it first "
                     "with linuxnet.containers.container_network")
ENDPOINTS_PART = Part(ENDPOINTS, ENDPOINT_OPTIONS, "endpoints", "endpoint", lambda state: state.endpoints,
                      "list it under endpoints in this task (state present), or fix the name")
PUBLISHED_PART = Part(PUBLISHED, PUBLISH_OPTIONS, "published_ports", "endpoint", lambda state: state.published,
                      "list it under endpoints in this task (state present), or fix the name")
PARTS = (NETWORKS_PART, ENDPOINTS_PART, PUBLISHED_PART)


def argument_spec() -> dict:
    """Each list as the batch form of its module builds it (items with the module's options, the key required)."""
    spec = {part.list_key: batch_argument_spec(part.options, part.list_key, part.kind.key)[part.list_key]
            for part in PARTS}
    spec["state"] = dict(STATE, default="present")
    spec["exclusive"] = dict(type="bool", default=False)
    return spec


@dataclass
class Listed:
    """The parsed items of one list given to the task."""

    part: Part
    specs: list
    where: Dict[str, str]   # object name -> field prefix ('endpoints[3].')

    @property
    def names(self) -> List[str]:
        return [getattr(spec, self.part.kind.key) for spec in self.specs]

    def removals(self, state: State, exclusive: bool) -> list:
        """Specs of the objects this list removes: its absent items and, with exclusive, the unnamed objects.
        A name listed twice is refused here, across present and absent items."""
        key = self.part.kind.key
        removed = touched_and_removed(self.specs, key, self.part.noun, self.part.existing(state), exclusive,
                                      self.where)[1]
        absent = {getattr(spec, key): spec for spec in self.specs if spec.state == "absent"}
        return [absent.get(name) or self.part.absent(name) for name in removed]

    def present(self) -> list:
        return [spec for spec in self.specs if spec.state == "present"]


@dataclass
class Request:
    """The whole task: the lists it gives (by list key), and `exclusive`."""

    lists: Dict[str, Listed]
    exclusive: bool

    @property
    def name(self) -> str:
        """How check mode's report names the request (see Engine._assumed)."""
        return "(%s)" % "; ".join("%s: %s" % (key, ", ".join(listed.names) or "none")
                                  for key, listed in self.lists.items())


def parse_request(params: dict) -> Request:
    """Every item of every list validated (InvalidOption names `list[index].field`), before the host is touched."""
    lists = {}
    for part in PARTS:
        if params.get(part.list_key) is None:
            continue
        items = batch_items({part.list_key: params[part.list_key], "state": params["state"]}, part.options,
                            part.list_key)[0]
        specs, where = specs_from(part.kind, items)
        lists[part.list_key] = Listed(part, specs, where)
    return Request(lists, bool(params.get("exclusive")))


@dataclass
class Step:
    kind: Kind
    before: State
    resolution: Resolution


@dataclass
class Composite:
    """The kind whose one object is a Request (the engine's Kind interface, see _kinds.Kind). Its resolver runs
    the three kinds' resolvers in turn and keeps each step, which the scope, the diff and the results then read."""

    request: Request
    name: str = "network_state"
    key: str = "name"
    names_endpoints: bool = True    # touched: the endpoints, whose inodes are reported and never collected
    steps: List[Step] = field(default_factory=list)

    def resolve(self, state: State, specs: Sequence[Request], exclusive: bool, where: Dict[str, str],
                host) -> Resolution:
        del specs, exclusive, where   # the request's own
        self.steps = []
        lists, exclusive = self.request.lists, self.request.exclusive
        for key in ("published_ports", "endpoints"):
            if key in lists:
                state = self._step(lists[key], state, lists[key].removals(state, exclusive), host)
        if "networks" in lists:
            state = self._step(lists["networks"], state, lists["networks"].specs, host)
        for key in ("endpoints", "published_ports"):
            if key in lists:
                state = self._step(lists[key], state, lists[key].present(), host)
        if exclusive and "networks" in lists:
            networks = lists["networks"]
            named = set(networks.names)
            pruned = [networks.part.absent(name) for name in sorted(set(state.networks) - named)]
            state = self._step(networks, state, pruned, host)
        return Resolution(state, self.touched(ENDPOINTS))

    def _step(self, listed: Listed, state: State, specs: list, host) -> State:
        if not specs:
            return state
        try:
            resolution = listed.part.kind.resolve(state, specs, False, listed.where, host)
        except UnknownReference as exc:
            problem = exc.msg[len(exc.field) + 2:].split("; ", 1)[0]
            fix = (NETWORKS_PART if problem.startswith("network ") else ENDPOINTS_PART).fix
            raise UnknownReference(exc.field, problem, fix) from None
        self.steps.append(Step(listed.part.kind, state, resolution))
        return resolution.state

    def touched(self, kind: Kind) -> List[str]:
        return sorted({name for step in self.steps if step.kind is kind for name in step.resolution.touched})

    def scope(self, old: State, new: State, touched: Sequence[str], links: Dict[str, Any],
              host) -> Tuple[Set[str], Set[str]]:
        del old, new, touched   # each step's own
        networks: Set[str] = set()
        endpoints: Set[str] = set()
        for step in self.steps:
            more_networks, more_endpoints = step.kind.scope(step.before, step.resolution.state,
                                                            step.resolution.touched, links, host)
            networks |= more_networks
            endpoints |= more_endpoints
        return networks, endpoints

    def _given(self) -> List[Listed]:
        return list(self.request.lists.values())

    def diff(self, old: State, new: State, names: Sequence[str], host) -> Tuple[dict, dict]:
        del names
        before: dict = {}
        after: dict = {}
        for listed in self._given():
            kind_before, kind_after = listed.part.kind.diff(old, new, self.touched(listed.part.kind), host)
            before.update(kind_before)
            after.update(kind_after)
        return before, after

    def returns(self, state: State, names: Sequence[str], inodes: Dict[str, Optional[int]], single: bool) -> dict:
        """networks, endpoints and published as the three modules return them (the items of the task, in order)."""
        del names, single
        values = {part.kind.name: [] for part in PARTS}
        for listed in self._given():
            values[listed.part.kind.name] = listed.part.kind.results(state, listed.names, inodes)
        return values


def run_state_module() -> None:
    """The whole main() of network_state."""
    imports_done()
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[tuple(part.list_key for part in PARTS)])
    try:
        request = parse_request(module.params)
        with Engine.open(module_runner(module), module.check_mode, module._diff) as engine:
            outcome = engine.reconcile(Composite(request), [request], request.exclusive, {})
    except Exception as exc:  # pylint: disable=broad-except
        fail(module, exc)
    finish(module, outcome, single=False)
