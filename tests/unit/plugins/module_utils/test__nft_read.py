# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our table read back from `nft -j list ruleset`: elements in whatever form nft prints them, and whether the
skeleton is intact."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils._nft_plan import desired_elements
from ansible_collections.linuxnet.containers.plugins.module_utils._nft_read import table_view
from nft_samples import STATE, listing


def test_numeric_protocols_and_named_services_are_read_as_we_write_them():
    listed = listing({})
    pub_any = next(item["map"] for item in listed["nftables"] if item.get("map", {}).get("name") == "pub_any")
    pub_any["elem"] = [[{"concat": [6, "http"]}, {"concat": ["172.20.0.2", 80]}]]
    assert table_view(listed)[0]["pub_any"] == {(("tcp", 80), ("172.20.0.2", 80))}


@pytest.mark.parametrize("damage", ["rule", "set", "marker"])
def test_a_damaged_or_older_skeleton_is_not_intact(damage):
    listed = listing(desired_elements(STATE), skeleton_ok=damage != "rule")
    if damage == "set":
        listed["nftables"] = [i for i in listed["nftables"] if i.get("set", {}).get("name") != "routed"]
    if damage == "marker":
        listed["nftables"][2]["set"]["name"] = "skeleton_v1_00000000"
    assert table_view(listed)[1] is False


def test_no_table_reads_as_none_and_other_tables_are_ignored():
    other = {"set": {"family": "inet", "table": "linuxnet_containers", "name": "bridges", "type": "ifname",
                     "elem": ["eth0"]}}
    assert table_view({"nftables": [{"metainfo": {}}, {"table": {"family": "inet", "name": "linuxnet_containers"}},
                                    other]}) == (None, False)
