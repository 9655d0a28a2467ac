#!/usr/bin/python3
"""What the exporter's BPF collectors cost a short-connection churn (issue
15's target: the default BPF collectors cost <= 1% of the churn's rate).

The churn is tracer6_bench.py's "short" workload: wrk with `Connection:
close` against nginx on 127.0.0.1, every request a new TCP connection.
Three configurations run in rotation between baselines (benchlib's
rotated_kept): no exporter (the baseline), the exporter with its state
collectors only, and the exporter with its defaults (state, doctor, and
the BPF collectors tcp and drops), each scraped once a second as a
Prometheus scraping every second would (15 s is usual: this is 15 times
the scrape load). "kept %" is the connection rate against the mean of the
baselines around it, median [min..max] over rounds.

Then one run with kernel.bpf_stats_enabled=1 gives each BPF program's runs
and ns per connection, and their sum against the CPU time the machine
spent per connection: the cost the kept % cannot resolve below its noise.
Run as root: bench/exporter_churn_bench.py [-d SECS] [-r ROUNDS]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import tracer_bench as tb  # noqa: E402  (packages)
import tracer6_bench as t6  # noqa: E402  (nginx, wrk)

NETLENS = t6.NETLENS
CONFIGS = {
    "state collectors": ["--no-collector.tcp", "--no-collector.drops"],
    "defaults (tcp, drops BPF)": [],
}
TARGET_PCT = 1.0


class Exporter:
    """netlens exporter on a free port, scraped every second by a thread."""

    def __init__(self, args):
        self.port = t6.free_port()
        self.p = subprocess.Popen([NETLENS, "exporter", "--listen", f"127.0.0.1:{self.port}"] +
                                  args, stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        if "serving" not in line:
            self.p.kill()
            raise SystemExit(f"exporter: {line.strip()}")
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.scrape_loop, daemon=True)
        self.t.start()

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=30) as r:
            return r.read().decode()

    def scrape_loop(self):
        while not self.stop_ev.wait(1.0):
            self.scrape()

    def stop(self):
        self.stop_ev.set()
        self.t.join()
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=30)


def prog_stats(pid):
    """{program name: (runs, ns)} of the BPF programs process pid holds."""
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if "bpf-prog" not in os.readlink(f"/proc/{pid}/fd/{fd}"):
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        pid_id = int(info["prog_id"])
        j = json.loads(subprocess.run(["bpftool", "-j", "prog", "show", "id", str(pid_id)],
                                      capture_output=True, text=True).stdout)
        out[j["name"]] = (j.get("run_cnt", 0), j.get("run_time_ns", 0))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=int, default=3, help="wrk seconds per measurement")
    ap.add_argument("-r", "--rounds", type=int, default=3)
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("exporter_churn_bench: run as root")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tb.ensure_packages(["nginx", "wrk", "bpftool"])
    tmp = tempfile.mkdtemp(prefix="nlbench-exp-")
    os.chmod(tmp, 0o755)
    port = t6.free_port()
    nginx = t6.start_nginx(tmp, port)
    try:
        t6.wrk(port, "short", 1)  # warm up
        kept, noise = benchlib.rotated_kept(
            list(CONFIGS), lambda: t6.wrk(port, "short", a.d)[0],
            lambda c: Exporter(CONFIGS[c]), lambda c, e: e.stop(), a.rounds, "churn")
        # one run with BPF statistics on: each program's cost per connection
        old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        try:
            e = Exporter([])
            before = prog_stats(e.p.pid)
            _, done, cpu = t6.wrk(port, "short", a.d)
            after = prog_stats(e.p.pid)
            e.stop()
        finally:
            with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                f.write(old)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"connections/s kept, median [min..max] of {a.rounds} rounds against the baselines "
          f"around each (baseline change between runs: median {benchlib.cell(noise)} %)")
    for c in CONFIGS:
        print(f"  {c:28} {benchlib.cell(kept[c])}")
    print(f"\nBPF programs of the default exporter over {done} connections "
          f"({cpu / done:.0f} CPU ns per connection on the whole machine):")
    total = 0
    for name in sorted(after):
        runs = after[name][0] - before.get(name, (0, 0))[0]
        ns = after[name][1] - before.get(name, (0, 0))[1]
        total += ns
        if runs:
            print(f"  {name:28} {runs / done:6.2f} runs/conn x {ns / runs:5.0f} ns"
                  f" = {ns / done:6.0f} ns/conn")
    share = 100 * total / cpu
    print(f"  total {total / done:.0f} ns/conn = {share:.2f}% of the CPU per connection: "
          + ("PASS" if share <= TARGET_PCT else "MISS") + f" (target <= {TARGET_PCT:g}%)")


if __name__ == "__main__":
    main()
