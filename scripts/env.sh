# shellcheck shell=bash
# Sourced by the scripts (and handy in a shell: `. scripts/env.sh`): Ansible from .venv, this checkout as
# the collection linuxnet.containers, and an Ansible home under .build instead of ~/.ansible.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
export ANSIBLE_HOME="$root/.build/ansible-home"
export ANSIBLE_LOCAL_TEMP="$ANSIBLE_HOME/tmp" ANSIBLE_REMOTE_TEMP="$ANSIBLE_HOME/remote-tmp"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 PY_COLORS=0
