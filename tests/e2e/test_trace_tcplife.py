"""tcplife against known workloads: exact sessions, owners, bytes, durations."""
import json
import os
import subprocess
import time

import pytest

from conftest import NETLENS, PY, wait_for  # noqa: F401  (NETLENS: the binary tested)
from trace_util import (WORKLOAD, Cgroup, Server, Tracer, cgroup2_root, events, netns_inode,
                        softirq_timer_retry, workload)

CONNS, TX, RX, HOLD = 3, 5000, 777, 0.2


def _run(ns, extra=(), server_args=(), client_args=(), addr="127.0.0.1", hold=HOLD):
    tr = Tracer(["tcplife", "--netns", ns.name] + list(extra))
    try:
        srv = Server(ns, "--addr", addr, "--conns", CONNS, "--recv", TX, "--send", RX, *server_args)
        cli = workload(ns, "client", "--addr", addr, "--port", srv.port, "--conns", CONNS,
                       "--send", TX, "--recv", RX, "--hold", hold, *client_args)
        srv.wait()
    finally:
        recs = tr.stop()
    return srv, cli, recs


def _check_sessions(ns, srv, cli, evs, addr="127.0.0.1", ip=4, hold=HOLD):
    inode = netns_inode(ns)
    client_side = sorted((e for e in evs if e["side"] == "connect"), key=lambda e: e["lport"])
    server_side = sorted((e for e in evs if e["side"] == "accept"), key=lambda e: e["rport"])
    assert len(client_side) == CONNS and len(server_side) == CONNS, evs
    for sport, c, s in zip(sorted(cli["sports"]), client_side, server_side):
        assert (c["pid"], c["comm"]) == (cli["pid"], "python3")
        assert (c["laddr"], c["lport"], c["raddr"], c["rport"]) == (addr, sport, addr, srv.port)
        assert (c["tx_bytes"], c["rx_bytes"]) == (TX, RX)
        assert hold * 1000 <= c["duration_ms"] < hold * 1000 + 1000
        # the server's session starts after the client's and ends with the
        # last ACK, which follows the client's close at once unless the
        # machine is busy enough to leave a softirq to ksoftirqd
        assert 0 < s["duration_ms"] <= c["duration_ms"] + 50
        assert (s["pid"], s["comm"]) == (srv.pid, "python3")
        assert (s["laddr"], s["lport"], s["raddr"], s["rport"]) == (addr, srv.port, addr, sport)
        assert (s["tx_bytes"], s["rx_bytes"]) == (RX, TX)
        for e in (c, s):
            assert e["netns"] == inode and e["ip"] == ip and e["cgroup"] > 0


@pytest.mark.sanitize
@pytest.mark.parametrize("programs", ["tp_btf", "raw_tp"])
def test_sessions_exact(netns, programs, monkeypatch):
    # the tp_btf programs read with plain loads, the raw_tp ones (the
    # fallback) through bpf_probe_read_kernel(): both must see the same
    if programs == "raw_tp":
        monkeypatch.setenv("NETLENS_NO_TP_BTF", "1")
    srv, cli, recs = _run(netns)
    assert recs[-1] == {"lost_events": 0}
    _check_sessions(netns, srv, cli, events(recs))


def test_client_closes_first(netns):
    # the client holds each session, then closes; the server closes on EOF
    srv, cli, recs = _run(netns)
    _check_sessions(netns, srv, cli, events(recs))


def test_server_closes_first(netns):
    # The server closes first; the client reads, holds 0.2 s, sees EOF and
    # closes. The client's delayed ACK of the server's FIN comes from a timer,
    # so the server socket's FIN_WAIT2 and CLOSE run in a softirq, sometimes
    # on top of the state program running in process context: the kernel
    # skips such nested runs, and tcplife reports the session when the socket
    # is destroyed instead.
    def once():
        srv, cli, recs = _run(netns, server_args=["--close-first"], client_args=["--wait-eof"])
        assert recs[-1] == {"lost_events": 0}
        _check_sessions(netns, srv, cli, events(recs))
    softirq_timer_retry(once)


