#!/usr/bin/env bash
# Installs what the demo and the tests need; safe to repeat, quick when nothing changed.
#   Debian packages: iproute2, nftables, conntrack, python3-pyroute2 (pyroute2 0.7.x for Debian's python3), ...
#   .venv at the repository root (python3 on PATH) with every tests/requirements*.txt, re-installed when
#     one of them or that python changes (stamp: .venv/.requirements.sha256)
#   .build/collections/ansible_collections/linuxnet/containers -> this checkout
#   .build/collections/ansible_collections/community/docker (its nsenter connection, for molecule and AWX tests)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

packages=(iproute2 nftables conntrack python3-pyroute2 python3-jmespath python3-venv util-linux procps shellcheck)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

requirements=(tests/requirements*.txt)
stamp=.venv/.requirements.sha256
wanted=$( (python3 -VV; for file in "${requirements[@]}"; do echo "== $file"; cat "$file"; done) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ] || ! .venv/bin/python -c "" 2>/dev/null; then
  echo "bootstrap: preparing .venv ($(python3 -V)) with ${requirements[*]}"
  rm -f "$stamp"
  .venv/bin/python -c "" 2>/dev/null || python3 -m venv --clear .venv
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  # One resolver run for every file, so that no file's pins are undone by another's dependencies.
  .venv/bin/pip install -q --disable-pip-version-check "${requirements[@]/#/--requirement=}"
  echo "$wanted" > "$stamp"
fi

mkdir -p .build/collections/ansible_collections/linuxnet
ln -sfn "$root" .build/collections/ansible_collections/linuxnet/containers

# community.docker's nsenter connection reaches sandbox hosts from molecule and ansible-runner tests.
# Galaxy is out of reach, so take that one collection from the `ansible` package's wheel on PyPI.
if [ ! -f .build/collections/ansible_collections/community/docker/plugins/connection/nsenter.py ]; then
  echo "bootstrap: extracting community.docker from the ansible wheel"
  wheels=$(mktemp -d)
  trap 'rm -rf "$wheels"' EXIT
  .venv/bin/pip download -q --disable-pip-version-check --no-deps "ansible==12.3.0" -d "$wheels"
  .venv/bin/python - "$wheels" <<'PY'
import glob, sys, zipfile
wheel = zipfile.ZipFile(glob.glob(sys.argv[1] + "/ansible-*.whl")[0])
members = [n for n in wheel.namelist() if n.startswith("ansible_collections/community/docker/")]
wheel.extractall(".build/collections", members)
PY
fi
