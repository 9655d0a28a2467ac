#!/usr/bin/python3
"""Tracer overhead bench: netlens tcplife against its Debian peers.

For each tracer: time from start to the first event, peak memory (VmHWM),
and the connection rate of short-connection loopback workloads with the
tracer attached (host-wide, no filter), as a share of the rate without any
tracer measured in the same run ("kept %"). Workloads (--workloads):
  graceful  wrk with `Connection: close` against nginx on 127.0.0.1 (host):
            the server closes first, both ends go through FIN.
  rst       bench/rst_load.c (compiled here) in a network namespace of its
            own: 32 connections at a time, each sends 100 bytes, reads 100,
            and the client closes with SO_LINGER 0. The server's socket is
            reset in a softirq before its process closes it (tcplife's "no
            owner at CLOSE" path, completed at tcp_destroy_sock).
  fin       the same client closing normally (FIN): the graceful path with
            the rst workload's programs, for a like-for-like comparison.
Peers: libbpf-tools' tcplife, bcc's tcplife-bpfcc, and bpftrace with an
equivalent script on the same tracepoint. Installs nginx, wrk, bpftrace,
libbpf-tools and bpfcc-tools when missing. Run as root: `make bench` or
`bench/tracer_bench.py [-d SECS] [-r RUNS] [--only NAMES] [--workloads W,..]`.

Loopback rates drift with whatever else the machine does, so every tracer
measurement sits between two baseline measurements (each of the -r rounds
runs the tracers in a rotated order, with a baseline before each and one at
the end), and its share is taken against the mean of those two. The
client and server are pinned to one CPU each (--pin): unpinned, the
scheduler moving them between the two cores moved 1 s baselines of the same
build between 16k and 25k connections/s, pinned between 14.9k and 15.6k.
Each measurement also records the CPU the rest of the machine used
meanwhile (/proc/stat less our processes): the table gives medians with the
[min-max] over rounds, for all rounds and for the "quiet" ones (--quiet),
the CPU per connection with and without the tracer (which other load moves
far less than the rate), and the tracer process's own CPU per connection
(schedstat, ns). Then, for the netlens tcplife rows, --stats-runs runs with
--stats (interleaved when --compare gives a second build) give each BPF
program's runs and ns per connection, medians [min-max] over the runs.
"""
import argparse
import os
import re
import resource
import statistics
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RST_PORT = 18081
NETLENS = os.environ.get("NETLENS", os.path.join(HERE, "..", "build", "netlens"))
PORT = 18080
# CPU placement (--pin): client, server. Unpinned, the scheduler moves the
# client and server between the two cores and the rate with them: a churn
# whose two ends share a core runs up to 1.6x faster than one split across
# them, and repeated 1 s baselines of the same build ranged 16k-25k conn/s
# unpinned against 14.9k-15.6k pinned (2-core VM). The tracer is not pinned:
# its consumer takes CPU from whichever end it lands beside, as it would.
PIN = {"client": None, "server": None}


def pinned(cmd, who):
    cpu = PIN[who]
    return cmd if cpu is None else ["taskset", "-c", str(cpu)] + cmd
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


def ensure_packages(want=None):
    """Installs the packages named in want (default: all of PKGS) that are missing."""
    missing = [p for p, f in PKGS.items() if (want is None or p in want) and not os.path.exists(f)]
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
    p = subprocess.Popen(pinned(["nginx", "-c", conf, "-p", tmp], "server"),
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.02)
    raise SystemExit("nginx did not start")


def wrk_count(secs):
    """(requests done, seconds): one request per connection."""
    out = subprocess.run(pinned(["wrk", "-t1", "-c32", f"-d{max(1, round(secs))}s", "-H", "Connection: close",
                                 f"http://127.0.0.1:{PORT}/"], "client"),
                         capture_output=True, text=True).stdout
    m = re.search(r"(\d+) requests in ([\d.]+)s", out)
    if not m:
        raise SystemExit(f"wrk output not understood:\n{out}")
    return int(m.group(1)), float(m.group(2))


def wrk_rate(secs):
    done, took = wrk_count(secs)
    return done / took


class Wrk:
    """graceful: wrk with Connection: close against nginx on the host."""
    name = "graceful"
    what = "wrk -c32 `Connection: close` to nginx on 127.0.0.1 (server closes first)"

    def __init__(self, tmp):
        self.nginx = start_nginx(tmp)

    def poke(self):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        except OSError:
            pass

    def count(self, secs):
        return wrk_count(secs)

    def server_pids(self):
        return descendants(self.nginx.pid)

    def rate(self, secs):
        return wrk_rate(secs)

    def stop(self):
        self.nginx.send_signal(signal.SIGQUIT)
        self.nginx.wait(timeout=10)


