"""tcpconnect, tcpaccept and tcpconnlat against known workloads."""
import errno

import pytest

from trace_util import (Server, Tracer, dropped_keys, events, netns_inode, softirq_timer_retry,
                        workload)

CONNS = 4


def _client_server(ns, tracers, sport_base=0):
    try:
        srv = Server(ns, "--conns", CONNS, "--recv", 10, "--send", 10)
        cli = workload(ns, "client", "--port", srv.port, "--conns", CONNS, "--send", 10,
                       "--recv", 10, "--sport-base", sport_base)
        srv.wait()
    finally:
        recs = [t.stop() for t in tracers]
    return srv, cli, recs


@pytest.mark.sanitize
def test_tcpconnect_exact(netns):
    tr = Tracer(["tcpconnect", "--netns", netns.name])
    srv, cli, (recs,) = _client_server(netns, [tr], sport_base=41000)
    evs = events(recs)
    assert [e["lport"] for e in evs] == list(range(41000, 41000 + CONNS))
    for e in evs:
        assert (e["pid"], e["comm"], e["ok"]) == (cli["pid"], "python3", True)
        assert (e["laddr"], e["raddr"], e["rport"]) == ("127.0.0.1", "127.0.0.1", srv.port)
        assert e["netns"] == netns_inode(netns) and e["latency_ms"] >= 0
    assert recs[-1] == {"lost_events": 0}


def test_tcpconnect_refused(netns):
    tr = Tracer(["tcpconnect", "--netns", netns.name])
    try:
        r = workload(netns, "refuse", "--port", 9, "--conns", 2)
    finally:
        evs = events(tr.stop())
    assert r["errnos"] == [errno.ECONNREFUSED] * 2
    assert [(e["rport"], e["ok"], e["error"], e["errno"]) for e in evs] == \
        [(9, False, "ECONNREFUSED", errno.ECONNREFUSED)] * 2


def test_tcpconnect_counts_and_rport_filter(netns):
    counts = Tracer(["tcpconnect", "--netns", netns.name, "-c"])
    other = Tracer(["tcpconnect", "--netns", netns.name, "--rport", "1"])
    try:
        srv = Server(netns, "--conns", CONNS)
        workload(netns, "client", "--port", srv.port, "--conns", CONNS)
        workload(netns, "refuse", "--port", 9, "--conns", 3)
        srv.wait()
    finally:
        rows, none = counts.stop(), events(other.stop())
    assert none == []
    assert rows[-1] == {"lost_events": 0}  # summaries end with it too
    by_port = {r["rport"]: r for r in events(rows)}
    assert by_port[srv.port]["count"] == CONNS and by_port[srv.port]["failed"] == 0
    assert by_port[9]["count"] == 3 and by_port[9]["failed"] == 3


def test_tcpaccept_exact(netns):
    tr = Tracer(["tcpaccept", "--netns", netns.name])
    srv, cli, (recs,) = _client_server(netns, [tr], sport_base=42000)
    evs = events(recs)
    assert [e["rport"] for e in evs] == list(range(42000, 42000 + CONNS))
    for e in evs:
        assert (e["pid"], e["comm"], e["lport"], e["laddr"]) == (srv.pid, "python3", srv.port,
                                                                 "127.0.0.1")


def test_tcpaccept_counts_and_pid_filter(netns):
    counts = Tracer(["tcpaccept", "--netns", netns.name, "-c"])
    wrong_pid = Tracer(["tcpaccept", "--netns", netns.name, "-p", "1"])
    srv, _, (rows, none) = _client_server(netns, [counts, wrong_pid])
    assert events(none) == []
    assert rows[-1] == {"lost_events": 0}
    assert [(r["raddr"], r["lport"], r["count"]) for r in events(rows)] == \
        [("127.0.0.1", srv.port, CONNS)]


