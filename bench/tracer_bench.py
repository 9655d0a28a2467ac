#!/usr/bin/python3
"""Tracer overhead bench: netlens tcplife against its Debian peers.

For each tracer: time from start to the first event, peak memory (VmHWM),
and the connection rate of a short-connection loopback workload (wrk with
`Connection: close` against nginx on 127.0.0.1) with the tracer attached,
as a fraction of the rate without any tracer. Peers: libbpf-tools' tcplife,
bcc's tcplife-bpfcc, and bpftrace with an equivalent script on the same
tracepoint. Installs nginx, wrk, bpftrace, libbpf-tools and bpfcc-tools when
missing. Run as root: `make bench` or `bench/tracer_bench.py [-d SECS] [-r RUNS]`.

Loopback rates drift with whatever else the machine does, so every tracer
measurement sits between two baseline measurements (each of the -r rounds
runs the tracers in a rotated order, with a baseline before each and one at
the end), and its cost is taken against the mean of those two. The table
shows medians with the [min-max] over rounds.
"""
import argparse
import os
import statistics
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETLENS = os.environ.get("NETLENS", os.path.join(HERE, "..", "build", "netlens"))
PORT = 18080
PKGS = {"nginx": "/usr/sbin/nginx", "wrk": "/usr/bin/wrk", "bpftrace": "/usr/bin/bpftrace",
        "libbpf-tools": "/usr/sbin/tcplife", "bpfcc-tools": "/usr/sbin/tcplife-bpfcc"}

BT_SCRIPT = r"""
tracepoint:sock:inet_sock_set_state {
  if (args->protocol != IPPROTO_TCP) { return; }
  if (args->newstate < TCP_FIN_WAIT1) { @birth[args->skaddr] = nsecs; }
  if (args->newstate == TCP_SYN_SENT || args->newstate == TCP_LAST_ACK) {
    @mypid[args->skaddr] = pid; @mycomm[args->skaddr] = comm; }
  if (args->newstate != TCP_CLOSE) { return; }
  $s = @birth[args->skaddr];
  if ($s == 0) { return; }
  $tp = (struct tcp_sock *)args->skaddr;
  printf("%d %s %d %d %d %d %d\n", @mypid[args->skaddr], @mycomm[args->skaddr],
    args->sport, args->dport, $tp->bytes_acked, $tp->bytes_received,
    (nsecs - $s) / 1000000);
  delete(@birth[args->skaddr]); delete(@mypid[args->skaddr]); delete(@mycomm[args->skaddr]);
}
"""


def ensure_packages():
    missing = [p for p, f in PKGS.items() if not os.path.exists(f)]
    if missing:
        print(f"installing {' '.join(missing)}", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL)
    if not os.path.isdir("/sys/kernel/tracing/events"):
        # bpftrace's tracepoint: probe needs tracefs; a fresh machine has none
        os.makedirs("/sys/kernel/tracing", exist_ok=True)
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=False)
        print("mounted tracefs at /sys/kernel/tracing (for bpftrace)", file=sys.stderr)


def start_nginx(tmp):
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid;
error_log {tmp}/error.log; events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_timeout 0;
  server {{ listen 127.0.0.1:{PORT} reuseport backlog=4096;
    location / {{ return 200 "ok"; }} }} }}
""")
    p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.02)
    raise SystemExit("nginx did not start")


def wrk_rate(secs):
    out = subprocess.run(["wrk", "-t1", "-c32", f"-d{secs}s", "-H", "Connection: close",
                          f"http://127.0.0.1:{PORT}/"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit(f"wrk output not understood:\n{out}")


def peak_rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def descendants(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout.split()
    kids = [int(x) for x in out]
    return [pid] + [d for k in kids for d in descendants(k)]


def run_tracer(name, cmd, secs):
    """Starts cmd, measures time to first event, runs wrk, returns figures."""
    out = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
    first = None
    deadline = t0 + 30
    marker = str(PORT).encode()
    while time.monotonic() < deadline and p.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        except OSError:
            pass
        out.seek(0)
        if marker in out.read():
            first = time.monotonic() - t0
            break
        time.sleep(0.001)
    rate = wrk_rate(secs) if p.poll() is None else 0.0
    rss = peak_rss_kb(descendants(p.pid))
    if p.poll() is not None:
        return {"name": name + " (did not run)", "first_ms": None, "rss_mb": 0, "rate": 0.0}
    os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return {"name": name, "first_ms": first * 1000 if first else None, "rss_mb": rss / 1024,
            "rate": rate}


def spread(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "none"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt % med
    return (fmt % med) + " [" + (fmt % min(vals)).strip() + "-" + (fmt % max(vals)).strip() + "]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=int, default=6, help="wrk seconds per measurement")
    ap.add_argument("-r", "--runs", type=int, default=3, help="rounds (medians are reported)")
    ap.add_argument("--only", default="", help="comma-separated substrings of tracer names")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("tracer_bench: run as root")
    ensure_packages()
    tmp = tempfile.mkdtemp(prefix="nlbench-")
    bt = os.path.join(tmp, "tcplife.bt")
    with open(bt, "w") as f:
        f.write(BT_SCRIPT)
    tracers = [
        ("netlens tcplife -j", [NETLENS, "-j", "tcplife"]),
        ("netlens tcplife (text)", [NETLENS, "tcplife"]),
        ("netlens tcpaccept -c (in-kernel count)", [NETLENS, "tcpaccept", "-c", "-i", "1"]),
        ("libbpf-tools tcplife", ["/usr/sbin/tcplife"]),
        ("bcc tcplife-bpfcc", ["/usr/sbin/tcplife-bpfcc"]),
        ("bpftrace (same tracepoint)", ["bpftrace", bt]),
    ]
    if a.only:
        keys = a.only.split(",")
        tracers = [t for t in tracers if any(k in t[0] for k in keys)]
    results = {name: [] for name, _ in tracers}
    bases = []
    nginx = start_nginx(tmp)
    try:
        wrk_rate(2)  # warm up
        for r in range(a.runs):
            rot = tracers[r % len(tracers):] + tracers[:r % len(tracers)]
            before = wrk_rate(a.d)
            bases.append(before)
            for name, cmd in rot:
                row = run_tracer(name, cmd, a.d)
                after = wrk_rate(a.d)
                bases.append(after)
                base = (before + after) / 2
                row["cost"] = (1 - row["rate"] / base) * 100 if row["rate"] else None
                results[name].append(row)
                before = after
            print(f"round {r + 1}/{a.runs} done", file=sys.stderr)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"baseline: {spread(bases, '%.0f')} connections/s over {len(bases)} measurements "
          f"({a.runs} rounds of {a.d} s)")
    print(f"{'tracer':40} {'first event ms':>22} {'peak RSS MB':>20} {'cost % of conn/s':>22}")
    for name, _ in tracers:
        rows = results[name]
        if all(r["name"].endswith("(did not run)") for r in rows):
            print(f"{name:40} did not run")
            continue
        print(f"{name:40} {spread([r['first_ms'] for r in rows], '%.1f'):>22} "
              f"{spread([r['rss_mb'] for r in rows], '%.1f'):>20} "
              f"{spread([r['cost'] for r in rows], '%.1f'):>22}")


if __name__ == "__main__":
    main()
