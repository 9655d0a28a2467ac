"""Category "args": bad command lines for every command and option that
`netlens help` and the commands' -h list.

Each option's argument is replaced by values of the wrong kind for what
its metavariable (SECS, N, PID, P[,P..], FILE, PATH, NAME, LIST, ...) and
long name say it takes: missing, empty, huge, negative, hex and octal,
non-numeric, out of range, control bytes and invalid UTF-8, 64 KiB; paths
that are FIFOs, directories, /dev/zero, dangling symlinks, symlinks planted
over an output name, files owned by another user. Then unknown, repeated
and contradicting options, junk positional arguments, and -j before and
after the command. Bad input must fail cleanly; a value that may be valid
must not crash or hang."""
import json
import os
import subprocess

from sweep import BINARY, LONG, LONG_NUM, Case

OUT = "\0out"      # replaced by an output name in the case's own directory
NUM_JUNK = ["", "abc", "0x10", "5x", " 5", "5 ", "nan", "inf", "-inf", BINARY, LONG, LONG_NUM,
            "99999999999999999999999", "-1", "+-3", "1.5.5"]


def values(cmd, opt, fx, doctor_threshold):
    """(value, expect, bounded, extra_checks) for option opt of cmd."""
    a, lg = opt.arg or "", opt.long or ""
    p = fx.path
    v = []
    ints = [(x, "reject") for x in NUM_JUNK + ["1e3", "0.5"]]
    if a == "SECS":
        v = [(x, "reject") for x in NUM_JUNK if x != "-1"] + [("-1", "reject"), ("-0.5", "reject"),
                                                              ("1e400", "reject"), ("0", "any"),
                                                              ("0.000001", "any")]
    elif a == "PID":
        v = ints + [("0", "reject"), ("2147483648", "reject"), ("4294967297", "reject"), ("1", "any")]
    elif a == "BYTES":
        v = ints + [("0", "reject"), ("4095", "reject"), ("5000", "reject"), ("4294967296", "reject"),
                    ("4096", "any")]
    elif a == "USECS":
        v = ints + [("0", "any"), ("4294967296000", "any")]
    elif a == "N":
        v = ints + [("0", "any"), ("1", "any")]
    elif a.startswith("P["):
        v = ints + [("65536", "reject"), ("1,,2", "reject"), (",", "reject"), ("1,", "reject"),
                    ("80,abc", "reject"), ("0", "any"), ("010", "any"),
                    (",".join(str(i) for i in range(1, 3000)), "any")]
    elif lg == "net":
        v = [(x, "reject") for x in ["", "nosuch-hostile-ns", "../../../../etc/passwd", "/etc/passwd",
                                      LONG, BINARY, "a/b", ".", ".."]]
    elif lg == "netns" and a == "PATH":
        v = [(x, "reject") for x in ["", p("nonexistent"), p("dir"), p("fifo"), "/etc/passwd", "/dev/zero",
                                      LONG, p("dangling"), p("link-to-fifo"), "/proc/self/ns/mnt"]]
        v.append(("/proc/self/ns/net", "any"))
    elif lg == "netns":
        v = [(x, "reject") for x in ["", "nosuch-hostile-ns", p("fifo"), "/etc/passwd", "-1", "abc/def",
                                      LONG, "/proc/self/ns/mnt", "4294967296", p("dir")]]
        v += [(fx.ns, "any"), ("/proc/self/ns/net", "any")]
    elif lg == "listen":
        v = [(x, "reject") for x in ["", "1.2.3.4", "[::1", ":", "abc:def", "[::1:9000", LONG, BINARY,
                                      "127.0.0.1:http"]]
        v += [("127.0.0.1:0", "any"), ("[::1]:0", "any")]
    elif lg in ("from", "config", "web.config.file"):
        v = [(x, "reject") for x in ["", p("nonexistent"), p("dir"), p("fifo"), "/dev/zero", "/dev/null",
                                      p("garbage"), LONG, p("dangling"), p("link-to-fifo"), "/etc/shadow"]]
        if lg == "config":
            v += [(p("cfg-world"), "reject"), (p("cfg-others"), "reject"), (p("cfg-ok"), "any")]
        else:
            v += [(fx.others_snapshot, "any"), (fx.snapshot, "any")]
    elif lg in ("output", "record"):
        v = [(x, "reject") for x in ["", p("dir"), p("nonexistent") + "/x", LONG, p("others")]]
        v += [(p("planted"), "any"), (p("fifo"), "any"), ("/dev/null", "any")]
    elif lg == "comm":
        v = [("", "reject"), ("abcdefghijklmnopq", "reject"), (LONG, "reject"), (BINARY, "any"), ("a", "any")]
    elif lg == "cgroup":
        v = [(x, "reject") for x in ["", "/tmp", p("nonexistent"), p("fifo"), LONG, "/etc/passwd"]]
        v.append(("/sys/fs/cgroup", "any"))
    elif lg == "reason":
        v = [(x, "reject") for x in ["", "NOSUCH_REASON", LONG, BINARY]] + [("no_socket", "any")]
    elif lg == "explain":
        v = [(x, "reject") for x in ["", "NoSuchThing", LONG, BINARY]] + [("*", "any")]
    elif lg in ("only", "skip"):
        v = [(x, "reject") for x in ["", ",", "nosuch", ",,,", LONG, "tcp,nosuch", BINARY]]
    elif lg == "set":
        rid = doctor_threshold or "x.y"
        v = [(x, "reject") for x in ["", "x", "=", "nosuch.x=1", rid + "=nan", rid + "=inf", rid + "=-5",
                                      rid + "=abc", rid + "=" + LONG_NUM, rid + "=", rid.split(".")[0] + ".nosuch=1",
                                      ".=1", rid + "=0x10"]]
        v.append((rid + "=5", "any"))
    elif lg == "query":
        v = [(x, "reject") for x in ["", "bogus", ",", "tcp,,udp", LONG, BINARY]]
    elif lg in ("family", "by", "sort") or "|" in a:
        v = [(x, "reject") for x in ["", "bogus", LONG, BINARY]]
    else:
        v = [("", "any"), (LONG, "any"), (BINARY, "any")]
    return v


