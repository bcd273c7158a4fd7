# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import os

import pytest

from harness import Sandbox

if os.geteuid() != 0:
    pytest.exit("the integration tests create namespaces, links and nftables tables: run them as root", returncode=4)


@pytest.fixture
def sandbox():
    """A fresh sandbox host for this test, stopped afterwards whatever happens (see harness.Sandbox)."""
    host = Sandbox()
    try:
        yield host
    finally:
        host.close()
