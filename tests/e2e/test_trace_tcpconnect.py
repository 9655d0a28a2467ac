"""tcpconnect, tcpaccept and tcpconnlat against known workloads."""
import errno

import pytest

from trace_util import Server, Tracer, events, netns_inode, workload

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
    by_port = {r["rport"]: r for r in rows}
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
    assert [(r["raddr"], r["lport"], r["count"]) for r in rows] == [("127.0.0.1", srv.port, CONNS)]


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
        (h,) = recs
        assert h["histogram"]["scale"] == scale
        assert sum(b["count"] for b in h["histogram"]["buckets"]) == CONNS


def test_tcpstates_order(netns):
    tr = Tracer(["tcpstates", "--netns", netns.name])
    srv, cli, (recs,) = _client_server(netns, [tr], sport_base=43000)
    evs = events(recs)
    client = [(e["oldstate"], e["newstate"]) for e in evs if e["lport"] == 43000 or
              (e["newstate"] == "SYN_SENT" and e is evs[[x["newstate"] for x in evs].index("SYN_SENT")])]
    assert client == [("CLOSE", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"),
                      ("ESTABLISHED", "FIN_WAIT1"), ("FIN_WAIT1", "FIN_WAIT2"),
                      ("FIN_WAIT2", "CLOSE")]
    server = [(e["oldstate"], e["newstate"]) for e in evs
              if e["lport"] == srv.port and e["rport"] == 43000]
    assert server == [("LISTEN", "SYN_RECV"), ("SYN_RECV", "ESTABLISHED"),
                      ("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"),
                      ("LAST_ACK", "CLOSE")]
    owned = [e for e in evs if e["lport"] == 43000]
    assert all(e["pid"] == cli["pid"] for e in owned)
    assert [e["newstate"] for e in evs if e["rport"] == 0][:1] == ["LISTEN"]
