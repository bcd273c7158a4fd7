# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-endpoint files as the engine reads them back: the text Python's text mode would read."""
import pytest

from ansible_collections.linuxnet.containers.plugins.module_utils import _files as files


@pytest.mark.parametrize("raw", [b"", b"nameserver 10.0.0.1\n", b"a\r\nb\rc\n\r\n", "h\u00f6st\n".encode(), b"no end"])
def test_a_file_reads_as_text_mode_reads_it(tmp_path, raw):
    path = tmp_path / "f"
    path.write_bytes(raw)
    with open(path, encoding="utf-8") as handle:
        assert files.read_text(str(path)) == handle.read()


def test_a_missing_file_is_none_and_a_broken_one_an_error(tmp_path):
    assert files.read_text(str(tmp_path / "missing")) is None
    (tmp_path / "bad").write_bytes(b"\xff\xfe")
    with pytest.raises(UnicodeDecodeError):
        files.read_text(str(tmp_path / "bad"))


def test_an_endpoints_files_are_read_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "NETNS_ETC_DIR", str(tmp_path))
    assert files.read_endpoint_files("web") == {}
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "resolv.conf").write_text("nameserver 10.0.0.1\n")
    (tmp_path / "web" / "hosts").write_text("")
    assert files.read_endpoint_files("web") == {"hosts": "", "resolv.conf": "nameserver 10.0.0.1\n"}
    (tmp_path / "web" / "garbled").write_bytes(b"\xff\xfe")   # its text would not decode: it is not read
    assert files.read_endpoint_files("web", contents=False) == {"garbled": None, "hosts": None, "resolv.conf": None}
