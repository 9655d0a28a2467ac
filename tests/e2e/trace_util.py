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

from conftest import HERE, PY, read_live, wait_for, wrap_cmd

WORKLOAD = os.path.join(HERE, "trace_workload.py")


class Tracer:
    def __init__(self, args, json_mode=True, env=None):
        self.json_mode = json_mode
        self.out = tempfile.TemporaryFile(mode="w+")
        self.err = tempfile.TemporaryFile(mode="w+")
        cmd = wrap_cmd((["-j"] if json_mode else []) + list(args))
        self.p = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, text=True, env=env)
        self.stdout = self.stderr = None
        wait_for(self._ready, timeout=30, what=f"{args[0]} to attach")

    def _read(self, f):
        return read_live(f)

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


CLOSING = ("lost_events", "dropped_keys", "stats", "missed_holds")


def events(records):
    """The event records (drops the closing records: lost_events,
    dropped_keys, stats and a tracer's own, such as missed_holds)."""
    return [r for r in records if not any(k in r for k in CLOSING)]


def dropped_keys(records):
    """The {"dropped_keys": N} record's N; it comes right before the final
    lost_events record."""
    assert "dropped_keys" in records[-2] and "lost_events" in records[-1], records[-3:]
    return records[-2]["dropped_keys"]


def netns_inode(ns):
    return os.stat(f"/run/netns/{ns.name}").st_ino


def workload(ns, *args, cgroup=None):
    """Runs the workload to completion in ns (in cgroup v2 directory `cgroup`
    if given); returns its JSON summary."""
    cmd = [PY, WORKLOAD] + [str(a) for a in args]
    if cgroup:
        # join the cgroup before entering the namespace: `ip netns exec`
        # mounts a sysfs of its own, without the cgroup file systems
        p = subprocess.run(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup,
                            "ip", "netns", "exec", ns.name] + cmd,
                           capture_output=True, text=True, timeout=60, check=True)
    else:
        p = ns.exec(cmd, timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


def cgroup2_root():
    """Where cgroup v2 is mounted (unified or hybrid layout), or None."""
    with open("/proc/mounts") as f:
        for line in f:
            dev, path, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return path
    return None


class Cgroup:
    """A fresh cgroup v2 directory, removed by close() (once it is empty)."""

    def __init__(self):
        root = cgroup2_root()
        if not root:
            raise RuntimeError("no cgroup v2 mount")
        self.path = os.path.join(root, f"nlt-{os.getpid()}-{next(_cg_counter)}")
        os.mkdir(self.path)

    def close(self):
        try:
            os.rmdir(self.path)
        except OSError:
            pass


_cg_counter = __import__("itertools").count()


class Server:
    """The workload server, in its own process in ns."""

    def __init__(self, ns, *args):
        self.p = ns.popen([PY, WORKLOAD, "server", "--stay"] + [str(a) for a in args],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        info = json.loads(self.p.stdout.readline())
        self.pid, self.port = info["pid"], info["port"]

    def go(self):
        """Lets a --gate server start accepting."""
        self.p.stdin.write("go\n")
        self.p.stdin.flush()

    def wait(self):
        """Lets the server exit (it stays until then, so its sockets are
        never orphaned by its exit) and waits for it."""
        self.p.stdin.close()
        assert self.p.wait(timeout=60) == 0


def bpf_prog_ids():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    return {p["id"]: p.get("name", "") for p in json.loads(out or "[]")}


def softirq_timer_retry(once, attempts=2):
    """Runs a scenario whose state changes come from a TCP timer (a delayed
    ACK) once more if its checks fail. Such softirqs run on top of whatever
    the CPU was doing; on the VMs these tests were written on, the events
    of a softirq that interrupts the host agent's threads (tokio-rt-worker
    of PID 1) reach no BPF program at all (ftrace records them; no miss
    counter moves), about one run in a hundred. A real loss repeats."""
    for i in range(attempts):
        try:
            return once()
        except AssertionError:
            if i == attempts - 1:
                raise
