"""udpconnect: UDP connects, IPv4 and IPv6, and TCP connects left out in
the kernel."""
import errno

from so_util import check_docs_list_exactly_the_options, so_workload
from trace_util import Tracer, events, netns_inode


def test_udp_ipv4_and_ipv6_but_not_tcp(netns):
    tr = Tracer(["udpconnect", "--netns", netns.name])
    try:
        w4 = so_workload(netns, "connect", "--type", "dgram", "--port", 53, "--conns", 2)
        w6 = so_workload(netns, "connect", "--type", "dgram", "--addr", "::1", "--port", 443)
        tcp = so_workload(netns, "connect", "--port", 53)
        tcp6 = so_workload(netns, "connect", "--addr", "::1", "--listen")
    finally:
        recs = tr.stop()
    assert (w4["errnos"], w6["errnos"], tcp["errnos"], tcp6["errnos"]) == \
        ([0, 0], [0], [errno.ECONNREFUSED], [0])
    assert recs[-1] == {"lost_events": 0}
    evs = events(recs)
    assert [(e["pid"], e["fd"], e["family"], e["raddr"], e["rport"], e["result"], e["type"],
             e["protocol"]) for e in evs] == \
        [(w4["pid"], w4["fds"][0], "inet", "127.0.0.1", 53, "ok", "dgram", 17),
         (w4["pid"], w4["fds"][1], "inet", "127.0.0.1", 53, "ok", "dgram", 17),
         (w6["pid"], w6["fds"][0], "inet6", "::1", 443, "ok", "dgram", 17)]
    assert all(e["netns"] == netns_inode(netns) and e["latency_ms"] > 0 for e in evs)


def test_unreachable_and_filters(netns):
    tr = Tracer(["udpconnect", "--netns", netns.name, "-4", "-P", "53"])
    six = Tracer(["udpconnect", "--netns", netns.name, "-6"])
    try:
        w = so_workload(netns, "connect", "--type", "dgram", "--addr", "10.253.0.1", "--port", 53)
        so_workload(netns, "connect", "--type", "dgram", "--port", 54)
    finally:
        evs, none = events(tr.stop()), events(six.stop())
    assert none == [] and w["errnos"] == [errno.ENETUNREACH]
    assert [(e["raddr"], e["rport"], e["result"], e["errno"]) for e in evs] == \
        [("10.253.0.1", 53, "ENETUNREACH", errno.ENETUNREACH)]


def test_counts(netns):
    tr = Tracer(["udpconnect", "--netns", netns.name, "-c"])
    try:
        so_workload(netns, "connect", "--type", "dgram", "--port", 53, "--conns", 4)
        so_workload(netns, "connect", "--port", 53, "--conns", 2)
    finally:
        recs = tr.stop()
    assert [(r["count"], r["raddr"], r["rport"], r["result"]) for r in events(recs)] == \
        [(4, "127.0.0.1", 53, "ok")]


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("udpconnect")
