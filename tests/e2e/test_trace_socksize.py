"""socksize against known socket I/O in a namespace of its own: each send
and receive in the log2 bucket of its size, one histogram per process and
direction, failed calls and recv(MSG_PEEK) left out; the filters, -i
histograms with their time, text bars and a full kernel table."""
import json
import re
import time

from conftest import run as run_cmd, wait_for
from so_util import check_docs_list_exactly_the_options
from sockio_util import SockIO
from trace_util import Tracer, dropped_keys, events

# sockio_workload.py, by bucket (log2 slot: from 2^slot to 2^(slot+1)-1):
# the sender sends 9 x 100 (64-127), 5 x 3000 (2048-4095), 3 x 10 (8-15);
# the receiver gets 9 x 100, 1 x 15000 (8192-16383, MSG_WAITALL) and 3 x 10
SEND = {8: 3, 64: 9, 2048: 5}
RECV = {8: 3, 64: 9, 8192: 1}


def socksize(ns, *args, json_mode=True):
    return Tracer(["socksize", "--netns", ns.name] + [str(a) for a in args], json_mode=json_mode)


def hists(recs):
    """{(pid, comm, dir): ({from: count}, calls, bytes)} of the histogram records."""
    out = {}
    for r in events(recs):
        h = r["histogram"]
        assert (h["name"], h["unit"], h["scale"]) == \
            (f"{h['dir']} bytes, pid {h['pid']} {h['comm']}", "bytes", "log2"), h
        for b in h["buckets"]:
            assert b["to"] == 2 * max(b["from"], 1) - 1, b
        key = (h["pid"], h["comm"], h["dir"])
        assert key not in out, recs
        out[key] = ({b["from"]: b["count"] for b in h["buckets"] if b["count"]}, h["calls"],
                    h["bytes"])
    return out


def expected(w, receiver="python3"):
    return {(w.sender, "nlt-sender", "send"): (SEND, 17, 15930),
            (w.pid, receiver, "recv"): (RECV, 13, 15930)}


def run(ns, *args, workload=(), **kw):
    w = SockIO(ns, *workload)
    tr = socksize(ns, *args, **kw)
    try:
        w.go()
    finally:
        out = tr.stop()
    return w, out


def test_sizes_in_their_buckets(netns, sock_length_hooks):
    w = SockIO(netns)
    tr = socksize(netns)
    try:
        w.go()
    finally:
        recs = tr.stop()
    sock_length_hooks(tr.stderr)
    assert hists(recs) == expected(w)
    assert recs[-2:] == [{"dropped_keys": 0}, {"lost_events": 0}]
    assert all("time" not in r for r in events(recs))


def test_family_filters(netns):
    # -6: only the TCP part (on ::1); -4: only UDP
    w6 = SockIO(netns, "--tcp6")
    tr6, tr4 = socksize(netns, "-6"), socksize(netns, "-4")
    try:
        w6.go()
    finally:
        r6, r4 = tr6.stop(), tr4.stop()
    assert hists(r6) == {(w6.sender, "nlt-sender", "send"): ({2048: 5}, 5, 15000),
                         (w6.pid, "python3", "recv"): ({8192: 1}, 1, 15000)}
    assert hists(r4) == {(w6.sender, "nlt-sender", "send"): ({64: 9}, 9, 900),
                         (w6.pid, "python3", "recv"): ({64: 9}, 9, 900)}


def test_pid_comm_and_port_filters(netns):
    w = SockIO(netns, "--comm", "nlt-recv")
    tr_p, tr_c = socksize(netns, "-p", w.pid), socksize(netns, "--comm", "nlt-sender")
    tr_port = socksize(netns, "-P", w.tcp_port)
    try:
        w.go()
    finally:
        rp, rc, rport = tr_p.stop(), tr_c.stop(), tr_port.stop()
    want = expected(w, "nlt-recv")
    assert hists(rp) == {k: v for k, v in want.items() if k[0] == w.pid}
    assert hists(rc) == {k: v for k, v in want.items() if k[1] == "nlt-sender"}
    assert hists(rport) == {(w.sender, "nlt-sender", "send"): ({2048: 5}, 5, 15000),
                            (w.pid, "nlt-recv", "recv"): ({8192: 1}, 1, 15000)}


def test_netns_filter_sees_only_its_namespace(netns_factory):
    a, b = netns_factory(), netns_factory()
    wa, wb = SockIO(a), SockIO(b)
    tr = socksize(a)
    try:
        wb.go()
        wa.go()
    finally:
        recs = tr.stop()
    assert hists(recs) == expected(wa)


def test_text_bars(netns):
    w, out = run(netns, "--comm", "nlt-sender", json_mode=False)
    lines = out.splitlines()
    assert lines[0] == f"send bytes, pid {w.sender} nlt-sender", out
    assert lines[1].split() == ["bytes", ":", "count", "distribution"], out
    bars = {l.split(":")[0].strip(): l.split(":")[1].split()[0] for l in lines[2:] if "->" in l}
    assert (bars["8 -> 15"], bars["64 -> 127"], bars["2048 -> 4095"]) == ("3", "9", "5"), out
    assert sum(int(v) for v in bars.values()) == 17, out
    assert re.search(r"\|\*{40}\|$", [l for l in lines if l.lstrip().startswith("64 ->")][0])
    assert lines[-1].split(":")[1].split() == ["17", "calls,", "15930", "bytes,", "mean", "937",
                                               "bytes"], out


def test_interval_histograms_carry_the_time(netns):
    w = SockIO(netns)
    tr = socksize(netns, "-i", "0.2")
    try:
        t0 = time.time()
        w.go()
        wait_for(lambda: tr._read(tr.out).count('"recv"') >= 1, timeout=10,
                 what="the receiver's histogram")
    finally:
        recs = tr.stop()
    evs = events(recs)
    assert evs and all(t0 - 1 < r["time"] < time.time() for r in evs), evs
    # the histograms of all intervals add up to the workload
    tot = {}
    for r in evs:
        h = r["histogram"]
        b, c, n = tot.setdefault((h["pid"], h["comm"], h["dir"]), ({}, [0], [0]))
        for x in h["buckets"]:
            if x["count"]:
                b[x["from"]] = b.get(x["from"], 0) + x["count"]
        c[0] += h["calls"]
        n[0] += h["bytes"]
    assert {k: (b, c[0], n[0]) for k, (b, c, n) in tot.items()} == expected(w)
    assert recs[-1] == {"lost_events": 0}


def test_full_table_counts_dropped_keys(netns):
    # one key fits: the sender's, which sends first
    w, recs = run(netns, "--max-keys", "1")
    assert hists(recs) == {k: v for k, v in expected(w).items() if k[2] == "send"}
    assert dropped_keys(recs) == 13  # each of the receiver's counted calls


def test_json_shape_empty(netns):
    p = run_cmd(["-j", "socksize", "--netns", netns.name, "-d", "0.2"])
    assert [json.loads(l) for l in p.stdout.splitlines()] == \
        [{"dropped_keys": 0}, {"lost_events": 0}], p.stdout
    p = run_cmd(["socksize", "--netns", netns.name, "-d", "0.2"])
    assert p.stdout == "Socket I/O sizes\n  (no samples)\n", p.stdout


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("socksize")
