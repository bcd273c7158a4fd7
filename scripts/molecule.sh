#!/usr/bin/env bash
# Runs `molecule test` for every scenario under extensions/molecule/ against sandbox hosts on this machine (no
# Docker: scripts/sandbox.py makes them, community.docker's nsenter connection reaches them). Exits non-zero when a
# scenario fails. Needs scripts/bootstrap.sh first (.venv with molecule, .build/collections with this collection
# and community.docker). Extra arguments go to molecule, e.g. scripts/molecule.sh -s container_networking.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
for needed in .venv/bin/molecule \
    .build/collections/ansible_collections/linuxnet/containers/galaxy.yml \
    .build/collections/ansible_collections/community/docker/plugins/connection/nsenter.py; do
  if [ ! -e "$needed" ]; then
    echo "molecule.sh: $needed is missing; run scripts/bootstrap.sh first" >&2
    exit 1
  fi
done

ANSIBLE_HOME=$(mktemp -d /tmp/lnc-molecule.XXXXXX)
export ANSIBLE_HOME ANSIBLE_NOCOLOR=1 PY_COLORS=0 NO_COLOR=1
# Whatever happens to molecule, no sandbox outlives this script: stop every PID create.yml recorded.
cleanup() {
  find "$ANSIBLE_HOME" -name '*.pid' -print0 2>/dev/null | while IFS= read -r -d '' pidfile; do
    python3 scripts/sandbox.py stop "$(cat "$pidfile")" || true
  done
  rm -rf "$ANSIBLE_HOME"
}
trap cleanup EXIT

if [ $# -eq 0 ]; then
  set -- --all
fi
molecule test "$@"