def base_args(cmd, fx, testing=()):
    """What makes cmd bounded and quick unless the option under test is one of them."""
    a = []
    if cmd.name == "snapshot":
        if "output" not in testing:
            a += ["-o", OUT]
        if "interval" not in testing:
            a += ["-i", "0"]
        if not {"net", "netns"} & set(testing):
            a += ["-N", fx.ns]
    elif cmd.tracer:
        if "duration" not in testing:
            a += ["-d", "1"]
    elif cmd.name == "doctor":
        if "interval" not in testing:
            a += ["-i", "0"]
    elif cmd.server:
        if "listen" not in testing:  # a port of its own: parallel cases never collide
            a += ["--listen", "127.0.0.1:0"]
    elif cmd.opt("count") and cmd.opt("interval"):
        if "interval" in testing:
            a += ["-n", "1"]
        elif "count" in testing:
            a += ["-i", "0.2"]
    return a


def no_echo(*secrets):
    def check(case, r):
        for s in secrets:
            if s and (s in r.stderr or s in r.stdout):
                return [("echoes-file-content", f"output quotes {s[:30]!r}")]
        return []
    return check


def shadow_first():
    """The start of /etc/shadow's first line (a user and the start of a hash)."""
    try:
        with open("/etc/shadow") as f:
            return f.readline().strip()[:24] or None
    except OSError:
        return None


def doctor_threshold(sw):
    r = subprocess.run([sw.netlens, "-j", "doctor", "--list"], capture_output=True, text=True, timeout=20)
    for l in r.stdout.splitlines():
        try:
            o = json.loads(l)
        except ValueError:
            continue
        if o.get("thresholds"):
            return f"{o['id']}.{o['thresholds'][0]['name']}"
    return None