def test_client_resets(netns):
    # The client aborts each session (a reset, not a FIN) while the server
    # still holds it: the server socket goes to CLOSE in a softirq without
    # ever passing close(); its owner is the server, known when the server
    # closes the socket (tcp_destroy_sock). Durations end at the reset.
    def once():
        srv, cli, recs = _run(netns, client_args=["--reset"])
        assert recs[-1] == {"lost_events": 0}
        _check_sessions(netns, srv, cli, events(recs))
    softirq_timer_retry(once)


def test_server_resets(netns):
    # The server aborts each session (SO_LINGER 0): CLOSE straight from
    # ESTABLISHED in the server's close(); the client sees the reset.
    srv, cli, recs = _run(netns, server_args=["--close-first", "--reset"],
                          client_args=["--wait-eof"], hold=0)
    _check_sessions(netns, srv, cli, events(recs), hold=0)


def test_sessions_born_before_tracing_are_not_shown(netns):
    # A connection made before tracing began, accepted and closed after: its
    # SYN_RECV came before tracing, so it has no session (its duration is
    # unknown). Only the connection made afterwards is reported.
    srv = Server(netns, "--conns", 2, "--gate")
    early = netns.popen([PY, WORKLOAD, "client", "--port", str(srv.port), "--conns", "1",
                         "--hold", "0.5"], stdout=subprocess.PIPE, text=True)
    wait_for(lambda: f":{srv.port}" in netns.exec(["ss", "-tn", "state", "established"]).stdout,
             what="the early connection")
    time.sleep(0.1)  # a few jiffies
    tr = Tracer(["tcplife", "--netns", netns.name, "--stats"])
    try:
        srv.go()
        late = workload(netns, "client", "--port", srv.port, "--conns", 1)
        early_pid = json.loads(early.communicate(timeout=30)[0])["pid"]
        srv.wait()
    finally:
        recs = tr.stop()
    evs = events(recs)
    assert sorted(e["side"] for e in evs) == ["accept", "connect"]
    assert all(e["pid"] in (late["pid"], srv.pid) for e in evs)
    assert early_pid not in [e["pid"] for e in evs]


def test_ipv6(netns):
    srv, cli, recs = _run(netns, addr="::1")
    _check_sessions(netns, srv, cli, events(recs), addr="::1", ip=6)


def test_ipv4_filter_excludes_ipv6(netns):
    _, _, recs = _run(netns, extra=["-4"], addr="::1", hold=0)
    assert events(recs) == []


def test_ipv6_filter_excludes_ipv4(netns):
    _, _, recs = _run(netns, extra=["-6"], hold=0)
    assert events(recs) == []


@pytest.mark.skipif(not cgroup2_root(), reason="no cgroup v2 mount")
def test_cgroup_filter(netns):
    # the client runs in a cgroup of its own: --cgroup keeps its sessions
    # (a socket belongs to the cgroup of the process that made it) and drops
    # the server's, which live in the server's cgroup
    cg, other = Cgroup(), Cgroup()
    cg_id = os.stat(cg.path).st_ino  # cgroup v2: the directory's inode is the id
    try:
        tr = Tracer(["tcplife", "--netns", netns.name, "--cgroup", cg.path])
        tr_other = Tracer(["tcplife", "--netns", netns.name, "--cgroup", other.path])
        try:
            srv = Server(netns, "--conns", CONNS, "--recv", TX, "--send", RX)
            cli = workload(netns, "client", "--port", srv.port, "--conns", CONNS, "--send", TX,
                           "--recv", RX, cgroup=cg.path)
            srv.wait()
        finally:
            evs, none = events(tr.stop()), events(tr_other.stop())
    finally:
        cg.close()
        other.close()
    assert none == []
    assert len(evs) == CONNS
    assert all(e["side"] == "connect" and e["pid"] == cli["pid"] for e in evs)
    assert {e["cgroup"] for e in evs} == {cg_id}


