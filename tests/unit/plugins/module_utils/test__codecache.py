# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compiled-code cache for module_utils imported from a zip, as AnsiballZ runs them."""
import hashlib
import importlib
import importlib.machinery
import inspect
import os
import sys
import zipfile
import zipimport

import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _codecache as codecache

PACKAGE = "lnccpkg"


def make_zip(path, source, name="mod_a"):
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr(PACKAGE + "/__init__.py", "")
        archive.writestr("%s/%s.py" % (PACKAGE, name), source)
    return str(path)


@pytest.fixture
def cache(tmp_path):
    """(import a module of the zipped package through a fresh finder, the cache directory, the finders made)."""
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    finders = []

    def load(zip_path, name="mod_a"):
        for key in [key for key in sys.modules if key == PACKAGE or key.startswith(PACKAGE + ".")]:
            del sys.modules[key]
        sys.path_importer_cache.clear()
        finder = codecache.CodeCache(zipimport.zipimporter(zip_path + "/" + PACKAGE + "/"), PACKAGE + ".",
                                     str(directory))
        finders.append(finder)
        sys.meta_path.insert(0, finder)
        sys.path.insert(0, zip_path)
        try:
            return importlib.import_module("%s.%s" % (PACKAGE, name))
        finally:
            sys.path.remove(zip_path)
            sys.meta_path.remove(finder)

    yield load, directory
    for key in [key for key in sys.modules if key == PACKAGE or key.startswith(PACKAGE + ".")]:
        del sys.modules[key]


def entries(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.startswith("code-"))


def no_compile(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled although the cache holds the code")
    monkeypatch.setattr(codecache, "compile", refuse, raising=False)


def test_compiles_once_then_runs_the_kept_code(cache, tmp_path, monkeypatch):
    load, directory = cache
    archive = make_zip(tmp_path / "one.zip", "VALUE = 1\n")
    module = load(archive)
    assert module.VALUE == 1
    assert isinstance(module.__loader__, codecache._Loader)
    assert module.__file__ == archive + "/" + PACKAGE + "/mod_a.py"
    assert len(entries(directory)) == 1
    assert os.stat(str(directory / entries(directory)[0])).st_mode & 0o777 == 0o600
    no_compile(monkeypatch)
    assert load(archive).VALUE == 1


def test_changed_source_is_compiled_and_replaces_the_old_entry(cache, tmp_path):
    load, directory = cache
    assert load(make_zip(tmp_path / "one.zip", "VALUE = 1\n")).VALUE == 1
    first = entries(directory)
    assert load(make_zip(tmp_path / "two.zip", "VALUE = 2\n")).VALUE == 2
    assert len(entries(directory)) == 1 and entries(directory) != first


@pytest.mark.parametrize("spoil", ["torn", "garbage", "shared", "link"])
def test_an_entry_we_may_not_trust_is_compiled_again(cache, tmp_path, monkeypatch, spoil):
    load, directory = cache
    archive = make_zip(tmp_path / "one.zip", "VALUE = 1\n")
    load(archive)
    path = str(directory / entries(directory)[0])
    with open(path, "rb") as handle:
        data = handle.read()
    if spoil == "torn":
        with open(path, "wb") as handle:
            handle.write(data[:-3])
    elif spoil == "garbage":     # a right checksum over bytes that are not code
        with open(path, "wb") as handle:
            handle.write(hashlib.sha256(b"\x00junk").digest() + b"\x00junk")
    elif spoil == "shared":
        os.chmod(path, 0o666)
    else:
        os.rename(path, path + ".real")
        os.symlink(path + ".real", path)
    compiled = []
    real = compile
    monkeypatch.setattr(codecache, "compile", lambda *a, **k: compiled.append(a[1]) or real(*a, **k), raising=False)
    assert load(archive).VALUE == 1
    assert compiled == [archive + "/" + PACKAGE + "/mod_a.py"]
    assert codecache.load(path) is not None     # written again, whole and private


def test_a_directory_others_may_write_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    assert not codecache.usable_dir(str(shared))
    made = tmp_path / "made"
    assert codecache.usable_dir(str(made))
    assert os.stat(str(made)).st_mode & 0o777 == 0o700
    target = tmp_path / "target"
    target.mkdir(mode=0o700)
    os.symlink(str(target), str(tmp_path / "link"))
    assert not codecache.usable_dir(str(tmp_path / "link"))
    archive = make_zip(tmp_path / "one.zip", "VALUE = 1\n")
    monkeypatch.delenv(codecache.SWITCH, raising=False)
    assert codecache.install(zipimport.zipimporter(archive + "/" + PACKAGE + "/"), str(shared)) is None


def test_install_acts_only_for_a_zip_and_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.delenv(codecache.SWITCH, raising=False)
    directory = str(tmp_path / "cache")
    plain = importlib.machinery.SourceFileLoader("x", codecache.__file__)
    assert codecache.install(plain, directory) is None
    archive = make_zip(tmp_path / "one.zip", "VALUE = 1\n")
    monkeypatch.setenv(codecache.SWITCH, "off")
    assert codecache.install(zipimport.zipimporter(archive + "/" + PACKAGE + "/"), directory) is None
    assert not os.path.exists(directory)
    monkeypatch.delenv(codecache.SWITCH)
    finder = codecache.install(zipimport.zipimporter(archive + "/" + PACKAGE + "/"), directory)
    try:
        assert isinstance(finder, codecache.CodeCache) and sys.meta_path[0] is finder
        assert codecache.install(zipimport.zipimporter(archive + "/" + PACKAGE + "/"), directory) is finder
    finally:
        sys.meta_path.remove(finder)


def test_imports_done_freezes_the_collector_only_in_a_module_process(tmp_path, monkeypatch):
    frozen = []
    monkeypatch.setattr(codecache.gc, "freeze", lambda: frozen.append(True))
    codecache.imports_done()   # imported from a file, as in this test process
    codecache.imports_done(importlib.machinery.SourceFileLoader("x", codecache.__file__))
    assert not frozen
    archive = make_zip(tmp_path / "one.zip", "VALUE = 1\n")
    codecache.imports_done(zipimport.zipimporter(archive + "/" + PACKAGE + "/"))
    assert frozen == [True]


def test_other_names_are_left_to_python(tmp_path):
    archive = make_zip(tmp_path / "one.zip", "VALUE = 1\n")
    finder = codecache.CodeCache(zipimport.zipimporter(archive + "/" + PACKAGE + "/"), PACKAGE + ".", str(tmp_path))
    assert finder.find_spec("json") is None
    assert finder.find_spec(PACKAGE) is None
    assert finder.find_spec(PACKAGE + ".sub.mod") is None
    assert finder.find_spec(PACKAGE + ".missing") is None
    assert finder.find_spec(PACKAGE + ".mod_a") is not None


def test_tracebacks_and_inspect_see_the_source(cache, tmp_path):
    load = cache[0]
    module = load(make_zip(tmp_path / "one.zip", "def where():\n    return 'here'\n"))
    assert inspect.getsource(module.where) == "def where():\n    return 'here'\n"
