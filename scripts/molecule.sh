#!/usr/bin/env bash
# Runs every molecule scenario of the roles, against sandbox hosts on this machine (no Docker needed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_HOME="$root/.build/ansible-home-molecule"
export MOLECULE_NO_LOG=false
for role in "$root"/roles/*/; do
  [ -d "$role/molecule" ] || continue
  echo "-- molecule test: $(basename "$role")"
  (cd "$role" && molecule test --all)
done
