#!/usr/bin/env python3
"""How long `netlens doctor` takes on this host, sampling aside (-i 0), and
from a snapshot; the target is well under 100 ms. Prints medians of many
runs and the ratio to the target; never fails on timings.

    /usr/bin/python3 bench/doctor_bench.py [--runs N] [--netlens PATH]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000)
        if p.returncode not in (0, 1, 2):
            sys.exit(f"{cmd} failed with {p.returncode}")
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--netlens", default=os.path.join(ROOT, "build", "netlens"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        snap = os.path.join(d, "host.nlsnap")
        subprocess.run([a.netlens, "snapshot", "-o", snap, "-i", "0"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = [("netlens doctor -i 0 (live)", timed([a.netlens, "doctor", "-i", "0"], a.runs)),
                ("netlens doctor --from snapshot", timed([a.netlens, "doctor", "--from", snap], a.runs)),
                ("netlens ss -tan (reference)", timed([a.netlens, "ss", "-tan"], a.runs))]
    print(f"{'command':34} {'median ms':>10} {'min ms':>8} {'vs 100 ms target':>17}")
    for name, (med, mn) in rows:
        print(f"{name:34} {med:10.1f} {mn:8.1f} {med / 100:17.2f}")


if __name__ == "__main__":
    main()
