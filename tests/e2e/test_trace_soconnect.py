"""soconnect against known connect() calls in a namespace of its own:
every family, the errno each failure is named by, latency, -c counts
and the filters."""
import errno
import subprocess

import pytest

from so_util import check_docs_list_exactly_the_options, so_workload
from trace_util import Cgroup, Tracer, events, netns_inode


def soconnect(ns, *args):
    return Tracer(["soconnect", "--netns", ns.name] + list(args))


def test_refused_named_with_destination_and_latency(netns):
    tr = soconnect(netns)
    try:
        w = so_workload(netns, "connect", "--port", 9, "--conns", 2)
    finally:
        recs = tr.stop()
    assert w["errnos"] == [errno.ECONNREFUSED] * 2
    evs = events(recs)
    assert [(e["pid"], e["comm"], e["fd"]) for e in evs] == [(w["pid"], "python3", fd)
                                                             for fd in w["fds"]]
    for e in evs:
        assert (e["family"], e["raddr"], e["rport"], e["type"], e["protocol"]) == \
            ("inet", "127.0.0.1", 9, "stream", 6)
        assert (e["result"], e["ok"], e["errno"]) == ("ECONNREFUSED", False, errno.ECONNREFUSED)
        assert e["latency_ms"] > 0 and e["netns"] == netns_inode(netns)
    assert recs[-1] == {"lost_events": 0}


def test_nonblocking_is_einprogress(netns):
    tr = soconnect(netns)
    try:
        w = so_workload(netns, "connect", "--listen", "--nonblock", "--conns", 3)
    finally:
        evs = events(tr.stop())
    assert w["errnos"] == [errno.EINPROGRESS] * 3
    assert [(e["result"], e["errno"], e["rport"], e["fd"]) for e in evs] == \
        [("EINPROGRESS", errno.EINPROGRESS, w["port"], fd) for fd in w["fds"]]


def test_ipv6_and_family_filters(netns):
    tr6 = soconnect(netns, "-6")
    tr4 = soconnect(netns, "-4")
    try:
        w = so_workload(netns, "connect", "--addr", "::1", "--listen", "--conns", 2)
    finally:
        evs, none = events(tr6.stop()), events(tr4.stop())
    assert none == []
    assert w["errnos"] == [0, 0]
    assert [(e["family"], e["raddr"], e["rport"], e["result"], e["ok"]) for e in evs] == \
        [("inet6", "::1", w["port"], "ok", True)] * 2
    assert all("errno" not in e for e in evs)


def test_unix_path_and_abstract(netns, tmp_path):
    tr = soconnect(netns, "-U")
    tr4 = soconnect(netns, "-4")
    path = str(tmp_path / "s.sock")
    try:
        wp = so_workload(netns, "connect", "--addr", path, "--listen")
        wa = so_workload(netns, "connect", "--addr", "@nlt-abstract", "--listen")
        wn = so_workload(netns, "connect", "--addr", str(tmp_path / "none.sock"))
    finally:
        evs, none = events(tr.stop()), events(tr4.stop())
    assert none == []
    assert (wp["errnos"], wa["errnos"], wn["errnos"]) == ([0], [0], [errno.ENOENT])
    assert [(e["pid"], e["family"], e["path"], e["result"]) for e in evs] == [
        (wp["pid"], "unix", path, "ok"),
        (wa["pid"], "unix", "@nlt-abstract", "ok"),
        (wn["pid"], "unix", str(tmp_path / "none.sock"), "ENOENT")]
    assert all(e["type"] == "stream" and "rport" not in e for e in evs)


def test_unix_text_shows_abstract_with_at(netns):
    tr = Tracer(["soconnect", "--netns", netns.name, "-U"], json_mode=False)
    try:
        so_workload(netns, "connect", "--addr", "@nlt-text", "--conns", 1)
    finally:
        out = tr.stop()
    head, row = out.splitlines()[:2]
    assert head.split() == ["PID", "COMM", "FD", "AF", "LAT(ms)", "RESULT", "DEST"]
    assert row.split()[3:] [:1] == ["unix"] and row.split()[-2:] == ["ECONNREFUSED",
                                                                     "@nlt-text"]


def test_enetunreach_ipv4_and_ipv6(netns):
    # the namespace has only lo: no route to anything else
    tr = soconnect(netns)
    try:
        w4 = so_workload(netns, "connect", "--addr", "10.253.0.1", "--port", 80)
        w6 = so_workload(netns, "connect", "--addr", "2001:db8::1", "--port", 80)
    finally:
        evs = events(tr.stop())
    assert (w4["errnos"], w6["errnos"]) == ([errno.ENETUNREACH], [errno.ENETUNREACH])
    assert [(e["raddr"], e["rport"], e["result"]) for e in evs] == \
        [("10.253.0.1", 80, "ENETUNREACH"), ("2001:db8::1", 80, "ENETUNREACH")]


