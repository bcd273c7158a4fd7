#!/usr/bin/env bash
# Runs the demo playbook (Docker's four network modes and a published port) inside a throwaway
# sandbox host on this machine, then removes the sandbox. This machine's own network is untouched.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
pid=$(python3 scripts/sandbox.py start)
trap 'python3 scripts/sandbox.py stop "$pid"' EXIT
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections" ANSIBLE_HOME="$root/.build/ansible-home"
python3 scripts/sandbox.py exec "$pid" -- "$root/.venv/bin/ansible-playbook" -i localhost, -c local \
  -e "ansible_python_interpreter=$root/.venv/bin/python" "$root/playbooks/demo.yml" "$@"
