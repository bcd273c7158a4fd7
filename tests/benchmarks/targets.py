# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scale targets of issue 8 that compare.py's side-by-side table does not show, measured in one sandbox.

    .venv/bin/python tests/benchmarks/targets.py --n 1000 --spread 2000

For a small N (10) and the given N it runs the collection's three batch module tasks (the workload of
workload.py) through setup, a no-op re-run, the same re-run in check mode, `container_network` alone in a play
whose variables hold only the networks, the re-run and check again as one network_state task,
`container_network_info`, and teardown; for --mid endpoints (500) one network_state task through setup, re-run,
check mode and teardown, beside the lower-bound script's teardown. Each task is timed by the bench_timer callback
and each module process's peak RSS by time(1). Then --spread endpoints over two networks (a bridge holds at most
1,023 ports) are set up, proved with traffic, re-run and torn down. It writes docs/performance-targets.md (and
the raw results as JSON) with one row per target: what the issue asks, what was measured. It measures; it
asserts nothing about time.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare as c  # noqa: E402  pylint: disable=wrong-import-position

CHECK_PLAY = c.MODULES_PLAY.replace("  gather_facts: false\n", "  gather_facts: false\n  check_mode: true\n", 1)
INFO_PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: container_network_info
      linuxnet.containers.container_network_info:
      register: info
    - name: counted
      ansible.builtin.assert:
        that: info.endpoints | length == bench_endpoints | length
"""
NETWORK_PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: container_network
      linuxnet.containers.container_network:
        networks: "{{ bench_networks }}"
"""
ONETASK_CHECK_PLAY = c.ONETASK_PLAY.replace("  gather_facts: false\n", "  gather_facts: false\n  check_mode: true\n", 1)
PHASES = ("setup", "rerun", "check", "network", "rerun_onetask", "check_onetask", "info", "teardown")
ONETASK_PHASES = [("setup", c.ONETASK_PLAY), ("rerun_onetask", c.ONETASK_PLAY), ("check_onetask", ONETASK_CHECK_PLAY),
                  ("floor", c.FLOOR_PLAY), ("teardown", c.ONETASK_PLAY)]
SECOND_NETWORK = {"name": "bench2", "subnet": "172.21.0.0/16", "gateway": "172.21.0.1"}


def task_seconds(tasks, name):
    return next((t["seconds"] for t in tasks if t["task"] == name), None)


def spread_vars(count):
    """count endpoints, the first half on `bench`, the rest on `bench2`, one published port each."""
    variables = c.collection_vars(count, 1, False)
    variables["bench_networks"].append(SECOND_NETWORK)
    for i, endpoint in enumerate(variables["bench_endpoints"]):
        if i >= count // 2:
            endpoint["network"] = SECOND_NETWORK["name"]
    return variables


def measure(bench, count, variables, with_info=True, phases=None):
    """{phase: {"seconds", "tasks", "rss_kib", "error"}} for setup, rerun, check, info and teardown (or `phases`:
    [(phase, play)], where a teardown phase of the one-task play runs it with state absent)."""
    if phases is None:
        phases = [("setup", c.MODULES_PLAY), ("rerun", c.MODULES_PLAY), ("check", CHECK_PLAY)]
        if with_info:
            phases.append(("network", NETWORK_PLAY))
            phases += [("rerun_onetask", c.ONETASK_PLAY), ("check_onetask", ONETASK_CHECK_PLAY), ("info", INFO_PLAY)]
        phases.append(("teardown", c.MODULES_TEARDOWN))
    result = {"n": count}
    try:
        for phase, play in phases:
            phase_vars = dict(variables, bench_state="absent") if phase == "teardown" and play == c.ONETASK_PLAY \
                else variables
            if phase == "network":   # the call alone: a play whose variables hold the networks only
                phase_vars = {"bench_networks": variables["bench_networks"]}
            seconds, error, tasks, peak = bench.playbook("targets-%s" % phase, play, phase_vars)
            if phase == "teardown":
                start = time.monotonic()
                result["links_gone"] = bench.wait_for_links()
                result["teardown_wait"] = round(time.monotonic() - start, 3)
            result[phase] = {"seconds": round(seconds, 3), "rss_kib": peak, "error": error,
                             "tasks": [{"task": t["task"], "seconds": t["seconds"], "status": t["status"]}
                                       for t in tasks]}
            c.log("  N=%d %s: %.2f s %s" % (count, phase, seconds, error or ""))
            if error:
                break
            if phase == "setup":
                result["traffic"] = bench.prove_traffic(count, 1)
        else:
            result["leftovers"] = bench.leftovers(bench.state())
    finally:
        bench.reset()
    return result


