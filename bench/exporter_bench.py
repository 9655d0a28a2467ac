#!/usr/bin/python3
"""Scrape cost of netlens exporter against prometheus-node-exporter (issue 15).

Both run on loopback on this host, in the same run: node_exporter with its
default collectors, and netlens exporter with its state collectors alone
(no doctor, no BPF) on its default threads and on one (--scrape.threads
1), with the BPF collectors (tcp, drops) added, and with every collector. Each is scraped N times
in a row (after 5 warm-up scrapes), as Prometheus would (Accept asking for
OpenMetrics, one kept-alive connection: a connection per scrape left a
TIME-WAIT socket each that every later scrape's sockets collector walked,
so the rows got slower with the run); printed: median and p99 scrape
latency, CPU per scrape (the process's utime + stime over the scrapes),
peak RSS (VmHWM) and the body size; then, for the state collectors with
and without the BPF ones, the RSS growth over 10,000 more scrapes. Targets (issue 15): <= 2 ms a scrape
for the state collectors, <= 8 MB RSS.

Run as root: bench/exporter_bench.py [-n SCRAPES]
"""
import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETLENS = os.environ.get("NETLENS", os.path.join(HERE, "..", "build", "netlens"))
TICK = os.sysconf("SC_CLK_TCK")
TARGET_MS, TARGET_MB = 2.0, 8.0


def host_tcp_sockets():
    """TCP sockets on the host by the kernel's own count (/proc/net/sockstat):
    the sockets collector walks them all, so a host full of TIME-WAITs (a
    test run just before) slows every netlens row; printed with the table."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                w = line.split()
                return int(w[w.index("inuse") + 1]), int(w[w.index("tw") + 1])
    return 0, 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


ACCEPT = {"Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"}


def scrape(conn):
    """One scrape on a kept-alive connection: seconds and body bytes."""
    t0 = time.perf_counter()
    conn.request("GET", "/metrics", headers=ACCEPT)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"scrape answered {r.status}")
    return time.perf_counter() - t0, len(body)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(name, cmd, port, n, leak_scrapes=0):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn = None
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                scrape(conn)
                break
            except OSError:
                conn.close()
                if time.monotonic() > deadline or p.poll() is not None:
                    raise SystemExit(f"{name} did not start: {' '.join(cmd)}")
                time.sleep(0.05)
        for _ in range(5):
            scrape(conn)
        c0 = cpu_s(p.pid)
        lat, size = [], 0
        for _ in range(n):
            t, size = scrape(conn)
            lat.append(t * 1000)
        cpu = (cpu_s(p.pid) - c0) / n * 1000
        lat.sort()
        hwm, rss = hwm_mb(p.pid), rss_mb(p.pid)
        grow = None
        if leak_scrapes:  # RSS before and after many more
            before = rss_mb(p.pid)
            for _ in range(leak_scrapes):
                scrape(conn)
            grow = (rss_mb(p.pid) - before) * 1024
        return dict(name=name, median=statistics.median(lat), p99=lat[int(0.99 * (n - 1))],
                    cpu=cpu, hwm=hwm, rss=rss, size=size, grow=grow)
    finally:
        if conn:
            conn.close()
        p.terminate()
        p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=300, help="scrapes per exporter")
    a = ap.parse_args()
    node = shutil.which("prometheus-node-exporter")
    if not node:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        "prometheus-node-exporter"], check=True, capture_output=True)
        node = shutil.which("prometheus-node-exporter")
    runs = []
    tcp_at_start = host_tcp_sockets()
    port = free_port()
    runs.append(measure("node_exporter (defaults)",
                        [node, f"--web.listen-address=127.0.0.1:{port}"], port, a.n))
    port = free_port()
    runs.append(measure("netlens state collectors",
                        [NETLENS, "exporter", "--listen", f"127.0.0.1:{port}",
                         "--no-collector.doctor", "--no-collector.tcp", "--no-collector.drops"],
                        port, a.n, leak_scrapes=10000))
    port = free_port()
    runs.append(measure("netlens state, 1 thread",
                        [NETLENS, "exporter", "--listen", f"127.0.0.1:{port}", "--scrape.threads",
                         "1", "--no-collector.doctor", "--no-collector.tcp",
                         "--no-collector.drops"], port, a.n))
    port = free_port()
    runs.append(measure("netlens state + BPF",
                        [NETLENS, "exporter", "--listen", f"127.0.0.1:{port}",
                         "--no-collector.doctor"], port, a.n, leak_scrapes=10000))
    port = free_port()
    runs.append(measure("netlens all collectors",
                        [NETLENS, "exporter", "--listen", f"127.0.0.1:{port}"], port, a.n))
    base = runs[0]
    print(f"{a.n} scrapes each on one kept-alive connection, OpenMetrics asked")
    print("host TCP sockets at the start: %d in use, %d TIME-WAIT (each one is a row the"
          " sockets collector reads)" % tcp_at_start)
    print("RSS: after the scrapes (VmRSS); peak: the most it ever held (VmHWM, loading BPF "
          "programs included)")
    print(f"{'exporter':26} {'median ms':>9} {'p99 ms':>7} {'CPU ms':>7} {'RSS MB':>7}"
          f" {'peak MB':>7} {'bytes':>8}  vs node_exporter (median, CPU, RSS)")
    for r in runs:
        print(f"{r['name']:26} {r['median']:9.2f} {r['p99']:7.2f} {r['cpu']:7.2f} {r['rss']:7.1f}"
              f" {r['hwm']:7.1f} {r['size']:8d}  x{r['median'] / base['median']:.2f}"
              f" x{r['cpu'] / base['cpu']:.2f} x{r['rss'] / base['rss']:.2f}"
              if base['cpu'] else "")
    st = runs[1]
    for r in runs:
        if r["grow"] is not None:
            print(f"{r['name']}: RSS {r['grow']:+.0f} KiB over 10,000 more scrapes")
    ok = st["median"] <= TARGET_MS and st["rss"] <= TARGET_MB
    print(f"state collectors: {'PASS' if ok else 'MISS'} (median <= {TARGET_MS:g} ms,"
          f" RSS <= {TARGET_MB:g} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
