#!/usr/bin/env bash
# Quality gates: ansible-test sanity, ansible-lint (production profile), antsibull-changelog lint,
# and a collection build whose tarball is installed into a fresh collections path and run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections" ANSIBLE_NOCOLOR=1
work=$(mktemp -d /tmp/lnc-quality.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ansible-test downloads a pip bootstrap script from a host this machine cannot reach; the
# interpreter's own ensurepip does the same job offline.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for major in 23 24 25 26; do
  for minor in 0 1 2 3 4 5 6 7 8 9; do
    printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > "$cache/get_pip_${major}_${minor}.py"
  done
done

echo "-- ansible-test sanity ($(ansible --version | sed -n 1p), Python 3.11)"
tree="$work/ansible_collections/linuxnet/containers"
mkdir -p "$tree"
git ls-files -co --exclude-standard | grep -v '^tests/output/' | tar -cf - -T - | tar -xf - -C "$tree"
(cd "$tree" && git init -q && git add -A && ansible-test sanity --venv --python 3.11 --color no)

echo "-- ansible-lint --profile production"
ansible-lint --profile production --offline -q

echo "-- antsibull-changelog lint"
antsibull-changelog lint

echo "-- antsibull-docs lint-collection-docs"
(cd "$root/.build/collections/ansible_collections/linuxnet/containers" && antsibull-docs lint-collection-docs --plugin-docs .)

echo "-- ansible-galaxy collection build, install into a fresh path, ansible-doc and the demo from it"
ansible-galaxy collection build --force --output-path "$work/dist" >/dev/null
tarball=$(ls "$work"/dist/linuxnet-containers-*.tar.gz)
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.build|tests/output|\.git)/' ; then
  echo "the collection tarball contains development files" >&2
  exit 1
fi
installed="$work/fresh-collections"
export ANSIBLE_COLLECTIONS_PATH="$installed"
ansible-galaxy collection install --force -p "$installed" "$tarball" >/dev/null 2>&1
for module in container_network netns_endpoint port_publish container_network_info; do
  ansible-doc "linuxnet.containers.$module" > "$work/doc.txt"
  grep -q "^> MODULE .*linuxnet.containers.$module (${installed}/" "$work/doc.txt"
done
pid=$(python3 scripts/sandbox.py start)
demo_log="$work/demo.log"
if ! python3 scripts/sandbox.py exec "$pid" -- env ANSIBLE_COLLECTIONS_PATH="$installed" ANSIBLE_HOME="$work/ansible-home" \
    "$root/.venv/bin/ansible-playbook" -i localhost, -c local -e "ansible_python_interpreter=$root/.venv/bin/python" \
    linuxnet.containers.demo > "$demo_log" 2>&1; then
  python3 scripts/sandbox.py stop "$pid"
  cat "$demo_log"
  exit 1
fi
python3 scripts/sandbox.py stop "$pid"
grep -q "a LAN host -> host:8080 (published port)  =>  web answered" "$demo_log"
# The newest ansible-core needs Python 3.12: sanity again with it, and the demo with it as the controller.
python312=$(command -v python3.12 || true)
for candidate in /root/.pyenv/versions/3.12*/bin/python3; do
  [ -x "$candidate" ] && python312=$candidate
done
if [ -n "$python312" ]; then
  latest="$root/.venv-core-latest"
  if [ ! -x "$latest/bin/ansible-test" ]; then
    "$python312" -m venv "$latest"
    "$latest/bin/pip" install -q "ansible-core>=2.21,<2.22" pyroute2 jmespath
  fi
  echo "-- ansible-test sanity ($("$latest/bin/ansible" --version | sed -n 1p), Python 3.12)"
  (cd "$tree" && rm -rf tests/output && "$latest/bin/ansible-test" sanity --venv --python 3.12 --color no)
  echo "-- the demo with that controller"
  pid=$(python3 scripts/sandbox.py start)
  if ! python3 scripts/sandbox.py exec "$pid" -- env ANSIBLE_COLLECTIONS_PATH="$installed" \
      ANSIBLE_HOME="$work/ansible-home-latest" "$latest/bin/ansible-playbook" -i localhost, -c local \
      -e "ansible_python_interpreter=$root/.venv/bin/python" linuxnet.containers.demo > "$demo_log" 2>&1; then
    python3 scripts/sandbox.py stop "$pid"
    cat "$demo_log"
    exit 1
  fi
  python3 scripts/sandbox.py stop "$pid"
  grep -q "a LAN host -> host:8080 (published port)  =>  web answered" "$demo_log"
else
  echo "-- no Python 3.12 here: skipping the newest ansible-core"
fi
echo "-- quality gates passed"