class RstLoad:
    """rst/fin: bench/rst_load.c, server and client in a namespace of their own."""

    def __init__(self, tmp, fin):
        self.fin = fin
        self.name = "fin" if fin else "rst"
        self.what = ("rst_load -c32 in a netns, client closes normally (FIN)" if fin else
                     "rst_load -c32 in a netns, client closes with SO_LINGER 0 (RST)")
        self.ns = f"nlbench-{self.name}-{os.getpid()}"
        self.bin = os.path.join(tmp, "rst_load")
        self.server = None
        if not os.path.exists(self.bin):
            subprocess.run(["cc", "-O2", "-o", self.bin, os.path.join(HERE, "rst_load.c")],
                           check=True)
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        try:
            subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
            self.server = subprocess.Popen(
                ["ip", "netns", "exec", self.ns] + pinned([self.bin, "server", str(RST_PORT)],
                                                          "server"),
                stdout=subprocess.PIPE, text=True)
            if self.server.stdout.readline().strip() != "ready":
                raise SystemExit("rst_load server did not start")
        except BaseException:
            self.stop()
            raise

    def _client(self, secs, conc):
        cmd = ["ip", "netns", "exec", self.ns] + pinned(
            [self.bin, "client", str(RST_PORT), str(secs), str(conc)] +
            (["fin"] if self.fin else []), "client")
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
        return int(out[0]), float(out[1])

    def poke(self):
        self._client(0.01, 1)

    def count(self, secs):
        return self._client(secs, 32)

    def server_pids(self):
        return [self.server.pid]

    def rate(self, secs):
        done, took = self._client(secs, 32)
        return done / took

    def stop(self):
        if self.server:
            self.server.kill()
            self.server.wait()
        subprocess.run(["ip", "netns", "del", self.ns], check=False)


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


def sched_ns(pid):
    """CPU time pid has run, ns (softirqs it ran included: no IRQ time accounting)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except OSError:
        return 0


def children_ns():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * 1e9


def busy_ns():
    """CPU time the whole machine spent busy (all CPUs, /proc/stat), ns."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) * 1e9 / os.sysconf("SC_CLK_TCK")


def run_load(wl, secs, pids=()):
    """One measurement of the workload, with the tracer pids running (or
    none): {rate: connections/s, cpu: CPU ns per connection of the client,
    server and tracer, tracer: the tracer's own (user space) CPU ns per
    connection, other: CPU the rest of the machine used meanwhile, in % of
    one CPU}. Other work on the machine slows the rate but hardly moves the
    CPU per connection; "other" says how much of it there was."""
    wpids = list(wl.server_pids())
    c0, s0, t0 = children_ns(), sum(sched_ns(p) for p in wpids + list(pids)), time.monotonic()
    u0, b0 = sum(sched_ns(p) for p in pids), busy_ns()
    done, took = wl.count(secs)
    ours = children_ns() - c0 + sum(sched_ns(p) for p in wpids + list(pids)) - s0
    other = (busy_ns() - b0 - ours) / ((time.monotonic() - t0) * 1e9) * 100
    return {"rate": done / took, "cpu": ours / done, "done": done,
            "tracer": (sum(sched_ns(p) for p in pids) - u0) / done, "other": max(other, 0.0)}


def run_tracer(name, cmd, secs, wl):
    """Starts cmd, measures time to first event, runs the workload, returns figures."""
    out = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
    first = None
    deadline = t0 + 30
    marker = str(PORT if isinstance(wl, Wrk) else RST_PORT).encode()
    while time.monotonic() < deadline and p.poll() is None:
        wl.poke()
        out.seek(0)
        if marker in out.read():
            first = time.monotonic() - t0
            break
        time.sleep(0.001)
    load = run_load(wl, secs, descendants(p.pid)) if p.poll() is None else None
    rss = peak_rss_kb(descendants(p.pid))
    if p.poll() is not None:
        return {"name": name + " (did not run)", "first_ms": None, "rss_mb": 0, "rate": 0.0,
                "cpu": None, "tracer": None, "other": 0.0}
    os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return dict(load, name=name, first_ms=first * 1000 if first else None, rss_mb=rss / 1024)


def spread(vals, fmt):
    """median [min-max]"""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "none"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt % med
    return (fmt % med) + " [" + (fmt % min(vals)).strip() + "-" + (fmt % max(vals)).strip() + "]"


