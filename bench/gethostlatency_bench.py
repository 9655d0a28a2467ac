#!/usr/bin/python3
"""gethostlatency cost bench: a loop of getaddrinfo() calls (bench/gai_loop.c,
compiled here; "localhost" from /etc/hosts, so no network) with and without
the tracer, host-wide and unfiltered.

Each of -r rounds measures, for each tracer in turn, the loop alone, with
the tracer, and alone again; each traced rate is compared with the mean of
the two baselines around it. Tracers: `netlens gethostlatency` streaming
events (to /dev/null), `netlens gethostlatency --hist` (counting in the
kernel, no events), and as peers bpftrace's gethostlatency.bt (the stock
tool: uprobes and uretprobes on getaddrinfo, gethostbyname, gethostbyname2)
and a bare bpftrace uprobe + uretprobe on getaddrinfo that only counts (the
platform's own price for the two traps, whatever the program does). Printed: calls/s, the share kept, and the cost per
call in microseconds (1/traced rate - 1/base rate), medians [min-max] over
rounds; "CPU us/call" is the same from the loop's own CPU time (user and
system: the traps are system time), which the machine's other load moves
far less than the rate. Then one run with --stats gives the BPF programs' own cost per call
(the rest of the per-call cost is the uprobe and uretprobe traps: each a
breakpoint exception, and the return probe's trampoline). The loop is pinned
to CPU --cpu (default 1); the tracer is not pinned.
Usage: bench/gethostlatency_bench.py [-d SECS] [-r ROUNDS] [--name NAME]...
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETLENS = os.environ.get("NETLENS", os.path.join(HERE, "..", "build", "netlens"))


def libc():
    with open("/proc/self/maps") as f:
        for line in f:
            if line.rstrip().endswith("/libc.so.6"):
                return line.split()[-1]
    sys.exit("no libc.so.6 in this process")


def build(tmp):
    exe = os.path.join(tmp, "gai_loop")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "gai_loop.c")], check=True)
    return exe


def loop(exe, a, name):
    out = subprocess.run(["taskset", "-c", str(a.cpu), exe, str(a.duration), name],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["calls"] / r["secs"], 1e6 * r["cpu"] / r["calls"]


def start_tracer(args, out=subprocess.DEVNULL):
    """netlens ARGS, once attached; its output to out (a file: never a pipe
    nobody reads while the loop runs)."""
    p = subprocess.Popen([NETLENS] + args, stdout=out, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    line = ""
    while "Tracing" not in line:
        line = p.stderr.readline()
        if not line or time.monotonic() > deadline:
            p.kill()
            sys.exit(f"gethostlatency did not start: {line}")
    return p


BARE = ("uprobe:{lib}:getaddrinfo {{ @n = count(); }} "
        "uretprobe:{lib}:getaddrinfo {{ @r = count(); }}")


def start_bpftrace(args):
    out = tempfile.TemporaryFile(mode="w+")  # its events: read by nobody, never blocking it
    p = subprocess.Popen(["bpftrace"] + args, stdout=out, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while True:
        out.seek(0)
        if "Attaching" in out.read(4096):  # printed before it attaches
            break
        if p.poll() is not None or time.monotonic() > deadline:
            sys.exit("bpftrace did not start")
        time.sleep(0.05)
    time.sleep(0.5)
    return p


def traced(exe, a, name, args):
    if args and args[0] == "bpftrace":
        p = start_bpftrace(args[1:])
    else:
        p = start_tracer(["gethostlatency"] + args)
    try:
        return loop(exe, a, name)
    finally:
        p.send_signal(2)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:  # bpftrace has ignored a SIGINT here
            p.kill()
            p.wait()


def fmt(vals, f="{:.0f}"):
    return f"{f.format(statistics.median(vals))} [{f.format(min(vals))}-{f.format(max(vals))}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-d", "--duration", type=float, default=2.0)
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--name", action="append",
                    help="the name resolved (repeat for several runs; default: 127.0.0.1, a "
                         "numeric name, ~10 us a call, then localhost from /etc/hosts)")
    ap.add_argument("--cpu", type=int, default=1)
    a = ap.parse_args()
    modes = {"netlens": [], "netlens --hist": ["--hist"]}
    lib = libc()
    if shutil.which("bpftrace") and os.path.exists("/usr/sbin/gethostlatency.bt"):
        modes["gethostlatency.bt"] = ["bpftrace", "/usr/sbin/gethostlatency.bt"]
    if shutil.which("bpftrace"):
        modes["bare uprobes"] = ["bpftrace", "-e", BARE.format(lib=lib)]
    with tempfile.TemporaryDirectory() as tmp:
        exe = build(tmp)
        for name in a.name or ["127.0.0.1", "localhost"]:
            run_name(exe, a, name, modes)


def run_name(exe, a, name, modes):
    loop(exe, a, name)  # warm up
    res = {m: {"rate": [], "base": [], "kept": [], "cost": [], "cpu": []} for m in modes}
    for _ in range(a.rounds):
        for m, args in modes.items():
            b0, c0 = loop(exe, a, name)
            t, ct = traced(exe, a, name, args)
            b1, c1 = loop(exe, a, name)
            base = (b0 + b1) / 2
            r = res[m]
            r["rate"].append(t)
            r["base"].append(base)
            r["kept"].append(100 * t / base)
            r["cost"].append(1e6 / t - 1e6 / base)
            r["cpu"].append(ct - (c0 + c1) / 2)
    print(f"getaddrinfo({name!r}) loop, {a.duration:g} s x {a.rounds} rounds, "
          f"medians [min-max]")
    print(f"{'tracer':<18} {'base calls/s':>22} {'traced calls/s':>22} {'kept %':>18} "
          f"{'wall us/call':>20} {'CPU us/call':>18}")
    for m in modes:
        r = res[m]
        print(f"{m:<18} {fmt(r['base']):>22} {fmt(r['rate']):>22} "
              f"{fmt(r['kept'], '{:.1f}'):>18} {fmt(r['cost'], '{:.2f}'):>20} "
              f"{fmt(r['cpu'], '{:.2f}'):>18}")
    for args in (["-j", "gethostlatency", "--stats"], ["-j", "gethostlatency", "--hist", "--stats"]):
        out = tempfile.TemporaryFile(mode="w+")
        p = start_tracer(args, out)
        calls = loop(exe, a, name)[0] * a.duration
        p.send_signal(2)
        p.wait(timeout=30)
        out.seek(0)
        for line in out:
            rec = json.loads(line) if line.startswith("{") else {}
            if "stats" in rec:
                s = rec["stats"]
                print(f"--stats {' '.join(args[2:-1]) or 'events':<7} {s['prog']:<10} "
                      f"runs {s['run_cnt']:>9} (~{calls:.0f} calls)  mean {s['mean_ns']:.0f} ns")
    print()


if __name__ == "__main__":
    main()
