#!/usr/bin/python3
"""A hostile-user sweep of netlens: bad command lines, corrupted snapshots,
injected faults, signals, unprivileged users (and valgrind on request).

    /usr/bin/python3 scripts/hostile/sweep.py [--quick] [--netlens PATH]
        [--category CAT]... [--json] [--jobs N] [--seed N] [--valgrind]

Every command and option is read from `netlens help` and each command's -h,
so a new command or option is swept without touching this script. Each run
has a timeout, in its own process group that is killed when it expires.
What is checked for every run: no death by signal, no sanitizer report (run
against an ASan build), no hang when the input was bad or a bounded mode was
asked for; and for a run that fails: exactly one error line (one JSON
object under -j, on stdout), no partial table before it, nothing left under
the output name. What each category adds is in its generator below and in
docs/testing-hostile.md.

Exit status: 0 when nothing failed, 1 when something did, 2 on a usage error.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.modules.setdefault("sweep", sys.modules[__name__])   # the generators import from here
import fixtures  # noqa: E402

CATEGORIES = ["args", "filter", "snapshot", "faults", "signals", "unpriv", "valgrind"]
DEFAULT_CATEGORIES = [c for c in CATEGORIES if c != "valgrind"]
LONG = "A" * 65536
LONG_NUM = "9" * 65536
BINARY = "\x01\x02\x7f\udcff\udcfe"     # control bytes and invalid UTF-8 (no NUL in argv)
SAN_RE = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer")
BANNER_RE = re.compile(r"^(Tracing .*|netlens: waiting .*|netlens: warning: .*)$")
ERRNO_TEXTS = ("Interrupted system call", "No such file or directory", "Input/output error",
               "Permission denied", "Bad file descriptor", "Broken pipe", "Resource temporarily unavailable")


# ---------------------------------------------------------------------------
# what netlens has: commands and options from its own help

class Option:
    def __init__(self, short, long, arg, help_text, group):
        self.short, self.long, self.arg, self.help, self.group = short, long, arg, help_text, group

    @property
    def spelling(self):
        return "--" + self.long if self.long else "-" + self.short

    def spellings(self):
        return [s for s in ("-" + self.short if self.short else None,
                            "--" + self.long if self.long else None) if s]

    def __repr__(self):
        return f"Option({self.spelling} {self.arg or ''})"


class Command:
    def __init__(self, name, summary, usage, options, privileged):
        self.name, self.summary, self.usage, self.options = name, summary, usage, options
        self.privileged = privileged

    @property
    def tracer(self):
        # the tracers' -d/--duration (ss -E has a --duration of its own, long only)
        return any(o.long == "duration" and o.short == "d" for o in self.options)

    @property
    def server(self):
        """Serves until a signal ends it (the exporter): no run of it ends by itself."""
        return self.opt("listen") is not None

    @property
    def positional(self):
        return "[" in self.usage.split("]")[-1] or "FILTER" in self.usage or "PATTERN" in self.usage or "COMMAND" in self.usage

    def opt(self, long):
        for o in self.options:
            if o.long == long:
                return o
        return None


OPT_RE = re.compile(r"^\s{2,}(?:-(?P<short>[A-Za-z0-9]),\s+)?(?:--(?P<long>[a-z][a-z0-9.-]*))?"
                    r"(?:\s(?P<arg>[A-Za-z][A-Za-z0-9_.:=|\[\],]*))?\s{2,}(?P<help>\S.*)$")
SHORT_ONLY_RE = re.compile(r"^\s{2,}-(?P<short>[A-Za-z0-9])(?:\s(?P<arg>[A-Z][A-Z0-9_.=|\[\],]*))?\s{2,}(?P<help>\S.*)$")


def parse_options(help_text):
    opts, group = [], ""
    for line in help_text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            group = line[:-1]
            continue
        m = OPT_RE.match(line)
        if m and (m.group("short") or m.group("long")):
            opts.append(Option(m.group("short"), m.group("long"), m.group("arg"), m.group("help"), group))
            continue
        m = SHORT_ONLY_RE.match(line)
        if m:
            opts.append(Option(m.group("short"), None, m.group("arg"), m.group("help"), group))
    return opts


def discover(netlens):
    out = subprocess.run([netlens, "help"], capture_output=True, text=True, timeout=20).stdout
    cmds, inside = [], False
    for line in out.splitlines():
        if line.startswith("Commands:"):
            inside = True
            continue
        if inside and not line.strip():
            break
        if inside:
            name, summary = line.split(None, 1)
            h = subprocess.run([netlens, name, "-h"], capture_output=True, text=True, timeout=20).stdout
            usage = next((l for l in h.splitlines() if l.startswith("usage:")), "")
            cmds.append(Command(name, summary, usage, parse_options(h), summary.endswith("[root]")))
    if not cmds:
        raise SystemExit(f"sweep: no commands in `{netlens} help`")
    return cmds


# ---------------------------------------------------------------------------
# one try and what was observed

class Case:
    """One command line to try and what it must do.

    expect: "reject" (bad input: must fail cleanly), "any" (may work or fail,
    but cleanly), "ok" (must work). bounded: must end by itself before the
    timeout. json: -j is on the line (the error must be one JSON object on
    stdout). Extra checks are named in `checks`."""

    def __init__(self, cat, argv, expect, what, bounded=True, json_mode=None, timeout=10.0,
                 prefix=(), env=None, stdout=None, checks=(), outputs=(), guards=(), succeed=(0,),
                 workdir=None, cmd=None):
        self.cat, self.argv, self.expect, self.what = cat, list(argv), expect, what
        self.bounded, self.timeout, self.prefix, self.env = bounded, timeout, list(prefix), env
        self.json = ("-j" in self.argv or "--json" in self.argv) if json_mode is None else json_mode
        self.stdout, self.checks, self.outputs, self.guards = stdout, tuple(checks), list(outputs), list(guards)
        self.succeed, self.workdir, self.cmd = tuple(succeed), workdir, cmd

    def line(self, netlens="netlens"):
        def q(a):
            if len(a) > 60:
                a = a[:20] + f"...({len(a)} chars)"
            a = a.encode("utf-8", "surrogateescape").decode("latin-1")
            a = "".join(c if 32 <= ord(c) < 127 else f"\\x{ord(c):02x}" for c in a)
            return a if a and re.fullmatch(r"[\w@%+=:,./-]+", a) else "'" + a.replace("'", "'\\''") + "'"
        pre = " ".join(q(p) for p in self.prefix)
        s = " ".join([netlens] + [q(a) for a in self.argv])
        redir = {"devfull": " >/dev/full", "closed": " >&-"}.get(self.stdout, "")
        return (pre + " " if pre else "") + s + redir


class Result:
    def __init__(self, rc, stdout, stderr, timed_out, elapsed, raw_stdout=b""):
        self.rc, self.stdout, self.stderr, self.timed_out, self.elapsed = rc, stdout, stderr, timed_out, elapsed
        self.raw_stdout = raw_stdout


def run_proc(argv, timeout, env=None, stdout=None, cwd=None, stdin=subprocess.DEVNULL):
    """Runs argv in a new session; kills its whole process group on timeout."""
    t0 = time.monotonic()
    out_fd, close_out = subprocess.PIPE, False
    if stdout == "devfull":
        out_fd, close_out = open("/dev/full", "wb"), True
    elif stdout == "closed":
        argv = ["/bin/sh", "-c", 'exec "$@" >&-', "sh"] + argv
    p = subprocess.Popen(argv, stdin=stdin, stdout=out_fd, stderr=subprocess.PIPE,
                         start_new_session=True, env=env, cwd=cwd)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    finally:
        if close_out:
            out_fd.close()
    return Result(p.returncode, (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"),
                  timed_out, time.monotonic() - t0, out or b"")


def error_lines(stderr):
    """The lines of stderr that are not the banner, a progress note or a warning."""
    return [l for l in stderr.splitlines() if l.strip() and not BANNER_RE.match(l) and not l.startswith('{"warning"')]


def judge(case, r):
    """The problems (class, detail) a result shows, for the generic checks."""
    probs = []
    if SAN_RE.search(r.stderr):
        m = SAN_RE.search(r.stderr)
        probs.append(("sanitizer", r.stderr[m.start():m.start() + 160].splitlines()[0]))
    if r.timed_out:
        if case.bounded:
            probs.append(("hang", f"still running after {case.timeout:g}s"))
        return probs
    if r.rc < 0:
        probs.append(("crash", f"killed by {signal.Signals(-r.rc).name}"))
        return probs
    failed = r.rc not in case.succeed
    if case.expect == "reject" and not failed:
        probs.append(("accepted-bad-input", f"exit {r.rc}"))
    if case.expect == "ok" and failed:
        probs.append(("failed-valid-input", f"exit {r.rc}: {first(r.stderr or r.stdout)}"))
    if failed:
        probs += judge_error(case, r)
    return probs


def judge_error(case, r):
    probs = []
    errs = error_lines(r.stderr)
    if case.json and case.stdout is None:
        try:
            r.raw_stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            probs.append(("invalid-utf8-json", f"stdout is not UTF-8 at byte {e.start}"))
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        objs = []
        for l in lines:
            try:
                objs.append(json.loads(l))
            except ValueError:
                probs.append(("bad-json-error", f"stdout line is not JSON: {l[:80]!r}"))
                break
        errobjs = [o for o in objs if isinstance(o, dict) and "error" in o]
        if not errobjs:
            probs.append(("bad-json-error", "no {\"error\":...} on stdout" + (f"; stderr: {errs[0][:80]!r}" if errs else "")))
        elif len(errobjs) > 1:
            probs.append(("multi-line-error", f"{len(errobjs)} error objects"))
        if case.expect == "reject" and len(objs) > len(errobjs):
            probs.append(("output-before-error", f"{len(objs) - len(errobjs)} JSON lines before the error"))
        if errs and errobjs:
            probs.append(("multi-line-error", f"-j error on stdout and also on stderr: {errs[0][:80]!r}"))
    else:
        if not errs:
            probs.append(("silent-failure", f"exit {r.rc} with no error message"))
        elif len(errs) > 1:
            probs.append(("multi-line-error", f"{len(errs)} lines: " + " | ".join(e[:60] for e in errs[:3])))
        elif not (errs[0].startswith("netlens") or case.json and errs[0].startswith('{"error"')):
            # under -j with stdout unusable, the error record goes to stderr
            probs.append(("multi-line-error", f"error line does not say netlens: {errs[0][:80]!r}"))
        if any(ord(c) < 32 and c not in "\t" for e in errs for c in e):
            probs.append(("control-bytes-in-error", repr(errs[0][:80])))
        if case.expect == "reject" and r.stdout.strip() and case.stdout is None:
            probs.append(("output-before-error", f"stdout has {len(r.stdout.splitlines())} lines: {first(r.stdout)!r}"))
    return probs


def ended_quietly(p, err, prefix, why, seconds=5.0):
    """The problems of process p, asked to end (why: a signal, its reader
    gone): it must end within seconds, by itself, with 0 and no error.
    err: a callable giving its stderr once it has ended (or been killed)."""
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return [(prefix + "-no-exit", f"still running {seconds:g} s after {why}")]
    text = err()
    if SAN_RE.search(text):
        return [("sanitizer", SAN_RE.search(text).group(0))]
    if p.returncode == -signal.SIGPIPE:
        return [(prefix + "-sigpipe", "killed by SIGPIPE (the shell sees 141, not 0)")]
    if p.returncode < 0:
        return [("crash", f"killed by {signal.Signals(-p.returncode).name}")]
    if p.returncode != 0:
        return [(prefix + "-exit-status", f"exit {p.returncode}: {(error_lines(text) or [''])[0][:100]}")]
    if error_lines(text):
        return [(prefix + "-noisy", error_lines(text)[0][:100])]
    return []


def first(s):
    return (s.strip().splitlines() or [""])[0][:100]


# ---------------------------------------------------------------------------
# the sweep: generators, a pool, the report

class Sweep:
    def __init__(self, args):
        self.args = args
        self.netlens = os.path.abspath(args.netlens)
        self.rng = random.Random(args.seed)
        self.cmds = discover(self.netlens)
        self.fx = fixtures.Fixtures(self.netlens, quick=args.quick)
        self.tries = {}            # category -> count
        self.fails = {}            # (category, class) -> [(line, detail)]
        self.lock = threading.Lock()
        self.asan = self._is_asan()

    def _is_asan(self):
        try:
            return b"__asan_init" in open(self.netlens, "rb").read()
        except OSError:
            return False

    def env(self, extra=None):
        e = dict(os.environ)
        e["NETLENS_NSTAT_HISTORY"] = os.path.join(self.fx.dir, "nstat-history")
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if extra:
            e.update(extra)
        return e

    def record(self, cat, case, problems):
        with self.lock:
            self.tries[cat] = self.tries.get(cat, 0) + 1
            for cls, detail in problems:
                self.fails.setdefault((cat, cls), []).append((case.line(), detail))

    def execute(self, case):
        """Runs one case with the generic checks and its own extra checks."""
        if case.cat in ("args", "filter", "snapshot"):
            case.timeout = self.args.timeout
        wd = case.workdir or self.fx.workdir()
        before = set(os.listdir(wd))
        r = run_proc(case.prefix + [self.netlens] + case.argv, case.timeout, env=case.env or self.env(),
                     stdout=case.stdout, cwd=wd)
        probs = judge(case, r)
        failed = r.timed_out or r.rc not in case.succeed
        if failed:
            for out in case.outputs:
                if out.startswith(self.fx.dir + "/") and os.path.lexists(out) and out not in self.fx.preexisting:
                    probs.append(("output-left-on-failure", f"{os.path.basename(out)} exists after exit {r.rc}"))
            left = set(os.listdir(wd)) - before
            if left:
                probs.append(("temp-file-left", f"left in the directory: {sorted(left)[:3]}"))
        for g in case.guards:
            msg = g()
            if msg:
                probs.append(msg)
        for chk in case.checks:
            probs += chk(case, r) or []
        self.record(case.cat, case, probs)
        shutil.rmtree(wd, ignore_errors=True)
        return r

    def run_all(self, cases):
        self.pool_map(self.execute, [(c,) for c in cases])

    def pool_map(self, fn, arglists, jobs=None):
        """fn(*args) for each in parallel; on an exception or SIGTERM what has
        not started is cancelled (what has is bounded by its timeout)."""
        ex = concurrent.futures.ThreadPoolExecutor(jobs or self.args.jobs)
        try:
            for f in [ex.submit(fn, *a) for a in arglists]:
                f.result()
        finally:
            ex.shutdown(wait=True, cancel_futures=True)

    # -- run it

    def main(self):
        t0 = time.monotonic()
        try:
            for cat in self.args.category:
                c0 = time.monotonic()
                getattr(__import__("gen_" + cat), "run")(self)
                if self.args.json != "-":
                    print(f"sweep: {cat}: {self.tries.get(cat, 0)} tries in {time.monotonic() - c0:.0f}s",
                          file=sys.stderr)
        finally:
            self.fx.close()
        return self.report(time.monotonic() - t0)

    def report(self, elapsed):
        total_fail = {}
        for (cat, cls), items in self.fails.items():
            total_fail[cat] = total_fail.get(cat, 0) + len(items)
        doc = {
            "netlens": self.netlens, "asan": self.asan, "quick": self.args.quick, "seed": self.args.seed,
            "seconds": round(elapsed, 1), "workdir": self.fx.dir, "netns": self.fx.ns,
            "categories": [{"category": c, "tries": self.tries.get(c, 0), "failures": total_fail.get(c, 0)}
                           for c in self.args.category],
            "failures": [{"category": cat, "class": cls, "count": len(items),
                          "examples": [{"command": l, "problem": d} for l, d in items]}
                         for (cat, cls), items in sorted(self.fails.items())],
        }
        if self.args.json == "-":
            print(json.dumps(doc))
        else:
            if self.args.json:
                with open(self.args.json, "w") as f:
                    json.dump(doc, f, indent=1)
            print(f"{'CATEGORY':<10} {'TRIES':>7} {'FAILURES':>8}")
            for c in self.args.category:
                print(f"{c:<10} {self.tries.get(c, 0):>7} {total_fail.get(c, 0):>8}")
            print(f"{'total':<10} {sum(self.tries.values()):>7} {sum(total_fail.values()):>8}"
                  f"   ({elapsed:.0f}s, {'ASan build' if self.asan else 'plain build'})")
            for (cat, cls), items in sorted(self.fails.items()):
                print(f"\n{cat}/{cls}: {len(items)}")
                seen = set()
                for l, d in items:
                    key = (l.split()[1] if len(l.split()) > 1 else l, d[:30])
                    if key in seen:
                        continue
                    seen.add(key)
                    print(f"  {l[:200]}\n      -> {d[:200]}")
                    if len(seen) >= self.args.examples:
                        break
        return 1 if self.fails else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--netlens", default=os.path.join(HERE, "..", "..", "build", "netlens"),
                    help="the binary to sweep (default build/netlens)")
    ap.add_argument("--category", "-c", action="append", choices=CATEGORIES,
                    help="only this category (repeatable); default: all but valgrind")
    ap.add_argument("--quick", action="store_true", help="a small deterministic sample of each category")
    ap.add_argument("--valgrind", action="store_true", help="also run each command once under valgrind")
    ap.add_argument("--json", nargs="?", const="-", metavar="FILE",
                    help="one JSON object (tries, failures, every failing command line) on stdout, or into FILE "
                         "with the table on stdout")
    ap.add_argument("--jobs", "-J", type=int, default=max(2, 2 * (os.cpu_count() or 1)),
                    help="runs in parallel (default 2 per CPU)")
    ap.add_argument("--seed", type=int, default=11, help="seed of every random choice (default 11)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds a run of the args, filter and snapshot categories may take (default 10)")
    ap.add_argument("--examples", type=int, default=4, help="examples printed per failure class")
    ap.add_argument("--snapshots", type=int, default=None,
                    help="corrupted snapshot variants (default 2400, 40 with --quick)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        ap.error("run as root (the sweep creates namespaces, mounts and other users' files)")
    if not args.category:
        args.category = DEFAULT_CATEGORIES + (["valgrind"] if args.valgrind else [])
    if not os.access(args.netlens, os.X_OK):
        ap.error(f"{args.netlens}: not an executable (build it, or give --netlens)")
    # a SIGTERM (a test's timeout, a CI job's end) still removes the namespace, mounts and files
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return Sweep(args).main()


if __name__ == "__main__":
    sys.exit(main())
