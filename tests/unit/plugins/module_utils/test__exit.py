# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a run ends: a plain result printed as exit_json prints it, exit_json itself whenever it has work to do."""
import json

import pytest

from ansible.module_utils.common import warnings

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption
from ansible_collections.linuxnet.containers.plugins.module_utils._exit import exit_plain, fail


class Ended(Exception):
    pass


class FakeModule:
    def __init__(self, no_log_values=()):
        self.params = {"all_namespaces": False, "query": None}
        self.no_log_values = set(no_log_values)
        self.exited = None
        self.failed = None

    def exit_json(self, **result):
        self.exited = result
        raise Ended()

    def fail_json(self, **result):
        self.failed = result
        raise Ended()


@pytest.fixture(autouse=True)
def no_pending_messages():
    # pylint: disable=protected-access
    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()
    yield
    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()


RESULT = {"changed": False, "endpoints": [{"name": "web", "interfaces": [{"ifname": "eth0", "aliases": []}]}],
          "networks": [], "published": [{"host_port": 8080, "allowed_sources": []}]}


def test_a_plain_result_is_printed_as_exit_json_prints_it(capsys):
    module = FakeModule()
    with pytest.raises(SystemExit) as ended:
        exit_plain(module, dict(RESULT))
    assert ended.value.code == 0 and module.exited is None
    out = capsys.readouterr().out
    assert out.startswith("\n") and out.endswith("\n") and out.count("\n") == 2
    assert json.loads(out) == dict(RESULT, invocation={"module_args": module.params})


@pytest.mark.parametrize("why", ["no_log", "warning", "deprecation", "not json"])
def test_exit_json_does_it_when_there_is_something_to_scrub_encode_or_convert(why, capsys):
    module = FakeModule(no_log_values={"secret"} if why == "no_log" else ())
    result = dict(RESULT)
    if why == "warning":
        warnings.warn("a warning")
    elif why == "deprecation":
        warnings.deprecate("going away", version="9.0.0")
    elif why == "not json":
        result["odd"] = {1, 2}
    with pytest.raises(Ended):
        exit_plain(module, result)
    assert module.exited == result and capsys.readouterr().out == ""


def test_fail_carries_an_errors_details():
    module = FakeModule()
    with pytest.raises(Ended):
        fail(module, InvalidOption("query", "bad", "write it like networks[].name"))
    assert module.failed == {"msg": "query: bad; write it like networks[].name", "field": "query"}
    try:
        raise ValueError("boom")
    except ValueError as exc:
        with pytest.raises(Ended):
            fail(module, exc)
    assert module.failed["msg"] == "unexpected error: boom" and "ValueError: boom" in module.failed["exception"]
