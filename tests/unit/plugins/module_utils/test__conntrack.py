# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The conntrack tool's command lines and outcomes."""
from ansible_collections.linuxnet.containers.plugins.module_utils._conntrack import flush_argv, nothing_to_delete


def test_conntrack_argv_and_outcome():
    assert flush_argv((None, 53)) == ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "53"]
    assert flush_argv(("10.0.0.1", 53))[-2:] == ["--orig-dst", "10.0.0.1"]
    assert nothing_to_delete(1, "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.")
    assert not nothing_to_delete(1, "Operation not permitted")
