# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CNI peer of compare.py: Debian's reference plugins driven as a CNI runtime drives them.

    cni_runtime.py setup|check|teardown COUNT PORTS

Per container, as a runtime does: setup makes the namespace (in-process, like containerd), runs the loopback
plugin (CNI_IFNAME=lo), then the conflist's plugins in order (bridge, which calls host-local, then portmap)
with CNI_COMMAND=ADD, each getting the previous plugin's result as prevResult and the capability arguments
(portMappings, ips) in runtimeConfig, and caches the final result. check runs CNI_COMMAND=CHECK through the
list with the cached result; teardown runs DEL in reverse order, then removes the namespace. Containers are
handled one after another, as a runtime starting them one by one. Prints JSON with its timing and the peak RSS
of the plugin processes. Run it inside a sandbox host.
"""
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsutil  # noqa: E402  pylint: disable=wrong-import-position
import workload as w  # noqa: E402  pylint: disable=wrong-import-position

CNI_PATH = "/usr/lib/cni"
CACHE = "/run/cni-bench/results"
IPAM_DIR = "/run/cni-bench/ipam"
VERSION = "1.0.0"
LOOPBACK = {"cniVersion": VERSION, "name": "cni-loopback", "type": "loopback"}
CONFLIST = {
    "cniVersion": VERSION,
    "name": w.NETWORK,
    "plugins": [
        {"type": "bridge", "bridge": "cni-bench0", "isGateway": True, "ipMasq": True, "hairpinMode": True,
         "capabilities": {"ips": True},
         "ipam": {"type": "host-local", "dataDir": IPAM_DIR, "routes": [{"dst": "0.0.0.0/0"}],
                  "ranges": [[{"subnet": w.SUBNET, "gateway": w.GATEWAY, "rangeStart": w.address(0)}]]}},
        {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
    ],
}


class PluginError(RuntimeError):
    pass


def container_id(i):
    return "bench%064d" % i


def call(plugin, command, i, ifname, config):
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "CNI_COMMAND": command,
           "CNI_CONTAINERID": container_id(i), "CNI_NETNS": nsutil.path(w.name(i)), "CNI_IFNAME": ifname,
           "CNI_PATH": CNI_PATH}
    proc = subprocess.run([os.path.join(CNI_PATH, plugin)], input=json.dumps(config), capture_output=True,
                          text=True, env=env, check=False)
    if proc.returncode != 0:
        raise PluginError("%s %s for %s: rc=%d %s%s" % (
            plugin, command, w.name(i), proc.returncode, proc.stdout.strip(), proc.stderr.strip()))
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def plugin_config(plugin, runtime, prev):
    """A conflist entry as a runtime hands it to the plugin: name, version, runtimeConfig, prevResult."""
    config = dict(plugin, name=CONFLIST["name"], cniVersion=CONFLIST["cniVersion"])
    caps = plugin.get("capabilities", {})
    config.pop("capabilities", None)
    wanted = {key: value for key, value in runtime.items() if caps.get(key)}
    if wanted:
        config["runtimeConfig"] = wanted
    if prev is not None:
        config["prevResult"] = prev
    return config


def runtime_config(i, ports):
    return {"portMappings": [{"hostPort": hp, "containerPort": cp, "protocol": "tcp"}
                             for _i, _j, hp, _a, cp in w.publishes(i + 1, ports)[i * ports:]],
            "ips": ["%s/%d" % (w.address(i), w.PREFIX)]}


def cache_path(i):
    return os.path.join(CACHE, container_id(i) + ".json")


def setup(count, ports):
    os.makedirs(CACHE, exist_ok=True)
    for i in range(count):
        nsutil.create(w.name(i))
        call("loopback", "ADD", i, "lo", LOOPBACK)
        runtime, prev = runtime_config(i, ports), None
        for plugin in CONFLIST["plugins"]:
            prev = call(plugin["type"], "ADD", i, "eth0", plugin_config(plugin, runtime, prev))
        with open(cache_path(i), "w", encoding="utf-8") as handle:
            json.dump(prev, handle)


def check(count, ports):
    for i in range(count):
        with open(cache_path(i), encoding="utf-8") as handle:
            cached = json.load(handle)
        runtime = runtime_config(i, ports)
        for plugin in CONFLIST["plugins"]:
            call(plugin["type"], "CHECK", i, "eth0", plugin_config(plugin, runtime, cached))


def teardown(count, ports):
    for i in range(count):
        with open(cache_path(i), encoding="utf-8") as handle:
            cached = json.load(handle)
        runtime = runtime_config(i, ports)
        for plugin in reversed(CONFLIST["plugins"]):
            call(plugin["type"], "DEL", i, "eth0", plugin_config(plugin, runtime, cached))
        call("loopback", "DEL", i, "lo", LOOPBACK)
        nsutil.remove(w.name(i))
        os.unlink(cache_path(i))


def main(action, count, ports):
    start = time.monotonic()
    {"setup": setup, "check": check, "teardown": teardown}[action](count, ports)
    print(json.dumps({"action": action, "seconds": round(time.monotonic() - start, 3),
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
