#!/usr/bin/python3
"""Tracers of calls no connection churn makes (issue 12): solisten on
listen(), udpconnect on connect() of UDP sockets, sofdsnoop on descriptors
passed with SCM_RIGHTS. Each gets a loop that does nothing but its call,
in a network namespace of its own (loopback only), pinned to CPU 0:

  listen      socket(), bind() to port 0, listen(128), close()
  udpconnect  connect() of one UDP socket, alternately to two addresses
  fdpass      sendmsg() of one descriptor over a UNIX datagram pair and
              the recvmsg() that installs it, then close() of the copy

"kept %" is the loop's rate with the tracer attached (host-wide, no
filter, -j to a file) against the mean of the baselines just before and
after it (benchlib.rotated_kept: rounds rotate the order; median
[min..max] over rounds). Then one --stats run per tracer gives each BPF
program's runs per loop iteration and ns per run. The loops are Python:
an iteration costs microseconds, so kept % is the gentle case and the ns
per run is the figure a tracer's page states.
Run as root: bench/calls_bench.py [-d SECS] [-r ROUNDS] [--only NAMES]
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from sockio_bench import start, stats_run, stop  # noqa: E402

NETLENS = os.environ.get("NETLENS", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "build", "netlens"))

# one iteration of each loop, and its set-up, as Python source
LOOPS = {
    "listen": ("import socket\n",
               "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(128); s.close()\n"),
    "udpconnect": ("import socket\nu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                   "dst = [('127.0.0.1', 9), ('127.0.0.2', 9)]\n",
                   "u.connect(dst[i & 1])\n"),
    "fdpass": ("import array, os, socket\n"
               "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
               "r, w = os.pipe()\n"
               "fds = array.array('i', [r])\n",
               "a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])\n"
               "_, anc, _, _ = b.recvmsg(1, socket.CMSG_SPACE(4))\n"
               "os.close(array.array('i', anc[0][2])[0])\n"),
}
# (name, netlens arguments, loop)
TRACERS = [
    ("solisten", ["solisten"], "listen"),
    ("udpconnect", ["udpconnect"], "udpconnect"),
    ("sofdsnoop", ["sofdsnoop"], "fdpass"),
]


class Loop:
    """A loop of one call in a namespace of its own: rate(secs) runs it for
    secs and gives iterations per second."""

    def __init__(self, tmp, name):
        self.ns = f"nlbench-calls-{os.getpid()}"
        self.prog = os.path.join(tmp, f"{name}.py")
        setup, body = LOOPS[name]
        with open(self.prog, "w") as f:
            f.write("import sys, time\n" + setup
                    + "end = time.monotonic() + float(sys.argv[1]); i = 0\n"
                    + "while True:\n"
                    + "".join("    " + line + "\n" for line in body.splitlines())
                    + "    i += 1\n"
                    + "    if i % 256 == 0 and time.monotonic() >= end:\n"
                    + "        break\n"
                    + "print(i, float(sys.argv[1]) + time.monotonic() - end)\n")
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)

    def rate(self, secs):
        out = subprocess.run(["ip", "netns", "exec", self.ns, "taskset", "-c", "0",
                              "/usr/bin/python3", self.prog, str(secs)],
                             capture_output=True, text=True, check=True).stdout.split()
        self.last = int(out[0])
        return int(out[0]) / float(out[1])

    def stop(self):
        subprocess.run(["ip", "netns", "del", self.ns], check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=float, default=2, help="seconds per measurement")
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--only", help="comma-separated tracer names")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("calls_bench: run as root")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tracers = [t for t in TRACERS if not a.only or t[0] in a.only.split(",")]
    tmp = tempfile.mkdtemp(prefix="nlbench-calls-")
    for name, args, loop_name in tracers:
        loop = Loop(tmp, loop_name)
        try:
            cmd = [NETLENS, "-j"] + args
            kept, noise = benchlib.rotated_kept(
                [name], lambda: loop.rate(a.d), lambda t: start(cmd)[0],
                lambda t, p: p and stop(p), a.rounds, label=name)
            progs, _ = stats_run(cmd, loop, a.d)
            rows = [(prog, runs, 0, ns) for prog, (runs, ns) in progs.items()]
        finally:
            loop.stop()
        print(f"{name} on the {loop_name} loop: kept {benchlib.cell(kept[name])} %"
              f" (baselines moved {max(noise):.1f}% at most)")
        benchlib.print_stats_rows(rows, loop.last, "iteration")


if __name__ == "__main__":
    main()
