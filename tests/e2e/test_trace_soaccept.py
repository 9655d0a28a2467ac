"""soaccept: accepted peers and a failed non-blocking accept, named."""
import errno

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


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("soaccept")