def add(cases, sw, cmd, argv, expect, what, bounded=True, checks=(), outputs=(), guards=()):
    """The case in text mode, and for bad input also under -j (before and after the command).
    A snapshot's default output goes to the case's own directory (its cwd)."""
    succeed = (0, 1, 2) if cmd and cmd.name == "doctor" else (0,)
    variants = [(argv, what)]
    if expect == "reject" and "-j" not in argv:
        variants.append((["-j"] + argv, what + " (-j)"))
        if cmd and len(cases) % 3 == 0:
            i = argv.index(cmd.name) + 1
            variants.append((argv[:i] + ["-j"] + argv[i:], what + " (-j after)"))
    for av, wh in variants:
        wd, outs = None, list(outputs)
        if OUT in av:
            wd = sw.fx.workdir()
            av = [os.path.join(wd, "out.snap") if a == OUT else a for a in av]
            outs.append(os.path.join(wd, "out.snap"))
        # a server that accepted its options serves until stopped: give it 2 s
        server = bool(cmd and cmd.server)
        cases.append(Case("args", av, expect, wh, bounded=bounded and not server,
                          timeout=2.0 if server else 10.0, checks=checks, outputs=outs,
                          guards=guards, succeed=succeed, workdir=wd, cmd=cmd))


def generate(sw):
    fx, cases = sw.fx, []
    thr = doctor_threshold(sw)
    shadow = shadow_first()
    for cmd in sw.cmds:
        shorts = {o.short for o in cmd.options if o.short}
        for opt in cmd.options:
            if opt.long in ("help", "json"):
                continue
            base = base_args(cmd, fx, (opt.long,))
            if opt.arg:
                for sp in opt.spellings():
                    add(cases, sw, cmd, [cmd.name] + base + [sp], "reject", f"{sp} without its argument")
                if opt.long:
                    add(cases, sw, cmd, [cmd.name] + base + [f"--{opt.long}="], "reject", f"--{opt.long}= empty")
                for val, expect in values(cmd, opt, fx, thr):
                    checks, guards, outputs = [], [], []
                    if opt.long in ("from", "config", "web.config.file"):
                        checks.append(no_echo("secret-first-line", shadow))
                    if opt.long in ("output", "record"):
                        guards.append(lambda: None if fx.victim_intact() else ("followed-symlink", "victim overwritten"))
                        guards.append(lambda: None if fx.victim_intact("others") else
                                      ("overwrote-others-file", "a file owned by another user was overwritten"))
                        outputs.append(val)
                    # a valid but long-running value (SECS, N) is not a hang
                    bounded = not (expect == "any" and opt.arg in ("SECS", "N"))
                    n0 = len(cases)
                    add(cases, sw, cmd, [cmd.name] + base + [opt.spelling, val], expect,
                        f"{opt.spelling} {val[:20]!r}", bounded=bounded, checks=checks, guards=guards,
                        outputs=outputs)
                    for c in cases[n0:]:
                        c.key = (cmd.name, opt.long, val)
                    if opt.short and opt.long and val and val == val[:40] and expect == "reject":
                        add(cases, sw, cmd, [cmd.name] + base + ["-" + opt.short + val], expect,
                            f"-{opt.short}{val[:20]!r} attached", checks=checks, guards=guards, outputs=outputs)
            else:
                if opt.long:
                    add(cases, sw, cmd, [cmd.name] + base + [f"--{opt.long}=1"], "reject",
                        f"--{opt.long}=1 (takes no argument)")
                add(cases, sw, cmd, [cmd.name] + base + [opt.spelling, opt.spelling], "any",
                    f"{opt.spelling} twice", bounded=True)
        base = base_args(cmd, fx)
        for junk in ["--bogus", "-" + next(c for c in "ZYXQkqy" if c not in shorts), "--", "---x", "-",
                     "--=x", "-" + BINARY]:
            expect = "any" if junk in ("--", "-") else "reject"
            add(cases, sw, cmd, [cmd.name] + base + [junk], expect, f"unknown option {junk!r}")
        if not cmd.positional:
            for junk in ["junk", LONG, BINARY, ""]:
                add(cases, sw, cmd, [cmd.name] + base + [junk], "reject", "positional argument it takes none of")
        elif cmd.name == "help":
            for junk in ["nosuch", "", LONG, BINARY]:
                add(cases, sw, cmd, [cmd.name, junk], "reject", "help for no command")
        elif cmd.name != "ss":
            for junk in ["", LONG, BINARY, "[", "*" * 5000]:
                add(cases, sw, cmd, [cmd.name] + base + [junk], "any", "odd pattern", bounded=True)
        # a value that is valid for the option, given twice
        if cmd.tracer:
            add(cases, sw, cmd, [cmd.name, "-d", "1", "-d", "1"], "any", "-d twice")
        if cmd.opt("sent") and cmd.opt("received"):     # both directions: a union, not a contradiction
            add(cases, sw, cmd, [cmd.name] + base + ["-S", "-R"], "any", "-S -R")
        # contradicting options
        pairs = [(["-4"], ["-6"], "-4 -6"), (["--bpf"], ["--no-bpf"], "--bpf --no-bpf"),
                 (["--hist"], ["--linear", "10"], "--hist --linear"),
                 (["-N", fx.ns], ["--netns", "/proc/self/ns/net"], "-N and --netns"),
                 (["-N", fx.ns], ["--from", fx.snapshot], "-N and --from"),
                 (["--netns", "/proc/self/ns/net"], ["--from", fx.snapshot], "--netns and --from")]
        if cmd.name == "doctor" and thr:
            rule = thr.split(".")[0]
            pairs.append((["--only", rule], ["--skip", rule], "--only and --skip of the same rule"))
        for x, y, what in pairs:
            longs = {o.long for o in cmd.options} | {"-" + o.short for o in cmd.options if o.short}
            if all((t.lstrip("-") in longs or t in longs) for t in (x[0], y[0])):
                if x[0] == "--netns" and cmd.tracer or y[0] == "--netns" and cmd.tracer:
                    continue
                if cmd.name == "snapshot" and "-N" in x:
                    continue
                add(cases, sw, cmd, [cmd.name] + base + x + y, "reject", f"contradicting {what}")
    for junk in ["nosuchcmd", "", LONG, BINARY, "-x", "--bogus", "--json=1"]:
        add(cases, sw, None, [junk], "reject", "no such command or global option")
    add(cases, sw, None, ["--version", "junk"], "any", "--version with junk")
    return cases


