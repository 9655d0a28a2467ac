"""Helpers for the tracer tests: run a tracer in the background until it
says it is attached, drive a workload in a namespace, stop the tracer with
a signal and parse its JSON lines.

The tracer runs in the host's namespace (tracers see every namespace) and is
normally restricted with --netns to the test's namespace, so tests running
at the same time cannot leak events into each other.
"""
import json
import os
import signal
import subprocess
import tempfile

from conftest import HERE, PY, wait_for, wrap_cmd

WORKLOAD = os.path.join(HERE, "trace_workload.py")


class Tracer:
    def __init__(self, args, json_mode=True):
        self.json_mode = json_mode
        self.out = tempfile.TemporaryFile(mode="w+")
        self.err = tempfile.TemporaryFile(mode="w+")
        cmd = wrap_cmd((["-j"] if json_mode else []) + list(args))
        if cmd[0] == "valgrind":
            cmd.insert(1, "--suppressions=" + os.path.join(HERE, "trace_valgrind.supp"))
        self.p = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, text=True)
        self.stdout = self.stderr = None
        wait_for(self._ready, timeout=30, what=f"{args[0]} to attach")

    def _read(self, f):
        f.seek(0)
        return f.read()

    def _ready(self):
        if self.p.poll() is not None:
            raise AssertionError(f"tracer exited {self.p.returncode}: {self._read(self.err)}")
        return "Tracing " in self._read(self.err)

    def stop(self, sig=signal.SIGINT, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        rc = self.p.wait(timeout=timeout)
        self.stdout, self.stderr = self._read(self.out), self._read(self.err)
        self.out.close()
        self.err.close()
        if rc == 99:
            raise AssertionError(f"valgrind reported errors:\n{self.stderr}")
        assert rc == 0, f"tracer exited {rc}\nstderr:\n{self.stderr}"
        return self.records() if self.json_mode else self.stdout

    def records(self):
        return [json.loads(l) for l in self.stdout.splitlines() if l.strip()]

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def events(records):
    """The event records (drops the final lost_events and stats records)."""
    return [r for r in records if "lost_events" not in r and "stats" not in r]


def netns_inode(ns):
    return os.stat(f"/run/netns/{ns.name}").st_ino


def workload(ns, *args):
    """Runs the workload to completion in ns; returns its JSON summary."""
    p = ns.exec([PY, WORKLOAD] + [str(a) for a in args], timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


class Server:
    """The workload server, in its own process in ns."""

    def __init__(self, ns, *args):
        self.p = ns.popen([PY, WORKLOAD, "server", "--stay"] + [str(a) for a in args],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        info = json.loads(self.p.stdout.readline())
        self.pid, self.port = info["pid"], info["port"]

    def wait(self):
        """Lets the server exit (it stays until then, so its sockets are
        never orphaned by its exit) and waits for it."""
        self.p.stdin.close()
        assert self.p.wait(timeout=60) == 0


def bpf_prog_ids():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    return {p["id"]: p.get("name", "") for p in json.loads(out or "[]")}
