#!/usr/bin/python3
"""Benchmark `netlens ifstat` against `ip -s link` on many interfaces.

Creates its own network namespace (nlbench-ifstat-<pid>) holding --pairs veth
pairs (default 500, so 1,001 interfaces with lo), made in one `ip -batch`
call, and times in that namespace

    netlens ifstat        (64-bit counters of every interface)
    ip -s link            (the same counters, iproute2)

Each tool runs once to warm up, then --repeat times (default 30), the two
interleaved so drift hits both alike. A run is timed from fork to reap; the
child joins the namespace with setns(2) before exec, so `ip netns exec` is
not counted. Output goes to /dev/null. Prints the median, min and max wall
time of each and the ratio netlens / ip (target: <= 1.0, "no slower").
Timings are printed, never asserted; the namespace is removed on exit, even
on failure or Ctrl-C.

Usage: /usr/bin/python3 bench/ifstat_bench.py [--pairs N] [--repeat N] [--netlens PATH]
Needs root and iproute2.
"""
import argparse
import ctypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--netlens", default=os.path.join(REPO, "build", "netlens"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        log("ifstat_bench: needs root (creates a network namespace)")
        return 2
    ip = shutil.which("ip") or "/usr/sbin/ip"
    netlens = os.path.abspath(a.netlens)
    if not os.access(netlens, os.X_OK):
        log("ifstat_bench: %s is not executable: run `make` first" % netlens)
        return 2
    ns = "nlbench-ifstat-%d" % os.getpid()
    subprocess.run([ip, "netns", "add", ns], check=True)
    fd = None
    try:
        fd = os.open("/run/netns/" + ns, os.O_RDONLY | os.O_CLOEXEC)
        t0 = time.monotonic()
        with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
            for i in range(a.pairs):
                f.write("link add bv%da type veth peer name bv%db\n" % (i, i))
            for i in range(a.pairs):
                f.write("link set bv%da up\nlink set bv%db up\n" % (i, i))
            f.flush()
            subprocess.run([ip, "-n", ns, "-batch", f.name], check=True)
        log("created %d veth pairs in %s in %.1f s" % (a.pairs, ns, time.monotonic() - t0))

        def enter():
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                os._exit(125)

        def timed(argv):
            t = time.perf_counter()
            r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=enter)
            el = time.perf_counter() - t
            if r.returncode != 0:
                raise RuntimeError("%s failed: %s" % (" ".join(argv), r.stderr.decode()[:300]))
            return el

        # sanity: both see every interface
        out = subprocess.run([netlens, "-j", "ifstat"], capture_output=True, text=True,
                             preexec_fn=enter, check=True).stdout
        seen = len(out.splitlines())
        log("netlens ifstat lists %d interfaces (expected %d)" % (seen, 2 * a.pairs + 1))
        cmds = {"netlens ifstat": [netlens, "ifstat"], "ip -s link": [ip, "-s", "link"]}
        times = {k: [] for k in cmds}
        for argv in cmds.values():
            timed(argv)
        for _ in range(a.repeat):
            for k, argv in cmds.items():
                times[k].append(timed(argv))
        print("%d interfaces, median of %d runs (fork to reap, setns before exec)"
              % (2 * a.pairs + 1, a.repeat))
        print("%-16s %10s %10s %10s" % ("command", "median ms", "min ms", "max ms"))
        for k, v in times.items():
            print("%-16s %10.2f %10.2f %10.2f" % (k, statistics.median(v) * 1e3, min(v) * 1e3,
                                                   max(v) * 1e3))
        ratio = statistics.median(times["netlens ifstat"]) / statistics.median(times["ip -s link"])
        print("ratio netlens / ip: %.2f (%s)" % (ratio, "no slower: ok" if ratio <= 1.0 else "SLOWER"))
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as e:
        log("ifstat_bench: %s" % e)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if fd is not None:
            os.close(fd)
        subprocess.run([ip, "netns", "del", ns], capture_output=True)
        log("removed %s" % ns)


if __name__ == "__main__":
    sys.exit(main())
