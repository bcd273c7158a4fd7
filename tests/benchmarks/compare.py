# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Side-by-side benchmark (issue 8): the same workload built by this collection and by the tools users pick.

    .venv/bin/python tests/benchmarks/compare.py --n 10,100,500 --repeat 3

In one sandbox host and one run, for each N and repetition, every tool builds the workload of workload.py
(one bridge, N namespaces each with a veth, an address, a default route and one published TCP port), re-runs
it where it has a no-op re-run, and tears it down:

  modules   this collection: container_network, netns_endpoint and port_publish in batch form, three tasks of
            one ansible-playbook (the whole process is timed, and each task by the bench_timer callback)
  onetask   this collection: the same workload in one linuxnet.containers.network_state task (its lists as the three
            batch modules' items; teardown is the same task with state absent)
  role      this collection through the role linuxnet.containers.container_networking (its defaults, except
            that the packages, already there, are not installed: /usr is read-only in a sandbox)
  lower     the lower bound: one Python process with pyroute2 and one `nft -f` (lower_bound.py)
  naive     one ip(8) or nft(8) command per step (naive.sh)
  cni       Debian's containernetworking-plugins, bridge + host-local + portmap + loopback (cni_runtime.py)
  netavark  Debian's netavark 1.4 (netavark_runtime.py)

Between setup and re-run a client namespace proves traffic to the published ports (all of them, or an even
sample of --sample endpoints at large N); after teardown the host's leftovers are counted against the state
before the tool ran, and the host is then wiped back to that state for the next tool. --publish-case adds
500 endpoints x 10 ports (5,000 publishes) for the collection's modules, its one task and the lower bound.
Writes docs/performance.md and docs/performance.png (and the raw results as JSON). It measures; it asserts
nothing about time.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from harness import ROOT, SYSTEM_PYTHON, VENV_BIN, VENV_PYTHON, Sandbox  # noqa: E402  pylint: disable=wrong-import-position
import workload as w  # noqa: E402  pylint: disable=wrong-import-position

TOOLS = ["modules", "onetask", "role", "lower", "naive", "cni", "netavark", "floor"]
LABELS = {
    "modules": "this collection, three batch module tasks in one playbook",
    "onetask": "this collection, one network_state task",
    "role": "this collection, through the role",
    "lower": "lower bound: one Python process (pyroute2) + one nft transaction",
    "naive": "naive ip/nft command per step",
    "cni": "CNI reference plugins 1.1.1 (bridge, host-local, portmap, loopback)",
    "netavark": "netavark 1.4",
    "floor": "Ansible's floor: the same playbook with three ansible.builtin.ping tasks (no work)",
}
SHORT = {"modules": "collection (modules)", "onetask": "collection (one task)", "role": "collection (role)",
         "lower": "lower bound",
         "naive": "naive ip/nft", "cni": "CNI plugins", "netavark": "netavark", "floor": "Ansible floor"}
PACKAGES = {"cni": ("containernetworking-plugins", "/usr/lib/cni/bridge"),
            "netavark": ("netavark", "/usr/lib/podman/netavark")}
CALLBACKS = os.pathsep.join([os.path.join(HERE, "callback_plugins"),
                             os.path.join(ROOT, "tests", "integration", "callback_plugins")])
STATE_DIRS = ["/etc/netns", "/run/linuxnet-containers", "/run/cni-bench", "/var/lib/cni", "/run/netavark-bench"]
ENDPOINT_RULE = re.compile(r"172\.20\.\d+\.\d+(?!/)|dport 2\d{4}\b|bench\d{10}|id: [0-9a-f]{64}")

STATE_SCRIPT = r"""
import json, os, subprocess
def run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout
    except FileNotFoundError:
        return ""
links = {l["ifname"]: (l.get("linkinfo") or {}).get("info_kind") for l in json.loads(run(["ip", "-j", "-d", "link"]) or "[]")}
ruleset = json.loads(run(["nft", "-j", "list", "ruleset"]) or '{"nftables": []}')["nftables"]
tables = ["%s %s" % (i["table"]["family"], i["table"]["name"]) for i in ruleset if "table" in i]
rules = [i["rule"] for i in ruleset if "rule" in i]
files = []
for top in DIRS:
    for folder, _, names in os.walk(top):
        for n in names:
            path = os.path.join(folder, n)
            if n == "lock":
                continue
            if path.startswith("/run/linuxnet-containers/") and n.endswith(".json"):
                try:
                    data = json.load(open(path))
                    if isinstance(data, dict) and not any(v for v in data.values() if isinstance(v, (dict, list))):
                        continue  # the collection's state store with nothing in it
                except ValueError:
                    pass
            files.append(path)
print(json.dumps({"links": links, "netns": sorted(os.listdir("/run/netns")), "tables": tables,
                  "rules": len(rules), "text": run(["nft", "list", "ruleset"]), "files": files}))
""".replace("DIRS", repr(STATE_DIRS))


def log(message):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def ensure_package(tool):
    """Installs the Debian package of a peer when missing (on this machine, outside the sandbox: /usr is
    read-only in there); returns None when it is usable, else why not."""
    package, binary = PACKAGES[tool]
    if os.path.exists(binary):
        return None
    log("installing %s with apt-get" % package)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                 ["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]):
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if argv[1] == "install" and proc.returncode == 0 and os.path.exists(binary):
            return None
    return "%s did not install: %s" % (package, (proc.stderr or proc.stdout).strip()[-300:])


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        log("installing tests/benchmarks/requirements.txt into .venv")
        subprocess.run([os.path.join(VENV_BIN, "pip"), "install", "-q", "--disable-pip-version-check", "-r",
                        os.path.join(HERE, "requirements.txt")], check=True)


class Bench:
    """One sandbox host for the whole run; each tool's run starts from and returns to its baseline state."""

    def __init__(self, sample):
        self.sandbox = Sandbox()
        self.sample = sample
        self.work = self.sandbox.workdir()
        self.python_wrapper = os.path.join(self.work, "python-rss")
        with open(self.python_wrapper, "w", encoding="utf-8") as handle:
            # The module processes' peak RSS: each runs under time(1), which appends "KiB ARGV" to $BENCH_RSS.
            handle.write('#!/bin/sh\nexec /usr/bin/time -a -o "$BENCH_RSS" -f "%%M %%C" %s "$@"\n' % VENV_PYTHON)
        os.chmod(self.python_wrapper, 0o755)
        self.baseline = self.state()

    def close(self):
        self.sandbox.close()

    # state --------------------------------------------------------------------------------
    def state(self):
        return json.loads(self.sandbox.run([SYSTEM_PYTHON, "-c", STATE_SCRIPT]).stdout)

    def leftovers(self, state):
        base = self.baseline
        links = {name: kind for name, kind in state["links"].items() if name not in base["links"]}
        netns = [name for name in state["netns"] if name not in base["netns"]]
        tables = [name for name in state["tables"] if name not in base["tables"]]
        rules = state["rules"] - base["rules"]
        per_endpoint = (len(netns) + sum(1 for kind in links.values() if kind != "bridge")
                        + sum(1 for line in state["text"].splitlines() if ENDPOINT_RULE.search(line))
                        + sum(1 for path in state["files"] if "/netns/" in path or "/results/" in path))
        counts = {"links": len(links), "netns": len(netns), "nft_tables": len(tables), "nft_rules": rules,
                  "files": len(state["files"])}
        counts["total"] = sum(counts.values())
        counts["per_endpoint"] = per_endpoint
        counts["what"] = sorted(links)[:5] + netns[:5] + tables[:5] + state["files"][:5]
        return counts

    def wait_for_links(self, timeout=60.0):
        """Waits until the kernel's namespace cleanup has removed every veth of the workload."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.sandbox.run(["ip", "-o", "link", "show", "type", "veth"]).stdout
            if sum(1 for line in out.splitlines() if line.split(": ")[1].split("@")[0] not in self.baseline["links"]) == 0:
                return True
            time.sleep(0.05)
        return False

    def reset(self):
        """Back to the baseline: namespaces, links, ruleset, state files and sysctls of every tool."""
        state = self.state()
        script = ["set +e"]
        script += ["ip netns del %s" % name for name in state["netns"] if name not in self.baseline["netns"]]
        script += ["ip link del %s 2>/dev/null" % name for name, kind in state["links"].items()
                   if name not in self.baseline["links"] and kind == "bridge"]
        script += ["nft flush ruleset", "rm -rf %s" % " ".join(STATE_DIRS), "mkdir -p /etc/netns",
                   "sysctl -qw net.ipv4.ip_forward=0"]
        self.sandbox.run(["sh", "-c", "\n".join(script)], check=False, timeout=600)
        self.wait_for_links()
        for name, kind in self.state()["links"].items():
            if name not in self.baseline["links"]:
                self.sandbox.run(["ip", "link", "del", name], check=False)
        self.wait_for_links()

    # traffic ------------------------------------------------------------------------------
    def prove_traffic(self, count, ports):
        indexes = w.sample(count, self.sample)
        server = subprocess.Popen(self.sandbox.argv([VENV_PYTHON, os.path.join(HERE, "echo_all.py"), ports]
                                                    + [w.name(i) for i in indexes]),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready = server.stdout.readline().split()
            if ready[:1] != ["ready"]:
                server.wait(timeout=10)
                return {"tried": len(indexes) * ports, "ok": 0, "failures": [server.stderr.read()[-500:]]}
            probe = self.sandbox.run([VENV_PYTHON, os.path.join(HERE, "probe_all.py"), w.HOST_ADDRESS, ports]
                                     + indexes, netns=w.CLIENT_NETNS, timeout=600, check=False)
            result = json.loads(probe.stdout) if probe.returncode == 0 else {
                "tried": len(indexes) * ports, "ok": 0, "failures": [probe.stderr[-500:]]}
        finally:
            if server.poll() is None and len(ready) > 1:
                self.sandbox.run(["kill", ready[1]], check=False)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        return result

    # running a step -----------------------------------------------------------------------
    def timed(self, argv, timeout=3600, env=None):
        """(seconds, proc) of argv inside the sandbox host."""
        start = time.monotonic()
        proc = subprocess.run(self.sandbox.argv(argv), capture_output=True, text=True, timeout=timeout,
                              env=env, check=False)
        return time.monotonic() - start, proc

    def playbook(self, name, play, variables):
        """Runs a playbook in the sandbox; (seconds, error or None, per-task seconds, module peak RSS KiB)."""
        folder = tempfile.mkdtemp(prefix=name + "-", dir=self.work)
        play_path, vars_path = os.path.join(folder, "play.yml"), os.path.join(folder, "vars.json")
        times, rss = os.path.join(folder, "times.jsonl"), os.path.join(folder, "rss.txt")
        with open(play_path, "w", encoding="utf-8") as handle:
            handle.write(play)
        with open(vars_path, "w", encoding="utf-8") as handle:
            json.dump(variables, handle)
        env = self.sandbox.ansible_env()
        env.update(ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="bench_timer", BENCH_TIMES=times,
                   BENCH_RSS=rss, ANSIBLE_PYTHON_INTERPRETER=self.python_wrapper)
        seconds, proc = self.timed([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                                    "-e", "ansible_python_interpreter=" + self.python_wrapper,
                                    "-e", "@" + vars_path, play_path], env=env)
        tasks = []
        if os.path.exists(times):
            with open(times, encoding="utf-8") as handle:
                tasks = [json.loads(line) for line in handle]
        peak = 0
        if os.path.exists(rss):
            with open(rss, encoding="utf-8") as handle:
                peak = max([int(line.split()[0]) for line in handle if line.split()[:1] and line.split()[0].isdigit()]
                           or [0])
        error = None
        if proc.returncode != 0:
            failed = [t for t in tasks if t["status"] in ("failed", "unreachable")]
            error = "rc=%d %s" % (proc.returncode, (failed[0]["task"] + ": " + failed[0]["msg"]) if failed
                                  else proc.stdout[-400:] + proc.stderr[-400:])
        return seconds, error, tasks, peak


# the tools ----------------------------------------------------------------------------------
MODULES_PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: container_network
      linuxnet.containers.container_network:
        networks: "{{ bench_networks }}"
    - name: netns_endpoint
      linuxnet.containers.netns_endpoint:
        endpoints: "{{ bench_endpoints }}"
    - name: port_publish
      linuxnet.containers.port_publish:
        endpoints: "{{ bench_ports }}"
"""
MODULES_TEARDOWN = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: port_publish
      linuxnet.containers.port_publish:
        endpoints: "{{ bench_ports | map('combine', {'state': 'absent'}) }}"
    - name: netns_endpoint
      linuxnet.containers.netns_endpoint:
        endpoints: "{{ bench_endpoints | map('combine', {'state': 'absent'}) }}"
    - name: container_network
      linuxnet.containers.container_network:
        networks: "{{ bench_networks | map('combine', {'state': 'absent'}) }}"
"""
ONETASK_PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: network_state
      linuxnet.containers.network_state:
        state: "{{ bench_state | default('present') }}"
        networks: "{{ bench_networks }}"
        endpoints: "{{ bench_endpoints }}"
        published_ports: "{{ bench_ports }}"
"""
FLOOR_PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: ping 1
      ansible.builtin.ping:
    - name: ping 2
      ansible.builtin.ping:
    - name: ping 3
      ansible.builtin.ping:
"""
ROLE_PLAY = """- hosts: localhost
  gather_facts: false
  roles:
    - role: linuxnet.containers.container_networking
"""


def collection_vars(count, ports, role):
    networks = [{"name": w.NETWORK, "subnet": w.SUBNET, "gateway": w.GATEWAY}]
    endpoints = [{"name": w.name(i), "network": w.NETWORK} for i in range(count)]
    published = [{"endpoint": w.name(i), "ports": ["%d:%d" % (w.host_port(i, j, ports), w.container_port(j))
                                                   for j in range(ports)]} for i in range(count)]
    if role:
        return {"container_networking_networks": networks, "container_networking_endpoints": endpoints,
                "container_networking_published_ports": published,
                "container_networking_install_prerequisites": False}
    return {"bench_networks": networks, "bench_endpoints": endpoints, "bench_ports": published}


def run_collection(bench, tool, count, ports):
    role = tool == "role"
    variables = collection_vars(count, ports, role)
    result = {"tasks": {}, "rss_kib": 0}
    if role:
        steps = [("setup", ROLE_PLAY, variables), ("rerun", ROLE_PLAY, variables),
                 ("teardown", ROLE_PLAY, dict(variables, container_networking_state="absent"))]
    elif tool == "onetask":
        steps = [("setup", ONETASK_PLAY, variables), ("rerun", ONETASK_PLAY, variables),
                 ("teardown", ONETASK_PLAY, dict(variables, bench_state="absent"))]
    else:
        steps = [("setup", MODULES_PLAY, variables), ("rerun", MODULES_PLAY, variables),
                 ("teardown", MODULES_TEARDOWN, variables)]
    for phase, play, phase_vars in steps:
        seconds, error, tasks, peak = bench.playbook("%s-%s" % (tool, phase), play, phase_vars)
        if phase == "teardown":
            start = time.monotonic()
            bench.wait_for_links()
            seconds += time.monotonic() - start
        result[phase] = round(seconds, 3)
        result["tasks"][phase] = [{"task": t["task"], "seconds": t["seconds"], "status": t["status"]} for t in tasks]
        result["rss_kib"] = max(result["rss_kib"], peak)
        if phase == "rerun":
            changed = [t["task"] for t in tasks if t["status"] == "changed"]
            result["rerun_changed"] = changed
        if error:
            result["error"] = "%s: %s" % (phase, error)
            return result
        if phase == "setup":
            result["traffic"] = bench.prove_traffic(count, ports)
    return result


def run_script(bench, tool, count, ports):
    """lower, naive, cni, netavark: one process (or shell script) per phase."""
    commands = {
        "lower": ([VENV_PYTHON, os.path.join(HERE, "lower_bound.py")], ["setup", "rerun", "teardown"]),
        "naive": ([os.path.join(HERE, "naive.sh")], ["setup", "teardown"]),
        "cni": ([VENV_PYTHON, os.path.join(HERE, "cni_runtime.py")], ["setup", "check", "teardown"]),
        "netavark": ([VENV_PYTHON, os.path.join(HERE, "netavark_runtime.py")], ["setup", "teardown"]),
    }
    argv, phases = commands[tool]
    result = {"rss_kib": 0}
    for phase in phases:
        key = "rerun" if phase == "check" else phase
        wrapped = ["/usr/bin/time", "-f", "RSS %M"] + argv + [phase, count, ports]
        seconds, proc = bench.timed(wrapped)
        if phase == "teardown":
            start = time.monotonic()
            bench.wait_for_links()
            seconds += time.monotonic() - start
        result[key] = round(seconds, 3)
        own = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("RSS ")]
        children = [json.loads(line).get("peak_rss_kib", 0) for line in proc.stdout.splitlines()
                    if line.startswith("{")]
        # For the runtimes (cni, netavark) the interesting process is the plugin, not the driver.
        result["rss_kib"] = max([result["rss_kib"]] + (children if tool in ("cni", "netavark") else own))
        if proc.returncode != 0:
            tail = [line for line in proc.stderr.splitlines() if not line.startswith("RSS ")]
            result["error"] = "%s: rc=%d %s" % (phase, proc.returncode, " ".join(tail[-3:])[-600:])
            if tool == "cni" and phase == "check" and "ipv6 dnat" in proc.stderr:
                # portmap 1.1.1 CHECK fails on an IPv4-only container: it looks for its IPv6 DNAT chain.
                result["rerun_note"] = "portmap CHECK fails on IPv4-only containers (looks for its IPv6 chain)"
                result.pop("error")
                result["rerun"] = None
                continue
            return result
        if phase == "setup":
            result["traffic"] = bench.prove_traffic(count, ports)
    return result


def run_tool(bench, tool, count, ports):
    log("%s: N=%d x %d port(s)" % (tool, count, ports))
    try:
        if tool == "floor":
            seconds, error, tasks, peak = bench.playbook("floor", FLOOR_PLAY, collection_vars(count, ports, False))
            result = {"setup": round(seconds, 3), "rss_kib": peak, "traffic": {"tried": 0, "ok": 0, "failures": []},
                      "tasks": {"setup": [{"task": t["task"], "seconds": t["seconds"], "status": t["status"]}
                                          for t in tasks]}}
            if error:
                result["error"] = error
        elif tool in ("modules", "onetask", "role"):
            result = run_collection(bench, tool, count, ports)
        else:
            result = run_script(bench, tool, count, ports)
        if "error" not in result:
            result["leftovers"] = bench.leftovers(bench.state())
    except subprocess.TimeoutExpired as exc:
        result = {"error": "timed out: %s" % exc}
    finally:
        bench.reset()
    result.update(tool=tool, n=count, ports=ports)
    log("  %s" % {k: v for k, v in result.items() if k in ("setup", "rerun", "teardown", "error", "traffic")})
    if result.get("leftovers"):
        log("  leftovers %s" % result["leftovers"])
    return result


# the report ---------------------------------------------------------------------------------
def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    """{(tool, n, ports): medians and the worst traffic/leftovers over the repetitions}."""
    groups = {}
    for run in runs:
        groups.setdefault((run["tool"], run["n"], run["ports"]), []).append(run)
    summary = {}
    for key, group in groups.items():
        good = [r for r in group if "error" not in r]
        item = {"reps": len(group), "ok_reps": len(good), "errors": [r["error"] for r in group if "error" in r],
                "notes": sorted({r["rerun_note"] for r in group if r.get("rerun_note")})}
        for field in ("setup", "rerun", "teardown"):
            item[field] = median([r.get(field) for r in good])
        item["rss_mib"] = max([r.get("rss_kib", 0) for r in good] or [0]) / 1024
        traffic = [r.get("traffic", {}) for r in good]
        item["traffic_ok"] = sum(t.get("ok", 0) for t in traffic)
        item["traffic_tried"] = sum(t.get("tried", 0) for t in traffic)
        lefts = [r["leftovers"] for r in good if "leftovers" in r]
        item["leftovers"] = max(lefts, key=lambda left: left["total"]) if lefts else None
        tasks = {}
        for run in good:
            for phase, entries in run.get("tasks", {}).items():
                for entry in entries:
                    tasks.setdefault((phase, entry["task"]), []).append(entry["seconds"])
        item["tasks"] = {"%s|%s" % key: median(value) for key, value in tasks.items()}
        summary[key] = item
    return summary


def fmt(value, digits=2):
    return "–" if value is None else ("%.*f" % (digits, value))


def leftover_cell(left):
    if not left:
        return "–"
    if left["total"] == 0:
        return "0"
    parts = ["%d %s" % (left[k], k.replace("nft_", "nft ")) for k in ("links", "netns", "nft_tables", "nft_rules", "files")
             if left[k]]
    return "%d (%s; %d per endpoint)" % (left["total"], ", ".join(parts), left["per_endpoint"])


def table(summary, count, ports, tools):
    lower = summary.get(("lower", count, ports), {}).get("setup")
    lines = ["| tool | setup s | no-op re-run s | teardown s | setup ms per endpoint | setup × lower bound "
             "| peak RSS MiB | traffic ok | leftovers after teardown |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for tool in tools:
        item = summary.get((tool, count, ports))
        if not item:
            continue
        if not item["ok_reps"]:
            lines.append("| %s | failed: %s | | | | | | | |" % (LABELS[tool], item["errors"][0][:200].replace("|", "/")))
            continue
        setup = item["setup"]
        if tool == "floor":
            lines.append("| %s | %s | – | – | – | – | %s | – | – |" % (
                LABELS[tool], fmt(setup), fmt(item["rss_mib"], 0) if item["rss_mib"] else "–"))
            continue
        ratio = "%.1f" % (setup / lower) if lower and setup else "–"
        rerun = fmt(item["rerun"]) if item["rerun"] is not None else ("– (%s)" % item["notes"][0] if item["notes"]
                                                                      else "–")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %d/%d | %s |" % (
            LABELS[tool], fmt(setup), rerun, fmt(item["teardown"]), fmt(setup * 1000 / count, 1), ratio,
            fmt(item["rss_mib"], 0) if item["rss_mib"] else "–", item["traffic_ok"], item["traffic_tried"],
            leftover_cell(item["leftovers"])))
    return "\n".join(lines)


def task_table(summary, count, ports, tool):
    item = summary.get((tool, count, ports))
    if not item or not item["tasks"]:
        return ""
    lines = ["| phase | task | s |", "|---|---|---:|"]
    for phase in ("setup", "rerun", "teardown"):
        for key, seconds in item["tasks"].items():
            if key.startswith(phase + "|") and seconds is not None and seconds >= 0.005:
                name = key.split("|", 1)[1].replace("linuxnet.containers.container_networking : ", "")
                lines.append("| %s | %s | %.2f |" % (phase, name[:90], seconds))
        lines.append("| %s | **whole ansible-playbook process** | **%s** |" % (phase, fmt(item[phase])))
    return "\n".join(lines)


def plot(summary, tools, path):
    ensure_matplotlib()
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    fig, axis = plt.subplots(figsize=(8, 5))
    for tool in tools:
        points = sorted((n, item["setup"]) for (t, n, p), item in summary.items()
                        if t == tool and p == 1 and item["setup"])
        if points:
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=SHORT[tool],
                      linestyle="--" if tool == "floor" else "-")
    axis.set_xscale("log")
    axis.set_yscale("log")
    sizes = sorted({n for (_tool, n, p) in summary if p == 1})
    axis.set_xticks(sizes)
    axis.set_xticklabels([str(n) for n in sizes])
    axis.minorticks_off()
    axis.set_xlabel("endpoints N (each: namespace, veth, address, default route, one published TCP port)")
    axis.set_ylabel("setup seconds (median)")
    axis.set_title("Setting up N endpoints on one bridge, 2 shared cores")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_doc(results, args, path, png, json_path):
    summary = summarize(results["runs"])
    tools = [t for t in TOOLS if any(k[0] == t for k in summary)]
    sizes = sorted({n for (_tool, n, p) in summary if p == 1})
    largest = sizes[-1] if sizes else None
    lines = ["# Performance: this collection beside the tools users would pick instead", "",
             "Generated by `%s` on %s (%s; kernel %s; %s cores; load average at start %s). "
             "Numbers are medians of %d repetition(s) per N." % (
                 results["command"], results["date"], results["os"], results["kernel"], results["cores"],
                 results["load"], args.repeat), "",
             "**These numbers are noisy.** The machine has 2 cores shared with other developers running their "
             "own tests and benchmarks at the same time; expect ±30 % or more between runs. The ratios between "
             "tools measured in the same run are what counts, not the absolute seconds.", "",
             "![setup seconds against N, log scale](%s)" % os.path.basename(png), "",
             "The issue's other targets (no-op and check-mode re-runs, a call that changes nothing beside 1,000 "
             "endpoints, facts at N = 1,000, memory, 2,000 endpoints on two networks) are measured by "
             "`tests/benchmarks/targets.py` into [performance-targets.md](performance-targets.md).", ""]
    if largest:
        def get(tool, field="setup"):
            return (summary.get((tool, largest, 1)) or {}).get(field)
        ratios = []
        for tool in ("modules", "role"):
            if get(tool) and get("lower"):
                ratios.append("%s sets up N = %d in %.1f× the lower bound's time" % (
                    SHORT[tool], largest, get(tool) / get("lower")))
            for peer in ("cni", "netavark"):
                if get(tool) and get(peer):
                    ratios.append("%s in %.2f× the time of %s" % (SHORT[tool], get(tool) / get(peer), SHORT[peer]))
        if ratios:
            lines += ["In this run: " + "; ".join(ratios) + ".", ""]
    lines += [METHOD, ""]
    for count in sorted(sizes, reverse=True):
        lines += ["## N = %d" % count, "", table(summary, count, 1, tools), ""]
    if any(p == 10 for (_tool, _n, p) in summary):
        big = sorted({n for (_tool, n, p) in summary if p == 10})
        for count in big:
            lines += ["## %d endpoints × 10 published ports (%d publishes)" % (count, count * 10), "",
                      table(summary, count, 10, ["modules", "lower"]), ""]
            nat = results.get("nat_rules", {}).get(str(count))
            if nat:
                lines += ["Rules in the collection's `nat` chains with %d publishes: %s (the publishes live in "
                          "maps, so the chains do not grow with them)." % (count * 10, nat), ""]
    if largest:
        for tool in ("modules", "role"):
            breakdown = task_table(summary, largest, 1, tool)
            if breakdown:
                lines += ["## Where the time goes: %s, N = %d (median seconds per task)" % (SHORT[tool], largest), "",
                          breakdown, ""]
        floor = summary.get(("floor", largest, 1))
        if floor and floor["ok_reps"]:
            pings = [v for k, v in floor["tasks"].items() if k.startswith("setup|ping")]
            lines += ["Ansible's floor (`--tools floor`: a playbook of three `ansible.builtin.ping` tasks, same "
                      "interpreter wrapper and variables): the whole process %s s, one task %s s (median). "
                      "A module task costs at least that much before it does any work." % (
                          fmt(floor["setup"]), fmt(median(pings))), ""]
    errors = [(k, e) for k, item in summary.items() for e in item["errors"]]
    skipped = results.get("skipped", {})
    if errors or skipped:
        lines += ["## What did not run", ""]
        lines += ["- %s: %s" % (LABELS[tool], why) for tool, why in skipped.items()]
        lines += ["- %s at N = %d × %d: %s" % (LABELS[k[0]], k[1], k[2], e[:400]) for k, e in errors]
        lines.append("")
    lines += ["Raw results: [`%s`](%s)." % ((os.path.basename(json_path),) * 2), ""]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    plot(summary, tools, png)


METHOD = """## Method

One command, `tests/benchmarks/compare.py`, starts one sandbox host (`scripts/sandbox.py`: private network,
mount and PID namespaces with a tmpfs `/run` and overlays on `/etc` and `/var`, so nothing touches the
machine's own network) and, for every N and repetition, lets each tool in turn build the same workload
(`tests/benchmarks/workload.py`): one bridge with gateway 172.20.0.1 on 172.20.0.0/16; N namespaces
`/run/netns/ep0 ...` each with a veth whose inside end is `eth0` at 172.20.0.2, 172.20.0.3, ..., a default
route via the gateway, and one published TCP port, host port 20000 + i to container port 80. The addresses
are the same for every tool. Each tool then does a no-op re-run where it has one and tears everything down.
Only the tool's own processes are timed, by wall clock from the benchmark:

- **this collection, modules**: one `ansible-playbook` (local connection, inside the sandbox) with three batch
  tasks, `container_network` (`networks:`), `netns_endpoint` (`endpoints:`) and `port_publish` (`endpoints:`);
  the re-run is the same playbook again; teardown is a playbook with the same three lists in `state: absent`
  (reverse order). The whole `ansible-playbook` process is timed, and each task by a callback
  (`tests/benchmarks/callback_plugins/bench_timer.py`); the difference is Ansible's start-up and templating.
- **this collection, role**: `linuxnet.containers.container_networking` with the same lists in its
  variables and its defaults (including its gateway reachability check), except
  `container_networking_install_prerequisites: false` (the packages are installed; `/usr` is read-only in the
  sandbox); teardown with `container_networking_state: absent`.
- **lower bound** (`lower_bound.py`): one Python process with pyroute2 that reads the host once, creates each
  namespace in-process (unshare and bind mount, no fork), keeps one netlink socket per namespace, creates
  each veth in one request with its peer already in the namespace, named and with its MAC, the host end a
  bridge port and up, then sets the address and default route; one `nft -f` transaction loads a DNAT map
  with every publish. Its re-run reads everything back and changes nothing; its teardown deletes the table,
  unmounts the namespaces and lets the kernel's batched namespace cleanup remove the veths.
- **naive** (`naive.sh`): the same steps as a shell user types them, one `ip` or `nft` command each (seven
  `ip` and two `nft` commands per endpoint); no re-run; teardown deletes the table, each veth and namespace.
- **CNI reference plugins** (Debian `containernetworking-plugins` 1.1.1, installed by the benchmark with
  apt-get when missing; `cni_runtime.py`): driven as a runtime does, per container one after another: the
  namespace is created in-process, then `loopback` (CNI_IFNAME=lo) and the conflist `bridge` (calling
  `host-local`) and `portmap` with CNI_COMMAND=ADD, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH in the
  environment and the config on stdin, each plugin getting the previous result as `prevResult` and
  `portMappings`/`ips` in `runtimeConfig`; the re-run is CNI_COMMAND=CHECK with the cached result; teardown
  is DEL in reverse order and removes the namespace.
- **netavark** (Debian `netavark` 1.4, installed the same way; `netavark_runtime.py`): per container
  `netavark setup /run/netns/NAME` with the network options JSON on stdin (network definition, the static
  address podman's IPAM would pass, the port mapping); teardown `netavark teardown`. It has no re-run.

After setup (untimed) one process opens a TCP listener on port 80 inside every namespace and a client in
the sandbox's LAN namespace (198.51.100.2) connects to every published port on the host's address
198.51.100.1, or at large N to the ports of an even sample of endpoints (the kernel's neighbour table, 1024
entries host-wide, cannot hold two entries per endpoint beyond about 500); each reply must name the right
namespace ("traffic ok"); a port that does not answer within 3 s is tried once more after the others (runs
recorded without a `retried` count in the JSON predate that and count a first timeout as a failure).
Teardown time includes waiting until the kernel has removed every veth, so the
next tool sees a clean host. Leftovers are counted after teardown against the state before the tool ran:
links, named namespaces, nftables tables and rules (iptables-nft rules included) and state files
(`/etc/netns`, `/run/linuxnet-containers`, host-local's and the runtimes' directories); "per endpoint"
counts those that belong to one endpoint (its namespace, veth, a rule naming its address, port or id),
the rest are shared skeletons a tool keeps by design (a bridge, empty chains and their jumps). The host is
then wiped back to that state. Peak RSS is the largest resident set of one module process (time(1) wraps the
modules' interpreter), of the lower-bound or naive process tree, and of one CNI plugin or netavark process.
"""


def parse_sizes(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", default="10,100,500", help="comma-separated endpoint counts (10,100,500,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per N; the report shows medians")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    parser.add_argument("--publish-case", default="500x10",
                        help="ENDPOINTSxPORTS for modules, onetask and lower bound, or 'none'")
    parser.add_argument("--sample", type=int, default=200, help="endpoints probed at most per run")
    parser.add_argument("--json", help="where to write the raw results (default docs/performance.json)")
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "performance.md"))
    parser.add_argument("--plot", default=os.path.join(ROOT, "docs", "performance.png"))
    parser.add_argument("--no-doc", action="store_true", help="only the JSON results, no Markdown or plot")
    parser.add_argument("--from-json", help="comma-separated result files of earlier runs: merge them and only "
                                            "write the Markdown and the plot")
    args = parser.parse_args(argv)
    if args.from_json:
        return render(args)
    if os.geteuid() != 0:
        parser.error("run it as root: it creates namespaces inside a sandbox host")
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error("unknown tools: %s" % ", ".join(sorted(unknown)))
    results = {"command": "tests/benchmarks/compare.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "kernel": platform.release(),
               "os": _os_name(), "cores": os.cpu_count(), "load": "%.1f" % os.getloadavg()[0],
               "runs": [], "skipped": {}, "nat_rules": {}}
    for tool in [t for t in tools if t in PACKAGES]:
        why = ensure_package(tool)
        if why:
            results["skipped"][tool] = why
            log("skipping %s: %s" % (tool, why))
    tools = [t for t in tools if t not in results["skipped"]]
    json_path = args.json or os.path.join(os.path.dirname(os.path.abspath(args.doc)), "performance.json")
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    subprocess.run([os.path.join(ROOT, "scripts", "bootstrap.sh")], check=True, stdout=subprocess.DEVNULL)
    bench = Bench(args.sample)
    try:
        cases = [(n, 1) for n in parse_sizes(args.n)]
        if args.publish_case != "none":
            count, ports = (int(x) for x in args.publish_case.split("x"))
            cases.append((count, ports))
        for rep in range(args.repeat):
            for count, ports in cases:
                for tool in tools:
                    if ports > 1 and tool not in ("modules", "onetask", "lower"):
                        continue
                    run = run_tool(bench, tool, count, ports)
                    run["rep"] = rep
                    results["runs"].append(run)
                    if tool == "modules" and ports > 1 and rep == 0:
                        results["nat_rules"][str(count)] = measure_nat_rules(bench, count, ports)
                    with open(json_path, "w", encoding="utf-8") as handle:
                        json.dump(results, handle, indent=1)
    finally:
        bench.close()
    if not args.no_doc:
        write_doc(results, args, args.doc, args.plot, json_path)
        log("wrote %s and %s" % (args.doc, args.plot))
    log("raw results in %s" % json_path)
    return 0 if all("error" not in r for r in results["runs"]) else 1


def render(args):
    merged = None
    for path in args.from_json.split(","):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if merged is None:
            merged = data
        else:
            merged["runs"] += data["runs"]
            merged["skipped"].update(data["skipped"])
            merged["nat_rules"].update(data["nat_rules"])
            merged["command"] += "` and `" + data["command"]
    args.repeat = max(sum(1 for r in merged["runs"] if (r["tool"], r["n"], r["ports"]) == key)
                      for key in {(r["tool"], r["n"], r["ports"]) for r in merged["runs"]})
    json_path = args.json or os.path.join(os.path.dirname(os.path.abspath(args.doc)), "performance.json")
    if os.path.abspath(json_path) not in [os.path.abspath(p) for p in args.from_json.split(",")]:
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump(merged, handle, indent=1)
    write_doc(merged, args, args.doc, args.plot, json_path)
    log("wrote %s and %s from %s" % (args.doc, args.plot, args.from_json))
    return 0


def measure_nat_rules(bench, count, ports):
    """Rules in the collection's nat chains with count x ports publishes (set up once more, then wiped)."""
    variables = collection_vars(count, ports, False)
    error = bench.playbook("nat-rules", MODULES_PLAY, variables)[1]
    try:
        if error:
            return None
        text = bench.sandbox.run(["nft", "list", "table", "inet", "linuxnet_containers"]).stdout
        rules, chain = 0, None
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("chain "):
                chain = line.split()[1]
            elif chain and chain.startswith("nat_") and line and not line.startswith(("type ", "}")):
                rules += 1
        return rules
    finally:
        bench.reset()


def _os_name():
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            return dict(line.strip().split("=", 1) for line in handle if "=" in line)["PRETTY_NAME"].strip('"')
    except (OSError, KeyError):
        return platform.system()


if __name__ == "__main__":
    sys.exit(main())