def module_seconds(phase):
    """The three module tasks' seconds of a phase (Ansible's start-up left out)."""
    return round(sum(t["seconds"] for t in phase["tasks"] if t["task"] != "counted"), 3) if phase else None


def rows(results):
    small, big, spread, mid = results["small"], results["big"], results.get("spread"), results.get("mid")
    n = big["n"]

    def get(run, phase, task=None):
        entry = run.get(phase)
        if not entry or entry.get("error"):
            return None
        return task_seconds(entry["tasks"], task) if task else module_seconds(entry)

    out = [
        ("no-op re-run of N = %d, the three module tasks" % n, "under 3 s", get(big, "rerun"), "s"),
        ("the same re-run in check mode", "under 3 s", get(big, "check"), "s"),
        ("no-op re-run of N = %d in one `network_state` task" % n, "under 3 s", get(big, "rerun_onetask"), "s"),
        ("the same one-task re-run in check mode", "under 3 s", get(big, "check_onetask"), "s"),
        ("`container_network` that changes nothing, %d endpoints attached, in its own play" % n,
         "as fast as with %d" % small["n"], get(big, "network", "container_network"), "s"),
        ("`container_network` that changes nothing, %d endpoints attached, in its own play" % small["n"],
         "(reference)", get(small, "network", "container_network"), "s"),
        ("the same call as the first task of the re-run, whose play holds %d endpoints' variables" % n,
         "(the playbook's variables cost Ansible too)", get(big, "rerun", "container_network"), "s"),
        ("the same with %d endpoints' variables" % small["n"], "(reference)",
         get(small, "rerun", "container_network"), "s"),
        ("`container_network_info` at N = %d" % n, "under 2 s", get(big, "info", "container_network_info"), "s"),
        ("setup per endpoint, N = %d" % small["n"], "(reference)",
         _per_endpoint(get(small, "setup", "netns_endpoint"), small["n"]), "ms"),
        ("setup per endpoint, N = %d" % n, "grows no faster than the lower bound's",
         _per_endpoint(get(big, "setup", "netns_endpoint"), n), "ms"),
        ("module peak RSS at N = %d" % n, "under 100 MB",
         max([big[p]["rss_kib"] for p in PHASES if big.get(p)] or [0])
         / 1024.0, "MiB"),
        ("teardown of N = %d, modules then the kernel's cleanup" % n, "(within 2x the lower bound)",
         _teardown(big), "s"),
    ]
    if mid:
        lower = mid.get("lower") or {}
        out += [
            ("no-op re-run of N = %d in one `network_state` task" % mid["n"], "under 3 s", get(mid, "rerun_onetask"),
             "s"),
            ("the same one-task re-run of N = %d in check mode" % mid["n"], "under 3 s", get(mid, "check_onetask"),
             "s"),
            ("teardown of N = %d in one `network_state` task, then the kernel's cleanup" % mid["n"],
             "within 2x the lower bound", _teardown(mid), "s"),
            ("the lower bound's teardown of N = %d, its whole process (in this run)" % mid["n"], "(reference)",
             lower.get("teardown"), "s"),
            ("the lower bound's no-op re-run of N = %d, its whole process (in this run)" % mid["n"], "(reference)",
             lower.get("rerun"), "s"),
            ("Ansible's own cost of one task: an `ansible.builtin.ping` task in a play with the N = %d variables "
             "(median of three)" % mid["n"], "(reference)", _floor(mid), "s"),
        ]
    if spread:
        out += [
            ("%d endpoints on two networks: setup (three tasks)" % spread["n"], "works",
             get(spread, "setup"), "s"),
            ("%d endpoints on two networks: no-op re-run" % spread["n"], "changed=false",
             get(spread, "rerun"), "s"),
            ("%d endpoints on two networks: teardown" % spread["n"], "nothing left", _teardown(spread), "s"),
        ]
    return out


def _floor(run):
    entry = run.get("floor")
    if not entry or entry.get("error") or not entry["tasks"]:
        return None
    return statistics.median(t["seconds"] for t in entry["tasks"])


