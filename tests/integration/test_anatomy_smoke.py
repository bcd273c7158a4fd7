# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeps tests/benchmarks/anatomy.py working at N=2, one repetition; no timing is asserted.

It must find, for each of the three module tasks, the controller's scan of our bundled files and the kept payload
it imports from, so a change in how ansible-core builds or keeps payloads shows here and not in a doc run.
"""
import json
import os
import subprocess

from harness import ROOT, VENV_PYTHON

ANATOMY = os.path.join(ROOT, "tests", "benchmarks", "anatomy.py")


def test_anatomy_runs_at_a_tiny_n(tmp_path):
    results = tmp_path / "rows.json"
    proc = subprocess.run([VENV_PYTHON, ANATOMY, "--n", "2", "--repeat", "1", "--json", str(results)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    rows = json.loads(results.read_text())
    assert [row["task"] for row in rows] == ["container_network", "netns_endpoint", "port_publish", "network_state"]
    for row in rows:
        assert row["files"] > 10 and row["kib"] > 50, row  # our module_utils were scanned for this task
        assert row["scan"] > 0 and row["import"] > 0 and row["import_basic"] > 0, row
        assert row["seconds"] > row["floor"] > 0, row
        assert row["node"] > 0 and row["floor_node"] > 0, row   # each kept payload ran alone, as a no-op
        assert abs(row["node"] + row["controller"] - row["seconds"]) < 1e-6, row
    assert rows[-1]["result_kib"] >= 1   # network_state returns the objects of all three lists
