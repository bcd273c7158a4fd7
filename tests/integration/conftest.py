# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from harness import Sandbox


@pytest.fixture
def sandbox():
    host = Sandbox()
    try:
        yield host
    finally:
        host.close()
