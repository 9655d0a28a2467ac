"""sormem against a ping socket of its own namespace whose small receive
buffer fills (sormem_workload.py): every drop counted per socket exactly as
the socket's own drop count (/proc/net/icmp{,6}), every read in the bucket
of the receive-buffer fill it leaves behind; the filters and JSON shape."""
import json

from conftest import HERE, PY, run as run_cmd
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, dropped_keys, events

import os

WORKLOAD = os.path.join(HERE, "sormem_workload.py")


def sormem(ns, *args, json_mode=True):
    return Tracer(["sormem", "--netns", ns.name] + [str(a) for a in args], json_mode=json_mode)


def go(ns, *args):
    p = ns.exec([PY, WORKLOAD] + [str(a) for a in args])
    return json.loads(p.stdout)


def hists(recs):
    """{(pid, comm, proto, lport): ({from: count}, record)} of the histograms."""
    out = {}
    for r in events(recs):
        if "histogram" not in r:
            continue
        h = r["histogram"]
        key = (h["pid"], h["comm"], h["proto"], h["lport"])
        assert key not in out, recs
        out[key] = ({b["from"]: b["count"] for b in h["buckets"] if b["count"]}, h)
    return out


def drops(recs):
    return [r for r in events(recs) if "histogram" not in r]


def left_behind(w):
    """sk_rmem_alloc after each read: the probe's (queue empty), then the
    queued replies', one truesize less each time."""
    return [0] + [(w["queued"] - 1 - i) * w["truesize"] for i in range(w["queued"])]


def udp_left_behind(w):
    """The same for UDP, which gives receive memory back in batches: a read
    adds its truesize to a deficit, released once the deficit reaches a
    quarter of sk_rcvbuf or the queue is empty (udp_rmem_release())."""
    t, out, alloc, deficit = w["truesize"], [0], w["queued"] * w["truesize"], 0
    for i in range(w["queued"]):
        deficit += t
        if deficit >= w["rcvbuf"] >> 2 or i == w["queued"] - 1:
            alloc, deficit = alloc - deficit, 0
        out.append(alloc)
    return out


