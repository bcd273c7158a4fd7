# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's life: a reboot, a flushed ruleset, an upgrade from a store under /run; restore without a controller."""
import json

import pytest

from harness import VENV_PYTHON

NET = "linuxnet.containers.container_network"
EP = "linuxnet.containers.netns_endpoint"
PUB = "linuxnet.containers.port_publish"
SERVICE = "linuxnet.containers.restore_service"
HOST = "198.51.100.1"
COMMAND = "/usr/local/sbin/linuxnet-containers"
UNIT = "/etc/systemd/system/linuxnet-containers.service"
ENDPOINTS = [{"name": "web", "network": "front"}, {"name": "api", "network": "front"},
             {"name": "side", "mode": "container", "container": "web"}]
PORTS = [{"endpoint": "web", "ports": ["8080:80"]}, {"endpoint": "api", "ports": ["80"]}]

REBOOT = r"""
set -e
for path in /run/netns/*; do
  name=${path##*/}
  [ "$name" = lan ] && continue
  umount "$path" 2>/dev/null || true
  rm -f "$path"
done
ip -j -d link show | python3 -c '
import json, sys
for link in json.load(sys.stdin):
    if (link.get("ifalias") or "").startswith("linuxnet.containers"):
        print(link["ifname"])
' | while read -r ifname; do ip link del "$ifname" 2>/dev/null || true; done
nft flush ruleset
rm -rf /run/linuxnet-containers
sysctl -qw net.ipv4.ip_forward=0
"""


def build(sandbox):
    sandbox.module(NET, name="front")                     # an auto subnet
    # history: an endpoint removed earlier, so the allocations are not the first free ones
    sandbox.module(EP, endpoints=[{"name": "gone", "network": "front"}] + ENDPOINTS)
    sandbox.module(EP, name="gone", state="absent")
    published = sandbox.module(PUB, endpoints=PORTS)["published"]
    installed = sandbox.module(SERVICE, python=VENV_PYTHON)
    assert installed["changed"] and installed["command"] == COMMAND
    assert not sandbox.module(SERVICE, python=VENV_PYTHON)["changed"]
    return {p["endpoint"]: p["host_port"] for p in published}


def facts(sandbox):
    """What must come back: addresses and MACs, the table, the files, the store."""
    seen = {}
    for name in ("web", "api"):
        link = sandbox.ip(name, "addr", "show", "eth0")[0]
        seen[name] = (link["address"], [a["local"] for a in link["addr_info"] if a["family"] == "inet"])
    shared = [sandbox.run(["stat", "-L", "-c", "%i", "/run/netns/" + name]).stdout for name in ("web", "side")]
    seen["side shares web"] = shared[0] == shared[1]
    seen["nft"] = sandbox.run(["nft", "list", "ruleset"]).stdout
    seen["files"] = {path: sandbox.run(["cat", path]).stdout
                     for path in ("/etc/netns/web/hosts", "/etc/netns/api/hosts", "/etc/netns/side/resolv.conf",
                                  "/var/lib/linuxnet-containers/state.json")}
    return seen


def reachable(sandbox, ports):
    servers = [sandbox.serve(name, "0.0.0.0", 80, name=name) for name in ("web", "api")]
    try:
        assert sandbox.request("lan", HOST, ports["web"]) == "web 198.51.100.2"
        assert sandbox.request("lan", HOST, ports["api"]) == "api 198.51.100.2"
        assert sandbox.request("side", "127.0.0.1", 80) == "web 127.0.0.1"   # the sharer reaches web's service
    finally:
        for server in servers:
            server.kill()
            server.wait(timeout=5)


def command(sandbox, verb, expect_rc=0):
    proc = sandbox.run([COMMAND, verb], check=False)
    assert proc.returncode == expect_rc, (verb, proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def unchanged(sandbox):
    for module, args in ((NET, {"name": "front"}), (EP, {"endpoints": ENDPOINTS}), (PUB, {"endpoints": PORTS})):
        result = sandbox.module(module, **args)
        assert not result["changed"], (module, result.get("actions"))


def test_a_reboot_is_restored_without_a_controller(sandbox):
    ports = build(sandbox)
    assert ports["api"] not in (None, 8080)                # auto-picked
    reachable(sandbox, ports)
    before = facts(sandbox)
    assert before["files"]["/var/lib/linuxnet-containers/state.json"]
    assert "172." in before["web"][1][0] and before["web"][1][0].endswith(".3")   # .2 was "gone"'s
    assert command(sandbox, "status").splitlines()[-1] == "status: the host matches the store"

    sandbox.run(["sh", "-ec", REBOOT])
    assert sorted(sandbox.run(["ls", "/run/netns"]).stdout.split()) == ["lan"]
    drift = command(sandbox, "status", expect_rc=1)
    assert "differs: firewall:" in drift and "status: drift in" in drift
    restored = command(sandbox, "restore")
    assert "restored: endpoints: create namespace /run/netns/web" in restored
    assert facts(sandbox) == before
    reachable(sandbox, ports)
    assert command(sandbox, "status").splitlines()[-1] == "status: the host matches the store"
    assert command(sandbox, "restore").splitlines()[-1] == "restore: nothing to do"
    unchanged(sandbox)


def test_a_flushed_ruleset_is_found_by_status_and_healed_by_restore(sandbox):
    ports = build(sandbox)
    sandbox.run(["nft", "flush", "ruleset"])
    drift = command(sandbox, "status", expect_rc=1)
    assert drift.splitlines()[-1] == "status: drift in firewall"
    assert sandbox.request("lan", HOST, ports["web"], timeout=1) is None
    command(sandbox, "restore")
    command(sandbox, "status")
    reachable(sandbox, ports)
    unchanged(sandbox)


def test_an_upgrade_moves_the_store_from_run_once(sandbox):
    sandbox.module(NET, name="front", subnet="172.20.0.0/24")
    sandbox.module(EP, name="web", network="front")
    sandbox.run(["sh", "-ec", "mv /var/lib/linuxnet-containers/state.json /run/linuxnet-containers/state.json"])
    assert not sandbox.module(EP, name="web", network="front")["changed"]
    state = json.loads(sandbox.run(["cat", "/var/lib/linuxnet-containers/state.json"]).stdout)
    assert list(state["endpoints"]) == ["web"]
    assert sandbox.run(["test", "-e", "/run/linuxnet-containers/state.json"], check=False).returncode == 1


def test_the_unit_passes_systemd_analyze_verify(sandbox):
    if sandbox.run(["sh", "-c", "command -v systemd-analyze"], check=False).returncode != 0:
        pytest.skip("systemd-analyze is not installed (scripts/bootstrap.sh installs it)")
    sandbox.module(SERVICE, python=VENV_PYTHON)
    unit = sandbox.run(["cat", UNIT]).stdout
    assert "ExecStart=%s restore" % COMMAND in unit and "PartOf=nftables.service" in unit
    assert sandbox.run(["readlink", "/etc/systemd/system/multi-user.target.wants/linuxnet-containers.service"]
                       ).stdout.strip() == UNIT
    proc = sandbox.run(["systemd-analyze", "verify", UNIT], check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "linuxnet-containers" not in proc.stderr, proc.stderr
    assert command(sandbox, "status").splitlines()[0] == "managed: 0 networks, 0 endpoints, 0 published ports"
    removed = sandbox.module(SERVICE, state="absent")
    assert removed["changed"] and sandbox.run(["test", "-e", COMMAND], check=False).returncode == 1
