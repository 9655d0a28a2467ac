"""Category "signals": SIGTERM and SIGINT at random moments (while the
tracer loads, attaches, or streams with traffic running). The tracer must
exit within 5 s with status 0, print no error (no stale errno such as
"Interrupted system call"), leave no file behind, and leave nothing in the
kernel: the BPF programs and links it held (bpftool, by its pid) are gone.
Also `snapshot` signalled between its two samples: it may die of the
signal, but must not leave its temporary file beside the output name."""
import json
import os
import shutil
import signal
import subprocess
import time

from sweep import Case, ended_quietly


def bpf_ids(pid):
    """The ids of the BPF programs and links process pid holds."""
    ids = set()
    for kind in ("prog", "link"):
        r = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True, timeout=20)
        try:
            items = json.loads(r.stdout or "[]")
        except ValueError:
            continue
        for it in items:
            if any(p.get("pid") == pid for p in it.get("pids", [])):
                ids.add((kind, it["id"]))
    return ids


def alive(kind, i):
    return subprocess.run(["bpftool", kind, "show", "id", str(i)], capture_output=True).returncode == 0


# tracers that take operands: one they accept on any kernel with the net tracepoints
OPERANDS = {"stacks": ["net:net_dev_xmit"]}


def one(sw, c, argv, sig, delay, quiet=True):
    """quiet: the exit must be quiet and 0 (a tracer); else only what is left behind counts."""
    case = Case("signals", argv, "ok", f"{signal.Signals(sig).name} after {delay:.2f}s", cmd=c)
    wd = sw.fx.workdir()
    errf = os.path.join(sw.fx.dir, f"stderr-{os.getpid()}-{id(case)}")
    probs = []
    with open(errf, "wb") as ef:
        p = subprocess.Popen([sw.netlens] + [os.path.join(wd, a[1:]) if a.startswith("@") else a for a in argv], stdout=subprocess.DEVNULL, stderr=ef, stdin=subprocess.DEVNULL,
                             start_new_session=True, cwd=wd, env=sw.env())
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < delay and p.poll() is None:
            time.sleep(0.02)
        held = bpf_ids(p.pid) if p.poll() is None else set()
        if p.poll() is None:
            p.send_signal(sig)
        elif p.returncode == 1 and "this kernel has no" in open(errf, "rb").read().decode(
                "utf-8", "replace"):
            # refused before the signal for what the kernel lacks (ieee80211scan
            # without cfg80211): its refusal is the args sweep's to judge
            shutil.rmtree(wd, ignore_errors=True)
            return
        probs = ended_quietly(p, lambda: open(errf, "rb").read().decode("utf-8", "replace"), "signal",
                              "the signal")
        if not quiet:
            probs = [x for x in probs if x[0] in ("signal-no-exit", "sanitizer")]
    finally:
        sw.fx.stop(p)
        os.unlink(errf)
    # a snapshot that handled the signal by finishing early wrote its output: that is no leftover
    left = [f for f in os.listdir(wd) if not (f == "out.snap" and p.returncode == 0)]
    if left:
        probs.append(("temp-file-left", f"left behind: {left[:3]}"))
    deadline = time.monotonic() + 5
    while held and time.monotonic() < deadline:
        held = {h for h in held if alive(*h)}
        if held:
            time.sleep(0.1)
    if held:
        probs.append(("bpf-left-in-kernel", f"still loaded after exit: {sorted(held)[:4]}"))
    sw.record("signals", case, probs)
    shutil.rmtree(wd, ignore_errors=True)


def run(sw):
    gen = sw.fx.traffic()
    todo = []
    for c in sw.cmds:
        if not c.tracer:
            continue
        for j in ([], ["-j"]):
            for sig in (signal.SIGTERM, signal.SIGINT):
                for _ in range(1 if sw.args.quick else 3):
                    todo.append((c, j + [c.name] + OPERANDS.get(c.name, []), sig,
                                 sw.rng.uniform(0.0, 1.5)))
    if sw.args.quick:
        todo = [todo[i] for i in sorted(sw.rng.sample(range(len(todo)), min(8, len(todo))))]
    # snapshot between its two samples: whatever its status, no temporary file may stay
    for sig in (signal.SIGTERM, signal.SIGINT):
        for _ in range(1 if sw.args.quick else 3):
            todo.append((sw.cmds[[c.name for c in sw.cmds].index("snapshot")],
                         ["snapshot", "-N", sw.fx.ns, "-i", "3", "-o", "@out.snap"], sig,
                         sw.rng.uniform(0.3, 2.0), False))
    sw.pool_map(one, [(sw,) + t for t in todo], max(1, sw.args.jobs // 2))
    sw.fx.stop(gen)
