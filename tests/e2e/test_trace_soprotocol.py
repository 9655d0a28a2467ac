"""soprotocol against a known mix of new sockets (so_workload.py mix):
accepted and connected sockets counted exactly per process and protocol
(tcp over IPv4 and IPv6 as one, udp, unix-stream, unix-dgram; then
unix-seqpacket, mptcp and raw), failures left out; the filters; the docs.
The counting and table code is sofamily's (test_trace_sofamily.py covers
intervals, a full table and text in more detail)."""
import signal

import pytest

from so_util import (Gated, GatedScript, check_docs_list_exactly_the_options,
                     check_unloads, mix_rows, new_rows, run_traced)
from trace_util import Cgroup, Tracer

# 2 UNIX seqpacket connects and accepts, 1 MPTCP connect and accept, a raw
# ICMP socket's connect
OTHERS = r"""
import os, socket
name = "\0nlt-seq-%d" % os.getpid()
ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ls.bind(name)
ls.listen(4)
keep = []
for _ in range(2):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(name)
    keep += [c, ls.accept()[0]]
m = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
m.bind(("127.0.0.1", 0))
m.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
c.connect(m.getsockname())
keep += [c, m.accept()[0]]
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r.connect(("127.0.0.1", 0))
"""


def soprotocol(*args, json_mode=True):
    return Tracer(["soprotocol"] + [str(a) for a in args], json_mode=json_mode)


@pytest.mark.sanitize
def test_mix_counted_exactly(netns):
    w = Gated(netns, "mix")
    _, (recs,) = run_traced([w], soprotocol("--netns", netns.name))
    assert new_rows(recs, "protocol") == mix_rows(w, "protocol") == {
        (w.pid, "python3", "tcp"): (5, 6), (w.pid, "python3", "udp"): (0, 1),
        (w.pid, "python3", "unix-stream"): (1, 1), (w.pid, "python3", "unix-dgram"): (0, 1)}
    assert recs[-2] == {"dropped_keys": 0}
    assert {r["protocol"]: (r["sotype"], r["ipproto"]) for r in recs[:-2]} == {
        "tcp": (1, 6), "udp": (2, 17), "unix-stream": (1, 0), "unix-dgram": (2, 0)}
    assert recs[0]["protocol"] == "tcp"


def test_seqpacket_mptcp_raw(netns):
    w = GatedScript(netns, OTHERS)
    _, (recs,) = run_traced([w], soprotocol("-p", w.pid))
    assert new_rows(recs, "protocol") == {(w.pid, "python3", "unix-seqpacket"): (2, 2),
                                          (w.pid, "python3", "mptcp"): (1, 1),
                                          (w.pid, "python3", "raw"): (0, 1)}


def test_pid_comm_netns_cgroup_filters(netns_factory):
    a, b = netns_factory(), netns_factory()
    cg = Cgroup()
    try:
        w1, w2 = Gated(a, "mix"), Gated(a, "mix", "--comm", "nlt-proto2")
        wb = Gated(b, "mix", cgroup=cg.path)
        _, recs = run_traced([w1, w2, wb], soprotocol("-p", w1.pid),
                             soprotocol("--comm", "nlt-proto2"), soprotocol("--netns", b.name),
                             soprotocol("--cgroup", cg.path))
        by_pid, by_comm, by_ns, by_cg = [new_rows(r, "protocol") for r in recs]
    finally:
        cg.close()
    assert by_pid == mix_rows(w1, "protocol")
    assert by_comm == mix_rows(w2, "protocol", comm="nlt-proto2")
    assert by_ns == by_cg == mix_rows(wb, "protocol")


def test_text_table(netns):
    w = Gated(netns, "mix")
    _, (out,) = run_traced([w], soprotocol("--netns", netns.name, json_mode=False))
    lines = out.splitlines()
    assert lines[0].split() == ["PID", "COMM", "PROTOCOL", "ACCEPT", "CONNECT"]
    rows = [l.split() for l in lines[1:]]
    assert rows[0] == [str(w.pid), "python3", "tcp", "5", "6"]
    assert sorted(rows[1:]) == sorted([[str(w.pid), "python3", p, a, c] for p, a, c in
                                       (("udp", "0", "1"), ("unix-stream", "1", "1"),
                                        ("unix-dgram", "0", "1"))])


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("soprotocol")


@pytest.mark.sanitize
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_no_programs_left_behind(netns, sig):
    check_unloads(netns, "soprotocol", sig)
