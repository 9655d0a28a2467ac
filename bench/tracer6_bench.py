#!/usr/bin/python3
"""Overhead of the loss, drop, window and throughput tracers (issue 6).

Two loopback workloads against nginx on 127.0.0.1, each measured without a
tracer and with each tracer attached: short connections (wrk with
`Connection: close`, connections/s) and a bulk transfer (wrk with keep-alive
fetching a 1 MiB file, bytes/s). Targets: at most 3% lost for tcpretrans,
tcpreset and skbdrop in summary mode; tcptop and tcpwin fire per send or
per ACK, so their cost is reported, not judged, as is what owners cost
(tcpretrans -c --owners, tcpreset's event stream).

Two figures per tracer and workload:
  - cost %: the rate lost with the tracer attached. Every tracer run sits
    between two baseline runs (one round runs the tracers in a rotated
    order, a baseline before each and one at the end) and is compared with
    the mean of those two; the table shows the median over rounds and the
    [min..max]. These runs go without --stats (run-time statistics add two
    clock reads to every BPF program run on the host).
  - BPF %: from one --stats run per tracer and workload, the programs' run
    time per connection (short) or per MiB (bulk), against the CPU time the
    machine spent per connection or MiB in that run (/proc/stat). Loopback
    rates swing by several % between runs of the same thing; this figure
    does not, but it leaves out what the hook costs outside the program
    (tracepoint dispatch; a syscalls:* tracepoint sends every system call
    through the kernel's tracing path). The PASS/MISS verdict is on this
    figure; the table also prints how much consecutive baselines differ,
    i.e. what the rates can resolve.
Runs and ns count whatever else runs on the machine too (the tracers are
host-wide): on a busy machine, runs per connection come out higher.

nginx listens on a free port of its own, so other benches on the machine
(tracer_bench.py uses 18080 with SO_REUSEPORT) cannot share its traffic.
Run as root: bench/tracer6_bench.py [-d SECS] [-r ROUNDS] [--only NAME,...]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracer_bench as tb  # nginx, wrk and package helpers

NETLENS = tb.NETLENS
# (name, arguments, target % or None)
TRACERS = [
    ("tcpretrans -c", ["tcpretrans", "-c", "-i", "3600"], 3.0),
    ("tcpreset -c", ["tcpreset", "-c", "-i", "3600"], 3.0),
    ("skbdrop -s", ["skbdrop", "-s", "-i", "3600"], 3.0),
    # what owners cost (-c --owners, and tcpreset's event stream)
    ("tcpretrans -c --owners", ["tcpretrans", "-c", "--owners", "-i", "3600"], None),
    ("tcpreset", ["tcpreset"], None),
    ("tcptop", ["tcptop", "-i", "3600"], None),
    ("tcpwin", ["tcpwin"], None),
    ("tcprtt", ["tcprtt", "-i", "3600"], None),
]
KINDS = ("short", "bulk")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(tmp, port):
    with open(os.path.join(tmp, "big"), "wb") as f:
        f.write(os.urandom(1 << 20))
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid;
error_log {tmp}/error.log; events {{ worker_connections 4096; }}
http {{ access_log off; sendfile off;
  server {{ listen 127.0.0.1:{port} backlog=4096;
    location = /short {{ return 200 "ok"; }}
    location / {{ root {tmp}; }} }} }}
""")
    p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("nginx did not start")


