# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables adapter: one table the collection owns, changed in one atomic transaction per run.

    _nft_schema    the table's skeleton: sets, chains, marker, its nft text
    _nft_read      our table read back from `nft -j list ruleset`: elements, and whether the skeleton is intact
    _nft_plan      the state's elements and the transaction between two of them
    _nft_foreign   other tables' forward chains that drop, and our opt-in accept rules in them
    _nft           this adapter: runs nft, and is what the engine imports (the Firewall* dataclasses too)

A table whose skeleton differs from the current one in any set, chain or rule is replaced whole, in the same
single transaction.
"""

from __future__ import annotations

import json
import re
from typing import List, Optional, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils._conntrack import Conntrack
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import KernelError, MissingDependency
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_foreign import (
    foreign_accept_changes,
    foreign_view,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import (
    PUBLISH_SETS,
    FirewallNetwork,
    FirewallPlan,
    FirewallPublish,
    FirewallState,
    build_plan,
    desired_elements,
    other_skeleton,
)
from ansible_collections.linuxnet.containers.plugins.module_utils import _nft_overlay as nft_overlay
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_read import (
    our_families,
    table_view,
    with_set_elements,
)
from ansible_collections.linuxnet.containers.plugins.module_utils._runner import Runner

__all__ = ["FirewallNetwork", "FirewallPlan", "FirewallPublish", "FirewallState", "Nftables", "parse_version"]

MIN_NFT = (0, 9, 4)


def parse_version(text: str) -> Optional[Tuple[int, int, int]]:
    found = re.search(r"v(\d+)\.(\d+)(?:\.(\d+))?", text)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)) if found else None


class Nftables:
    def __init__(self, runner: Runner):
        self.run = runner
        self.conntrack = Conntrack(runner)
        self._seen: Optional[dict] = None   # the ruleset the last plan read, until something is applied

    def require(self) -> None:
        try:
            rc, out, _err = self.run(["nft", "--version"], None)
        except OSError:
            rc, out = 127, ""
        version = parse_version(out) if rc == 0 else None
        if version is None or version < MIN_NFT:
            found = "found %s" % out.strip() if version else "nft not found"
            raise MissingDependency("install the nftables package (nft %s+; %s)"
                                    % (".".join(map(str, MIN_NFT)), found))

    def _list(self, argv: List[str]) -> dict:
        rc, out, err = self.run(argv, None)
        if rc != 0:
            raise KernelError("%s failed: %s" % (" ".join(argv), err.strip()))
        return json.loads(out or "{}")

    def _ruleset(self) -> dict:
        self._seen = self._list(["nft", "-j", "list", "ruleset"])
        return self._seen

    def plan(self, desired: FirewallState) -> FirewallPlan:
        """What turns the ruleset into `desired`: our table, plus the opt-in accept rules elsewhere."""
        ruleset = self._ruleset()
        skeleton = desired.skeleton
        actual, intact = table_view(ruleset, skeleton)
        other = other_skeleton(skeleton)
        stale = table_view(ruleset, other)[0] if other.family in our_families(ruleset) else None
        wanted = desired_elements(desired) if desired.networks or desired.publishes else None
        return self._rest(build_plan(wanted, actual, intact, skeleton, stale), ruleset, desired)

    def plan_networks(self, desired: FirewallState) -> Optional[FirewallPlan]:
        """plan() for a run that touches no endpoint and no published port (`desired` has the networks only):
        the ruleset is read without set and map elements (`nft -t`, cheap whatever the number of published ports),
        the sets' elements with `nft list sets` (the published ports' maps, the costly part, are not read), and the
        sets and maps of published ports (PUBLISH_SETS) are left as they are. None when a whole plan() is needed:
        no network (the table goes), no table or one whose skeleton differs (it is made whole, with every element),
        0.1.0's table still there, or a set that should hold elements and shows none (ours or the overlay table's:
        emptied by hand, or an nft whose `list sets` leaves elements out)."""
        if not desired.networks:
            return None
        ruleset = with_set_elements(self._list(["nft", "-t", "-j", "list", "ruleset"]),
                                    self._list(["nft", "-j", "list", "sets"]))
        skeleton = desired.skeleton
        actual, intact = table_view(ruleset, skeleton)
        if actual is None or not intact or other_skeleton(skeleton).family in our_families(ruleset):
            return None
        wanted = {name: items for name, items in desired_elements(desired).items() if name not in PUBLISH_SETS}
        if any(items and not actual.get(name) for name, items in wanted.items()) or \
                (desired.overlay_guard and not nft_overlay.read(ruleset)[0]):
            return None
        self._seen = ruleset
        actual = {name: items for name, items in actual.items() if name not in PUBLISH_SETS}
        return self._rest(build_plan(wanted, actual, True, skeleton), ruleset, desired)

    def _rest(self, plan: FirewallPlan, ruleset: dict, desired: FirewallState) -> FirewallPlan:
        """The opt-in accept rules in other tables and the overlay table, added to our table's plan."""
        drops, marked = foreign_view(ruleset)
        changes, lines, before, after = foreign_accept_changes(drops, marked, sorted(set(desired.foreign_accept)))
        if changes:
            plan.changes += changes
            plan.script += "".join(line + "\n" for line in lines)
        for summary_, listed in ((plan.before, before), (plan.after, after)):
            if listed:
                summary_["foreign_accept"] = listed
        guard, script, before, after = nft_overlay.changes(ruleset, desired.overlay_guard)
        if guard:
            plan.changes += guard
            plan.script += script
            plan.before.update(before)
            plan.after.update(after)
        if plan.flush_udp:
            self.conntrack.require()
        return plan

    def apply(self, plan: FirewallPlan) -> None:
        """One atomic `nft -f -` transaction, then the conntrack flushes."""
        self._seen = None
        if plan.script:
            rc, _out, err = self.run(["nft", "-f", "-"], plan.script)
            if rc != 0:
                raise KernelError("nftables refused the change, nothing was applied: %s" % err.strip(),
                                  script=plan.script)
        self.conntrack.flush_udp(plan.flush_udp)

    def foreign_forward_drops(self) -> List[dict]:
        """Read-only: other tables' forward chains that drop what we do not explicitly accept there (from the
        ruleset this run's plan read, when nothing was applied since: one read per run)."""
        return foreign_view(self._seen if self._seen is not None else self._ruleset())[0]
