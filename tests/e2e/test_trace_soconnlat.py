"""soconnlat against known connects in a namespace of its own: blocking and
non-blocking, connected, refused, retransmitted, timed out and abandoned;
--hist with exact counts; the filters."""
import errno

from so_util import check_docs_list_exactly_the_options
from solat_util import Gated, bucket_total, drop_syns, hists, solat_workload
from trace_util import Tracer, dropped_keys, events, netns_inode


def soconnlat(ns, *args, **kw):
    return Tracer(["soconnlat", "--netns", ns.name] + list(args), **kw)


def test_nonblocking_connects_end_when_connected(netns):
    tr = soconnlat(netns)
    try:
        w = solat_workload(netns, "connect", "--listen", "--nonblock", "--conns", 3)
    finally:
        recs = tr.stop()
    assert w["errnos"] == [0, 0, 0]
    evs = events(recs)
    assert [(e["pid"], e["comm"], e["raddr"], e["rport"], e["nonblock"], e["result"], e["ok"])
            for e in evs] == [(w["pid"], "python3", "127.0.0.1", w["port"], True, "ok", True)] * 3
    for e, ms in zip(evs, w["ms"]):
        # from connect()'s entry to ESTABLISHED: inside what the workload timed
        assert 0 < e["latency_ms"] <= ms and "errno" not in e
        assert e["netns"] == netns_inode(netns) and e["family"] == "inet"
    assert recs[-1] == {"lost_events": 0}


def test_blocking_connected_and_refused(netns):
    tr = soconnlat(netns)
    try:
        ok = solat_workload(netns, "connect", "--listen", "--conns", 2)
        ref = solat_workload(netns, "connect", "--port", 9, "--conns", 2)
    finally:
        evs = events(tr.stop())
    assert (ok["errnos"], ref["errnos"]) == ([0, 0], [errno.ECONNREFUSED] * 2)
    assert [(e["pid"], e["rport"], e["nonblock"], e["result"], e["ok"], e.get("errno"))
            for e in evs] == \
        [(ok["pid"], ok["port"], False, "ok", True, None)] * 2 + \
        [(ref["pid"], 9, False, "ECONNREFUSED", False, errno.ECONNREFUSED)] * 2
    assert all(e["latency_ms"] > 0 for e in evs)


def test_nonblocking_refused_and_unreachable(netns):
    tr = soconnlat(netns)
    try:
        ref = solat_workload(netns, "connect", "--port", 9, "--nonblock", "--conns", 2)
        # only lo in the namespace: no route, connect() fails at once
        unr = solat_workload(netns, "connect", "--addr", "10.253.0.1", "--port", 80,
                             "--nonblock")
        unr6 = solat_workload(netns, "connect", "--addr", "2001:db8::1", "--port", 80)
    finally:
        evs = events(tr.stop())
    assert (ref["errnos"], unr["errnos"], unr6["errnos"]) == \
        ([errno.ECONNREFUSED] * 2, [errno.ENETUNREACH], [errno.ENETUNREACH])
    assert [(e["pid"], e["family"], e["raddr"], e["rport"], e["nonblock"], e["result"])
            for e in evs] == \
        [(ref["pid"], "inet", "127.0.0.1", 9, True, "ECONNREFUSED")] * 2 + \
        [(unr["pid"], "inet", "10.253.0.1", 80, True, "ENETUNREACH"),
         (unr6["pid"], "inet6", "2001:db8::1", 80, False, "ENETUNREACH")]


def test_first_syn_dropped_takes_one_rto(netns):
    # the first SYN is dropped, its retransmission one initial RTO (1 s)
    # later connects
    drop_syns(netns, 7001, first_only=True)
    tr = soconnlat(netns, "-P", "7001")
    try:
        w = solat_workload(netns, "connect", "--listen", "--port", 7001, "--nonblock")
    finally:
        evs = events(tr.stop())
    assert w["errnos"] == [0] and w["ms"][0] >= 1000
    assert [(e["rport"], e["nonblock"], e["result"]) for e in evs] == [(7001, True, "ok")]
    assert 1000 <= evs[0]["latency_ms"] < 2000 and evs[0]["latency_ms"] <= w["ms"][0]