def cpu_busy_ns():
    """CPU time spent on all CPUs, not idle or iowait, in ns."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(v) - v[3] - v[4]) * 1e9 / hz


def wrk(port, kind, secs):
    """(rate, units done, CPU ns spent meanwhile): connections or bytes."""
    if kind == "short":
        cmd = ["wrk", "-t1", "-c32", f"-d{secs}s", "-H", "Connection: close",
               f"http://127.0.0.1:{port}/short"]
    else:
        cmd = ["wrk", "-t1", "-c4", f"-d{secs}s", f"http://127.0.0.1:{port}/big"]
    c0 = cpu_busy_ns()
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    cpu = cpu_busy_ns() - c0
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk: failed requests:\n{out}")
    if kind == "short":
        m = re.search(r"(\d+) requests in ([\d.]+)s", out)
        if not m:
            raise SystemExit(f"wrk: {out}")
        done = int(m.group(1))
        return done / float(m.group(2)), done, cpu
    m = re.search(r"requests in ([\d.]+)s, ([\d.]+)(\w+) read", out)
    if not m:
        raise SystemExit(f"wrk: {out}")
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[m.group(3)]
    done = float(m.group(2)) * scale
    return done / float(m.group(1)), done, cpu


def start_tracer(args, stats):
    out = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen([NETLENS] + args + (["--stats"] if stats else []), stdout=out,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    line = p.stderr.readline()  # "Tracing ...": attached
    if "Tracing" not in line:
        p.kill()
        raise SystemExit(f"{' '.join(args)}: {line.strip()}")
    return p, out


def stop_tracer(p, out):
    os.killpg(p.pid, signal.SIGINT)
    p.stderr.read()
    p.wait(timeout=20)
    out.seek(0)
    return out.read()


def parse_stats(text):
    """The --stats table: PROGRAM HOOK RUNS MISSED TOTAL_NS MEAN_NS."""
    rows, on = [], False
    for line in text.splitlines():
        f = line.split()
        if f[:1] == ["PROGRAM"]:
            on = True
        elif on and len(f) == 6 and f[2].isdigit():
            rows.append((f[0], int(f[2]), int(f[3]), int(f[4])))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=int, default=4, help="wrk seconds per measurement")
    ap.add_argument("-r", "--rounds", "--runs", type=int, default=3)
    ap.add_argument("--only", help="comma-separated tracer names (first words) to run")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("tracer6_bench: run as root")
    # SIGTERM ends the run through the finally below (nginx stopped)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tracers = TRACERS
    if a.only:
        want = a.only.split(",")
        tracers = [t for t in TRACERS if t[1][0] in want or t[0] in want]
    width = max(len(t[0]) for t in tracers)
    tb.ensure_packages()
    tmp = tempfile.mkdtemp(prefix="nlbench6-")
    os.chmod(tmp, 0o755)  # nginx's worker (nobody) reads the file; mkdtemp makes 0700
    port = free_port()
    nginx = start_nginx(tmp, port)
    cost = {(n, k): [] for n, _, _ in tracers for k in KINDS}
    noise = {k: [] for k in KINDS}  # |change| between consecutive baselines, %
    per = {}
    try:
        wrk(port, "short", 1)  # warm up
        for r in range(a.rounds):
            order = tracers[r % len(tracers):] + tracers[:r % len(tracers)]
            for kind in KINDS:
                prev = wrk(port, kind, a.d)[0]
                bases = [prev]
                for n, args, _ in order:
                    p, out = start_tracer(args, False)
                    rate = wrk(port, kind, a.d)[0]
                    stop_tracer(p, out)
                    nxt = wrk(port, kind, a.d)[0]
                    cost[(n, kind)].append((1 - 2 * rate / (prev + nxt)) * 100)
                    noise[kind].append(abs(nxt - prev) * 200 / (nxt + prev))
                    prev = nxt
                    bases.append(nxt)
                print(f"round {r + 1}/{a.rounds} {kind}: baselines "
                      + " ".join(f"{b:.4g}" for b in bases), file=sys.stderr)
        # --stats: BPF time per connection / MiB against CPU time per one
        for kind in KINDS:
            for n, args, _ in tracers:
                p, out = start_tracer(args, True)
                _, done, cpu = wrk(port, kind, a.d)
                rows = parse_stats(stop_tracer(p, out))
                units = done if kind == "short" else done / (1 << 20)
                per[(n, kind)] = (rows, units, cpu)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    def cell(v):
        if not v:
            return "n/a"
        return f"{statistics.median(v):5.1f} [{min(v):.1f}..{max(v):.1f}]"

    def bpf_share(n, kind):
        rows, units, cpu = per[(n, kind)]
        return 100 * sum(r[3] for r in rows) / cpu if cpu else float("nan")

    print(f"cost = rate lost, median [min..max] of {a.rounds} rounds, each against the mean of"
          " the baselines just before and after;")
    print("BPF = programs' run time as a share of the CPU time spent (--stats run)")
    print(f"{'tracer':{width}} {'short cost %':>22} {'BPF %':>6} {'bulk cost %':>22} {'BPF %':>6}"
          "  target")
    for n, _, target in tracers:
        s, b = cost[(n, "short")], cost[(n, "bulk")]
        if target is None:
            verdict = "-"
        else:
            worst = max(bpf_share(n, k) for k in KINDS)
            verdict = ("PASS" if worst <= target else "MISS") + f" (BPF <= {target:g}%)"
        print(f"{n:{width}} {cell(s):>22} {bpf_share(n, 'short'):6.2f} {cell(b):>22}"
              f" {bpf_share(n, 'bulk'):6.2f}  {verdict}")
    print("baseline noise (median |change| between consecutive baseline runs): "
          + ", ".join(f"{k} {statistics.median(noise[k]):.1f}%" for k in KINDS if noise[k])
          + "; a cost below that is not resolved by the rates, hence the verdict on BPF %")
    print("\n--stats per program: runs and BPF ns per connection (short) and per MiB (bulk),"
          " mean ns per run; MISSED = runs the kernel skipped (nesting)")
    for kind in KINDS:
        unit = "conn" if kind == "short" else "MiB"
        for n, _, _ in tracers:
            rows, units, cpu = per[(n, kind)]
            print(f"{kind:5} {n}: {cpu / units:.0f} CPU ns/{unit}")
            for prog, runs, missed, total in rows:
                if runs:
                    print(f"      {prog:26} {runs / units:9.2f} runs/{unit} x {total / runs:5.0f} ns"
                          f" = {total / units:8.0f} ns/{unit}" + (f"  MISSED {missed}" if missed else ""))


if __name__ == "__main__":
    main()