def test_tcpconnlat_events_min_and_hist(netns):
    ev = Tracer(["tcpconnlat", "--netns", netns.name])
    slow = Tracer(["tcpconnlat", "--netns", netns.name, "--min", "5000000"])
    hist = Tracer(["tcpconnlat", "--netns", netns.name, "--hist"])
    lin = Tracer(["tcpconnlat", "--netns", netns.name, "--linear", "100000"])
    srv, cli, (r_ev, r_slow, r_hist, r_lin) = _client_server(netns, [ev, slow, hist, lin])
    evs = events(r_ev)
    assert len(evs) == CONNS and all(e["pid"] == cli["pid"] and e["rport"] == srv.port for e in evs)
    assert all(0 <= e["latency_us"] < 1000000 for e in evs)
    assert events(r_slow) == []
    for recs, scale in ((r_hist, "log2"), (r_lin, "linear")):
        h, dropped, end = recs
        assert end == {"lost_events": 0} and h["histogram"]["scale"] == scale
        assert dropped == {"dropped_keys": 0}
        assert sum(b["count"] for b in h["histogram"]["buckets"]) == CONNS


def test_tcpstates_order(netns):
    tr = Tracer(["tcpstates", "--netns", netns.name])
    srv, cli, (recs,) = _client_server(netns, [tr], sport_base=43000)
    evs = events(recs)
    assert _states(evs, 43000) == CLIENT_CLOSES
    assert _states(evs, srv.port, 43000) == SERVER_ANSWERS
    owned = [e for e in evs if e["lport"] == 43000]
    assert all(e["pid"] == cli["pid"] for e in owned)
    assert [e["newstate"] for e in evs if e["rport"] == 0][:1] == ["LISTEN"]


