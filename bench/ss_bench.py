#!/usr/bin/python3
"""Benchmark `netlens ss` against iproute2's `ss` on many established sockets.

The benchmark creates its own network namespace (nlbench-<pid>), fills it with
N established loopback TCP connections for every size given (default 10,000
and 100,000), and measures, in that namespace, the wall time and peak memory
of

    netlens ss -tan    ss -tan
    netlens ss -tani   ss -tani
    netlens ss -tanp   ss -tanp

"N connections" means N connected client sockets, each with its accepted peer
socket in the same namespace: 2N sockets in state ESTAB (plus a few listeners).

The open-file limit is 20,000 per process and cannot be raised, so the sockets
are held by several worker processes (this same script run with --worker),
each holding both ends of at most ~9,000 connections.

How a command is measured: the benchmark forks, the child joins the namespace
with setns(2) and execs the tool directly (no `ip netns exec` in between), its
stdout going to /dev/null. The child is traced (PTRACE_TRACEME, stopping only
at exec and at exit) so that:
  * wall time runs from the tool's execve to its reaping: fork, setns and the
    exec itself are not counted, dynamic loading, the dump, the output and the
    exit are;
  * peak memory is the tool's own VmHWM (peak RSS of its address space), read
    at its exit. ru_maxrss from wait4 cannot be used directly: Linux carries
    the forking process's RSS high-water mark over fork and exec, so every
    child of this Python process would report at least Python's own RSS.
If ptrace is not permitted, the benchmark falls back to fork-to-reap wall time
and ru_maxrss, and says so.

Each command is run once to warm up, then --repeat times (interleaved with the
others so drift hits every command alike); the median wall time and the
largest peak RSS are reported. Target (at 100,000 connections): netlens at
most half of ss's time and no more of ss's memory. Timings are printed, never
asserted: the exit status is 0 unless the setup failed.

Usage: /usr/bin/python3 bench/ss_bench.py [--sizes 10000,100000] [--repeat N]
                                          [--netlens PATH] [--json]
Needs root (network namespaces), iproute2 (ip, ss) and sysctl.
"""

import argparse
import ctypes
import errno
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.abspath(__file__)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

MAX_CONN_PER_WORKER = 9000        # 2 fds per connection -> ~18,000 fds
FD_RESERVE = 200                  # listeners, stdio, python's own fds
LISTEN_PORTS = (65001, 65002, 65003, 65004)   # outside ip_local_port_range
PORT_RANGE = "1024 65000"
BATCH = 256                       # connects before draining the accept queue
TARGET_SIZE = 100000
TARGET_TIME_RATIO = 0.5
TARGET_MEM_RATIO = 1.0
DEFAULT_REPEAT = 5
MIN_AUTO_REPEAT = 3
MEASURE_BUDGET_S = 90.0           # per size, when --repeat is not given

OPTION_SETS = ("-tan", "-tani", "-tanp")

CLONE_NEWNET = 0x40000000
PTRACE_TRACEME = 0
PTRACE_CONT = 7
PTRACE_SETOPTIONS = 0x4200
PTRACE_O_TRACEEXIT = 0x40
PTRACE_O_EXITKILL = 0x100000
PTRACE_EVENT_EXIT = 6
EXIT_SETNS_FAILED = 125
EXIT_TRACEME_FAILED = 124


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------
# Worker: holds both ends of COUNT established loopback connections.
# --------------------------------------------------------------------------

