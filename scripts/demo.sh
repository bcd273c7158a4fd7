#!/usr/bin/env bash
# Runs the demo playbook (Docker's four network modes and a published port) inside a throwaway
# sandbox host on this machine, then removes the sandbox. This machine's own network is untouched.
# Extra arguments go to ansible-playbook, e.g. scripts/demo.sh -v
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ ! -f playbooks/demo.yml ]; then
  echo "demo.sh: playbooks/demo.yml does not exist yet in this checkout; nothing to demonstrate" >&2
  exit 1
fi
scripts/bootstrap.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

pid=$(python3 scripts/sandbox.py start)
stop_sandbox() {
  python3 scripts/sandbox.py stop "$pid" || true
}
trap stop_sandbox EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "demo.sh: sandbox host $pid (its own network, /run, /etc and /var); removed when the demo ends"
python3 scripts/sandbox.py exec "$pid" -- "$root/.venv/bin/ansible-playbook" -i localhost, -c local \
  -e "ansible_python_interpreter=$root/.venv/bin/python" "$root/playbooks/demo.yml" "$@"
