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
    FirewallNetwork,
    FirewallPlan,
    FirewallPublish,
    FirewallState,
    build_plan,
    desired_elements,
    other_skeleton,
)
from ansible_collections.linuxnet.containers.plugins.module_utils import _nft_overlay as nft_overlay
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_read import our_families, table_view
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

    def _ruleset(self) -> dict:
        rc, out, err = self.run(["nft", "-j", "list", "ruleset"], None)
        if rc != 0:
            raise KernelError("nft -j list ruleset failed: %s" % err.strip())
        return json.loads(out or "{}")

    def plan(self, desired: FirewallState) -> FirewallPlan:
        """What turns the ruleset into `desired`: our table, plus the opt-in accept rules elsewhere."""
        ruleset = self._ruleset()
        skeleton = desired.skeleton
        actual, intact = table_view(ruleset, skeleton)
        other = other_skeleton(skeleton)
        stale = table_view(ruleset, other)[0] if other.family in our_families(ruleset) else None
        wanted = desired_elements(desired) if desired.networks or desired.publishes else None
        plan = build_plan(wanted, actual, intact, skeleton, stale)
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
        if plan.script:
            rc, _out, err = self.run(["nft", "-f", "-"], plan.script)
            if rc != 0:
                raise KernelError("nftables refused the change, nothing was applied: %s" % err.strip(),
                                  script=plan.script)
        self.conntrack.flush_udp(plan.flush_udp)

    def foreign_forward_drops(self) -> List[dict]:
        """Read-only: other tables' forward chains that drop what we do not explicitly accept there."""
        return foreign_view(self._ruleset())[0]