def bpf_stats(cmd, wl, secs):
    """One run of a netlens tracer with --stats: {program: (runs, ns)}, connections,
    run_load()'s figures."""
    out = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd + ["--stats"], stdout=out, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    if "Tracing" not in p.stderr.readline():
        p.kill()
        p.wait()
        return {}, 0, None
    load = run_load(wl, secs, descendants(p.pid))
    os.killpg(p.pid, signal.SIGINT)
    p.stderr.read()
    p.wait(timeout=20)
    out.seek(0)
    rows = {}
    for line in out:
        m = re.search(r'"prog":"(\w+)".*"run_cnt":(\d+).*"run_time_ns":(\d+)', line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return rows, load["done"], load


def print_stats(name, runs):
    """The --stats runs of one tracer: medians [min-max] over them."""
    loads = [load for _, done, load in runs if done]
    runs = [(rows, done) for rows, done, _ in runs if done]
    if not runs:
        return
    totals = [sum(ns for _, ns in rows.values()) / done for rows, done in runs]
    print(f"--stats {name}: {spread(totals, '%.0f')} BPF ns per connection "
          f"({len(runs)} runs, {spread([d for _, d in runs], '%.0f')} connections each); "
          f"consumer {spread([ld['tracer'] / 1000 for ld in loads], '%.2f')} CPU us, client +"
          f" server + tracer {spread([ld['cpu'] / 1000 for ld in loads], '%.1f')} CPU us per"
          f" connection; rest of the machine {spread([ld['other'] for ld in loads], '%.0f')}%"
          " of a CPU")
    for prog in runs[0][0]:
        got = [(rows[prog], done) for rows, done in runs if prog in rows and rows[prog][0]]
        if not got:
            continue
        print(f"      {prog:24} {spread([r / d for (r, _), d in got], '%.2f'):>18} runs/conn x "
              f"{spread([ns / r for (r, ns), _ in got], '%.0f'):>16} ns/run = "
              f"{spread([ns / d for (_, ns), d in got], '%.0f'):>16} ns/conn")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=float, default=3, help="seconds per measurement")
    ap.add_argument("-r", "--runs", type=int, default=8, help="rounds (medians are reported)")
    ap.add_argument("--only", default="", help="comma-separated substrings of tracer names")
    ap.add_argument("--compare", metavar="NETLENS",
                    help="another netlens binary: adds its `tcplife -j` as a row (before/after)")
    ap.add_argument("--workloads", default="graceful,rst",
                    help="comma-separated: graceful, rst, fin (see the top of this file)")
    ap.add_argument("--pin", default="0,1", metavar="CLIENT,SERVER",
                    help="CPUs for the workload's client and server ('none': unpinned)")
    ap.add_argument("--stats-runs", type=int, default=3,
                    help="--stats runs per netlens tcplife row (BPF time per connection)")
    ap.add_argument("--quiet", type=float, default=20, metavar="PCT",
                    help="also report the rounds whose measurements saw at most PCT %% of a CPU"
                    " used by the rest of the machine")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("tracer_bench: run as root")
    kinds = a.workloads.split(",")
    if not kinds or any(k not in ("graceful", "rst", "fin") for k in kinds):
        raise SystemExit("tracer_bench: --workloads takes graceful, rst, fin")
    if a.pin != "none":
        PIN["client"], PIN["server"] = (int(c) for c in a.pin.split(","))
    # SIGTERM ends the run through the finally below (servers and namespaces go)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tracers = [
        ("netlens tcplife -j", [NETLENS, "-j", "tcplife"]),
        ("netlens tcplife (text)", [NETLENS, "tcplife"]),
        ("netlens tcpaccept -c (in-kernel count)", [NETLENS, "tcpaccept", "-c", "-i", "1"]),
        # the socket-layer tracers: every connect() (both the churn's
        # client connects and, for udpconnect, its TCP ones filtered out),
        # every accept() of its server
        ("netlens soconnect -j", [NETLENS, "-j", "soconnect"]),
        ("netlens soconnect -c (in-kernel count)", [NETLENS, "soconnect", "-c", "-i", "1"]),
        ("netlens udpconnect -j (TCP churn: filtered)", [NETLENS, "-j", "udpconnect"]),
        ("netlens soaccept -j", [NETLENS, "-j", "soaccept"]),
        ("libbpf-tools tcplife", ["/usr/sbin/tcplife"]),
        ("bcc tcplife-bpfcc", ["/usr/sbin/tcplife-bpfcc"]),
        ("bpftrace (same tracepoint)", ["bpftrace", "BT_SCRIPT"]),
    ]
    if a.only:
        keys = a.only.split(",")
        tracers = [t for t in tracers if any(k in t[0] for k in keys)]
    if a.compare:
        tracers.append((f"tcplife -j of {a.compare}", [a.compare, "-j", "tcplife"]))
    need = {p for p, f in PKGS.items()
            if any(t[1][0] in (f, os.path.basename(f)) for t in tracers)}
    if "graceful" in kinds:
        need |= {"nginx", "wrk"}
    ensure_packages(need)
    tmp = tempfile.mkdtemp(prefix="nlbench-")
    bt = os.path.join(tmp, "tcplife.bt")
    with open(bt, "w") as f:
        f.write(BT_SCRIPT)
    tracers = [(n, [bt if x == "BT_SCRIPT" else x for x in cmd]) for n, cmd in tracers]
    report = []
    try:
        for kind in kinds:
            wl = Wrk(tmp) if kind == "graceful" else RstLoad(tmp, kind == "fin")
            try:
                report.append(measure(wl, tracers, a))
            finally:
                wl.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{' '.join(sys.argv)}")
    print(f"client on CPU {PIN['client']}, server on CPU {PIN['server']} (None: unpinned)")
    for kind, wl_what, bases, results, stats in report:
        print(f"\n{kind}: {wl_what}")
        print(f"baseline: {spread([b['rate'] for b in bases], '%.0f')} connections/s over "
              f"{len(bases)} measurements ({a.runs} rounds of {a.d:g} s); "
              f"{spread([b['cpu'] / 1000 for b in bases], '%.1f')} CPU us per connection; "
              f"rest of the machine {spread([b['other'] for b in bases], '%.0f')}% of a CPU")
        print("conn/s kept %: the rate with the tracer against the mean of the baselines just"
              " before and after; CPU kept %: the same for CPU time per connection (client,"
              " server and tracer processes), which the machine's load moves less; +CPU us: the"
              " CPU the tracer adds per connection; consumer us: the tracer process's own CPU"
              " per connection. Medians [min-max] over the rounds; 'quiet': the rounds whose"
              f" three measurements saw at most {a.quiet:g}% of a CPU used by the rest of the"
              " machine")
        print(f"{'tracer':32} {'first ms':>16} {'RSS MB':>13} {'conn/s kept %':>18}"
              f" {'quiet: kept %':>18} {'CPU kept %':>18} {'+CPU us':>15} {'consumer us':>15}")
        for name, _ in tracers:
            rows = [r for r in results[name] if not r["name"].endswith("(did not run)")]
            if not rows:
                print(f"{name:32} did not run")
                continue
            quiet = [r["kept"] for r in rows if r["worst_other"] <= a.quiet]
            print(f"{name:32} {spread([r['first_ms'] for r in rows], '%.1f'):>16} "
                  f"{spread([r['rss_mb'] for r in rows], '%.1f'):>13} "
                  f"{spread([r['kept'] for r in rows], '%.1f'):>18} "
                  f"{spread(quiet, '%.1f') + f' ({len(quiet)})':>18} "
                  f"{spread([r['cpu_kept'] for r in rows], '%.1f'):>18} "
                  f"{spread([r['cpu_added'] for r in rows], '%.1f'):>15} "
                  f"{spread([r['tracer'] / 1000 for r in rows], '%.2f'):>15}")
        for name, runs in stats.items():
            print_stats(name, runs)


