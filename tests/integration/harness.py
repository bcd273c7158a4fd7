# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sandbox host for one test, and helpers to run Ansible and move packets inside it.

Everything a test runs goes through `Sandbox.argv()`: nsenter into the sandbox's net, mount, pid,
uts and ipc namespaces, so processes a test starts die with the sandbox, and Ansible changes the
sandbox's network, /run and /etc, never this machine's.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import sandbox as sandbox_host  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "tools")
CALLBACKS = os.path.join(HERE, "callback_plugins")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
VENV_PYTHON = os.path.join(VENV_BIN, "python")
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
SYSTEM_PYTHON = "/usr/bin/python3"
LISTEN_FLAGS = {"tcp": "-ltnH", "udp": "-lunH", "sctp": "-lSnH"}


class PlaybookError(AssertionError):
    pass


def run_playbook(argv, env, dump, expect_rc, tail=8000):
    """Runs an ansible-playbook argv; every task result from the result_dump callback's file `dump`."""
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)
    if expect_rc is not None and proc.returncode != expect_rc:
        raise PlaybookError("ansible-playbook rc=%d (expected %d)\n--- stdout\n%s\n--- stderr\n%s"
                            % (proc.returncode, expect_rc, proc.stdout[-tail:], proc.stderr[-4000:]))
    if not os.path.exists(dump):
        return []
    with open(dump, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


class Sandbox:
    """A fresh sandbox host (scripts/sandbox.py) with its LAN namespace `lan`; close() removes it."""

    def __init__(self):
        self._procs = []
        self._home = tempfile.mkdtemp(prefix="lnc-ansible-")
        self.pid = sandbox_host.start(die_with_parent=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stops the sandbox and everything in it; safe to call twice."""
        if self.pid is None:
            return
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
        try:
            sandbox_host.stop(self.pid)
        finally:
            self.pid = None
            for proc in self._procs:
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            shutil.rmtree(self._home, ignore_errors=True)

    def workdir(self):
        """A scratch directory (outside the sandbox's private mounts) removed with the sandbox."""
        return tempfile.mkdtemp(prefix="work-", dir=self._home)

    # running things -----------------------------------------------------------------------
    def argv(self, argv, netns=None):
        """The argv that runs `argv` inside the sandbox host, or in its namespace `netns`."""
        argv = [str(arg) for arg in argv]
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        return sandbox_host.enter(self.pid, argv)

    def run(self, argv, netns=None, check=True, timeout=60, input=None, env=None):
        # pylint: disable=redefined-builtin
        proc = subprocess.run(self.argv(argv, netns), capture_output=True, text=True, timeout=timeout,
                              input=input, env=env, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s in %s failed (rc=%d):\n%s%s"
                                 % (argv, netns or "the sandbox host", proc.returncode, proc.stdout, proc.stderr))
        return proc

    def spawn(self, argv, netns=None):
        """Starts `argv` in the background; it dies with the sandbox at the latest."""
        proc = subprocess.Popen(self.argv(argv, netns), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self._procs.append(proc)
        return proc

    def ip(self, netns, *args):
        """Parsed `ip -j ARGS` output, e.g. sandbox.ip("web", "addr", "show", "eth0")."""
        return json.loads(self.run(["ip", "-j"] + list(args), netns=netns).stdout or "[]")

    # traffic ------------------------------------------------------------------------------
    def sctp_supported(self):
        """Whether this kernel can open SCTP sockets (the module may be missing)."""
        probe = "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)"
        return self.run([VENV_PYTHON, "-c", probe], check=False).returncode == 0

    def serve(self, netns, ip, port, proto="tcp", name=None):
        """An echo server on ip:port/proto in `netns` (None: the sandbox host), once it listens.

        Each reply is "NAME PEER_IP"; NAME defaults to the namespace, or "host" for the sandbox host.
        """
        proc = self.spawn([VENV_PYTHON, os.path.join(TOOLS, "echo_server.py"), proto, ip, port,
                           name or netns or "host"], netns=netns)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            listening = self.run(["ss", LISTEN_FLAGS[proto], "sport = :%d" % int(port)], netns=netns,
                                 check=False).stdout
            if listening.strip():
                return proc
            if proc.poll() is not None:
                raise AssertionError("echo server %s:%s/%s in %s exited (rc=%s)"
                                     % (ip, port, proto, netns, proc.returncode))
            time.sleep(0.02)
        raise AssertionError("echo server %s:%s/%s in %s did not listen within 10s" % (ip, port, proto, netns))

    def request(self, netns, ip, port, proto="tcp", timeout=2, source=None, source_port=None):
        """One request from `netns` (None: the sandbox host); the reply, or None without one in time."""
        argv = [VENV_PYTHON, os.path.join(TOOLS, "echo_client.py"), proto, ip, port, timeout]
        if source:
            argv += [source] + ([source_port] if source_port else [])
        proc = self.run(argv, netns=netns, check=False, timeout=timeout + 10)
        return proc.stdout.strip() if proc.returncode == 0 else None

    # state --------------------------------------------------------------------------------
    def snapshot(self):
        """What a "nothing changed" assertion compares: links, named namespaces, nftables, files."""
        script = ("import json, os\n"
                  "files = {}\n"
                  "for top in ('/etc/netns', '/run/linuxnet-containers', '/var/lib/linuxnet-containers'):\n"
                  "    for folder, _, names in os.walk(top):\n"
                  "        for name in names:\n"
                  "            path = os.path.join(folder, name)\n"
                  "            if name != 'lock':\n"
                  "                files[path] = open(path, errors='replace').read()\n"
                  "print(json.dumps(files))\n")
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
    def ansible_env(self):
        """The environment of ansible-playbook: this checkout's collection, no ~/.ansible, the result dump."""
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_HOME": self._home,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self._home, "tmp"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self._home, "remote-tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
            "ANSIBLE_CALLBACKS_ENABLED": "result_dump",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        })
        return env

    def playbook(self, text_or_path, extra_vars=None, check=False, diff=False, expect_rc=0, python=None):
        """Runs a playbook (YAML text, a list of plays, or a path) against the sandbox host.

        Returns every task result in order: {"task", "host", "status": ok|changed|failed|skipped|unreachable,
        "result": the module's result}. Raises PlaybookError with the output when rc is not expect_rc
        (expect_rc=None accepts any).
        """
        workdir = tempfile.mkdtemp(prefix="play-", dir=self._home)
        if isinstance(text_or_path, str) and "\n" not in text_or_path and os.path.isfile(text_or_path):
            path = text_or_path
        else:
            path = os.path.join(workdir, "play.yml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text_or_path if isinstance(text_or_path, str) else yaml.safe_dump(text_or_path))
        dump = os.path.join(workdir, "results.jsonl")
        env = self.ansible_env()
        env["RESULT_DUMP"] = dump
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                "-e", "ansible_python_interpreter=%s" % (python or VENV_PYTHON), path]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        return run_playbook(self.argv(argv), env, dump, expect_rc)

    def module(self, fqcn, /, check=False, diff=False, expect_failure=False, python=None, **args):
        """Runs one task of module `fqcn` with `args`; returns its result.

        A failed task raises PlaybookError, unless expect_failure, which returns it (and raises if it
        did not fail).
        """
        play = [{"hosts": "localhost", "gather_facts": False,
                 "tasks": [{"name": "under test", fqcn: args, "ignore_errors": expect_failure}]}]
        results = self.playbook(play, check=check, diff=diff, python=python)
        if not results:
            raise PlaybookError("%s returned no result" % fqcn)
        result = results[-1]["result"]
        if expect_failure and not result.get("failed"):
            raise PlaybookError("%s was expected to fail but returned %s" % (fqcn, result))
        return result
