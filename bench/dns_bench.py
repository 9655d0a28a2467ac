#!/usr/bin/python3
"""dnssnoop overhead bench.

(1) bulk: a loopback TCP bulk transfer (bench/dns_load.c bulk-client/-server,
    128 KiB writes, in a network namespace of its own) with `netlens
    dnssnoop` running host-wide against none: what a packet that is not DNS
    costs. Target: >= 98% of the throughput kept.
(2) dns:  a paced load of --rate DNS queries a second (default 25,000; 64 UDP
    sockets, at most 256 in flight) against dns_load's responder on
    127.0.0.1:53 in that namespace, with `netlens -j dnssnoop -c` running
    host-wide against none. Targets: 0 lost events, the answered-query rate
    kept >= 95%, and every exchange counted by the tracer.
Each tracer measurement sits between two baselines (rounds -r), its share is
taken against their mean; all ratios printed come from this run. The bulk
load also gives the CPU the client and server used per GB (the second
baseline against the first shows what the machine's other load does to
the throughput alone). Then one
run of each load with --stats gives each BPF program's runs and mean cost.
Run as root: bench/dns_bench.py [-d SECS] [-r ROUNDS] [--rate QPS].

--exporter QPS[,QPS...] measures `netlens exporter --collector.dns` instead
(serving the load's namespace, scraped once at the end): at each paced
rate (0: as fast as the load goes), the answered rate without and with
it, the exchanges counted against those answered, the events lost, and
the exporter's CPU per query.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
NETLENS = os.environ.get("NETLENS", os.path.join(HERE, "..", "build", "netlens"))
sys.path.insert(0, HERE)
from benchlib import read_live  # noqa: E402
BULK_PORT = 18090


class Lab:
    def __init__(self, tmp):
        self.bin = os.path.join(tmp, "dns_load")
        subprocess.run(["cc", "-O2", "-Wall", "-o", self.bin, os.path.join(HERE, "dns_load.c")],
                       check=True)
        self.ns = f"nlbench-dns-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        self.servers = [self._server(["bulk-server", str(BULK_PORT)], 1),
                        self._server(["dns-server", "53"], 1)]

    def _server(self, args, cpu):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, "taskset", "-c", str(cpu),
                              self.bin] + args, stdout=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "ready":
            raise SystemExit(f"{args[0]} did not start")
        return p

    def client(self, args):
        """The client's output numbers, and the CPU seconds the client and
        the servers used meanwhile (tick accounting: softirq work is
        charged to the task it interrupts, on loopback the sender)."""
        c0, s0 = children_cpu(), sum(task_cpu(p.pid) for p in self.servers)
        out = subprocess.run(["ip", "netns", "exec", self.ns, "taskset", "-c", "0", self.bin] +
                             args, capture_output=True, text=True, check=True).stdout.split()
        cpu = children_cpu() - c0 + sum(task_cpu(p.pid) for p in self.servers) - s0
        return [float(x) for x in out], cpu

    def close(self):
        for p in self.servers:
            p.kill()
            p.wait()
        subprocess.run(["ip", "netns", "del", self.ns], check=False)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def task_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


class Tracer:
    def __init__(self, args):
        self.err = tempfile.TemporaryFile(mode="w+")
        self.out = tempfile.TemporaryFile(mode="w+")
        self.p = subprocess.Popen([NETLENS] + args, stdout=self.out, stderr=self.err, text=True)
        deadline = time.monotonic() + 30
        while True:
            if "Tracing " in read_live(self.err):
                return
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"tracer did not start: {read_live(self.err)}")
            time.sleep(0.05)

    def stop(self):
        self.p.send_signal(2)
        self.p.wait(timeout=60)
        self.out.seek(0)
        return self.out.read()


def bulk(lab, secs):
    """(bytes a second, CPU seconds per GB)"""
    (b, t), cpu = lab.client(["bulk-client", str(BULK_PORT), str(secs)])
    return b / t, cpu / (b / 1e9)


def dns(lab, secs, rate):
    (sent, answered, t), _ = lab.client(["dns-client", "53", str(secs), str(rate)])
    return sent, answered, answered / t


def records(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def measure(lab, a):
    res = {"bulk": [], "noise": [], "cpu": [], "dns": [], "lost": [], "seen": [], "sent": [],
           "qps": []}
    for r in range(a.rounds):
        (b0, c0) = bulk(lab, a.duration)
        tr = Tracer(["dnssnoop"])
        (b1, c1) = bulk(lab, a.duration)
        tr.stop()
        (b2, c2) = bulk(lab, a.duration)
        res["bulk"].append(b1 / ((b0 + b2) / 2))
        res["noise"].append(b2 / b0)
        res["cpu"].append(((c0 + c2) / 2) / c1)
        print(f"round {r + 1} bulk: {b0 / 1e9:.2f} / {b1 / 1e9:.2f} / {b2 / 1e9:.2f} GB/s, "
              f"{c0:.3f} / {c1:.3f} / {c2:.3f} CPU s per GB", file=sys.stderr)

        _, _, q0 = dns(lab, a.duration, a.rate)
        tr = Tracer(["-j", "dnssnoop", "-c"])
        sent, answered, q1 = dns(lab, a.duration, a.rate)
        recs = records(tr.stop())
        _, _, q2 = dns(lab, a.duration, a.rate)
        res["dns"].append(q1 / ((q0 + q2) / 2))
        res["qps"].append(q1)
        res["lost"].append(recs[-1]["lost_events"])
        res["seen"].append(sum(x["count"] for x in recs
                               if "count" in x and x["name"].endswith(".bench.test")
                               and x["rcode"] == "NOERROR"))
        res["sent"].append(answered)
        print(f"round {r + 1} dns: {q0:.0f} / {q1:.0f} / {q2:.0f} answered/s, "
              f"lost {res['lost'][-1]}, counted {res['seen'][-1]} of {int(answered)}",
              file=sys.stderr)
    return res


def stats_run(lab, a):
    """One run of each load with --stats: {load: {prog: (runs, mean_ns)}}."""
    out = {}
    for load in ("bulk", "dns"):
        tr = Tracer(["-j", "dnssnoop", "--stats"] + (["-c"] if load == "dns" else []))
        n = bulk(lab, a.duration)[0] * a.duration / (128 << 10) if load == "bulk" else \
            dns(lab, a.duration, a.rate)[1]
        recs = records(tr.stop())
        out[load] = ({s["stats"]["prog"]: (s["stats"]["run_cnt"], s["stats"]["mean_ns"])
                      for s in recs if "stats" in s}, n)
    return out


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        out = {}
        for line in r.read().decode().splitlines():
            if line.startswith("netlens_dns_") and "_bucket" not in line:
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out


def exporter_runs(lab, a, rates):
    """At each rate: (rate, answered/s without the exporter and with it, counted
    NOERROR, answered, lost, the exporter's CPU us a query)."""
    out = []
    for rate in rates:
        base = dns(lab, a.duration, rate)[2]
        port = 19465
        p = subprocess.Popen([NETLENS, "exporter", "--listen", f"127.0.0.1:{port}", "-N", lab.ns,
                              "--collector.dns"], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while "serving" not in p.stderr.readline():
            if p.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the exporter did not start")
        c0 = task_cpu(p.pid)
        sent, answered, qps = dns(lab, a.duration, rate)
        time.sleep(0.5)  # the last records read and counted
        cpu = task_cpu(p.pid) - c0
        m = scrape(port)
        p.send_signal(15)
        p.wait(timeout=30)
        counted = m.get('netlens_dns_responses_total{rcode="NOERROR"}', 0)
        out.append((rate, base, qps, counted, answered,
                    m.get("netlens_dns_lost_events_total", -1), cpu / max(answered, 1) * 1e6))
        print(f"exporter at {rate}/s: {base:.0f} / {qps:.0f} answered/s, counted {counted:.0f} "
              f"of {answered:.0f}, lost {out[-1][5]:.0f}, {out[-1][6]:.1f} us CPU a query",
              file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-d", "--duration", type=float, default=3)
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=25000)
    ap.add_argument("--exporter", metavar="QPS[,QPS...]")
    a = ap.parse_args()
    if a.exporter:
        rates = [int(x) for x in a.exporter.split(",")]
        with tempfile.TemporaryDirectory() as tmp:
            lab = Lab(tmp)
            try:
                runs = exporter_runs(lab, a, rates)
            finally:
                lab.close()
        print(f"exporter --collector.dns, {a.duration:g} s a rate")
        print("  paced rate: answered/s without / with the exporter, exchanges counted / "
              "answered, lost, exporter CPU a query")
        for rate, base, qps, counted, answered, lost, us in runs:
            print(f"  {rate or 'max':>6}/s: {base:7.0f} / {qps:7.0f}, {counted:.0f}/{answered:.0f}, "
                  f"lost {lost:.0f}, {us:.1f} us")
        return
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(tmp)
        try:
            res = measure(lab, a)
            st = stats_run(lab, a)
        finally:
            lab.close()

    def med(v):
        return f"{statistics.median(v) * 100:.1f}% [{min(v) * 100:.1f}-{max(v) * 100:.1f}]"

    print(f"dnssnoop bench, {a.rounds} rounds of {a.duration:g} s (median [min-max])")
    print(f"  bulk TCP over loopback, throughput kept:   {med(res['bulk'])}  (target >= 98%)")
    print(f"    (baseline after / before, the noise:    {med(res['noise'])})")
    print(f"    CPU per byte kept (baseline / tracer):  {med(res['cpu'])}")
    print(f"  DNS at {a.rate}/s, answered rate kept:     {med(res['dns'])}  (target >= 95%), "
          f"{statistics.median(res['qps']):.0f} answered/s with the tracer")
    print(f"  DNS lost events per round:                {res['lost']}  (target 0)")
    print(f"  DNS exchanges counted / answered:         "
          f"{[f'{s}/{int(n)}' for s, n in zip(res['seen'], res['sent'])]}")
    for load, (progs, n) in st.items():
        unit = "128 KiB write" if load == "bulk" else "query"
        print(f"  --stats, {load} load ({n:.0f} {unit}s):")
        for prog, (runs, mean) in sorted(progs.items()):
            print(f"    {prog:22} {runs:10d} runs {mean:7.0f} ns mean "
                  f"{runs * mean / max(n, 1):9.0f} ns per {unit}")


if __name__ == "__main__":
    main()
