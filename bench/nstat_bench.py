#!/usr/bin/python3
"""Benchmark `netlens nstat -az` against iproute2's `nstat -az`.

Both print every counter of /proc/net/snmp, netstat, snmp6 (and sctp/snmp)
as absolute values and rewrite their history file (each its own, in a
temporary directory, so neither reads the other's). Runs are interleaved so
drift hits both alike; each is measured as wall time from fork to reap of a
direct exec (no shell) with stdout to /dev/null. After --warmup runs, the
median of --repeat runs is reported with the ratio netlens / nstat.
Target: ratio <= 1.0 (netlens no slower). Printed, never asserted.

Usage: /usr/bin/python3 bench/nstat_bench.py [--repeat N] [--netlens PATH]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - t


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=400)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--netlens", default=os.path.join(here, "..", "build", "netlens"))
    a = ap.parse_args()
    nstat = shutil.which("nstat")
    if not nstat:
        print("nstat_bench: iproute2's nstat is not installed (apt-get install iproute2)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NSTAT_HISTORY=os.path.join(d, "iproute2"),
                   NETLENS_NSTAT_HISTORY=os.path.join(d, "netlens"))
        cmds = {"netlens nstat -az": [a.netlens, "nstat", "-az"], "nstat -az": [nstat, "-az"]}
        lines = {k: len(subprocess.run(c, capture_output=True, text=True, env=env).stdout.splitlines())
                 for k, c in cmds.items()}
        times = {k: [] for k in cmds}
        for i in range(a.warmup + a.repeat):
            for k, c in cmds.items():
                t = timed(c, env)
                if i >= a.warmup:
                    times[k].append(t)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in cmds:
        print(f"{k:20s} median {med[k] * 1e3:7.3f} ms  ({lines[k]} lines, {a.repeat} runs)")
    ratio = med["netlens nstat -az"] / med["nstat -az"]
    print(f"ratio netlens/nstat  {ratio:.3f}  ({'no slower' if ratio <= 1.0 else 'SLOWER'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