def _per_endpoint(seconds, count):
    return None if seconds is None else 1000.0 * seconds / count


def _teardown(run):
    entry = run.get("teardown")
    if not entry or entry.get("error"):
        return None
    return module_seconds(entry) + run.get("teardown_wait", 0.0)


def notes(run):
    out = []
    for phase in ("rerun", "check", "network", "rerun_onetask", "check_onetask"):
        changed = [t["task"] for t in (run.get(phase) or {}).get("tasks", []) if t["status"] == "changed"]
        if changed:
            out.append("N = %d %s reported changed: %s" % (run["n"], phase, ", ".join(changed)))
    for phase in ("setup", "rerun", "check", "network", "rerun_onetask", "check_onetask", "info", "teardown"):
        if (run.get(phase) or {}).get("error"):
            out.append("N = %d %s failed: %s" % (run["n"], phase, run[phase]["error"]))
    traffic = run.get("traffic")
    if traffic:
        out.append("N = %d traffic: %d of %d sampled published ports answered from the LAN"
                   % (run["n"], traffic["ok"], traffic["tried"]))
    left = run.get("leftovers")
    if left is not None:
        out.append("N = %d leftovers after teardown: %d" % (run["n"], left["total"]))
    return out


def write_doc(results, path):
    lines = ["# Performance: the scale targets", "",
             "Generated by `%s` on %s (%s; kernel %s; %d cores; load average at start %s). One run; expect "
             "±30 %% between runs on a shared machine. Side-by-side numbers against the lower bound, CNI and "
             "netavark are in [performance.md](performance.md)." % tuple(
                 results[key] for key in ("command", "date", "os", "kernel", "cores", "load")), "",
             "Each figure is the module tasks' own time from the bench_timer callback (Ansible's start-up of "
             "the `ansible-playbook` process left out), and teardown includes waiting until the kernel has "
             "removed every veth.", "",
             "| what | target | measured |", "|---|---|---:|"]
    for what, target, value, unit in rows(results):
        lines.append("| %s | %s | %s |" % (what, target, "–" if value is None else "%.2f %s" % (value, unit)))
    lines += ["", "## Checks made in the same run", ""]
    for key in ("small", "big", "mid", "spread"):
        if results.get(key):
            lines += ["- " + note for note in notes(results[key])]
    lines.append("")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=1000, help="endpoints of the large run (default 1000)")
    parser.add_argument("--small", type=int, default=10, help="endpoints of the reference run (default 10)")
    parser.add_argument("--mid", type=int, default=500,
                        help="endpoints of the one-task run beside the lower bound (default 500), 0 to skip")
    parser.add_argument("--spread", type=int, default=2000, help="endpoints over two networks, 0 to skip")
    parser.add_argument("--sample", type=int, default=200, help="endpoints probed at most per run")
    parser.add_argument("--doc", default=os.path.join(c.ROOT, "docs", "performance-targets.md"))
    parser.add_argument("--json", default=os.path.join(c.ROOT, ".build", "bench", "targets.json"))
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("run it as root: it creates namespaces inside a sandbox host")
    results = {"command": "tests/benchmarks/targets.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "kernel": platform.release(),
               "os": c._os_name(), "cores": os.cpu_count(),  # pylint: disable=protected-access
               "load": "%.1f" % os.getloadavg()[0]}
    subprocess.run([os.path.join(c.ROOT, "scripts", "bootstrap.sh")], check=True, stdout=subprocess.DEVNULL)
    bench = c.Bench(args.sample)
    try:
        results["small"] = measure(bench, args.small, c.collection_vars(args.small, 1, False))
        results["big"] = measure(bench, args.n, c.collection_vars(args.n, 1, False))
        if args.mid:
            results["mid"] = measure(bench, args.mid, c.collection_vars(args.mid, 1, False), phases=ONETASK_PHASES)
            results["mid"]["lower"] = c.run_tool(bench, "lower", args.mid, 1)
        if args.spread:
            results["spread"] = measure(bench, args.spread, spread_vars(args.spread), with_info=False)
    finally:
        bench.close()
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)
    write_doc(results, args.doc)
    c.log("wrote %s (raw results in %s)" % (args.doc, args.json))
    failed = [note for key in ("small", "big", "mid", "spread") if results.get(key) for note in notes(results[key])
              if " failed: " in note]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