def test_etimedout_when_syns_are_dropped(netns):
    # SYNs to port 7 dropped, one SYN retransmission: connect() gives up
    # after 1 + 2 s with ETIMEDOUT
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syn_retries=1"])
    netns.exec(["nft", "-f", "-"], input="table inet nlt { chain out { type filter hook output "
               "priority 0; tcp dport 7 "
               "tcp flags & (syn|ack) == syn drop; }; }\n")
    tr = soconnect(netns, "-P", "7")
    try:
        w = so_workload(netns, "connect", "--port", 7)
    finally:
        evs = events(tr.stop())
    assert w["errnos"] == [errno.ETIMEDOUT]
    assert [(e["rport"], e["result"], e["errno"]) for e in evs] == \
        [(7, "ETIMEDOUT", errno.ETIMEDOUT)]
    assert 2900 <= evs[0]["latency_ms"] < 6000


def test_counts_exact(netns):
    tr = soconnect(netns, "-c")
    try:
        so_workload(netns, "connect", "--port", 9, "--conns", 5)
        so_workload(netns, "connect", "--port", 10, "--conns", 2, "--comm", "nlt-other")
        ok = so_workload(netns, "connect", "--listen", "--conns", 3)
        so_workload(netns, "connect", "--addr", "@nlt-count", "--conns", 4)
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    rows = [(r["count"], r["comm"], r["result"], r.get("raddr", r.get("path")),
             r.get("rport")) for r in events(recs)]
    assert rows == [(5, "python3", "ECONNREFUSED", "127.0.0.1", 9),
                    (4, "python3", "ECONNREFUSED", "@nlt-count", None),
                    (3, "python3", "ok", "127.0.0.1", ok["port"]),
                    (2, "nlt-other", "ECONNREFUSED", "127.0.0.1", 10)]
    assert all(r["latency_avg_ms"] > 0 for r in events(recs))


def test_counts_text_sorted(netns):
    tr = Tracer(["soconnect", "--netns", netns.name, "-c"], json_mode=False)
    try:
        so_workload(netns, "connect", "--port", 9, "--conns", 3)
        so_workload(netns, "connect", "--addr", "10.253.0.1", "--port", 80)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines[0].split() == ["COUNT", "COMM", "RESULT", "AVG(ms)", "DEST"]
    assert [(l.split()[0], l.split()[2], l.split()[-1]) for l in lines[1:]] == \
        [("3", "ECONNREFUSED", "127.0.0.1:9"), ("1", "ENETUNREACH", "10.253.0.1:80")]


def test_port_comm_pid_filters(netns):
    port = soconnect(netns, "-P", "10")
    comm = soconnect(netns, "--comm", "nlt-conn")
    pid1 = soconnect(netns, "-p", "1")
    try:
        a = so_workload(netns, "connect", "--port", 9, "--conns", 2)
        b = so_workload(netns, "connect", "--port", 10, "--conns", 1, "--comm", "nlt-conn")
        so_workload(netns, "connect", "--addr", "@nlt-f", "--conns", 1)
    finally:
        ep, ec, e1 = events(port.stop()), events(comm.stop()), events(pid1.stop())
    assert a["pid"] != b["pid"] and e1 == []
    assert [(e["pid"], e["rport"]) for e in ep] == [(b["pid"], 10)]
    assert [(e["pid"], e["comm"], e["rport"]) for e in ec] == [(b["pid"], "nlt-conn", 10)]


def test_cgroup_and_netns_filters(netns_factory):
    a, b = netns_factory(), netns_factory()
    cg = Cgroup()
    try:
        in_cg = Tracer(["soconnect", "--netns", a.name, "--cgroup", cg.path])
        tr_b = soconnect(b)
        try:
            w_cg = so_workload(a, "connect", "--port", 9, cgroup=cg.path)
            so_workload(a, "connect", "--port", 9)
            w_b = so_workload(b, "connect", "--port", 11)
        finally:
            ecg, eb = events(in_cg.stop()), events(tr_b.stop())
    finally:
        cg.close()
    assert [(e["pid"], e["rport"]) for e in ecg] == [(w_cg["pid"], 9)]
    assert [(e["pid"], e["rport"], e["netns"]) for e in eb] == [(w_b["pid"], 11, netns_inode(b))]


def test_udp_connect_seen_as_dgram(netns):
    tr = soconnect(netns)
    try:
        w = so_workload(netns, "connect", "--type", "dgram", "--port", 53)
    finally:
        evs = events(tr.stop())
    assert w["errnos"] == [0]
    assert [(e["type"], e["protocol"], e["rport"], e["result"]) for e in evs] == \
        [("dgram", 17, 53, "ok")]


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("soconnect")
