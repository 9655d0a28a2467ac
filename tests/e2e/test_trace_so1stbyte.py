"""so1stbyte against known connects in a namespace of its own: a server
that waits before it sends, blocking and non-blocking clients, connects
that never read or fail, --hist with exact counts, the filters."""
import errno

from so_util import check_docs_list_exactly_the_options
from solat_util import Gated, bucket_total, hists, solat_workload
from trace_util import Tracer, dropped_keys, events, netns_inode


def so1stbyte(ns, *args, **kw):
    return Tracer(["so1stbyte", "--netns", ns.name] + list(args), **kw)


def test_server_delay_blocking_and_nonblocking(netns, sock_length_hooks):
    # the server sleeps 0.3 s after accept() before it sends
    tr = so1stbyte(netns)
    try:
        b = solat_workload(netns, "firstbyte", "--delay", 0.3, "--conns", 2)
        n = solat_workload(netns, "firstbyte", "--delay", 0.3, "--nonblock")
    finally:
        recs = tr.stop()
    sock_length_hooks(tr.stderr)
    evs = events(recs)
    assert [(e["pid"], e["comm"], e["raddr"], e["rport"], e["nonblock"]) for e in evs] == \
        [(b["pid"], "python3", "127.0.0.1", b["port"], False)] * 2 + \
        [(n["pid"], "python3", "127.0.0.1", n["port"], True)]
    for e in evs:
        assert 300 <= e["latency_ms"] < 2000
        assert e["netns"] == netns_inode(netns) and e["family"] == "inet"
    assert recs[-1] == {"lost_events": 0}


def test_half_closed_client_still_reads(netns):
    # shutdown(SHUT_WR) before reading (FIN_WAIT1 with reading still open)
    # keeps the connect; close() and shutdown(SHUT_RD) would not
    tr = so1stbyte(netns)
    try:
        w = solat_workload(netns, "firstbyte", "--delay", 0.05, "--shutwr", "--conns", 2)
    finally:
        evs = events(tr.stop())
    assert [(e["pid"], e["rport"]) for e in evs] == [(w["pid"], w["port"])] * 2
    assert all(50 <= e["latency_ms"] < 2000 for e in evs)


def test_ipv6_and_family_filter(netns):
    v6 = so1stbyte(netns, "-6")
    v4 = so1stbyte(netns, "-4")
    try:
        w = solat_workload(netns, "firstbyte", "--addr", "::1", "--delay", 0.05)
    finally:
        e6, e4 = events(v6.stop()), events(v4.stop())
    assert e4 == []
    assert [(e["pid"], e["family"], e["raddr"], e["rport"]) for e in e6] == \
        [(w["pid"], "inet6", "::1", w["port"])]
    assert 50 <= e6[0]["latency_ms"] < 2000


def test_failed_and_silent_connects_leave_nothing(netns):
    # connects that never read (closed unread) or fail are not shown, and
    # their entries go: with tables of 4 keys, 10 of them and then one
    # that reads still give exactly that one event and no dropped key
    tr = so1stbyte(netns, "--max-keys", "4", "--stats")
    try:
        ref = solat_workload(netns, "connect", "--port", 9, "--conns", 3, "--nonblock")
        w = solat_workload(netns, "firstbyte", "--silent", 10, "--delay", 0)
    finally:
        recs = tr.stop()
    assert ref["errnos"] == [errno.ECONNREFUSED] * 3
    assert [(e["pid"], e["rport"]) for e in events(recs)] == [(w["pid"], w["port"])]
    assert dropped_keys(recs) == 0


def test_hist_exact_counts_in_the_delay_bucket(netns):
    tr = so1stbyte(netns, "--hist")
    try:
        a = solat_workload(netns, "firstbyte", "--delay", 0.3, "--conns", 3)
        b = solat_workload(netns, "firstbyte", "--delay", 0, "--conns", 2, "--comm", "nlt-fast")
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    got = {(g["pid"], g["comm"]): (g["count"], bucket_total(h)) for g, h in hists(recs)}
    assert got == {(a["pid"], "python3"): (3, 3), (b["pid"], "nlt-fast"): (2, 2)}
    (slow,) = [h for g, h in hists(recs) if g["pid"] == a["pid"]]
    # 300 ms and a little: all three in the log2 bucket 262144..524287 us
    assert [(x["from"], x["to"], x["count"]) for x in slow["buckets"] if x["count"]] == \
        [(262144, 524287, 3)]
    assert all("failed" not in g for g, _ in hists(recs))


def test_hist_by_both(netns):
    tr = so1stbyte(netns, "--by", "both", json_mode=False)
    try:
        w = solat_workload(netns, "firstbyte", "--delay", 0.01, "--conns", 2)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines[0] == f"time to first byte, pid {w['pid']} (python3) to 127.0.0.1:{w['port']}"
    rows = [l for l in lines if "|" in l]
    assert sum(int(l.split(":")[1].split()[0]) for l in rows) == 2
    assert lines[-1].split(":")[1].strip().startswith("2 connects, mean ")


def test_port_comm_pid_filters(netns):
    port = so1stbyte(netns, "-P", "7101")
    comm = so1stbyte(netns, "--comm", "nlt-fb")
    g = Gated(netns, "firstbyte", "--conns", 2)
    pid = so1stbyte(netns, "-p", str(g.pid))
    try:
        a = solat_workload(netns, "firstbyte", "--port", 7101)
        b = solat_workload(netns, "firstbyte", "--comm", "nlt-fb")
        gw = g.go()
    finally:
        ep, ec, epid = (events(t.stop()) for t in (port, comm, pid))
    assert len({a["pid"], b["pid"], gw["pid"]}) == 3
    assert [(e["pid"], e["rport"]) for e in ep] == [(a["pid"], 7101)]
    assert [(e["pid"], e["comm"], e["rport"]) for e in ec] == [(b["pid"], "nlt-fb", b["port"])]
    assert [(e["pid"], e["rport"]) for e in epid] == [(g.pid, gw["port"])] * 2


def test_netns_filter(netns_factory):
    a, b = netns_factory(), netns_factory()
    tr = so1stbyte(a)
    try:
        solat_workload(b, "firstbyte")
        wa = solat_workload(a, "firstbyte")
    finally:
        evs = events(tr.stop())
    assert [(e["pid"], e["netns"]) for e in evs] == [(wa["pid"], netns_inode(a))]


def test_json_shape_and_text_columns(netns):
    tr = so1stbyte(netns)
    tt = so1stbyte(netns, json_mode=False)
    try:
        w = solat_workload(netns, "firstbyte")
    finally:
        recs, out = tr.stop(), tt.stop()
    assert recs[-1] == {"lost_events": 0} and len(recs) == 2
    assert set(recs[0]) == {"time", "pid", "comm", "latency_ms", "family", "raddr", "rport",
                            "nonblock", "netns", "cgroup"}
    head, row = out.splitlines()[:2]
    assert head.split() == ["PID", "COMM", "AF", "LAT(ms)", "DEST"]
    assert row.split()[0] == str(w["pid"]) and row.split()[-1] == f"127.0.0.1:{w['port']}"


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("so1stbyte")
