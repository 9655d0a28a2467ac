"""Helpers for the socket-layer tracer tests (soconnect, udpconnect,
solisten, soaccept): the so_workload.py runner and the docs check every
tracer file repeats."""
import json
import os
import subprocess

from conftest import HERE, PY
# imported under a name pytest does not collect (its parameters are test_trace_cli's)
from test_trace_cli import test_docs_list_exactly_the_options as _docs_check

SO_WORKLOAD = os.path.join(HERE, "so_workload.py")


def so_workload(ns, *args, cgroup=None):
    """Runs so_workload.py to completion in ns (in cgroup v2 directory
    `cgroup` if given); returns its JSON line."""
    cmd = ["ip", "netns", "exec", ns.name, PY, SO_WORKLOAD] + [str(a) for a in args]
    if cgroup:
        cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def check_docs_list_exactly_the_options(tracer):
    """The man page and docs/tracers page list exactly what -h lists."""
    _docs_check(tracer)


class Gated:
    """so_workload.py ARGS --gate in ns (in cgroup v2 directory `cgroup` if
    given): started, its pid known, waiting until run() lets it go (so
    tracers can start with -p PID before it makes a single call)."""

    def __init__(self, ns, *args, cgroup=None):
        cmd = ["ip", "netns", "exec", ns.name, PY, SO_WORKLOAD] + [str(a) for a in args] + \
            ["--gate"]
        if cgroup:
            cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup] + cmd
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ns.procs.append(self.p)
        self.pid = json.loads(self.p.stdout.readline())["pid"]

    def run(self):
        """Lets it go and waits for it; returns its last JSON line."""
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        out, _ = self.p.communicate(timeout=60)
        assert self.p.returncode == 0, out
        return json.loads(out.strip().splitlines()[-1])


def mix_expected(sends=6):
    """What so_workload.py mix --sends N makes (its MIX table)."""
    import so_workload
    return so_workload.mix_expected(sends)


def new_rows(recs, kind):
    """sofamily/soprotocol records as {(pid, comm, family or protocol):
    (accept, connect)}, summed over intervals; checks the closing records."""
    assert recs[-2:] == [recs[-2], {"lost_events": 0}] and "dropped_keys" in recs[-2], recs[-3:]
    out = {}
    for r in recs[:-2]:
        k = (r["pid"], r["comm"], r[kind])
        a, c = out.get(k, (0, 0))
        out[k] = (a + r["accept"], c + r["connect"])
    return out


def mix_rows(w, kind, comm="python3", sends=6):
    """What so_workload.py mix (w: its Gated) counts as new sockets, as
    new_rows() gives them."""
    return {(w.pid, comm, name): ac for name, ac in mix_expected(sends)[kind].items()
            if ac != (0, 0)}


def run_traced(workloads, *tracers):
    """Lets each Gated workload go, in order, under the tracers (started,
    attached), then stops the tracers, even when a workload fails; returns
    the workloads' last lines and the tracers' outputs (Tracer.stop())."""
    outs = []
    try:
        for w in workloads:
            outs.append(w.run())
    finally:
        recs = [t.stop() for t in tracers]
    return outs, recs


SCRIPT_GATE = "import os, sys\nprint(os.getpid(), flush=True)\nsys.stdin.readline()\n"


class GatedScript(Gated):
    """A python script in ns, after SCRIPT_GATE (its pid printed, a line
    awaited): for run_traced()."""

    def __init__(self, ns, script):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns.name, PY, "-c", SCRIPT_GATE + script],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ns.procs.append(self.p)
        self.pid = int(self.p.stdout.readline())

    def run(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        out, _ = self.p.communicate(timeout=60)
        assert self.p.returncode == 0, out
        return out


def check_relocations(tracer):
    """The trimmed kernel BTF relocates tracer's programs as the whole one
    does (test_trace_framework's check, for a tracer it does not list)."""
    from test_trace_framework import test_trimmed_kernel_btf_relocates_like_the_full_one as c
    c(tracer)


def check_unloads(ns, tracer, sig):
    """tracer leaves no BPF program behind when stopped with sig."""
    from test_trace_framework import test_no_programs_left_behind as c
    c(ns, tracer, sig)
