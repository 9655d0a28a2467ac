"""sockstat against a known mix of socket calls (so_workload.py mix): each
system call and each socket send/receive counted exactly, for the process
(-p, --comm), the namespace (--netns) and the cgroup (--cgroup) asked for;
interval rows with their time; the raw_tp programs; the docs."""
import json
import re
import signal

import pytest

from conftest import run
from so_util import (Gated, check_docs_list_exactly_the_options, check_relocations,
                     check_unloads, mix_expected, run_traced)
from trace_util import Cgroup, Tracer, events

COLS = ["socket", "bind", "listen", "accept", "connect", "shutdown", "send", "recv",
        "sock_send", "sock_recv"]


def sockstat(*args, json_mode=True):
    return Tracer(["sockstat"] + [str(a) for a in args], json_mode=json_mode)


def totals(recs):
    """Every row's counts summed: the columns, and "syscalls"."""
    rows = events(recs)
    assert rows and all(set(r) == {"time", "interval_s", "syscalls", *COLS} for r in rows), rows
    cols = {c: sum(r[c] for r in rows) for c in COLS}
    sc = {k: sum(r["syscalls"][k] for r in rows) for k in rows[0]["syscalls"]}
    return cols, sc


def expected(sends=6, times=1):
    """The totals of `times` runs of mix --sends N: columns, syscalls."""
    x = mix_expected(sends)
    sc = {k: v * times for k, v in x["syscalls"].items()}
    cols = {"socket": sc["socket"], "bind": sc["bind"], "listen": sc["listen"],
            "accept": sc["accept"] + sc["accept4"], "connect": sc["connect"],
            "shutdown": sc["shutdown"], "send": sc["sendto"] + sc["sendmsg"] + sc["sendmmsg"],
            "recv": sc["recvfrom"] + sc["recvmsg"] + sc["recvmmsg"],
            "sock_send": x["sock_send"] * times, "sock_recv": x["sock_recv"] * times}
    return cols, sc


@pytest.mark.sanitize
def test_mix_counted_exactly(netns):
    w = Gated(netns, "mix", "--sends", 7)
    (out,), (recs,) = run_traced([w], sockstat("-p", w.pid, "--netns", netns.name, "-i", "0.3"))
    assert (out["nonblock_errno"], out["refused_errno"], out["eagain_errno"]) == (115, 111, 11)
    assert totals(recs) == expected(sends=7)
    assert recs[-2:] == [{"dropped_keys": 0}, {"lost_events": 0}]
    rows = events(recs)
    assert all(0 < r["interval_s"] < 5 for r in rows)
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)


def test_netns_filter_counts_only_that_namespace(netns_factory):
    a, b = netns_factory(), netns_factory()
    wa, wb = Gated(a, "mix", "--sends", 3), Gated(b, "mix", "--sends", 9)
    _, (ra, rb) = run_traced([wa, wb], sockstat("--netns", a.name), sockstat("--netns", b.name))
    assert totals(ra) == expected(sends=3)
    assert totals(rb) == expected(sends=9)


def test_pid_and_comm_filters(netns):
    w1 = Gated(netns, "mix", "--sends", 2)
    w2 = Gated(netns, "mix", "--sends", 5, "--comm", "nlt-mix2")
    _, (rp, rc, rboth) = run_traced([w1, w2], sockstat("-p", w1.pid, "--netns", netns.name),
                                    sockstat("--comm", "nlt-mix2"), sockstat("--netns", netns.name))
    assert totals(rp) == expected(sends=2)
    assert totals(rc) == expected(sends=5)
    (c2, s2), (c5, s5) = expected(sends=2), expected(sends=5)
    assert totals(rboth) == ({k: c2[k] + c5[k] for k in c2}, {k: s2[k] + s5[k] for k in s2})


def test_cgroup_filter(netns):
    cg = Cgroup()
    try:
        w_cg = Gated(netns, "mix", "--sends", 4, cgroup=cg.path)
        w = Gated(netns, "mix", "--sends", 1)
        _, (recs,) = run_traced([w_cg, w], sockstat("--cgroup", cg.path, "--netns", netns.name))
    finally:
        cg.close()
    assert totals(recs) == expected(sends=4)


def test_text_rows_every_interval(netns):
    # -n 3: three rows, each with the time, then it ends by itself
    p = run(["sockstat", "--netns", netns.name, "-i", "0.2", "-n", "3"])
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["TIME", "SOCKET", "BIND", "LISTEN", "ACCEPT", "CONNECT",
                                "SHUTDN", "SEND", "RECV", "SKSEND", "SKRECV"], p.stdout
    assert len(lines) == 4 and all(re.match(r"\d\d:\d\d:\d\d( +0){10}$", l) for l in lines[1:])
    j = [json.loads(l) for l in run(["-j", "sockstat", "--netns", netns.name, "-i", "0.2",
                                     "-n", "2"]).stdout.splitlines()]
    assert len(events(j)) == 2 and j[-1] == {"lost_events": 0}


def test_text_counts(netns):
    w = Gated(netns, "mix", "--sends", 10)
    _, (out,) = run_traced([w], sockstat("-p", w.pid, "-i", "60", json_mode=False))
    # stopped within the first interval: one row, the partial interval
    (row,) = out.splitlines()[1:]
    cols, _ = expected(sends=10)
    assert [int(x) for x in row.split()[1:]] == [cols[c] for c in COLS], out


@pytest.mark.parametrize("kind", ["tp_btf", "raw_tp"])
def test_stats_and_raw_tp_fallback(netns, monkeypatch, kind):
    # every hook attached; with tp_btf last (NETLENS_NO_TP_BTF), the socket
    # I/O hooks run their raw_tp programs and count the same
    if kind == "raw_tp":
        monkeypatch.setenv("NETLENS_NO_TP_BTF", "1")
    w = Gated(netns, "mix", "--sends", 3)
    _, (recs,) = run_traced([w], sockstat("-p", w.pid, "--stats"))
    stats = [r["stats"] for r in recs if "stats" in r]
    assert [s["hook"] for s in stats] == \
        [f"tracepoint/syscalls/sys_enter_{n}" for n in
         ("socket", "bind", "listen", "accept", "accept4", "connect", "shutdown", "sendto",
          "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg")] + \
        [f"{kind}/sock_send_length", f"{kind}/sock_recv_length"]
    assert all(s["recursion_misses"] == 0 for s in stats)
    # each program ran at least as often as the workload made it count
    runs = {s["hook"].split("_", 2)[-1]: s["run_cnt"] for s in stats}
    x = mix_expected(3)
    assert all(runs[k] >= v for k, v in x["syscalls"].items()), runs
    assert totals([r for r in recs if "stats" not in r]) == expected(sends=3)


def test_options_not_taken_are_refused():
    for opt in ("-P", "-4", "-c", "-t"):
        p = run(["sockstat", opt, "80"], check=False)
        assert p.returncode == 2 and len(p.stderr.splitlines()) == 1, p
        assert f"{opt}: not an option of 'sockstat'" in p.stderr, p


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("sockstat")


@pytest.mark.sanitize
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_no_programs_left_behind(netns, sig):
    check_unloads(netns, "sockstat", sig)


def test_trimmed_kernel_btf_relocates_like_the_full_one():
    check_relocations("sockstat")
