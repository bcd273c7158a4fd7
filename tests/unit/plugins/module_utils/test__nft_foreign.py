# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Other tables: forward chains that drop, and our opt-in accept rules in them."""
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_foreign import (
    foreign_accept_changes,
    foreign_view,
)
from nft_samples import FOREIGN, ours


def test_foreign_forward_drops_by_policy_or_final_unconditional_drop_only():
    drops, marked = foreign_view({"nftables": FOREIGN})
    assert drops == [
        {"family": "inet", "table": "firewalld", "chain": "filter_FORWARD", "policy": "accept", "final_drop": True},
        {"family": "ip", "table": "filter", "chain": "FORWARD", "policy": "drop", "final_drop": False}]
    assert marked == []


def test_foreign_accept_rules_are_inserted_once_kept_and_removed():
    drops = foreign_view({"nftables": FOREIGN})[0]
    changes, lines, before, after = foreign_accept_changes(drops, [], ["lnc-front"])
    assert lines == [
        'insert rule inet firewalld filter_FORWARD iifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule inet firewalld filter_FORWARD oifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule ip filter FORWARD iifname "lnc-front" counter accept comment "linuxnet.containers"',
        'insert rule ip filter FORWARD oifname "lnc-front" counter accept comment "linuxnet.containers"']
    assert len(changes) == 4 and before == [] and len(after) == 4
    installed = FOREIGN + [ours("ip filter FORWARD", "iifname", "lnc-front", 20),
                           ours("ip filter FORWARD", "oifname", "lnc-front", 21),
                           ours("inet firewalld filter_FORWARD", "iifname", "lnc-front", 22),
                           ours("inet firewalld filter_FORWARD", "oifname", "lnc-front", 23),
                           ours("inet quiet fwd", "oifname", "lnc-old", 24)]
    drops, marked = foreign_view({"nftables": installed})
    assert len(marked) == 5
    changes, lines, _before, _after = foreign_accept_changes(drops, marked, ["lnc-front"])
    assert lines == ["delete rule inet quiet fwd handle 24"]
    duplicated = installed + [ours("ip filter FORWARD", "iifname", "lnc-front", 25)]
    expected = ["delete rule inet quiet fwd handle 24", "delete rule ip filter FORWARD handle 25"]
    assert foreign_accept_changes(*foreign_view({"nftables": duplicated}), ["lnc-front"])[1] == expected
    changes, lines, _before, after = foreign_accept_changes(drops, marked, [])
    assert sorted(lines) == ["delete rule inet firewalld filter_FORWARD handle 22",
                             "delete rule inet firewalld filter_FORWARD handle 23",
                             "delete rule inet quiet fwd handle 24",
                             "delete rule ip filter FORWARD handle 20", "delete rule ip filter FORWARD handle 21"]
    assert after == []