def listen_addr(index):
    """Listener address of worker INDEX: 127.<1+i/250>.<1+i%250>.1."""
    return "127.%d.%d.1" % (1 + index // 250, 1 + index % 250)


def worker_main(index, count):
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and 2 * count + FD_RESERVE > soft:
        print("ERROR %d connections need %d fds, limit is %d"
              % (count, 2 * count + FD_RESERVE, soft), flush=True)
        return 2

    addr = listen_addr(index)
    listeners = []
    for port in LISTEN_PORTS:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(4096)
        ls.settimeout(20.0)
        listeners.append(ls)

    clients, servers = [], []
    done = 0
    turn = 0
    next_report = 1000
    try:
        while done < count:
            n = min(BATCH, count - done)
            ls = listeners[turn % len(listeners)]
            turn += 1
            dst = ls.getsockname()
            batch = []
            for _ in range(n):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.setblocking(False)
                err = c.connect_ex(dst)
                if err not in (0, errno.EINPROGRESS):
                    raise OSError(err, "connect to %s:%d: %s" % (dst[0], dst[1], os.strerror(err)))
                batch.append(c)
            for _ in range(n):
                s, _peer = ls.accept()
                servers.append(s)
            for c in batch:
                err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, "connect: %s" % os.strerror(err))
            clients.extend(batch)
            done += n
            if done >= next_report:
                print("PROGRESS %d" % done, flush=True)
                next_report = done + 1000
    except (OSError, socket.timeout) as e:
        print("ERROR worker %d after %d connections: %s" % (index, done, e), flush=True)
        return 1

    print("READY %d" % done, flush=True)
    # Hold every socket until the parent closes our stdin (or kills us).
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, KeyboardInterrupt):
        pass
    return 0


# --------------------------------------------------------------------------
# Namespace and workers (parent side).
# --------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.setns.restype = ctypes.c_int
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