def test_port_filters(netns):
    srv_port = 47123
    tr_l = Tracer(["tcplife", "--netns", netns.name, "-L", str(srv_port)])
    tr_d = Tracer(["tcplife", "--netns", netns.name, "--rport", str(srv_port)])
    tr_p = Tracer(["tcplife", "--netns", netns.name, "-P", "9,%d" % srv_port])
    tr_x = Tracer(["tcplife", "--netns", netns.name, "-P", "9"])
    try:
        srv = Server(netns, "--port", srv_port, "--conns", CONNS, "--recv", TX, "--send", RX)
        workload(netns, "client", "--port", srv_port, "--conns", CONNS, "--send", TX, "--recv", RX)
        srv.wait()
    finally:
        l, d, p, x = (events(t.stop()) for t in (tr_l, tr_d, tr_p, tr_x))
    assert len(l) == CONNS and all(e["side"] == "accept" and e["lport"] == srv_port for e in l)
    assert len(d) == CONNS and all(e["side"] == "connect" and e["rport"] == srv_port for e in d)
    assert len(p) == 2 * CONNS
    assert x == []


def test_pid_and_comm_filters(netns):
    tr_comm = Tracer(["tcplife", "--netns", netns.name, "--comm", "python3"])
    tr_none = Tracer(["tcplife", "--netns", netns.name, "--comm", "nosuchcomm"])
    try:
        srv = Server(netns, "--conns", CONNS, "--recv", TX, "--send", RX)
        tr_pid = Tracer(["tcplife", "--netns", netns.name, "-p", str(srv.pid)])
        workload(netns, "client", "--port", srv.port, "--conns", CONNS, "--send", TX, "--recv", RX)
        srv.wait()
    finally:
        c, n, p = (events(t.stop()) for t in (tr_comm, tr_none, tr_pid))
    assert len(c) == 2 * CONNS
    assert n == []
    assert len(p) == CONNS and all(e["pid"] == srv.pid and e["side"] == "accept" for e in p)


def test_netns_separates_namespaces(netns_factory):
    a, b = netns_factory(), netns_factory()
    tr = Tracer(["tcplife", "--netns", a.name])
    tr_b = Tracer(["tcplife", "--netns", str(netns_inode(b))])
    try:
        for ns in (a, b):
            srv = Server(ns, "--conns", CONNS, "--recv", TX, "--send", RX)
            workload(ns, "client", "--port", srv.port, "--conns", CONNS, "--send", TX, "--recv", RX)
            srv.wait()
    finally:
        ea, eb = events(tr.stop()), events(tr_b.stop())
    assert len(ea) == 2 * CONNS and {e["netns"] for e in ea} == {netns_inode(a)}
    assert len(eb) == 2 * CONNS and {e["netns"] for e in eb} == {netns_inode(b)}


LONG6 = "fd00:1111:2222:3333:4444:5555:6666:7777"


@pytest.mark.parametrize("flag", ["-w", "-6"])
def test_text_kb_and_long_ipv6_aligned(netns, flag):
    # KB with two decimals (JSON keeps exact bytes); a full IPv6 address
    # fits its column with -w or -6, so every value stays under its title
    netns.exec(["ip", "-6", "addr", "add", LONG6 + "/128", "dev", "lo", "nodad"])
    tr = Tracer(["tcplife", "--netns", netns.name, flag], json_mode=False)
    try:
        srv = Server(netns, "--addr", LONG6, "--conns", 1, "--recv", 5000, "--send", 777)
        workload(netns, "client", "--addr", LONG6, "--port", srv.port, "--conns", 1,
                 "--send", 5000, "--recv", 777)
        srv.wait()
    finally:
        out = tr.stop()
    lines = out.splitlines()
    head, rows = lines[0], lines[1:]
    assert len(rows) == 2, out
    for title in ("LPORT", "RPORT", "TX_KB", "RX_KB", "MS"):  # right-aligned
        end = head.index(title) + len(title)
        assert all(r[end - 1] != " " and r[end:end + 1] in ("", " ") for r in rows), (title, out)
    for title in ("RADDR",):  # left-aligned
        start = head.index(title)
        assert all(r[start:].startswith(LONG6 + " ") for r in rows), out
    kb = sorted(tuple(r.split()[6:8]) for r in rows)
    assert kb == [("0.76", "4.88"), ("4.88", "0.76")], out