def test_timeout_after_syn_retries_blocking_and_not(netns):
    # every SYN to port 7 dropped, one retransmission: the handshake gives
    # up 1 + 2 s after connect() with ETIMEDOUT in sk_err, in softirq; a
    # blocking connect (alongside) returns it then
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syn_retries=1"])
    drop_syns(netns, 7)
    tr = soconnlat(netns, "-P", "7")
    try:
        g = Gated(netns, "connect", "--port", 7, "--comm", "nlt-block")
        g.start()
        w = solat_workload(netns, "connect", "--port", 7, "--nonblock")
        b = g.go()
    finally:
        evs = events(tr.stop())
    assert (w["errnos"], b["errnos"]) == ([errno.ETIMEDOUT], [errno.ETIMEDOUT])
    got = sorted((e["pid"], e["comm"], e["rport"], e["nonblock"], e["result"], e["errno"])
                 for e in evs)
    assert got == sorted([(w["pid"], "python3", 7, True, "ETIMEDOUT", errno.ETIMEDOUT),
                          (b["pid"], "nlt-block", 7, False, "ETIMEDOUT", errno.ETIMEDOUT)])
    assert all(2900 <= e["latency_ms"] < 6000 for e in evs)


def test_abandoned_connects_end_closed_and_free_their_keys(netns):
    # three connects that never connect, closed after 0.2 s: each ends
    # "closed" and leaves no entry behind (tables of two keys would refuse
    # the third otherwise)
    drop_syns(netns, 7002)
    tr = soconnlat(netns, "--max-keys", "2", "--stats")
    try:
        w = solat_workload(netns, "connect", "--port", 7002, "--nonblock", "--abandon", 0.2,
                           "--conns", 3)
    finally:
        recs = tr.stop()
    assert w["errnos"] == [-1] * 3
    evs = events(recs)
    assert [(e["rport"], e["result"], e["ok"], "errno" in e) for e in evs] == \
        [(7002, "closed", False, False)] * 3
    assert all(200 <= e["latency_ms"] < 2000 for e in evs)
    assert dropped_keys(recs) == 0


def test_hist_per_process_exact_counts(netns):
    tr = soconnlat(netns, "--hist")
    try:
        a = solat_workload(netns, "connect", "--listen", "--conns", 3, "--nonblock")
        b = solat_workload(netns, "connect", "--port", 9, "--conns", 2)
        c = solat_workload(netns, "connect", "--listen", "--conns", 4, "--comm", "nlt-other")
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    got = {(g["pid"], g["comm"]): (g["count"], g["failed"], bucket_total(h), h["unit"],
                                   h["scale"]) for g, h in hists(recs)}
    assert got == {(a["pid"], "python3"): (3, 0, 3, "usecs", "log2"),
                   (b["pid"], "python3"): (2, 2, 2, "usecs", "log2"),
                   (c["pid"], "nlt-other"): (4, 0, 4, "usecs", "log2")}
    for g, h in hists(recs):
        assert h["name"] == f"connect latency, pid {g['pid']} ({g['comm']})"
        assert "raddr" not in g and g["mean_ms"] > 0


def test_hist_by_dest_and_retransmit_bucket(netns):
    drop_syns(netns, 7003, first_only=True)
    tr = soconnlat(netns, "--by", "dest")
    try:
        solat_workload(netns, "connect", "--port", 9, "--conns", 2)
        solat_workload(netns, "connect", "--port", 10, "--conns", 3, "--comm", "nlt-b")
        solat_workload(netns, "connect", "--listen", "--port", 7003, "--nonblock")
    finally:
        recs = tr.stop()
    got = {g["rport"]: (g["raddr"], g["count"], g["failed"], bucket_total(h))
           for g, h in hists(recs)}
    assert got == {9: ("127.0.0.1", 2, 2, 2), 10: ("127.0.0.1", 3, 3, 3),
                   7003: ("127.0.0.1", 1, 0, 1)}
    (slow,) = [h for g, h in hists(recs) if g["rport"] == 7003]
    # one RTO: 1 s and a little, in the log2 bucket 524288..1048575 us or
    # the next one
    (b,) = slow["buckets"][-1:]
    assert b["count"] == 1 and b["from"] in (524288, 1048576)
    assert all("pid" not in g for g, _ in hists(recs))