def run(argv, check=True, capture=False, timeout=60):
    r = subprocess.run(argv, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise SetupError("`%s` failed (exit %d): %s"
                         % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r


class Bench:
    def __init__(self, args):
        self.args = args
        self.ns = "nlbench-%d" % os.getpid()
        self.ns_created = False
        self.nsfd = None
        self.workers = []          # list of dicts: proc, index, count, done, ready
        self.connections = 0
        self.child_pid = None      # tool being measured, if any
        self.use_ptrace = True
        self.ip = shutil.which("ip") or "/usr/sbin/ip"
        self.ss = shutil.which("ss") or "/usr/bin/ss"
        self.netlens = os.path.abspath(args.netlens)
        self.stderr_file = tempfile.TemporaryFile()

    # -- namespace --------------------------------------------------------

    def setup_namespace(self):
        log("creating network namespace %s" % self.ns)
        run([self.ip, "netns", "add", self.ns])
        self.ns_created = True
        run([self.ip, "-n", self.ns, "link", "set", "lo", "up"])
        r = run([self.ip, "netns", "exec", self.ns, "sysctl", "-w",
                 "net.ipv4.ip_local_port_range=%s" % PORT_RANGE], check=False)
        if r.returncode != 0:
            log("warning: could not set ip_local_port_range: %s" % r.stderr.strip())
        self.nsfd = os.open("/run/netns/%s" % self.ns, os.O_RDONLY | os.O_CLOEXEC)

    def enter_ns(self):
        """In a child: join the benchmark namespace."""
        if _libc.setns(self.nsfd, CLONE_NEWNET) != 0:
            os._exit(EXIT_SETNS_FAILED)

    # -- workers ----------------------------------------------------------

    def per_worker_cap(self):
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return MAX_CONN_PER_WORKER
        return max(1, min(MAX_CONN_PER_WORKER, (soft - FD_RESERVE) // 2))

    def grow_to(self, target):
        need = target - self.connections
        if need <= 0:
            return
        cap = self.per_worker_cap()
        nworkers = -(-need // cap)
        base, extra = divmod(need, nworkers)
        counts = [base + (1 if i < extra else 0) for i in range(nworkers)]
        first = len(self.workers)
        log("building %d more connections (total %d) with %d worker processes "
            "(<= %d connections, %d fds each)"
            % (need, target, nworkers, max(counts), 2 * max(counts)))
        sel = selectors.DefaultSelector()
        new = []
        for i, cnt in enumerate(counts):
            idx = first + i
            proc = subprocess.Popen(
                [self.ip, "netns", "exec", self.ns, PYTHON, SCRIPT,
                 "--worker", "--index", str(idx), "--count", str(cnt)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                start_new_session=True)
            w = {"proc": proc, "index": idx, "count": cnt, "done": 0,
                 "ready": False, "buf": ""}
            self.workers.append(w)
            new.append(w)
            os.set_blocking(proc.stdout.fileno(), False)
            sel.register(proc.stdout, selectors.EVENT_READ, w)

        t0 = time.monotonic()
        deadline = t0 + 60 + need / 1000.0
        last = 0.0
        pending = len(new)
        while pending:
            now = time.monotonic()
            if now > deadline:
                raise SetupError("workers not ready after %.0f s (%d of %d connections)"
                                 % (now - t0, sum(w["done"] for w in new), need))
            for key, _ in sel.select(timeout=0.5):
                w = key.data
                try:
                    chunk = os.read(key.fileobj.fileno(), 65536).decode()
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fileobj)
                    if not w["ready"]:
                        rc = w["proc"].wait(timeout=5)
                        raise SetupError("worker %d exited (status %s) after %d of %d "
                                         "connections" % (w["index"], rc, w["done"], w["count"]))
                    continue
                w["buf"] += chunk
                while "\n" in w["buf"]:
                    line, w["buf"] = w["buf"].split("\n", 1)
                    word, _, rest = line.partition(" ")
                    if word == "PROGRESS":
                        w["done"] = int(rest)
                    elif word == "READY":
                        w["done"] = int(rest)
                        w["ready"] = True
                        pending -= 1
                        sel.unregister(key.fileobj)
                    elif word == "ERROR":
                        raise SetupError("worker %d: %s" % (w["index"], rest))
            now = time.monotonic()
            if now - last >= 2.0 or not pending:
                last = now
                log("  %6d / %d connections (%d/%d workers ready, %.1f s)"
                    % (sum(w["done"] for w in new), need,
                       len(new) - pending, len(new), now - t0))
        sel.close()
        self.connections = target
        log("built %d connections in %.1f s" % (need, time.monotonic() - t0))

    def stop_workers(self):
        for w in self.workers:
            p = w["proc"]
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 20
        for w in self.workers:
            p = w["proc"]
            try:
                p.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
            for f in (p.stdin, p.stdout):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
        self.workers = []

    def cleanup(self):
        if self.child_pid:
            try:
                os.kill(self.child_pid, signal.SIGKILL)
                os.waitpid(self.child_pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.child_pid = None
        if self.workers:
            log("stopping %d worker processes" % len(self.workers))
            self.stop_workers()
        if self.nsfd is not None:
            os.close(self.nsfd)
            self.nsfd = None
        if self.ns_created:
            r = run([self.ip, "netns", "del", self.ns], check=False)
            if r.returncode != 0:
                log("warning: `ip netns del %s` failed: %s" % (self.ns, r.stderr.strip()))
            else:
                log("removed network namespace %s" % self.ns)
            self.ns_created = False

    # -- running tools in the namespace --------------------------------------

    def capture(self, argv):
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           preexec_fn=self.enter_ns, timeout=120)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def measure(self, argv):
        """Run ARGV once in the namespace; return (wall seconds, peak RSS KiB)."""
        devnull = os.open(os.devnull, os.O_RDWR)
        self.stderr_file.seek(0)
        self.stderr_file.truncate()
        errfd = self.stderr_file.fileno()
        t_fork = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(devnull, 0)
                os.dup2(devnull, 1)
                os.dup2(errfd, 2)
                self.enter_ns()
                if self.use_ptrace and _libc.ptrace(PTRACE_TRACEME, 0, None, None) != 0:
                    os._exit(EXIT_TRACEME_FAILED)
                os.execv(argv[0], argv)
            except BaseException:
                pass
            os._exit(127)
        os.close(devnull)
        self.child_pid = pid
        t0 = None
        hwm = None
        while True:
            _, status, ru = os.wait4(pid, 0)
            if os.WIFSTOPPED(status):
                sig = os.WSTOPSIG(status)
                event = status >> 16
                if t0 is None and sig == signal.SIGTRAP:          # stopped after execve
                    _libc.ptrace(PTRACE_SETOPTIONS, pid, None,
                                 ctypes.c_void_p(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL))
                    t0 = time.perf_counter()
                    _libc.ptrace(PTRACE_CONT, pid, None, None)
                elif sig == signal.SIGTRAP and event == PTRACE_EVENT_EXIT:
                    hwm = read_vmhwm(pid)
                    _libc.ptrace(PTRACE_CONT, pid, None, None)
                else:                                             # pass the signal on
                    _libc.ptrace(PTRACE_CONT, pid, None, ctypes.c_void_p(sig))
                continue
            t1 = time.perf_counter()
            break
        self.child_pid = None
        code = os.waitstatus_to_exitcode(status)
        if self.use_ptrace and code == EXIT_TRACEME_FAILED and t0 is None:
            log("warning: ptrace not permitted; falling back to fork-to-reap wall time "
                "and ru_maxrss (which includes this script's own RSS as a floor)")
            self.use_ptrace = False
            return self.measure(argv)
        if code != 0:
            self.stderr_file.seek(0)
            err = self.stderr_file.read().decode(errors="replace").strip()
            raise SetupError("`%s` exited with status %d in the namespace: %s"
                             % (" ".join(argv), code, err[:500]))
        if t0 is None:
            t0 = t_fork
        if hwm is None:
            hwm = ru.ru_maxrss
        return t1 - t0, hwm


def read_vmhwm(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def count_socket_lines(text):
    n = 0
    for line in text.splitlines():
        first = line.split(None, 1)[0] if line.strip() else ""
        if not first or first in ("State", "Netid", "Recv-Q"):
            continue
        n += 1
    return n


# --------------------------------------------------------------------------
# The benchmark proper.
# --------------------------------------------------------------------------

def commands(bench):
    out = []
    for opt in OPTION_SETS:
        out.append((opt, "netlens", [bench.netlens, "ss", opt]))
        out.append((opt, "ss", [bench.ss, opt]))
    return out


def sanity_check(bench, size):
    code, out, err = bench.capture([bench.ss, "-tan", "state", "established"])
    if code != 0:
        raise SetupError("ss -tan state established failed: %s" % err.strip())
    estab = count_socket_lines(out)
    expected = 2 * size
    log("sanity: ss -tan state established sees %d sockets (expected 2 x %d = %d)"
        % (estab, size, expected))
    if abs(estab - expected) > max(10, expected // 100):
        raise SetupError("namespace holds %d ESTAB sockets, expected %d" % (estab, expected))
    return estab


def line_check(bench):
    code1, out1, err1 = bench.capture([bench.netlens, "ss", "-tan"])
    code2, out2, err2 = bench.capture([bench.ss, "-tan"])
    res = {"netlens_lines": out1.count("\n"), "ss_lines": out2.count("\n"),
           "netlens_sockets": count_socket_lines(out1),
           "ss_sockets": count_socket_lines(out2), "match": True}
    if code1 != 0:
        raise SetupError("netlens ss -tan failed (exit %d): %s" % (code1, err1.strip()[:500]))
    if code2 != 0:
        raise SetupError("ss -tan failed (exit %d): %s" % (code2, err2.strip()[:500]))
    if res["netlens_sockets"] != res["ss_sockets"]:
        res["match"] = False
    return res


def measure_size(bench, size):
    cmds = commands(bench)
    results = {(opt, tool): {"wall": [], "rss": []} for opt, tool, _ in cmds}
    log("warm-up run of each command at %d connections" % size)
    t_round = 0.0
    for opt, tool, argv in cmds:
        wall, _rss = bench.measure(argv)
        t_round += wall
    repeat = bench.args.repeat
    if repeat is None:
        repeat = DEFAULT_REPEAT
        # fork/setns/exec overhead is small; keep the whole size within budget
        est = t_round * 1.2 + 0.05 * len(cmds)
        if est * repeat > MEASURE_BUDGET_S:
            repeat = max(MIN_AUTO_REPEAT, int(MEASURE_BUDGET_S // est))
    log("measuring: %d runs of %d commands (one round ~ %.1f s)" % (repeat, len(cmds), t_round))
    for r in range(repeat):
        for opt, tool, argv in cmds:
            wall, rss = bench.measure(argv)
            results[(opt, tool)]["wall"].append(wall)
            results[(opt, tool)]["rss"].append(rss)
        log("  run %d/%d done" % (r + 1, repeat))
    summary = {}
    for opt, tool, argv in cmds:
        walls = results[(opt, tool)]["wall"]
        rsss = results[(opt, tool)]["rss"]
        summary[(opt, tool)] = {
            "command": ("netlens ss " if tool == "netlens" else "ss ") + opt,
            "argv": argv,
            "median_ms": statistics.median(walls) * 1000.0,
            "min_ms": min(walls) * 1000.0,
            "max_ms": max(walls) * 1000.0,
            "us_per_socket": statistics.median(walls) * 1e6 / (2 * size),
            "peak_rss_kib": max(rsss),
            "runs_ms": [round(w * 1000.0, 3) for w in walls],
            "rss_kib_runs": rsss,
        }
    return repeat, summary


def verdict(ratio_t, ratio_m):
    ok_t = ratio_t <= TARGET_TIME_RATIO
    ok_m = ratio_m <= TARGET_MEM_RATIO
    return ok_t, ok_m, ("PASS" if ok_t and ok_m else "MISS")


def print_table(size, estab, lines, repeat, summary, bench):
    print()
    print("=== %d connections = %d ESTAB sockets (both ends of each loopback connection), "
          "%d workers, netns %s, median of %d runs ==="
          % (size, 2 * size, len(bench.workers), bench.ns, repeat))
    print("sanity: `ss -tan state established` lists %d sockets; -tan lines "
          "(without header): netlens %d, ss %d%s"
          % (estab, lines["netlens_sockets"], lines["ss_sockets"],
             "" if lines["match"] else "  WARNING: socket line counts differ"))
    hdr = "%-18s %10s %9s %9s %12s   %10s %9s  %s" % (
        "command", "median ms", "min ms", "us/sock", "peak RSS MiB",
        "time ratio", "mem ratio", "target" if size == TARGET_SIZE else "")
    print(hdr)
    print("-" * len(hdr))
    ratios = {}
    for opt in OPTION_SETS:
        n = summary[(opt, "netlens")]
        s = summary[(opt, "ss")]
        rt = n["median_ms"] / s["median_ms"] if s["median_ms"] else float("inf")
        rm = n["peak_rss_kib"] / s["peak_rss_kib"] if s["peak_rss_kib"] else float("inf")
        ok_t, ok_m, v = verdict(rt, rm)
        ratios[opt] = {"time_ratio": rt, "mem_ratio": rm,
                       "time_ok": ok_t, "mem_ok": ok_m, "verdict": v}
        tgt = ""
        if size == TARGET_SIZE:
            tgt = "%s (time %s, mem %s)" % (v, "ok" if ok_t else "MISS", "ok" if ok_m else "MISS")
        for tool, row in (("netlens", n), ("ss", s)):
            extra = ("   %10.2f %9.2f  %s" % (rt, rm, tgt)) if tool == "netlens" else ""
            print("%-18s %10.1f %9.1f %9.3f %12.1f%s" % (
                row["command"], row["median_ms"], row["min_ms"], row["us_per_socket"],
                row["peak_rss_kib"] / 1024.0, extra))
    print("(us/sock = median wall / %d ESTAB sockets; peak RSS = the tool's VmHWM%s; "
          "ratios = netlens / ss)"
          % (2 * size, "" if bench.use_ptrace else " via ru_maxrss (floored by this script's RSS)"))
    sys.stdout.flush()
    return ratios


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000",
                   help="comma-separated connection counts (default 10000,100000)")
    p.add_argument("--repeat", type=int, default=None,
                   help="timed runs per command (default %d, fewer if a size would "
                        "take over %.0f s)" % (DEFAULT_REPEAT, MEASURE_BUDGET_S))
    p.add_argument("--netlens", default=os.path.join(REPO_ROOT, "build", "netlens"),
                   help="netlens binary (default: build/netlens in the repository)")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if not a.worker:
        try:
            a.size_list = sorted({int(s) for s in a.sizes.split(",") if s.strip()})
        except ValueError:
            p.error("--sizes: comma-separated integers expected")
        if not a.size_list or min(a.size_list) <= 0:
            p.error("--sizes: positive integers expected")
        if a.repeat is not None and a.repeat < 1:
            p.error("--repeat: at least 1")
    return a


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv):
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.index, args.count)

    if os.geteuid() != 0:
        log("ss_bench: needs root (creates a network namespace)")
        return 2
    bench = Bench(args)
    for path in (bench.netlens, bench.ss, bench.ip):
        if not os.access(path, os.X_OK):
            log("ss_bench: %s: not an executable (build netlens with `make`?)" % path)
            return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    log("open-file limit %s per process -> at most %d connections per worker"
        % (resource.getrlimit(resource.RLIMIT_NOFILE)[0], bench.per_worker_cap()))

    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    out = {"netns": bench.ns, "netlens": bench.netlens, "ss": bench.ss,
           "ss_version": run([bench.ss, "-V"], check=False, capture=True).stdout.strip(),
           "connections_mean": "N connections = N client sockets + N accepted peers = 2N ESTAB sockets",
           "targets": {"size": TARGET_SIZE, "max_time_ratio": TARGET_TIME_RATIO,
                       "max_mem_ratio": TARGET_MEM_RATIO},
           "sizes": {}}
    status = 0
    t_start = time.monotonic()
    try:
        bench.setup_namespace()
        for size in args.size_list:
            bench.grow_to(size)
            estab = sanity_check(bench, size)
            lines = line_check(bench)
            if not lines["match"]:
                log("WARNING: netlens ss -tan prints %d socket lines, ss -tan prints %d"
                    % (lines["netlens_sockets"], lines["ss_sockets"]))
            repeat, summary = measure_size(bench, size)
            ratios = print_table(size, estab, lines, repeat, summary, bench)
            out["sizes"][str(size)] = {
                "connections": size, "estab_sockets_expected": 2 * size,
                "estab_sockets_seen": estab, "workers": len(bench.workers),
                "repeat": repeat, "line_check": lines,
                "results": {v["command"]: {k: v[k] for k in v if k != "argv"}
                            for v in summary.values()},
                "ratios": ratios}
        if str(TARGET_SIZE) in out["sizes"]:
            r = out["sizes"][str(TARGET_SIZE)]["ratios"]
            print()
            print("target at %d connections (netlens time <= %.1f x ss, memory <= %.1f x ss): %s"
                  % (TARGET_SIZE, TARGET_TIME_RATIO, TARGET_MEM_RATIO,
                     ", ".join("%s %s" % (o, r[o]["verdict"]) for o in OPTION_SETS)))
        else:
            print()
            print("target is defined at %d connections, not among --sizes" % TARGET_SIZE)
        print("total benchmark time %.0f s" % (time.monotonic() - t_start))
        sys.stdout.flush()
    except SetupError as e:
        log("ss_bench: setup failed: %s" % e)
        status = 1
    except KeyboardInterrupt:
        log("ss_bench: interrupted")
        status = 130
    except SystemExit as e:
        log("ss_bench: terminated")
        status = e.code if isinstance(e.code, int) else 1
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        bench.cleanup()
    if status == 0 and args.json:
        print(json.dumps(out, sort_keys=True))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
