#!/usr/bin/env bash
# Runs playbooks/demo_multihost.yml across three throwaway sandbox hosts joined by an underlay switch (one more
# sandbox; see tests/integration/fabric.py), each reached as its own inventory host through
# community.docker.nsenter, then removes every sandbox. This machine's own network is untouched.
# Extra arguments go to ansible-playbook, e.g. scripts/demo_multihost.sh -v
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh
exec python "$root/scripts/demo_multihost.py" "$@"
