# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store on files in a temporary directory: durable paths, the 0.1.0 migration, the lock's message."""
import fcntl
import json
import os

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _store as store
from ansible_collections.linuxnet.containers.plugins.module_utils._errors import Conflict, LinuxnetError
from ansible_collections.linuxnet.containers.plugins.module_utils._models import State


def test_defaults_are_durable_and_the_lock_stays_under_run():
    default = store.Store()
    assert default.state_file == "/var/lib/linuxnet-containers/state.json"
    assert default.lock_file == "/run/linuxnet-containers/lock"
    assert default.legacy_file == "/run/linuxnet-containers/state.json"


def paths(tmp_path):
    return store.Store(state_file=str(tmp_path / "var" / "state.json"), lock_file=str(tmp_path / "run" / "lock"),
                       legacy_file=str(tmp_path / "run" / "state.json"))


def test_save_and_load_round_trip_in_the_durable_file(tmp_path):
    target = paths(tmp_path)
    assert target.load().to_dict() == State().to_dict()
    target.save(State())
    assert json.loads((tmp_path / "var" / "state.json").read_text())["version"] == 1
    assert not (tmp_path / "run" / "state.json").exists()


def test_the_file_holds_a_line_per_record_and_loads_back_as_saved(tmp_path):
    from ansible_collections.linuxnet.containers.plugins.module_utils._models import Endpoint
    state = State(endpoints={name: Endpoint(name, "none") for name in ("web", "db")})
    target = paths(tmp_path)
    target.save(state)
    text = (tmp_path / "var" / "state.json").read_text()
    assert json.loads(text) == state.to_dict() and target.load().to_dict() == state.to_dict()
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and ' "endpoints": {' in lines
    db, web = (next(line for line in lines if line.startswith('  "%s": {' % name)) for name in ("db", "web"))
    assert lines.index(db) < lines.index(web) and json.loads(web.split(": ", 1)[1].rstrip(",")) == \
        state.to_dict()["endpoints"]["web"]
    for data in ({}, {"version": 1, "empty": {}, "list": [1, {"b": 2, "a": 1}]}, {"one": {"x": None}}):
        assert json.loads(store.dumps(data)) == data


def test_a_0_1_0_store_under_run_moves_once(tmp_path):
    (tmp_path / "run").mkdir()
    old = {"version": 1, "networks": {}, "endpoints": {}, "published": {}, "marker": 1}
    (tmp_path / "run" / "state.json").write_text(json.dumps(old))
    target = paths(tmp_path)
    target.load()
    assert target.migrated and not (tmp_path / "run" / "state.json").exists()
    assert json.loads((tmp_path / "var" / "state.json").read_text())["marker"] == 1
    # killed after the durable copy was written: the durable store wins, the old file only goes
    (tmp_path / "run" / "state.json").write_text(json.dumps(dict(old, marker=2)))
    paths(tmp_path).load()
    assert json.loads((tmp_path / "var" / "state.json").read_text())["marker"] == 1
    assert not (tmp_path / "run" / "state.json").exists()


def test_a_corrupt_store_names_the_file(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "state.json").write_text("{")
    with pytest.raises(LinuxnetError, match="state.json is corrupt"):
        paths(tmp_path).load()
    (tmp_path / "var" / "state.json").write_bytes(b'{"networks": "\xff"}')   # not UTF-8
    with pytest.raises(LinuxnetError, match="state.json is corrupt"):
        paths(tmp_path).load()


def test_the_lock_timeout_reports_this_runs_wait_not_the_others_hold(tmp_path):
    lock = tmp_path / "lock"
    holder = os.open(str(lock), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with pytest.raises(Conflict) as raised:
            with store.HostLock(str(lock), timeout=0.2):
                pass
    finally:
        os.close(holder)
    message = str(raised.value)
    assert "waiting 0s for %s" % lock in message and "another linuxnet.containers run holds it" in message
    assert "has held" not in message
