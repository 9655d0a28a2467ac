"""Category "faults": what the environment does to a run that was asked
for properly. stdout is /dev/full (the error must say "No space left on
device"), or closed; stdout is a pipe whose reader goes away after the
first line (a streaming command or tracer must exit at once, quietly,
with 0, like cat); output files on a full tmpfs (refused with the real
errno, nothing left under the final name or a temporary one); tiny
RLIMIT_NOFILE and RLIMIT_AS (fail cleanly or work, never crash)."""
import os
import select
import subprocess
import time

from sweep import Case, ended_quietly, error_lines

ENOSPC = "No space left on device"


def bounded_lines(sw, dur="2"):
    """One ordinary, bounded command line per command (and -j for tracers)."""
    out = []
    for c in sw.cmds:
        n = c.name
        if c.server:
            continue  # writes nothing to stdout and serves until a signal (test_exporter.py)
        if c.tracer:
            extra = ["-i", "1"] if needs_interval(c) else []
            out.append((c, [n, "-d", dur] + extra))
        elif n == "snapshot":
            out.append((c, [n, "-N", sw.fx.ns, "-i", "0", "-o", "-"]))
        elif n == "doctor":
            out.append((c, [n, "-i", "0"]))
        elif n == "ss":
            out.append((c, [n, "-tanp"]))
        elif n == "nstat":
            out.append((c, [n, "-az"]))
        else:
            out.append((c, [n]))
    return out


def needs_interval(c):
    """A tracer that prints only a summary at the end unless given -i."""
    return bool(c.opt("interval")) and (c.summary.startswith("histogram") or "busiest" in c.summary)


def succeed(c):
    return (0, 1, 2) if c.name == "doctor" else (0,)


def errno_check(text):
    def check(case, r):
        if r.rc != 0 and not r.timed_out and text not in r.stderr + r.stdout:
            got = (error_lines(r.stderr) or r.stdout.strip().splitlines() or [""])[-1]
            return [("wrong-errno", f"wanted {text!r}, got {got[:100]!r}")]
        return []
    return check


def must_fail(case, r):
    if r.rc in case.succeed and not r.timed_out:
        return [("write-error-ignored", f"exit {r.rc} although nothing could be written")]
    return []


def pipe_closed(sw, c, argv, cat="faults"):
    """Reads one line of stdout, closes the pipe; the command must end quickly, 0, quietly."""
    case = Case(cat, argv, "ok", "pipe closed after the first line", cmd=c)
    wd = sw.fx.workdir()
    p = subprocess.Popen([sw.netlens] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True, cwd=wd, env=sw.env())
    probs = []
    try:
        deadline = time.monotonic() + 15
        got = b""
        while b"\n" not in got and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(p.stdout.fileno(), 1)
                if not chunk:
                    break
                got += chunk
        if b"\n" not in got:
            sw.record(cat + "-skipped", case, [])
            return
        # the reader goes away with the rest unread, as head -1 does
        p.stdout.close()
        probs = ended_quietly(p, lambda: p.stderr.read().decode("utf-8", "replace"), "pipe-close",
                              "its reader went away")
    finally:
        sw.fx.stop(p)
        p.stderr.close()
    sw.record(cat, case, probs)


def run(sw):
    fx, quick, cases = sw.fx, sw.args.quick, []
    gen = fx.traffic()
    lines = bounded_lines(sw, dur="1" if quick else "2")
    if quick:       # every state command, every fourth tracer
        tracers = [x for x in lines if x[0].tracer]
        lines = [x for x in lines if not x[0].tracer] + tracers[::4]
    for c, argv in lines:
        for j in ([], ["-j"]):
            a = j + argv
            # a tracer that saw no event wrote nothing: only a failure must name the errno
            fail = [] if c.tracer else [must_fail]
            cases.append(Case("faults", a, "any", "stdout is /dev/full", stdout="devfull",
                              checks=fail + [errno_check(ENOSPC)], succeed=succeed(c), cmd=c))
            cases.append(Case("faults", a, "any", "stdout closed", stdout="closed",
                              checks=fail, succeed=succeed(c), cmd=c))
            if quick:
                continue
            for lim in ("--nofile=8", "--nofile=4"):
                cases.append(Case("faults", a, "any", f"prlimit {lim}", prefix=["prlimit", lim, "--"],
                                  succeed=succeed(c), cmd=c, timeout=20))
            if not sw.asan:
                for lim in ("--as=33554432", "--as=134217728"):
                    cases.append(Case("faults", a, "any", f"prlimit {lim}", prefix=["prlimit", lim, "--"],
                                      succeed=succeed(c), cmd=c, timeout=20))
    if quick:
        cases += [Case("faults", ["ss", "-tan"], "any", "prlimit --nofile=8", prefix=["prlimit", "--nofile=8", "--"]),
                  Case("faults", ["nstat", "-az"], "any", "prlimit --nofile=4", prefix=["prlimit", "--nofile=4", "--"])]
    # output files on a full file system (one each: a run must not see another's files)
    for j in ([], ["-j"]):
        for argv in (["snapshot", "-N", fx.ns, "-i", "0", "-o", "snap"],
                     ["ss", "-N", fx.ns, "-tan", "--record", "rec"]):
            full = fx.tmpfs()
            argv = argv[:-1] + [os.path.join(full, argv[-1])]
            cases.append(Case("faults", j + argv, "any", "output file on a full tmpfs", workdir=None,
                              checks=[must_fail, errno_check(ENOSPC), nothing_left(full)], json_mode=bool(j)))
    # a device as the output file: refused (not a regular file) or written to, failing with ENOSPC
    cases.append(Case("faults", ["snapshot", "-N", fx.ns, "-i", "0", "-o", "/dev/full"], "any",
                      "snapshot -o /dev/full", checks=[must_fail]))
    sw.run_all(cases)
    # streaming commands and tracers whose reader goes away
    streams = [(c, a) for c, a in lines if c.tracer]
    streams = [(c, [c.name] + (["-i", "1"] if needs_interval(c) else [])) for c, _ in streams]
    for c in sw.cmds:
        if c.opt("interval") and c.opt("count") and not c.tracer:
            streams.append((c, [c.name, "-i", "0.2"]))
    if quick:
        streams = streams[:3] + [s for s in streams if not s[0].tracer][:1]
    todo = [(c, j + a) for c, a in streams for j in ([], ["-j"])]
    sw.pool_map(pipe_closed, [(sw, c, a) for c, a in todo], max(1, sw.args.jobs // 2))
    fx.stop(gen)


def nothing_left(d):
    def check(case, r):
        left = sorted(set(os.listdir(d)) - {"filler"})
        return [("output-left-on-failure", f"left on the full file system: {left}")] if left else []
    return check