def test_hist_text_bars(netns):
    tr = soconnlat(netns, "--hist", json_mode=False)
    try:
        w = solat_workload(netns, "connect", "--port", 9, "--conns", 5)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines[0] == f"connect latency, pid {w['pid']} (python3)"
    rows = [l for l in lines if "|" in l]
    assert sum(int(l.split(":")[1].split()[0]) for l in rows) == 5
    assert any("|****" in l for l in rows)
    assert lines[-1].split(":")[1].strip().startswith("5 connects, mean ") and "5 failed" in lines[-1]


def test_text_columns(netns):
    tr = soconnlat(netns, json_mode=False)
    try:
        solat_workload(netns, "connect", "--port", 9, "--nonblock")
    finally:
        out = tr.stop()
    head, row = out.splitlines()[:2]
    assert head.split() == ["PID", "COMM", "AF", "MODE", "LAT(ms)", "RESULT", "DEST"]
    cells = row.split()
    assert cells[1:4] == ["python3", "inet", "nonblock"]
    assert float(cells[4]) > 0 and cells[5:] == ["ECONNREFUSED", "127.0.0.1:9"]


def test_port_comm_pid_family_filters(netns):
    port = soconnlat(netns, "-P", "10")
    comm = soconnlat(netns, "--comm", "nlt-conn")
    v6 = soconnlat(netns, "-6")
    g = Gated(netns, "connect", "--port", 11, "--conns", 2)
    pid = soconnlat(netns, "-p", str(g.pid))
    try:
        a = solat_workload(netns, "connect", "--port", 9, "--conns", 2)
        b = solat_workload(netns, "connect", "--port", 10, "--comm", "nlt-conn")
        c = solat_workload(netns, "connect", "--addr", "::1", "--port", 9, "--nonblock")
        gw = g.go()
    finally:
        ep, ec, e6, epid = (events(t.stop()) for t in (port, comm, v6, pid))
    assert len({a["pid"], b["pid"], c["pid"], gw["pid"]}) == 4
    assert [(e["pid"], e["rport"]) for e in ep] == [(b["pid"], 10)]
    assert [(e["pid"], e["comm"], e["rport"]) for e in ec] == [(b["pid"], "nlt-conn", 10)]
    assert [(e["pid"], e["family"], e["raddr"], e["result"]) for e in e6] == \
        [(c["pid"], "inet6", "::1", "ECONNREFUSED")]
    assert [(e["pid"], e["rport"]) for e in epid] == [(g.pid, 11)] * 2


def test_netns_filter(netns_factory):
    a, b = netns_factory(), netns_factory()
    tr = soconnlat(a)
    try:
        wb = solat_workload(b, "connect", "--port", 9, "--nonblock")
        wa = solat_workload(a, "connect", "--listen", "--nonblock")
    finally:
        evs = events(tr.stop())
    assert wb["errnos"] == [errno.ECONNREFUSED]
    assert [(e["pid"], e["netns"], e["result"]) for e in evs] == \
        [(wa["pid"], netns_inode(a), "ok")]


def test_json_shape(netns):
    tr = soconnlat(netns)
    try:
        solat_workload(netns, "connect", "--port", 9)
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0} and len(recs) == 2
    assert set(recs[0]) == {"time", "pid", "comm", "latency_ms", "family", "raddr", "rport",
                            "nonblock", "result", "ok", "errno", "netns", "cgroup"}


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("soconnlat")
