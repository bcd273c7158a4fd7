# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where one task's time goes: Ansible's floor, loading our code, and the module's own work.

    .venv/bin/python tests/benchmarks/anatomy.py --n 10,500 [--repeat 3] [--doc docs/performance-anatomy.md]

In one sandbox host, for each N: builds the workload of workload.py with the three batch modules, then re-runs
that playbook and the one-task network_state playbook (no-ops) with ANSIBLE_KEEP_REMOTE_FILES and a wrapper
around the controller's AST scan of module code (ansible.executor.module_common._compile_module_ast), and runs the
floor playbook (three ansible.builtin.ping tasks). For each module task it reports:

  task      the task's seconds, from the bench_timer callback (median of --repeat re-runs);
  floor     the median ping task: what any module pays (forking a worker, building and running a payload);
  scan      the controller's AST scan of this collection's files bundled into the payload (and their count, size);
  import    importing this collection's module from the kept payload's zip in a fresh interpreter, as the
            module process does it (zipimport, no bytecode cache), after ansible.module_utils.basic; median of 3;
  rest      task - floor - scan - import: the module's own work plus Ansible carrying its arguments and result;
  node      the kept payload run alone on the node, as Ansible runs it (a fresh Python, its imports, the argument
            validation, the work, printing the result; median of 3), with the result's size, and the same for the
            ping task;
  controller  task - node: Ansible on the controller (a worker forked, the arguments templated, the payload
            built, the scan included, and the result carried back through the queue and the callbacks).

It measures; it asserts nothing about time. Standard library plus the test harness.
"""
import argparse
import base64
import glob
import json
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  pylint: disable=wrong-import-position
from compare import VENV_PYTHON  # noqa: E402  pylint: disable=wrong-import-position

OURS = "ansible_collections.linuxnet.containers"
SCAN_WRAPPER = '''import os, runpy, sys, time
import ansible.executor.module_common as common
_compile = common._compile_module_ast
def _timed(name, source):
    start = time.perf_counter()
    tree = _compile(name, source)
    with open(os.environ["ANATOMY_SCAN_LOG"], "a", encoding="utf-8") as log:
        log.write("%d %.6f %d %s\\n" % (os.getpid(), time.perf_counter() - start, len(source), name))
    return tree
common._compile_module_ast = _timed
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
'''
NODE_PROBE = '''import subprocess, sys, time
start = time.perf_counter()
out = subprocess.run(sys.argv[1:], capture_output=True, check=True).stdout
print("%.6f %d" % (time.perf_counter() - start, len(out)))
'''
IMPORT_PROBE = '''import sys, time
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
import ansible.module_utils.basic
middle = time.perf_counter()
__import__(sys.argv[2])
print("%.6f %.6f" % (middle - start, time.perf_counter() - middle))
'''


class Anatomy:
    def __init__(self):
        self.bench = compare.Bench(sample=10)
        self.work = self.bench.work
        self.wrapper = os.path.join(self.work, "scan_wrapper.py")
        self.probe = os.path.join(self.work, "import_probe.py")
        self.node_probe = os.path.join(self.work, "node_probe.py")
        for path, text in ((self.wrapper, SCAN_WRAPPER), (self.probe, IMPORT_PROBE), (self.node_probe, NODE_PROBE)):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)

    def close(self):
        self.bench.reset()
        self.bench.close()

    def playbook(self, name, play, variables, scan_log=None, keep=False):
        """bench.playbook, optionally under the scan wrapper and keeping the payloads."""
        plain = self.bench.timed

        def timed(argv, timeout=3600, env=None):
            env = dict(env or os.environ)
            if keep:
                env["ANSIBLE_KEEP_REMOTE_FILES"] = "1"
            if scan_log:
                env["ANATOMY_SCAN_LOG"] = scan_log
                argv = [VENV_PYTHON, self.wrapper] + argv
            return plain(argv, timeout, env)

        self.bench.timed = timed
        try:
            return self.bench.playbook(name, play, variables)
        finally:
            self.bench.timed = plain

    def payloads(self, since):
        """{module name: kept AnsiballZ file} written after `since`."""
        found = {}
        for path in glob.glob(os.path.join(self.bench.sandbox.ansible_env()["ANSIBLE_REMOTE_TEMP"], "*",
                                           "AnsiballZ_*.py")):
            if os.path.getmtime(path) >= since:
                found[os.path.basename(path)[len("AnsiballZ_"):-3]] = path
        return found

    def import_seconds(self, payload, module):
        """Median (basic, ours) import seconds from the payload's zip, in a fresh interpreter each time."""
        with open(payload, encoding="utf-8") as handle:
            text = handle.read()
        match = (re.search(r"zip_data=['\"]([A-Za-z0-9+/=]+)['\"]", text)
                 or re.search(r"['\"]([A-Za-z0-9+/=]{200,})['\"]", text))
        zip_path = os.path.join(self.work, "payload-%s.zip" % module)
        with open(zip_path, "wb") as handle:
            handle.write(base64.b64decode(match.group(1)))
        runs = []
        for _attempt in range(3):
            out = self.bench.sandbox.run([VENV_PYTHON, "-S", self.probe, zip_path,
                                          "%s.plugins.modules.%s" % (OURS, module)], check=True).stdout.split()
            runs.append((float(out[0]), float(out[1])))
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    def node_seconds(self, payload):
        """Median seconds of the kept payload run alone (a no-op: the re-run's own arguments), and its output's size."""
        runs = [self.bench.sandbox.run([VENV_PYTHON, self.node_probe, VENV_PYTHON, payload], check=True).stdout.split()
                for _attempt in range(3)]
        return statistics.median(float(run[0]) for run in runs), int(runs[0][1])

    def measure(self, count, repeat):
        """Rows for the three batch module tasks and for the one network_state task, each re-run a no-op."""
        variables = compare.collection_vars(count, 1, False)
        error = self.playbook("anatomy-setup", compare.MODULES_PLAY, variables)[1]
        if error:
            raise SystemExit("setup failed: %s" % error)
        plays = (("modules", compare.MODULES_PLAY), ("onetask", compare.ONETASK_PLAY))
        floors, runs, since = [], {name: [] for name, _play in plays}, time.time() - 1
        for attempt in range(repeat):
            floor_tasks = self.playbook("anatomy-floor", compare.FLOOR_PLAY, {}, keep=True)[2]
            floors.extend(t["seconds"] for t in floor_tasks)
            for name, play in plays:
                scan_log = os.path.join(self.work, "scan-%s-%d-%d.log" % (name, count, attempt))
                error, tasks = self.playbook("anatomy-rerun", play, variables, scan_log, keep=True)[1:3]
                if error:
                    raise SystemExit("re-run failed: %s" % error)
                runs[name].append((tasks, self.scans(scan_log)))
        floor = statistics.median(floors)
        payloads = self.payloads(since)
        ping_node = self.node_seconds(payloads["ping"])[0]
        rows = []
        for name, _play in plays:
            for index, task in enumerate(runs[name][0][0]):
                module = task["task"]
                seconds = statistics.median(run[0][index]["seconds"] for run in runs[name])
                scan = statistics.median(run[1][index][0] for run in runs[name])
                files, size = runs[name][0][1][index][1:3]
                basic, ours = self.import_seconds(payloads[module], module)
                node, result = self.node_seconds(payloads[module])
                rows.append({"n": count, "task": module, "seconds": seconds, "floor": floor, "scan": scan,
                             "files": files, "kib": size // 1024, "import_basic": basic, "import": ours,
                             "rest": seconds - floor - scan - ours, "node": node, "result_kib": result // 1024,
                             "controller": seconds - node, "floor_node": ping_node,
                             "floor_controller": floor - ping_node})
        self.bench.reset()
        return rows

    @staticmethod
    def scans(scan_log):
        """Per worker, in task order: [our seconds, our files, our bytes, Ansible's seconds] of the AST scan."""
        order, per_pid = [], {}
        with open(scan_log, encoding="utf-8") as handle:
            for line in handle:
                pid, seconds, size, name = line.split()
                if pid not in per_pid:
                    order.append(pid)
                    per_pid[pid] = [0.0, 0, 0, 0.0]
                entry = per_pid[pid]
                if name.startswith(OURS):
                    entry[0] += float(seconds)
                    entry[1] += 1
                    entry[2] += int(size)
                else:
                    entry[3] += float(seconds)
        return [per_pid[pid] for pid in order]


