"""Category "unpriv": every command as an unprivileged user (setpriv
--reuid=65534 --regid=65534 --clear-groups): it works, or it fails with
one line that names the capability it lacks (CAP_NET_ADMIN, CAP_BPF, ...);
also with -N/--netns, which need CAP_SYS_ADMIN."""
import re

from sweep import Case, error_lines
from gen_faults import bounded_lines, succeed

NOBODY = 65534
CAP_RE = re.compile(r"CAP_[A-Z_]+")


def names_cap(case, r):
    if r.rc in case.succeed or r.timed_out or r.rc < 0:
        return []
    errs = error_lines(r.stderr)
    text = " ".join(errs) if errs else r.stdout
    if not CAP_RE.search(text):
        return [("unpriv-capability-not-named", (errs or [r.stdout.strip()] or [""])[0][:120])]
    return []


def run(sw):
    pre = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    env = sw.env({"NETLENS_NSTAT_HISTORY": ""})
    lines = bounded_lines(sw, dur="1")
    for c in sw.cmds:
        if c.opt("net"):
            extra = ["-i", "0", "-o", "-"] if c.name == "snapshot" else []
            lines.append((c, [c.name, "-N", sw.fx.ns] + extra))
            if c.opt("netns"):
                lines.append((c, [c.name, "--netns", "/proc/1/ns/net"] + extra))
    cases = []
    for c, argv in lines:
        for j in ([], ["-j"]):
            wd = sw.fx.workdir(owner=NOBODY)
            e = dict(env, NETLENS_NSTAT_HISTORY=wd + "/hist", HOME=wd)
            cases.append(Case("unpriv", j + argv, "any", "as nobody", prefix=pre, env=e, workdir=wd,
                              succeed=succeed(c), checks=[names_cap], cmd=c))
    if sw.args.quick:
        cases = cases[::3]
    sw.run_all(cases)
