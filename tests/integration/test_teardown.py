# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole teardown in one network_state task on real namespaces: the bridge goes first, the namespace names go
on several threads, the kernel's batched cleanup removes the veths of the namespaces nothing else holds, and the
run returns once they are gone; the veths of namespaces a process or another mount holds are deleted by us."""
import json

STATE = "linuxnet.containers.network_state"
HOST = "198.51.100.1"
COUNT = 12


def inode(sandbox, path):
    return int(sandbox.run(["stat", "-L", "-c", "%i", path]).stdout)


def link_names(sandbox, netns_file):
    """The links of the namespace at netns_file (a process's or a mount's), as the sandbox host sees them."""
    out = sandbox.run(["nsenter", "--net=" + netns_file, "ip", "-j", "link"]).stdout
    return sorted(link["ifname"] for link in json.loads(out))


def holder_pid(sandbox, name):
    """The pid of a `sleep` living in namespace NAME, once it is there."""
    wanted = inode(sandbox, "/run/netns/" + name)
    for _attempt in range(200):
        for pid in sandbox.run(["pgrep", "-x", "sleep"], check=False).stdout.split():
            if sandbox.run(["stat", "-L", "-c", "%i", "/proc/%s/ns/net" % pid], check=False).stdout.strip() == \
                    str(wanted):
                return pid
    raise AssertionError("no sleep in namespace %s" % name)


def test_a_teardown_with_held_namespaces_leaves_nothing_behind_and_says_what_it_did(sandbox):
    pristine = sandbox.snapshot()
    request = dict(networks=[{"name": "front", "subnet": "172.20.0.0/24"}],
                   endpoints=[{"name": "e%d" % i, "network": "front"} for i in range(COUNT)],
                   published_ports=[{"endpoint": "e1", "ports": ["8080:80"]}])
    assert sandbox.module(STATE, **request)["changed"]
    sandbox.serve("e1", "0.0.0.0", 80, name="e1")   # a process in e1: it holds the namespace
    assert sandbox.request("lan", HOST, 8080) == "e1 198.51.100.2"
    sandbox.spawn(["sleep", "600"], netns="e3")       # so does this one in e3
    sleeper = holder_pid(sandbox, "e3")
    sandbox.run(["touch", "/run/hold-e5"])             # and another mount of e5 (a runtime's bind mount)
    sandbox.run(["mount", "--bind", "/run/netns/e5", "/run/hold-e5"])
    held = {"e1", "e3", "e5"}

    built = sandbox.snapshot()
    previewed = sandbox.module(STATE, state="absent", check=True, diff=True, **request)
    assert previewed["changed"] and sandbox.snapshot() == built, "check mode changed the host"
    assert set(previewed["diff"]["before"]["endpoints"]) == {"e%d" % i for i in range(COUNT)}

    removed = sandbox.module(STATE, state="absent", diff=True, **request)
    assert removed["changed"] and not removed.get("warnings"), removed.get("warnings")
    assert removed["actions"] == previewed["actions"] and removed["diff"] == previewed["diff"]
    actions = removed["actions"]
    first_name = next(i for i, a in enumerate(actions) if a.startswith("remove namespace name"))
    assert actions.index("delete bridge lnc-front of network front") < first_name
    assert not [a for a in actions[first_name:] if a.startswith("delete ")]   # every deletion before the names
    for i in range(COUNT):
        text = next(a for a in actions if a.startswith("remove namespace name /run/netns/e%d" % i))
        given_to_kernel = "; the kernel removes veth lnv" in text
        assert given_to_kernel == ("e%d" % i not in held), text
        assert any(a.startswith("delete veth ") and a.endswith(" of endpoint e%d" % i) for a in actions) == \
            ("e%d" % i in held)
    assert actions[-1] == "wait until the kernel has removed the host ends of %d veths with their namespaces" % (
        COUNT - len(held))

    # nothing is left: links, names, mounts, nft, files, store records; the holders keep their namespaces, bare
    left = sandbox.snapshot()
    assert left["links"] == pristine["links"]
    assert left["netns"] == pristine["netns"] == ["lan"]
    assert left["nft"] == pristine["nft"] == ""
    assert set(left["files"]) <= {"/var/lib/linuxnet-containers/state.json"}
    stored = json.loads(left["files"]["/var/lib/linuxnet-containers/state.json"])
    assert not stored.get("endpoints") and not stored.get("networks") and not stored.get("pending")
    mounts = sandbox.run(["cat", "/proc/self/mountinfo"]).stdout
    assert "/run/netns/e" not in mounts
    assert link_names(sandbox, "/proc/%s/ns/net" % sleeper) == ["lo"]
    assert link_names(sandbox, "/run/hold-e5") == ["lo"]
    assert sandbox.request("lan", HOST, 8080, timeout=1) is None

    again = sandbox.module(STATE, state="absent", diff=True, **request)
    assert not again["changed"] and again["actions"] == []
    assert sandbox.snapshot() == left
