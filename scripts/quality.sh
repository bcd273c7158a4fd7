#!/usr/bin/env bash
# Quality gates of the collection. scripts/test.sh runs this after scripts/bootstrap.sh has made .venv
# (every tests/requirements*.txt) and .build/collections (this checkout and community.docker).
#
#   sanity       ansible-test sanity with the ansible-core of .venv (2.19) on its Python (3.11)
#   lint         ansible-lint --profile production (settings in .ansible-lint)
#   changelog    antsibull-changelog lint
#   docs         antsibull-docs lint-collection-docs --plugin-docs
#   build        ansible-galaxy collection build into .build/dist; no development files in the tarball
#   tarball      that tarball installed into an empty collections path: ansible-doc of every module, and
#                the demo playbook from it in a sandbox host
#   latest-core  sanity and the demo again with the newest ansible-core on Python 3.12, in .venv-core-latest;
#                on when QUALITY_LATEST_CORE=1, the default when a Python 3.12 is found
#
# Every gate runs even when an earlier one failed; each ends with a PASS, FAIL or SKIP line and its time,
# and the script exits non-zero when any failed. QUALITY_GATES="sanity lint" runs only the gates named.
# Caches live under .build/quality: ansible-test's pip bootstrap and sanity venvs (home/), ansible-lint's cache
# (ansible-home/), and the collection copy that ansible-test runs in, with ansible-test's own venv (sanity/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

for needed in .venv/bin/ansible-test .venv/bin/ansible-lint .venv/bin/antsibull-changelog .venv/bin/antsibull-docs \
    .build/collections/ansible_collections/community/docker/plugins/connection/nsenter.py; do
  if [ ! -e "$needed" ]; then
    echo "quality: $needed is missing; run scripts/bootstrap.sh first" >&2
    exit 2
  fi
done

state="$root/.build/quality"
mkdir -p "$state/logs"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_HOME="$state/ansible-home" XDG_CACHE_HOME="$state/cache" ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0
# ansible-lint resolves community.docker.nsenter in the molecule scenarios from here.
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
collection="$state/sanity/ansible_collections/linuxnet/containers"
dist="$root/.build/dist"
installed="$state/installed"
home="$state/home"
gates=${QUALITY_GATES:-sanity lint changelog docs build tarball latest-core}

# A working Python 3.12 (a pyenv shim on PATH may name one it cannot run), as its real path.
python312=""
for candidate in python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3; do
  if [ -z "$python312" ]; then
    python312=$("$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)' \
      2>/dev/null || true)
  fi
done
latest_venv="$root/.venv-core-latest"
# The newest ansible-core when this was written (2.20 and 2.21 need Python 3.12); raise it when a new one ships.
latest_core_requirement="ansible-core>=2.21,<2.22"
if [ -z "${QUALITY_LATEST_CORE:-}" ]; then
  if [ -n "$python312" ]; then QUALITY_LATEST_CORE=1; else QUALITY_LATEST_CORE=0; fi
fi

# The exit status of a gate that was switched off.
skipped=77

wanted() {
  [[ " $gates " == *" $1 "* ]]
}

# The collection as git sees it (tracked files and untracked ones that are not ignored), copied to
# <dir>/ansible_collections/linuxnet/containers where ansible-test and antsibull-docs need it. The copy keeps
# its tests/output (ansible-test's own venv) between runs.
refresh_collection_copy() {
  mkdir -p "$collection"
  find "$collection" -mindepth 1 -maxdepth 1 ! -name .git ! -name tests -exec rm -rf {} +
  if [ -d "$collection/tests" ]; then
    find "$collection/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +
  fi
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do if [ -f "$path" ]; then printf '%s\0' "$path"; fi; done \
    | tar --null -cf - -T - | tar -xf - -C "$collection"
  git -C "$collection" init -q
  git -C "$collection" add -A
}

# ansible-test keeps its pip bootstrap script and the sanity venvs under ~/.ansible/test, and it downloads
# that script from ci-files.testing.ansible.com, which may be unreachable. So it runs with a HOME under
# .build that holds scripts/ansible_test_bootstrap/get_pip.py under the cached script's name, beside the pip
# wheel it installs (from PyPI). The user's pip configuration (an index mirror, certificates) stays visible.
prepare_ansible_test_home() {
  local venv=$1 pip_version cache
  mkdir -p "$home/.config"
  for config in .config/pip .pip .netrc; do
    if [ -e "$HOME/$config" ] && [ ! -e "$home/$config" ]; then ln -s "$HOME/$config" "$home/$config"; fi
  done
  pip_version=$("$venv/bin/python" -c '
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="%d.%d" % sys.version_info[:2]))["pip"])')
  cache="$home/.ansible/test/cache"
  mkdir -p "$cache"
  if [ ! -f "$cache/pip-$pip_version-py3-none-any.whl" ]; then
    "$root/.venv/bin/pip" download -q --no-deps --only-binary=:all: "pip==$pip_version" -d "$cache"
  fi
  cp scripts/ansible_test_bootstrap/get_pip.py "$cache/get_pip_${pip_version//./_}.py"
}

