"""Category "filter": hostile ss filters (unbalanced and deeply nested
parentheses, long chains, bad ports, prefixes and states, control bytes),
in the sweep's namespace, whose sockets are known. A filter is refused in
one line or accepted; when accepted, the kernel bytecode and the user-space
matcher (--no-kernel-filter) must list the same sockets."""
from sweep import BINARY, LONG, Case

BAD = ["(", ")", "((", "( sport = :1", "sport = :1 )", "sport", "sport =", "sport = :", "sport = :abc",
       "sport = :99999", "sport = :-1", "sport = :0x10", "src 1.2.3.4/33", "src ::1/129", "dst 999.1.1.1",
       "state bogus", "state", "exclude", "exclude bogus", "and", "or or", "not", "not not",
       "src 1.2.3.4:0x50", "dst [::1", "dst ::1]:80", "sport ~ :1", "sport = :1 and", "( )",
       BINARY, LONG, "src " + LONG, "sport = :" + "9" * 5000, "src 1.2.3.4/-1", "dst 1.2.3.4/0x8"]
ODD = ["(" * 100 + "sport = :7001" + ")" * 100,
       "(" * 50000 + "sport = :7001" + ")" * 50000,
       "not " * 20000 + "sport = :7001",
       " or ".join(f"dport = :{p}" for p in range(1, 3000)),
       " and ".join(["sport > :1"] * 3000),
       " or ".join(["src 127.0.0.1"] * 1000) + " and dport = :7001",
       "dport = :7001 or dport = :7002",
       "not ( sport = :7001 or sport = :7002 )",
       "src 127.0.0.0/8 and not dst ::1",
       "dst ::ffff:127.0.0.1",
       "sport >= :7001 and sport <= :7002",
       "state listening sport = :7001",
       "exclude listening exclude established",
       "state all exclude all",
       "src 0.0.0.0/0",
       "dst ::/0",
       "sport = :0",
       "dst 1.2.3"]                    # inet_aton's 1.2.0.3, as iproute2 reads it


def same_as_user_space(sw):
    def check(case, r):
        if r.rc != 0 or r.timed_out:
            return []
        from sweep import run_proc
        u = run_proc([sw.netlens] + case.argv[:-1] + ["--no-kernel-filter", case.argv[-1]], 20, env=sw.env())
        if u.rc == 0 and sorted(u.stdout.splitlines()) != sorted(r.stdout.splitlines()):
            return [("kernel-filter-differs", f"kernel {len(r.stdout.splitlines())} lines, "
                     f"user space {len(u.stdout.splitlines())}")]
        return []
    return check


def run(sw):
    cases = []
    for j in ([], ["-j"]):
        for f in BAD:
            cases.append(Case("filter", j + ["ss", "-N", sw.fx.ns, "-tan", f], "reject", "bad filter"))
        for f in ODD:
            cases.append(Case("filter", j + ["ss", "-N", sw.fx.ns, "-tan", "-H", f], "any", "odd filter",
                              checks=[same_as_user_space(sw)]))
    if sw.args.quick:
        cases = cases[::2]
    sw.run_all(cases)
