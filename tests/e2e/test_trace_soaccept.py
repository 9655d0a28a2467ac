"""soaccept: accepted peers and a failed non-blocking accept, named."""
import errno
import os

from so_util import check_docs_list_exactly_the_options, so_workload
from trace_util import Tracer, events, netns_inode


def test_accepts_and_eagain(netns):
    tr = Tracer(["soaccept", "--netns", netns.name])
    wrong = Tracer(["soaccept", "--netns", netns.name, "-6"])
    try:
        w = so_workload(netns, "accept", "--conns", 3)
    finally:
        recs, none = tr.stop(), events(wrong.stop())
    assert recs[-1] == {"lost_events": 0} and none == []
    evs = events(recs)
    assert [(e["pid"], e["fd"], e.get("new_fd"), e["lport"], e["rport"], e["raddr"],
             e["result"]) for e in evs] == \
        [(w["pid"], w["lfd"], a["fd"], w["port"], a["cport"], "127.0.0.1", "ok")
         for a in w["accepted"]] + \
        [(w["pid"], w["lfd"], None, 0, 0, "0.0.0.0", "EAGAIN")]
    assert w["nonblock_errno"] == errno.EAGAIN and evs[-1]["errno"] == errno.EAGAIN
    assert all(e["netns"] == netns_inode(netns) and e["latency_ms"] > 0 for e in evs)


def test_port_and_comm_filters(netns):
    comm = Tracer(["soaccept", "--netns", netns.name, "--comm", "nlt-acc"])
    port = Tracer(["soaccept", "--netns", netns.name, "-P", "1"])
    try:
        w = so_workload(netns, "accept", "--conns", 2, "--comm", "nlt-acc")
        so_workload(netns, "accept", "--conns", 1)
    finally:
        ec, ep = events(comm.stop()), events(port.stop())
    assert ep == []
    assert [(e["pid"], e["comm"], e["result"]) for e in ec] == \
        [(w["pid"], "nlt-acc", "ok")] * 2 + [(w["pid"], "nlt-acc", "EAGAIN")]


def test_unix_names(netns):
    """UNIX listeners: the accepted socket's name is its listener's path or
    abstract name; the peer's is its own bound name, '-' when unnamed."""
    path = f"/tmp/nlt-acc-{netns.name}.sock"
    tr = Tracer(["soaccept", "--netns", netns.name, "-U"])
    try:
        wp = so_workload(netns, "accept", "--addr", path, "--conns", 1)
        wa = so_workload(netns, "accept", "--addr", "@nlt-acc", "--conns", 2,
                         "--client-addr", "@nlt-cli")
    finally:
        recs = tr.stop()
        if os.path.exists(path):
            os.unlink(path)
    got = [(e["pid"], e.get("path"), e.get("peer_path"), e["result"]) for e in events(recs)]
    assert got == [(wp["pid"], path, None, "ok"), (wp["pid"], path, None, "EAGAIN"),  # the listener's
                   (wa["pid"], "@nlt-acc", "@nlt-cli0", "ok"), (wa["pid"], "@nlt-acc", "@nlt-cli1", "ok"),
                   (wa["pid"], "@nlt-acc", None, "EAGAIN")]
    assert all("laddr" not in e and "lport" not in e and e["family"] == "unix" for e in events(recs))


def test_counts_exact(netns):
    """-c: accepts counted in the kernel by command, local address and
    result; a failed call counts under its listener's address."""
    tr = Tracer(["soaccept", "--netns", netns.name, "-c"])
    try:
        w = so_workload(netns, "accept", "--conns", 4)
        w6 = so_workload(netns, "accept", "--addr", "::1", "--conns", 2, "--comm", "nlt-acc6")
        so_workload(netns, "accept", "--addr", "@nlt-cnt", "--conns", 3)
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    rows = sorted((r["count"], r["comm"], r["result"], r["family"], r.get("laddr", r.get("path")),
                   r.get("lport")) for r in events(recs))
    assert rows == sorted([(4, "python3", "ok", "inet", "127.0.0.1", w["port"]),
                           (1, "python3", "EAGAIN", "inet", "127.0.0.1", w["port"]),
                           (2, "nlt-acc6", "ok", "inet6", "::1", w6["port"]),
                           (1, "nlt-acc6", "EAGAIN", "inet6", "::1", w6["port"]),
                           (3, "python3", "ok", "unix", "@nlt-cnt", None),
                           (1, "python3", "EAGAIN", "unix", "@nlt-cnt", None)])
    assert all(r["latency_avg_ms"] > 0 for r in events(recs))
    assert [r["count"] for r in events(recs)] == sorted((r["count"] for r in events(recs)), reverse=True)


def test_counts_text(netns):
    tr = Tracer(["soaccept", "--netns", netns.name, "-c"], json_mode=False)
    try:
        w = so_workload(netns, "accept", "--conns", 2)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines[0].split() == ["COUNT", "COMM", "RESULT", "AVG(ms)", "LOCAL"]
    assert [(l.split()[0], l.split()[2], l.split()[-1]) for l in lines[1:]] == \
        [("2", "ok", f"127.0.0.1:{w['port']}"), ("1", "EAGAIN", f"127.0.0.1:{w['port']}")]


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("soaccept")
