#!/usr/bin/env bash
# Runs every test: unit tests, integration tests in sandbox hosts (real namespaces, bridges, nftables
# and packets, never this machine's own network), then the quality gates and molecule when present.
# Every stage runs even when an earlier one fails; the exit status is non-zero when any failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
scripts/bootstrap.sh || { echo "test.sh: bootstrap failed" >&2; exit 1; }
# shellcheck source=scripts/env.sh
. scripts/env.sh

failed=()
report=()
stage() {
  local name=$1 started=$SECONDS rc
  shift
  echo
  echo "== $name"
  "$@"
  rc=$?
  report+=("$(printf '%-12s %-6s %4ds' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - started)))")
  [ $rc -eq 0 ] || failed+=("$name")
}

pytest_args=(-q -rfEs -p no:cacheprovider)

unit() {
  pytest "${pytest_args[@]}" tests/unit
  local rc=$?
  [ $rc -eq 5 ] && { echo "(no unit tests)"; return 0; }
  return $rc
}

integration() {
  local workers=()
  # Every test has its own sandbox host, so tests run side by side, one per core.
  if [ "$(nproc)" -gt 1 ] && python -c "import xdist" 2>/dev/null; then
    workers=(-n "$(nproc)")
  fi
  pytest "${pytest_args[@]}" "${workers[@]}" tests/integration
  local rc=$?
  [ $rc -eq 5 ] && echo "no integration tests were collected" >&2
  return $rc
}

if [ -d tests/unit ]; then
  stage unit unit
fi
stage integration integration
for gate in quality molecule; do
  if [ -x "scripts/$gate.sh" ]; then
    stage "$gate" "scripts/$gate.sh"
  fi
done

echo
echo "== summary"
printf '%s\n' "${report[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all tests passed"