def table(rows):
    lines = ["| N | task | task s | floor s | scan s (files, KiB) | import s | rest s | node s (result KiB) "
             "| controller s |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| %d | %s | %.2f | %.2f | %.2f (%d, %d) | %.2f | %.2f | %.2f (%d) | %.2f |" % (
            r["n"], r["task"], r["seconds"], r["floor"], r["scan"], r["files"], r["kib"], r["import"], r["rest"],
            r["node"], r["result_kib"], r["controller"]))
    for count in sorted({r["n"] for r in rows}):
        r = next(r for r in rows if r["n"] == count)
        lines.append("| %d | ansible.builtin.ping | %.2f | | | | | %.2f | %.2f |" % (
            count, r["floor"], r["floor_node"], r["floor_controller"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--n", default="10,500", help="comma-separated endpoint counts")
    parser.add_argument("--repeat", type=int, default=3, help="re-runs per N (medians are reported)")
    parser.add_argument("--json", help="write the rows as JSON here")
    parser.add_argument("--doc", help="write the table into this Markdown file, between its anatomy markers")
    args = parser.parse_args(argv)
    anatomy = Anatomy()
    try:
        rows = [row for count in args.n.split(",") for row in anatomy.measure(int(count), args.repeat)]
    finally:
        anatomy.close()
    text = table(rows)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)
    if args.doc:
        with open(args.doc, encoding="utf-8") as handle:
            doc = handle.read()
        begin, end = "<!-- anatomy:begin -->", "<!-- anatomy:end -->"
        head, tail = doc.split(begin, 1)[0], doc.split(end, 1)[-1]
        with open(args.doc, "w", encoding="utf-8") as handle:
            handle.write(head + begin + "\n" + text + "\n" + end + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