# ansible-test sanity, every test, with the Python of the venv that holds ansible-test: --venv makes it build
# each test's venv from that interpreter (pip from PyPI), so nothing but PyPI is needed. Import and compile
# run for that Python only: no other interpreter (3.9 and 3.10 for managed nodes) is installed here.
sanity_with() {
  local venv=$1 python_version
  python_version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  prepare_ansible_test_home "$venv"
  echo "$("$venv/bin/ansible" --version | sed -n 1p), Python $python_version"
  (cd "$collection" && HOME="$home" "$venv/bin/ansible-test" sanity --venv --python "$python_version" --color no)
}

demo_with() {
  local venv=$1 pid status=0 log
  log="$state/logs/demo-$(basename "$venv").log"
  pid=$(python3 scripts/sandbox.py start)
  # shellcheck disable=SC2064  # the sandbox of this call, even if the gate stops halfway
  trap "python3 scripts/sandbox.py stop $pid" EXIT
  python3 scripts/sandbox.py exec "$pid" -- env ANSIBLE_COLLECTIONS_PATH="$installed" \
    ANSIBLE_HOME="$state/ansible-home-demo" "$venv/bin/ansible-playbook" -i localhost, -c local \
    -e "ansible_python_interpreter=$root/.venv/bin/python" linuxnet.containers.demo > "$log" 2>&1 || status=$?
  python3 scripts/sandbox.py stop "$pid"
  trap - EXIT
  if [ "$status" -ne 0 ]; then
    cat "$log"
    return 1
  fi
  grep -F "a LAN host -> host:8080 (published port)  =>  web answered" "$log"
}

gate_sanity() {
  sanity_with "$root/.venv"
}

gate_lint() {
  ansible-lint --profile production --offline
}

gate_changelog() {
  antsibull-changelog lint
}

gate_docs() {
  (cd "$collection" && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent .)
}

gate_build() {
  rm -rf "$dist"
  ansible-galaxy collection build --output-path "$dist"
  local tarball entries leaked
  tarball=$(ls "$dist"/linuxnet-containers-*.tar.gz)
  entries=$(tar -tzf "$tarball")
  leaked=$(grep -E '(^|/)(\.venv[^/]*|\.build|\.git|\.ci|scripts|tests/output|__pycache__|\.pytest_cache)(/|$)' <<< "$entries" || true)
  if [ -n "$leaked" ]; then
    echo "$tarball holds development files:" >&2
    echo "$leaked" >&2
    return 1
  fi
  local expected
  for expected in MANIFEST.json meta/runtime.yml meta/execution-environment.yml requirements.txt bindep.txt; do
    grep -qx "$expected" <<< "$entries"
  done
  echo "$tarball: $(wc -l <<< "$entries") entries, none of them development files"
}

gate_tarball() {
  local tarball module doc
  tarball=$(ls "$dist"/linuxnet-containers-*.tar.gz)
  rm -rf "$installed"
  ANSIBLE_COLLECTIONS_PATH="$installed" ansible-galaxy collection install --force -p "$installed" "$tarball"
  for module in container_network netns_endpoint port_publish container_network_info; do
    doc=$(ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc "linuxnet.containers.$module")
    grep -q "^> MODULE .*linuxnet.containers.$module ($installed/" <<< "$doc"
  done
  demo_with "$root/.venv"
}

gate_latest_core() {
  if [ "$QUALITY_LATEST_CORE" != 1 ]; then
    echo "QUALITY_LATEST_CORE=$QUALITY_LATEST_CORE"
    return "$skipped"
  fi
  if [ -z "$python312" ]; then
    echo "no Python 3.12 on this machine for the newest ansible-core" >&2
    return 1
  fi
  local stamp="$latest_venv/.requirements" wanted_venv
  wanted_venv="$python312 $latest_core_requirement $(sha256sum requirements.txt | cut -d' ' -f1)"
  if [ ! -x "$latest_venv/bin/ansible-test" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted_venv" ]; then
    rm -rf "$latest_venv"
    "$python312" -m venv "$latest_venv"
    "$latest_venv/bin/pip" install -q "$latest_core_requirement" -r requirements.txt
    echo "$wanted_venv" > "$stamp"
  fi
  # Both halves run, so one failure does not hide the other.
  local sanity_status demo_status=0
  set +e
  (set -e; sanity_with "$latest_venv")
  sanity_status=$?
  if [ -d "$installed/ansible_collections/linuxnet/containers" ]; then
    (set -e; demo_with "$latest_venv")
    demo_status=$?
  else
    echo "the demo with this controller needs the tarball gate" >&2
    demo_status=1
  fi
  set -e
  echo "latest-core: sanity exit status $sanity_status, demo exit status $demo_status"
  [ "$sanity_status" -eq 0 ] && [ "$demo_status" -eq 0 ]
}

if wanted sanity || wanted docs || wanted latest-core; then
  refresh_collection_copy
fi

summary=()
failures=0
for gate in sanity lint changelog docs build tarball latest-core; do
  wanted "$gate" || continue
  echo "== $gate"
  started=$SECONDS
  set +e
  ( set -e; "gate_${gate//-/_}" )
  status=$?
  set -e
  case $status in
    0) verdict=PASS ;;
    "$skipped") verdict=SKIP ;;
    *) verdict=FAIL; failures=$((failures + 1)) ;;
  esac
  line="$verdict $gate ($((SECONDS - started)) s)"
  echo "$line"
  summary+=("$line")
done

echo "== quality gates"
printf '%s\n' "${summary[@]}"
if [ "$failures" -ne 0 ]; then
  echo "quality: $failures gate(s) failed" >&2
  exit 1
fi
