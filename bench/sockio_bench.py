#!/usr/bin/python3
"""Socket I/O tracers on the worst case (issue 12): a loopback 1-byte
request/response ping-pong (bench/pingpong.c, compiled here), one send()
and one recv() per message on each end, so the tracepoints
sock:sock_send_length and sock:sock_recv_length fire 4 times per message.

Reports the message rate kept with each tracer attached (host-wide, no
filter) against no tracer in the same run: every tracer measurement sits
between two baseline measurements (each of the -r rounds runs the tracers
in a rotated order, a baseline before each and one at the end) and its
share is taken against the mean of those two; medians [min-max] over the
rounds. Peers: bpftrace with the BPF book's one-liners on the same
tracepoints (socketio: calls and bytes per process, direction, family,
protocol and ports; socksize: the send/recv bytes histograms per command).
"socketio (syscalls, <6.3)" runs on the system-call tracepoints that stand
in for those two before kernel 6.3 (NETLENS_HIDE_TRACEPOINTS hides them).
Then --stats-runs runs of each netlens tracer with --stats give each BPF
program's ns per run; "socketio -p 1" (every run filtered out at once)
shows the floor: the hook and --stats's own clock reads.

The client and the server (and its per-connection child) run pinned to
--pin CPUs, by default both on CPU 0: across the two vCPUs of the VM this
was written on, each message waits for a cross-CPU wake-up and the pair
makes ~6.5k messages/s against ~45k on one CPU, which would hide any
tracer's cost. The workload runs in a network namespace of its own.
Installs bpftrace when missing. Run as root:
  bench/sockio_bench.py [-d SECS] [-r ROUNDS] [--only NAMES] [--pin C,S]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tracer_bench as tb  # noqa: E402  (its namespaced server's teardown, spread())
from benchlib import read_live  # noqa: E402

NETLENS = os.environ.get("NETLENS", os.path.join(HERE, "..", "build", "netlens"))
PORT = 18091

# the BPF book's socketio (calls per process, direction, protocol, ports)
# and its send/recv bytes one-liners, on the tracepoints netlens uses
BT_SOCKETIO = r"""
tracepoint:sock:sock_send_length {
  $sk = (struct sock *)args->sk; $d = $sk->__sk_common.skc_dport;
  $rp = ($d >> 8) | (($d << 8) & 0xff00);
  @calls[comm, pid, "send", args->family, args->protocol, $sk->__sk_common.skc_num, $rp] = count();
  @bytes[comm, pid, "send", args->family, args->protocol, $sk->__sk_common.skc_num, $rp] = sum(args->ret);
}
tracepoint:sock:sock_recv_length {
  $sk = (struct sock *)args->sk; $d = $sk->__sk_common.skc_dport;
  $rp = ($d >> 8) | (($d << 8) & 0xff00);
  @calls[comm, pid, "recv", args->family, args->protocol, $sk->__sk_common.skc_num, $rp] = count();
  @bytes[comm, pid, "recv", args->family, args->protocol, $sk->__sk_common.skc_num, $rp] = sum(args->ret);
}
"""
BT_SOCKSIZE = ("tracepoint:sock:sock_send_length { @send_bytes[comm] = hist(args->ret); } "
               "tracepoint:sock:sock_recv_length { @recv_bytes[comm] = hist(args->ret); }")


class PingPong(tb.RstLoad):
    """The ping-pong server in a namespace of its own (stop() as rst_load's)."""

    def __init__(self, tmp, pin):
        self.bin = os.path.join(tmp, "pingpong")
        subprocess.run(["cc", "-O2", "-o", self.bin, os.path.join(HERE, "pingpong.c")], check=True)
        self.pin = pin
        self.ns = f"nlbench-pp-{os.getpid()}"
        self.server = None
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        try:
            subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
            self.server = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, "taskset", "-c", str(pin[1]), self.bin,
                 "server", str(PORT)], stdout=subprocess.PIPE, text=True)
            if self.server.stdout.readline().strip() != "ready":
                raise SystemExit("pingpong server did not start")
        except BaseException:
            self.stop()
            raise

    def rate(self, secs):
        out = subprocess.run(["ip", "netns", "exec", self.ns, "taskset", "-c", str(self.pin[0]),
                              self.bin, "client", str(PORT), str(secs)],
                             capture_output=True, text=True, check=True).stdout.split()
        return int(out[0]) / float(out[1])


def start(cmd):
    """Starts a tracer and waits until it is attached; None if it did not."""
    err = tempfile.TemporaryFile(mode="w+")
    out = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if "Tracing " in read_live(err) or "Attaching " in read_live(out):
            return p, out
        time.sleep(0.02)
    stop(p)
    return None, out


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


spread = tb.spread


