#!/usr/bin/env bash
# Runs every test: unit tests, integration tests in sandbox hosts (real namespaces, bridges,
# nftables and packets, never this machine's own network), then the quality gates and molecule.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"

echo "== unit tests"
pytest -q -p no:cacheprovider tests/unit

echo "== integration tests (sandbox hosts)"
workers=()
if [ "$(nproc)" -gt 1 ]; then workers=(-n "$(nproc)"); fi
pytest -q -p no:cacheprovider "${workers[@]}" tests/integration

for gate in scripts/quality.sh scripts/molecule.sh; do
  if [ -x "$gate" ]; then
    echo "== $gate"
    "$gate"
  fi
done
echo "== all tests passed"