def run(sw):
    cases = generate(sw)
    if sw.args.quick:
        cases = sample(cases, sw, 300)
    sw.run_all(cases)


def sample(cases, sw, n):
    """The cases that matter most (every kind of awkward path and number,
    once per option name, and every contradiction), then others up to n:
    the same ones for the same seed."""
    fx, keep, seen = sw.fx, [], set()
    must = {fx.path("fifo"), fx.path("link-to-fifo"), fx.path("planted"), fx.path("others"), "/etc/shadow",
            fx.path("cfg-world"), "0x10", "", "65536", "abcdefghijklmnopq", "/tmp", BINARY}
    exact = {("nstat", "explain", "NoSuchThing"), ("doctor", "only", ""), ("doctor", "config", "/dev/zero"),
             ("ifstat", "interval", "0x10"), ("tcplife", "port", "1,")}
    for i, c in enumerate(cases):
        key = getattr(c, "key", None)
        if (key and key[2] in must and key[1:] not in seen) or key in exact or c.what.startswith("contradicting"):
            if key:
                seen.add(key[1:])
            keep.append(i)
    rest = [i for i in range(len(cases)) if i not in set(keep)]
    keep += sw.rng.sample(rest, max(0, min(len(rest), n - len(keep))))
    return [cases[i] for i in sorted(keep)]
