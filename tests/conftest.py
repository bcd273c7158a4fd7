# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Makes `import ansible_collections.linuxnet.containers...` resolve to this checkout (via the link that
scripts/bootstrap.sh makes under .build/collections), and the integration harness importable."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")

if not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "linuxnet", "containers")):
    pytest.exit("%s/ansible_collections/linuxnet/containers is missing: run scripts/bootstrap.sh first" % COLLECTIONS,
                returncode=4)
sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
