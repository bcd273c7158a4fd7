# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeps tests/benchmarks/compare.py working: the fast tools at N=2, one repetition, no timing asserted.

The collection's modules (three tasks, and one network_state task), the lower bound, the naive script and (when Debian's package installs) the CNI
reference plugins each build the workload, prove traffic to every published port and leave nothing behind
that belongs to an endpoint; ours leave nothing at all. CNI keeps its bridge and its empty iptables chains
by design, so for it only the per-endpoint leftovers must be 0.
"""
import json
import os
import subprocess

from harness import ROOT, VENV_PYTHON

COMPARE = os.path.join(ROOT, "tests", "benchmarks", "compare.py")


def test_compare_runs_at_a_tiny_n(tmp_path):
    results = tmp_path / "results.json"
    proc = subprocess.run([VENV_PYTHON, COMPARE, "--n", "2", "--repeat", "1", "--publish-case", "none",
                           "--tools", "modules,onetask,lower,naive,cni", "--json", str(results), "--no-doc"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    data = json.loads(results.read_text())
    runs = {run["tool"]: run for run in data["runs"]}
    expected = {"modules", "onetask", "lower", "naive"} | ({"cni"} if "cni" not in data["skipped"] else set())
    assert set(runs) == expected, (runs.keys(), data["skipped"])
    for tool, run in runs.items():
        assert "error" not in run, (tool, run["error"])
        assert (run["traffic"]["tried"], run["traffic"]["ok"]) == (2, 2), (tool, run["traffic"])
        assert run["leftovers"]["per_endpoint"] == 0, (tool, run["leftovers"])
        assert run["leftovers"]["netns"] == 0, (tool, run["leftovers"])
        if tool != "cni":
            assert run["leftovers"]["total"] == 0, (tool, run["leftovers"])
        assert run["setup"] is not None and run["teardown"] is not None
    assert runs["modules"]["rerun_changed"] == [] and runs["onetask"]["rerun_changed"] == []
    assert [t["task"] for t in runs["onetask"]["tasks"]["setup"]] == ["network_state"]
    assert [t["task"] for t in runs["modules"]["tasks"]["setup"]] == ["container_network", "netns_endpoint",
                                                                      "port_publish"]
