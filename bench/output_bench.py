#!/usr/bin/python3
"""Cost of netlens' event output, per row and during a real workload.

1. ns per row: build/bench/output_bench feeds synthetic tcplife events
   through the real tcplife printer and the output layer (JSON lines and the
   text table, rows to /dev/null, stdout flushed every -b rows as the
   ring-buffer loop does); the median of -r runs.
2. --live: CPU the netlens process uses while it streams every session of a
   short-connection loopback workload (wrk with `Connection: close` against
   nginx, helpers from tracer_bench.py) to a file: utime+stime from
   /proc/PID/stat over the wrk run, as % of one core and as microseconds per
   connection (wrk's requests, each one connection, i.e. two tcplife rows).

`bench/output_bench.py [-n ROWS] [-r RUNS] [--live] [--netlens PATH] [-d SECS]`
(--live needs root; NETLENS or --netlens picks the binary to measure).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, HERE)


def microbench(rows, runs):
    subprocess.run(["make", "-s", "-C", ROOT, "build/bench/output_bench"], check=True)
    exe = os.path.join(ROOT, "build", "bench", "output_bench")
    for name, flags in (("json (-j)", ["-j"]), ("text", []), ("text -t -w", ["-t", "-w"])):
        vals = []
        for _ in range(runs):
            err = subprocess.run([exe, "-n", str(rows)] + flags, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, check=True).stderr
            vals.append(float(err.split(": ")[1].split()[0]))
        print(f"{name:12} {statistics.median(vals):7.1f} ns/row cpu "
              f"[{min(vals):.1f}-{max(vals):.1f}]")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def live(netlens, secs, runs):
    import tracer_bench as tb

    hz = os.sysconf("SC_CLK_TCK")
    tmp = tempfile.mkdtemp(prefix="nloutbench-")
    nginx = tb.start_nginx(tmp)
    try:
        tb.wrk_rate(2)  # warm up
        for name, args in (("tcplife -j", ["-j", "tcplife"]), ("tcplife (text)", ["tcplife"])):
            pcts, per_conn, rates = [], [], []
            for _ in range(runs):
                out = open(os.path.join(tmp, "out"), "wb")
                p = subprocess.Popen([netlens] + args, stdout=out, stderr=subprocess.PIPE)
                line = p.stderr.readline()
                if not line.startswith(b"Tracing"):
                    raise SystemExit(f"netlens did not start: {line!r}")
                c0, t0 = cpu_ticks(p.pid), time.monotonic()
                rate = tb.wrk_rate(secs)
                c1, t1 = cpu_ticks(p.pid), time.monotonic()
                p.terminate()
                p.wait()
                out.close()
                cpu = (c1 - c0) / hz
                pcts.append(cpu / (t1 - t0) * 100)
                per_conn.append(cpu / (rate * secs) * 1e6)
                rates.append(rate)
            print(f"{name:15} netlens CPU {statistics.median(pcts):5.2f}% of a core "
                  f"[{min(pcts):.2f}-{max(pcts):.2f}], {statistics.median(per_conn):.2f} us/connection, "
                  f"{statistics.median(rates):.0f} connections/s")
    finally:
        nginx.terminate()
        nginx.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000000, help="rows per microbench run")
    ap.add_argument("-r", "--runs", type=int, default=5)
    ap.add_argument("--live", action="store_true", help="also measure netlens during wrk")
    ap.add_argument("--netlens", default=os.environ.get("NETLENS",
                                                        os.path.join(ROOT, "build", "netlens")))
    ap.add_argument("-d", type=int, default=10, help="wrk seconds per live run")
    a = ap.parse_args()
    microbench(a.n, a.runs)
    if a.live:
        live(a.netlens, a.d, a.runs)


if __name__ == "__main__":
    main()