CLIENT_CLOSES = [("CLOSE", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"), ("ESTABLISHED", "FIN_WAIT1"),
                 ("FIN_WAIT1", "FIN_WAIT2"), ("FIN_WAIT2", "CLOSE")]
SERVER_ANSWERS = [("LISTEN", "SYN_RECV"), ("SYN_RECV", "ESTABLISHED"),
                  ("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"), ("LAST_ACK", "CLOSE")]


def _states(evs, lport, rport=None):
    return [(e["oldstate"], e["newstate"]) for e in evs
            if e["lport"] == lport and (rport is None or e["rport"] == rport)]


def test_tcpstates_server_closes_first(netns):
    # the server closes first and the client closes 0.2 s later: the server
    # socket's FIN_WAIT2 and CLOSE come from the client's delayed ACK, in a
    # softirq (see test_trace_tcplife.test_server_closes_first)
    softirq_timer_retry(lambda: _tcpstates_server_closes_first(netns))


def _tcpstates_server_closes_first(netns):
    tr = Tracer(["tcpstates", "--netns", netns.name])
    try:
        srv = Server(netns, "--conns", 2, "--recv", 10, "--send", 10, "--close-first")
        cli = workload(netns, "client", "--port", srv.port, "--conns", 2, "--send", 10,
                       "--recv", 10, "--sport-base", 44000, "--hold", 0.2, "--wait-eof")
        srv.wait()
    finally:
        evs = events(tr.stop())
    for sport in (44000, 44001):
        assert _states(evs, sport) == [("CLOSE", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"),
                                      ("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"),
                                      ("LAST_ACK", "CLOSE")]
        assert _states(evs, srv.port, sport) == [("LISTEN", "SYN_RECV"),
                                                ("SYN_RECV", "ESTABLISHED"),
                                                ("ESTABLISHED", "FIN_WAIT1"),
                                                ("FIN_WAIT1", "FIN_WAIT2"), ("FIN_WAIT2", "CLOSE")]
        assert all(e["pid"] == cli["pid"] for e in evs if e["lport"] == sport)
        # the server's own close() runs in its process: owner known from accept()
        fin = [e for e in evs if e["lport"] == srv.port and e["rport"] == sport and
               e["newstate"] == "FIN_WAIT1"]
        assert fin[0]["pid"] == srv.pid
        # time in the old state: the client held the session ~0.2 s
        last_ack = [e for e in evs if e["lport"] == sport and e["newstate"] == "LAST_ACK"]
        assert 150 <= last_ack[0]["old_state_ms"] < 1200


@pytest.mark.parametrize("tracer", ["tcpconnect", "tcpaccept", "tcpstates"])
def test_ipv6(netns, tracer):
    tr = Tracer([tracer, "--netns", netns.name, "-6"])
    tr4 = Tracer([tracer, "--netns", netns.name, "-4"])
    try:
        srv = Server(netns, "--addr", "::1", "--conns", 2, "--recv", 10, "--send", 10)
        cli = workload(netns, "client", "--addr", "::1", "--port", srv.port, "--conns", 2,
                       "--send", 10, "--recv", 10, "--sport-base", 45000)
        srv.wait()
    finally:
        evs, none = events(tr.stop()), events(tr4.stop())
    assert none == []
    assert evs and all(e["ip"] == 6 and e["laddr"] == "::1" for e in evs)
    assert all(e["raddr"] == "::1" for e in evs if e["rport"])  # not the listener
    if tracer == "tcpconnect":
        assert [(e["lport"], e["rport"], e["pid"]) for e in evs] == \
            [(45000, srv.port, cli["pid"]), (45001, srv.port, cli["pid"])]
    elif tracer == "tcpaccept":
        assert [(e["lport"], e["rport"], e["pid"]) for e in evs] == \
            [(srv.port, 45000, srv.pid), (srv.port, 45001, srv.pid)]
    else:
        assert _states(evs, 45000) == CLIENT_CLOSES
        assert _states(evs, srv.port, 45000) == SERVER_ANSWERS


def test_netns_separates_namespaces(netns_factory):
    a, b = netns_factory(), netns_factory()
    tr_a = Tracer(["tcpconnect", "--netns", a.name])
    tr_b = Tracer(["tcpaccept", "--netns", b.name])
    try:
        runs = {}
        for ns in (a, b):
            srv = Server(ns, "--conns", CONNS)
            runs[ns.name] = (srv, workload(ns, "client", "--port", srv.port, "--conns", CONNS))
            srv.wait()
    finally:
        ea, eb = events(tr_a.stop()), events(tr_b.stop())
    assert [e["pid"] for e in ea] == [runs[a.name][1]["pid"]] * CONNS
    assert {e["netns"] for e in ea} == {netns_inode(a)}
    assert [e["pid"] for e in eb] == [runs[b.name][0].pid] * CONNS
    assert {e["netns"] for e in eb} == {netns_inode(b)}


def test_tcpconnect_counts_say_what_did_not_fit(netns):
    # 40 destinations, a table of 16: the first 16 are counted exactly and
    # the 24 others are reported, not lost in silence
    tr = Tracer(["tcpconnect", "--netns", netns.name, "-c", "--max-keys", "16"])
    txt = Tracer(["tcpconnect", "--netns", netns.name, "-c", "--max-keys", "16"], json_mode=False)
    try:
        r = workload(netns, "refuse", "--port", 2000, "--ports", 40)
    finally:
        recs, out = tr.stop(), txt.stop()
    assert r["errnos"] == [errno.ECONNREFUSED] * 40
    rows = events(recs)
    assert sorted((x["raddr"], x["rport"], x["count"], x["failed"]) for x in rows) == \
        [("127.0.0.1", p, 1, 1) for p in range(2000, 2016)]
    assert dropped_keys(recs) == 24 and recs[-1] == {"lost_events": 0}
    # text: one line on stderr naming the count and the option
    (line,) = [l for l in txt.stderr.splitlines() if "not counted" in l]
    assert line.startswith("24 keys not counted") and "--max-keys" in line, txt.stderr


def test_counts_always_carry_dropped_keys(netns):
    # nothing dropped: still the record, 0, before lost_events; no text line
    tr = Tracer(["tcpaccept", "--netns", netns.name, "-c"])
    txt = Tracer(["tcpaccept", "--netns", netns.name, "-c"], json_mode=False)
    recs, _ = tr.stop(), txt.stop()
    assert recs == [{"dropped_keys": 0}, {"lost_events": 0}]
    assert "not counted" not in txt.stderr