def measure(wl, tracers, a):
    """One workload: the interleaved rounds, then --stats runs per netlens tcplife row,
    interleaved too."""
    results = {name: [] for name, _ in tracers}
    bases = []
    wl.rate(2)  # warm up
    for r in range(a.runs):
        rot = tracers[r % len(tracers):] + tracers[:r % len(tracers)]
        before = run_load(wl, a.d)
        bases.append(before)
        for name, cmd in rot:
            row = run_tracer(name, cmd, a.d, wl)
            after = run_load(wl, a.d)
            bases.append(after)
            base_rate = (before["rate"] + after["rate"]) / 2
            base_cpu = (before["cpu"] + after["cpu"]) / 2
            row["kept"] = row["rate"] / base_rate * 100 if row["rate"] else None
            row["cpu_kept"] = base_cpu / row["cpu"] * 100 if row["cpu"] else None
            row["cpu_added"] = (row["cpu"] - base_cpu) / 1000 if row["cpu"] else None
            row["worst_other"] = max(before["other"], row["other"], after["other"])
            results[name].append(row)
            before = after
        print(f"{wl.name} round {r + 1}/{a.runs}: baselines "
              + " ".join(f"{b['rate']:.0f}" for b in bases[-len(rot) - 1:]) + "; kept "
              + " ".join(f"{results[n][-1]['kept'] or 0:.1f}" for n, _ in rot), file=sys.stderr)
    want = [(name, cmd) for name, cmd in tracers
            if cmd[0] in (NETLENS, a.compare) and "-j" in cmd and
            any(t in cmd for t in ("tcplife", "soconnect", "udpconnect", "soaccept"))]
    stats = {name: [] for name, _ in want}
    for _ in range(a.stats_runs):
        for name, cmd in want:
            stats[name].append(bpf_stats(cmd, wl, a.d))
    return wl.name, wl.what, bases, results, stats


if __name__ == "__main__":
    main()