def want_pct(w, left=None):
    out = {}
    for v in left or left_behind(w):
        b = min(v * 100 // w["rcvbuf"] // 10, 10) * 10
        out[b] = out.get(b, 0) + 1
    return out


def want_log2(w):
    out = {}
    for v in left_behind(w):
        b = 0 if v < 2 else 1 << (v.bit_length() - 1)
        out[b] = out.get(b, 0) + 1
    return out


def want_drop(w, family=4, ident=4242):
    return {"proto": "ICMP", "family": "inet6" if family == 6 else "inet",
            "laddr": "::1" if family == 6 else "127.0.0.1", "lport": ident,
            "raddr": "::" if family == 6 else "0.0.0.0", "rport": 0,
            "event": "rcvqueue_full", "count": w["drops"], "bytes": w["drops"] * w["truesize"],
            "rmem": w["queued"] * w["truesize"], "rcvbuf": w["rcvbuf"]}


def check_drop(rec, want):
    got = {k: rec[k] for k in want}
    assert got == want, rec


def test_fill_and_drops(netns, sock_length_hooks):
    tr = sormem(netns)
    try:
        w = go(netns, "--comm", "nlt-rmem")
    finally:
        recs = tr.stop()
    sock_length_hooks(tr.stderr)
    # the queue filled: 8192 bytes of rcvbuf hold 10 replies, 20 dropped
    assert w["drops"] > 0 and w["queued"] > 1 and w["reads"] == w["queued"], w
    h = hists(recs)
    assert list(h) == [(w["pid"], "nlt-rmem", "ICMP", 4242)], recs
    buckets, rec = h[(w["pid"], "nlt-rmem", "ICMP", 4242)]
    assert rec["unit"] == "percent" and rec["scale"] == "linear", rec
    assert buckets == want_pct(w), (buckets, w)
    # the first read of the full queue leaves it nearly full: (queued-1)/queued
    assert max(buckets) == (w["queued"] - 1) * w["truesize"] * 100 // w["rcvbuf"] // 10 * 10
    assert (rec["reads"], rec["rmem_max"], rec["rcvbuf"]) == \
        (w["queued"] + 1, (w["queued"] - 1) * w["truesize"], w["rcvbuf"]), rec
    assert rec["rmem_mean"] == sum(left_behind(w)) // (w["queued"] + 1), rec
    d = drops(recs)
    assert len(d) == 1, recs
    check_drop(d[0], want_drop(w))
    assert recs[-2:] == [{"dropped_keys": 0}, {"lost_events": 0}]


def test_udp_fill_both_families(netns, sock_length_hooks):
    """A UDP socket whose small buffer fills: every read in the bucket of
    the fill it leaves, with UDP's batched release of receive memory; its
    drops (the socket's own count) fire no
    sock_rcvqueue_full on this kernel (UDP checks its buffer without the
    tracepoint): no drop record."""
    tr = sormem(netns)
    try:
        w4 = go(netns, "--udp", "--ident", 5301)
        w6 = go(netns, "--udp", "--family", 6, "--ident", 5302)
    finally:
        recs = tr.stop()
    sock_length_hooks(tr.stderr)
    h = hists(recs)
    assert sorted(h) == sorted([(w4["pid"], "python3", "UDP", 5301),
                                (w6["pid"], "python3", "UDP", 5302)]), recs
    for w, port in ((w4, 5301), (w6, 5302)):
        assert w["drops"] > 0 and w["queued"] > 1 and w["reads"] == w["queued"], w
        buckets, rec = h[(w["pid"], "python3", "UDP", port)]
        left = udp_left_behind(w)
        assert buckets == want_pct(w, left), (buckets, left, w)
        assert (rec["reads"], rec["rmem_max"], rec["rcvbuf"]) == \
            (w["queued"] + 1, max(left), w["rcvbuf"]), rec
    assert drops(recs) == [], recs


def test_tcp_fill_matches_the_sockets_own_count(netns):
    """TCP: 30 segments of 1000 bytes queued unread, then read 2500 bytes at
    a time; after each read the workload asks the socket itself
    (SO_MEMINFO) for sk_rmem_alloc and sk_rcvbuf. TCP coalesces segments
    in its queue, so the values cannot be predicted, but each read's bucket,
    the mean and the maximum must be the socket's own, in percent and in
    log2 bytes."""
    tr, trb = sormem(netns, "-P", 5303), sormem(netns, "-P", 5303, "--bytes")
    try:
        w = go(netns, "--tcp", "--ident", 5303, "--rcvbuf", 65536)
    finally:
        recs, brecs = tr.stop(), trb.stop()
    got = [v for v, _ in w["rmem"]]
    assert len(got) == 12 and got[-1] == 0 and max(got) > 0, w
    pct = {}
    for v, rcvbuf in w["rmem"]:
        b = min(v * 100 // rcvbuf // 10, 10) * 10
        pct[b] = pct.get(b, 0) + 1
    buckets, rec = hists(recs)[(w["pid"], "python3", "TCP", 5303)]
    assert buckets == pct, (buckets, w)
    assert (rec["reads"], rec["rmem_max"], rec["rmem_mean"], rec["rcvbuf"]) == \
        (len(got), max(got), sum(got) // len(got), w["rmem"][-1][1]), (rec, w)
    log2 = {}
    for v in got:
        b = 0 if v < 2 else 1 << (v.bit_length() - 1)
        log2[b] = log2.get(b, 0) + 1
    assert hists(brecs)[(w["pid"], "python3", "TCP", 5303)][0] == log2
    assert drops(recs) == [], recs


def test_bytes_histogram(netns):
    tr = sormem(netns, "--bytes")
    try:
        w = go(netns)
    finally:
        recs = tr.stop()
    buckets, rec = hists(recs)[(w["pid"], "python3", "ICMP", 4242)]
    assert (rec["unit"], rec["scale"]) == ("bytes", "log2"), rec
    assert buckets == want_log2(w), (buckets, w)


def test_ipv6_and_family_filters(netns):
    tr4, tr6 = sormem(netns, "-4"), sormem(netns, "-6")
    try:
        w4 = go(netns, "--ident", 11)
        w6 = go(netns, "--family", 6, "--ident", 12)
    finally:
        r4, r6 = tr4.stop(), tr6.stop()
    assert list(hists(r4)) == [(w4["pid"], "python3", "ICMP", 11)], r4
    assert list(hists(r6)) == [(w6["pid"], "python3", "ICMP", 12)], r6
    assert hists(r6)[(w6["pid"], "python3", "ICMP", 12)][0] == want_pct(w6)
    [d4], [d6] = drops(r4), drops(r6)
    check_drop(d4, want_drop(w4, 4, 11))
    check_drop(d6, want_drop(w6, 6, 12))


def test_port_comm_and_pid_filters(netns):
    trp, trc = sormem(netns, "-P", 21), sormem(netns, "--comm", "nlt-b")
    trpid = sormem(netns, "-p", 1)  # no receiver is pid 1: only the drops stay
    try:
        wa = go(netns, "--ident", 21, "--comm", "nlt-a")
        wb = go(netns, "--ident", 22, "--comm", "nlt-b")
    finally:
        rp, rc, rpid = trp.stop(), trc.stop(), trpid.stop()
    assert list(hists(rp)) == [(wa["pid"], "nlt-a", "ICMP", 21)], rp
    [d] = drops(rp)
    check_drop(d, want_drop(wa, 4, 21))
    # -p/--comm apply to the receives only: drops have no process
    assert list(hists(rc)) == [(wb["pid"], "nlt-b", "ICMP", 22)], rc
    assert sorted(r["lport"] for r in drops(rc)) == [21, 22], rc
    assert hists(rpid) == {}, rpid
    assert sorted(r["lport"] for r in drops(rpid)) == [21, 22], rpid


def test_netns_filter(netns_factory):
    a, b = netns_factory(), netns_factory()
    tr = sormem(a)
    try:
        go(b, "--ident", 31)
        wa = go(a, "--ident", 32)
    finally:
        recs = tr.stop()
    assert list(hists(recs)) == [(wa["pid"], "python3", "ICMP", 32)], recs
    [d] = drops(recs)
    check_drop(d, want_drop(wa, 4, 32))


def test_text_output(netns):
    tr = sormem(netns, "--comm", "nlt-txt", json_mode=False)
    try:
        w = go(netns, "--comm", "nlt-txt", "--ident", 41)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines[0] == f"receive buffer % of rcvbuf, pid {w['pid']} nlt-txt, ICMP port 41", out
    assert lines[1].split() == ["percent", ":", "count", "distribution"], out
    i = lines.index("Receive queue full / memory limit events, per socket")
    assert lines[i + 1].split() == ["PROTO", "LADDR", "LPORT", "RADDR", "RPORT", "EVENT",
                                    "COUNT", "BYTES", "RMEM", "RCVBUF"], out
    assert lines[i + 2].split() == ["ICMP", "127.0.0.1", "41", "0.0.0.0", "0", "rcvqueue_full",
                                    str(w["drops"]), str(w["drops"] * w["truesize"]),
                                    str(w["queued"] * w["truesize"]), str(w["rcvbuf"])], out


def test_full_table_counts_dropped_keys(netns):
    # one key per table: the first socket's; each receive and drop of the
    # second finds its table full
    tr = sormem(netns, "--max-keys", "1", "--comm", "nlt-k")
    try:
        wa = go(netns, "--comm", "nlt-k", "--ident", 51)
        wb = go(netns, "--comm", "nlt-k", "--ident", 52)
    finally:
        recs = tr.stop()
    assert list(hists(recs)) == [(wa["pid"], "nlt-k", "ICMP", 51)], recs
    [d] = drops(recs)
    check_drop(d, want_drop(wa, 4, 51))
    assert dropped_keys(recs) == wb["queued"] + 1 + wb["drops"]


def test_json_shape_empty(netns):
    p = run_cmd(["-j", "sormem", "--netns", netns.name, "-d", "0.2"])
    assert [json.loads(l) for l in p.stdout.splitlines()] == \
        [{"dropped_keys": 0}, {"lost_events": 0}], p.stdout


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("sormem")
