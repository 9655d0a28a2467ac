#!/usr/bin/python3
"""Overhead of the loss, drop, window and throughput tracers (issue 6).

Two loopback workloads against nginx on 127.0.0.1, each measured without a
tracer and with each tracer attached: short connections (wrk with
`Connection: close`, connections/s) and a bulk transfer (wrk with keep-alive
fetching a 1 MiB file, bytes/s). Prints the cost of each tracer as a share
of the rate lost, and, from `--stats`, the BPF programs' runs and mean ns
per run. Targets: at most 3% for tcpretrans, tcpreset and skbdrop in
summary mode; tcptop and tcpwin fire per send or per ACK, so their cost is
reported, not judged. Run as root: bench/tracer6_bench.py [-d SECS] [-r RUNS].
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracer_bench as tb  # nginx, wrk and package helpers

NETLENS = tb.NETLENS
TRACERS = [
    ("tcpretrans -c (summary)", ["tcpretrans", "-c", "-i", "3600"], 3.0),
    ("tcpreset (events)", ["tcpreset"], 3.0),
    ("skbdrop -s (summary)", ["skbdrop", "-s", "-i", "3600"], 3.0),
    ("tcptop", ["tcptop", "-i", "3600"], None),
    ("tcpwin (events to /dev/null)", ["tcpwin"], None),
    ("tcprtt (histogram)", ["tcprtt", "-i", "3600"], None),
]


def start_nginx(tmp):
    with open(os.path.join(tmp, "big"), "wb") as f:
        f.write(os.urandom(1 << 20))
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid;
error_log {tmp}/error.log; events {{ worker_connections 4096; }}
http {{ access_log off; sendfile off;
  server {{ listen 127.0.0.1:{tb.PORT} reuseport backlog=4096;
    location = /short {{ return 200 "ok"; }}
    location / {{ root {tmp}; }} }} }}
""")
    p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["wrk", "-t1", "-c1", "-d1s", f"http://127.0.0.1:{tb.PORT}/short"],
                          capture_output=True).returncode == 0:
            return p
    raise SystemExit("nginx did not start")


def wrk(kind, secs):
    if kind == "short":
        cmd = ["wrk", "-t1", "-c32", f"-d{secs}s", "-H", "Connection: close",
               f"http://127.0.0.1:{tb.PORT}/short"]
    else:
        cmd = ["wrk", "-t1", "-c4", f"-d{secs}s", f"http://127.0.0.1:{tb.PORT}/big"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    if kind == "short":
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(m.group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m.group(2)]
    return float(m.group(1)) * scale


def with_tracer(args, kind, secs):
    """Rate of the workload with the tracer attached, and its --stats lines."""
    out = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen([NETLENS] + args + ["--stats"], stdout=out,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    line = p.stderr.readline()  # "Tracing ...": attached
    if "Tracing" not in line:
        p.kill()
        return None, line.strip()
    rate = wrk(kind, secs)
    os.killpg(p.pid, signal.SIGINT)
    p.stderr.read()
    p.wait(timeout=20)
    out.seek(0)
    # the --stats table: PROGRAM HOOK RUNS MISSED TOTAL_NS MEAN_NS
    stats, on = [], False
    for line in out.read().splitlines():
        f = line.split()
        if f[:1] == ["PROGRAM"]:
            on = True
        elif on and len(f) == 6 and f[2].isdigit() and int(f[2]) > 0:
            stats.append(f"{f[1]} {int(f[2])} runs x {f[5]} ns")
    return rate, "; ".join(stats)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=int, default=4, help="wrk seconds per measurement")
    ap.add_argument("-r", "--runs", type=int, default=2)
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("tracer6_bench: run as root")
    tb.ensure_packages()
    tmp = tempfile.mkdtemp(prefix="nlbench6-")
    nginx = start_nginx(tmp)
    cost = {(n, k): [] for n, _, _ in TRACERS for k in ("short", "bulk")}
    stats = {}
    try:
        for r in range(a.runs):
            for kind in ("short", "bulk"):
                b1 = wrk(kind, a.d)
                rows = [(n, with_tracer(args, kind, a.d)) for n, args, _ in TRACERS]
                b2 = wrk(kind, a.d)
                base = (b1 + b2) / 2
                for n, (rate, st) in rows:
                    if rate:
                        cost[(n, kind)].append((1 - rate / base) * 100)
                    stats[(n, kind)] = st
                print(f"round {r + 1}/{a.runs} {kind}: baseline {b1:.4g}, {b2:.4g}", file=sys.stderr)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'tracer':32} {'short conn cost %':>18} {'bulk cost %':>12}  target  BPF --stats (bulk)")
    for n, _, target in TRACERS:
        s = statistics.median(cost[(n, "short")]) if cost[(n, "short")] else float("nan")
        b = statistics.median(cost[(n, "bulk")]) if cost[(n, "bulk")] else float("nan")
        verdict = "-" if target is None else ("PASS" if max(s, b) <= target else "MISS")
        print(f"{n:32} {s:18.1f} {b:12.1f}  {verdict:6}  {stats.get((n, 'bulk'), '')}")
    print("(cost = rate lost with the tracer attached, median of rounds; loopback rates are noisy:"
          " a few % either way is within the noise of one run)")


if __name__ == "__main__":
    main()
