# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sandbox host for one test, and helpers to run Ansible and move packets inside it."""

import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import sandbox as sandbox_host  # noqa: E402  pylint: disable=wrong-import-position

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools")
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
SYSTEM_PYTHON = "/usr/bin/python3"


class PlaybookError(AssertionError):
    pass


class Sandbox:
    def __init__(self):
        self.pid = sandbox_host.start()
        self._procs = []
        self._home = tempfile.mkdtemp(prefix="lnc-ansible-")

    def close(self):
        if self.pid is None:
            return
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
        sandbox_host.stop(self.pid)
        self.pid = None
        for proc in self._procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        subprocess.run(["rm", "-rf", self._home], check=False)

    def workdir(self):
        """A scratch directory removed with the sandbox."""
        return tempfile.mkdtemp(prefix="work-", dir=self._home)

    # running things -----------------------------------------------------------------------
    def argv(self, argv, netns=None):
        argv = [str(a) for a in argv]
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        return sandbox_host.enter(self.pid, argv)

    def run(self, argv, netns=None, check=True, timeout=60, input=None, env=None):
        proc = subprocess.run(self.argv(argv, netns), capture_output=True, text=True, timeout=timeout,
                              input=input, env=env, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (argv, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def spawn(self, argv, netns=None):
        proc = subprocess.Popen(self.argv(argv, netns), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self._procs.append(proc)
        return proc

    def ip(self, netns, *args):
        argv = ["ip", "-j"] + list(args)
        return json.loads(self.run(argv, netns=netns).stdout or "[]")

    # traffic ------------------------------------------------------------------------------
    def serve(self, netns, ip, port, proto="tcp", name=None):
        proc = self.spawn([VENV_PYTHON, os.path.join(TOOLS, "echo_server.py"), proto, ip, port, name or netns or "host"],
                          netns=netns)
        flag = {"tcp": "-ltnH", "udp": "-lunH", "sctp": "-lnH"}[proto]
        for _attempt in range(200):
            listening = self.run(["ss", flag, "sport = :%d" % int(port)], netns=netns, check=False).stdout
            if listening.strip():
                return proc
            if proc.poll() is not None:
                raise AssertionError("echo server %s:%s/%s in %s exited" % (ip, port, proto, netns))
            time.sleep(0.02)
        raise AssertionError("echo server %s:%s/%s in %s did not listen" % (ip, port, proto, netns))

    def request(self, netns, ip, port, proto="tcp", timeout=2, source=None, source_port=None):
        argv = [VENV_PYTHON, os.path.join(TOOLS, "echo_client.py"), proto, ip, port, timeout]
        if source:
            argv += [source] + ([source_port] if source_port else [])
        proc = self.run(argv, netns=netns, check=False, timeout=timeout + 10)
        return proc.stdout.strip() if proc.returncode == 0 else None

    # state --------------------------------------------------------------------------------
    def snapshot(self):
        script = ("import json,os\n"
                  "out={}\n"
                  "for top in ('/etc/netns','/run/linuxnet-containers'):\n"
                  "  for d,_,fs in os.walk(top):\n"
                  "    for f in fs:\n"
                  "      p=os.path.join(d,f)\n"
                  "      if p.endswith('/lock'): continue\n"
                  "      out[p]=open(p,errors='replace').read()\n"
                  "print(json.dumps(out))\n")
        links = [{
            "ifname": link["ifname"], "flags": sorted(set(link.get("flags", ())) - {"LOWER_UP", "NO-CARRIER"}),
            "mtu": link.get("mtu"), "master": link.get("master"), "address": link.get("address"),
            "alias": link.get("ifalias"), "kind": (link.get("linkinfo") or {}).get("info_kind"),
            "inet": sorted("%s/%s" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", ())
                           if a.get("family") == "inet"),
        } for link in self.ip(None, "-d", "addr")]
        return {
            "links": links,
            "netns": sorted(self.run(["ls", "/run/netns"]).stdout.split()),
            "nft": self.run(["nft", "list", "ruleset"]).stdout,
            "files": json.loads(self.run([SYSTEM_PYTHON, "-c", script]).stdout),
        }

    # ansible ------------------------------------------------------------------------------
    def playbook(self, text_or_path, extra_vars=None, check=False, diff=False, expect_rc=0, python=None):
        workdir = tempfile.mkdtemp(prefix="play-", dir=self._home)
        if os.path.exists(str(text_or_path)):
            path = text_or_path
        else:
            path = os.path.join(workdir, "play.yml")
            with open(path, "w") as handle:
                handle.write(text_or_path if isinstance(text_or_path, str) else yaml.safe_dump(text_or_path))
        dump = os.path.join(workdir, "results.jsonl")
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_HOME": self._home,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self._home, "tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "result_dump",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "RESULT_DUMP": dump,
            "PATH": VENV_BIN + ":" + env.get("PATH", ""),
        })
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                "-e", "ansible_python_interpreter=%s" % (python or VENV_PYTHON), path]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        proc = subprocess.run(self.argv(argv), capture_output=True, text=True, env=env, timeout=600, check=False)
        if expect_rc is not None and proc.returncode != expect_rc:
            raise PlaybookError("ansible-playbook rc=%d (expected %d)\n%s\n%s"
                                % (proc.returncode, expect_rc, proc.stdout[-6000:], proc.stderr[-3000:]))
        results = []
        if os.path.exists(dump):
            with open(dump) as handle:
                results = [json.loads(line) for line in handle]
        return results

    def module(self, fqcn, check=False, diff=False, expect_failure=False, python=None, **args):
        play = [{"hosts": "localhost", "gather_facts": False,
                 "tasks": [{"name": "under test", fqcn: args, "ignore_errors": expect_failure}]}]
        results = self.playbook(yaml.safe_dump(play), check=check, diff=diff, python=python)
        result = results[-1]["result"]
        if not expect_failure and result.get("failed"):
            raise PlaybookError("%s failed: %s" % (fqcn, result.get("msg") or result))
        if expect_failure and not result.get("failed"):
            raise PlaybookError("%s was expected to fail but returned %s" % (fqcn, result))
        return result