def stats_run(cmd, wl, secs):
    """{prog: (runs, ns)} and the messages/s of one --stats run."""
    p, out = start(cmd + ["--stats"])
    if not p:
        return {}, 0
    rate = wl.rate(secs)
    stop(p)
    out.seek(0)
    progs = {}
    for line in out:
        r = json.loads(line)
        if "stats" in r and "prog" in r["stats"]:
            s = r["stats"]
            progs[s["prog"]] = (s["run_cnt"], s["run_time_ns"])
    return progs, rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=float, default=2, help="seconds per measurement")
    ap.add_argument("-r", "--runs", type=int, default=6, help="rounds (medians are reported)")
    ap.add_argument("--only", default="", help="comma-separated substrings of tracer names")
    ap.add_argument("--pin", default="0,0", metavar="CLIENT,SERVER", help="CPUs of the two ends")
    ap.add_argument("--stats-runs", type=int, default=3, help="--stats runs per netlens tracer")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("sockio_bench: run as root")
    pin = [int(c) for c in a.pin.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="nlbench-sockio-")
    bt = os.path.join(tmp, "socketio.bt")
    with open(bt, "w") as f:
        f.write(BT_SOCKETIO)
    tracers = [
        ("netlens socketio", [NETLENS, "-j", "socketio"]),
        ("netlens socksize", [NETLENS, "-j", "socksize"]),
        ("netlens sormem", [NETLENS, "-j", "sormem"]),
        # the same hooks with every run filtered out at its second check:
        # what attaching costs before the tracer does anything
        ("netlens socketio -p 1 (floor)", [NETLENS, "-j", "socketio", "-p", "1"]),
        # kernels before 6.3: the system calls stand in for the tracepoints
        ("netlens socketio (syscalls, <6.3)",
         ["env", "NETLENS_HIDE_TRACEPOINTS=sock_send_length,sock_recv_length", NETLENS, "-j",
          "socketio"]),
        ("bpftrace socketio (book)", ["bpftrace", bt]),
        ("bpftrace send/recv bytes hist", ["bpftrace", "-e", BT_SOCKSIZE]),
    ]
    if a.only:
        tracers = [t for t in tracers if any(k in t[0] for k in a.only.split(","))]
    if any(c[0] == "bpftrace" for _, c in tracers) and not shutil.which("bpftrace"):
        subprocess.run(["apt-get", "install", "-y", "bpftrace"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL)
    wl = PingPong(tmp, pin)
    kept = {n: [] for n, _ in tracers}
    bases, stats = [], {n: [] for n, c in tracers if NETLENS in c}
    try:
        wl.rate(1)  # warm up
        for r in range(a.runs):
            rot = tracers[r % len(tracers):] + tracers[:r % len(tracers)]
            before = wl.rate(a.d)
            bases.append(before)
            for name, cmd in rot:
                p, _ = start(cmd)
                rate = wl.rate(a.d) if p else None
                if p:
                    stop(p)
                after = wl.rate(a.d)
                bases.append(after)
                kept[name].append(rate / ((before + after) / 2) * 100 if rate else None)
                before = after
            print(f"round {r + 1}/{a.runs}: baselines "
                  + " ".join(f"{b:.0f}" for b in bases[-len(rot) - 1:]) + "; kept "
                  + " ".join(f"{kept[n][-1] or 0:.1f}" for n, _ in rot), file=sys.stderr)
        for _ in range(a.stats_runs):
            for name, cmd in tracers:
                if name in stats:
                    stats[name].append(stats_run(cmd, wl, a.d))
    finally:
        wl.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{' '.join(sys.argv)}")
    print(f"loopback TCP 1-byte ping-pong, client on CPU {pin[0]}, server on CPU {pin[1]}")
    print(f"baseline: {spread(bases, '%.0f')} messages/s over {len(bases)} measurements "
          f"({a.runs} rounds of {a.d:g} s)")
    print("kept %: the message rate with the tracer attached against the mean of the"
          " baselines just before and after; medians [min-max] over the rounds")
    for name, _ in tracers:
        print(f"  {name:32} {spread(kept[name], '%.1f'):>22}")
    for name, runs in stats.items():
        runs = [(progs, rate) for progs, rate in runs if progs]
        if not runs:
            continue
        print(f"--stats {name}: {len(runs)} runs, {spread([r for _, r in runs], '%.0f')} msgs/s")
        for prog in runs[0][0]:
            got = [progs[prog] for progs, _ in runs if progs.get(prog, (0, 0))[0]]
            print(f"      {prog:24} {spread([ns / n for n, ns in got], '%.0f'):>16} ns/run "
                  f"({spread([n for n, _ in got], '%.0f')} runs)")


if __name__ == "__main__":
    main()
