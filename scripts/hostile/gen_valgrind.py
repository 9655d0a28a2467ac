"""Category "valgrind" (--valgrind): each command's ordinary bounded line
once under valgrind (memcheck, definite leaks are errors; the tracers'
suppressions of tests/e2e)."""
import os

from sweep import Case
from gen_faults import bounded_lines, succeed

SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e", "trace_valgrind.supp")


def no_valgrind_errors(case, r):
    if r.rc == 99:
        errs = [l for l in r.stderr.splitlines() if l.startswith("==")]
        return [("valgrind", (errs[1] if len(errs) > 1 else "exit 99")[:120])]
    return []


def run(sw):
    pre = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
           "--show-leak-kinds=definite", "--suppressions=" + SUPP]
    gen = sw.fx.traffic()
    cases = [Case("valgrind", argv, "any", "under valgrind", prefix=pre, timeout=180, succeed=succeed(c) + (99,),
                  checks=[no_valgrind_errors], cmd=c)
             for c, argv in bounded_lines(sw, dur="3")]
    if sw.args.quick:
        cases = cases[:4]
    sw.run_all(cases)
    sw.fx.stop(gen)
