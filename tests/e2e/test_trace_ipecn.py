"""ipecn: UDP datagrams sent with chosen ECN codepoints (IP_TOS,
IPV6_TCLASS) across a veth pair between two namespaces are counted exactly,
per flow and codepoint: received (the default), sent (--tx), CE only or
every codepoint (--all); -P, -4/-6 and --dev filter in the kernel."""
import json
import subprocess
import textwrap

import pytest

from conftest import PY
from pkt_util import linked_pair
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, events, netns_inode

A4, B4 = "10.201.0.1", "10.201.0.2"
A6, B6 = "fd01:201::1", "fd01:201::2"
PORT = 4321
# datagrams per codepoint (the ECN field's value: 0 Not-ECT, 1 ECT(1),
# 2 ECT(0), 3 CE), the same for each family
SEND = {3: 7, 1: 5, 2: 3, 0: 4}
TOTAL = 2 * sum(SEND.values())

RECEIVER = textwrap.dedent("""
    import select, socket, sys
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("%s", %d))
    b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); b.bind(("%s", %d))
    print("ready", flush=True)
    n = 0
    while n < %d:
        for s in select.select([a, b], [], [], 30)[0]:
            s.recv(100); n += 1
    print(n, flush=True)
""" % (B4, PORT, B6, PORT, TOTAL))

SENDER = textwrap.dedent("""
    import json, socket
    out = {}
    for fam, dst, lvl, opt in ((socket.AF_INET, "%s", socket.IPPROTO_IP, socket.IP_TOS),
                               (socket.AF_INET6, "%s", socket.IPPROTO_IPV6,
                                socket.IPV6_TCLASS)):
        for ecn, n in %r.items():
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.setsockopt(lvl, opt, ecn)
            for _ in range(n):
                s.sendto(b"e" * 32, (dst, %d))
            out["%%d/%%d" %% (fam, ecn)] = s.getsockname()[1]
    print(json.dumps(out))
""" % (B4, B6, SEND, PORT))


@pytest.fixture
def pair(netns_factory):
    return linked_pair(netns_factory, A4, B4, A6, B6)


def send(a, b):
    """Sends SEND's datagrams from a to b (both families); returns the
    source port of each (family, codepoint) once b received them all."""
    rcv = b.popen([PY, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    assert rcv.stdout.readline().strip() == "ready"
    p = a.exec([PY, "-c", SENDER])
    out, _ = rcv.communicate(timeout=60)
    assert out.strip() == str(TOTAL), out
    ports = json.loads(p.stdout)
    return {(4 if k.startswith("2/") else 6, int(k.split("/")[1])): v for k, v in ports.items()}


def flows(recs):
    """{(dir, ip, sport): row} of the summary rows, summed over intervals."""
    out = {}
    for r in events(recs):
        if r["proto"] not in ("udp4", "udp6") or r["dport"] != PORT:
            continue
        k = (r["dir"], r["ip"], r["sport"])
        o = out.setdefault(k, dict(r, ce=0, ect0=0, ect1=0, not_ect=0))
        for c in ("ce", "ect0", "ect1", "not_ect"):
            o[c] += r.get(c, 0)
    return out


NAMES = {3: "ce", 2: "ect0", 1: "ect1", 0: "not_ect"}


def test_every_codepoint_counted_exactly(pair):
    a, b = pair
    rx = Tracer(["ipecn", "--netns", b.name, "--all", "-i", "0.5"])
    tx = Tracer(["ipecn", "--netns", a.name, "--all", "--tx"])
    try:
        ports = send(a, b)
    finally:
        rr, rt = rx.stop(), tx.stop()
    assert rr[-1] == {"lost_events": 0} and rt[-1] == {"lost_events": 0}
    for recs, d, ns in ((rr, "rx", b), (rt, "tx", a)):
        got = flows(recs)
        want = {}
        for (ip, ecn), sport in ports.items():
            counts = {c: 0 for c in NAMES.values()}
            counts[NAMES[ecn]] = SEND[ecn]
            want[(d, ip, sport)] = counts
        assert {k: {c: v[c] for c in NAMES.values()} for k, v in got.items()} == want, got
        for (_, ip, _), r in got.items():
            assert r["ifname"] == "veth0" and r["netns"] == netns_inode(ns), r
            assert (r["saddr"], r["daddr"]) == ((A4, B4) if ip == 4 else (A6, B6)), r
    # every interval's rows carry their time
    assert all("time" in r for r in events(rr))


def test_ce_only_by_default_and_filters(pair):
    a, b = pair
    ce = Tracer(["ipecn", "--netns", b.name])
    v6 = Tracer(["ipecn", "--netns", b.name, "-6", "--all"])
    port = Tracer(["ipecn", "--netns", b.name, "-P", "1", "--all"])
    dev = Tracer(["ipecn", "--netns", b.name, "--dev", "lo", "--all"])
    try:
        ports = send(a, b)
    finally:
        rc, r6, rp, rd = (t.stop() for t in (ce, v6, port, dev))
    # CE only, and no ECT(0)/ECT(1)/Not-ECT columns
    assert {k: v["ce"] for k, v in flows(rc).items()} == \
        {("rx", 4, ports[(4, 3)]): 7, ("rx", 6, ports[(6, 3)]): 7}
    assert all(set(r) & {"ect0", "ect1", "not_ect"} == set() for r in events(rc))
    assert all(r["ce"] > 0 for r in events(rc))
    assert {k[1] for k in flows(r6)} == {6} and len(flows(r6)) == 4
    assert all(r["ip"] == 6 for r in events(r6))
    assert events(rp) == [] and flows(rd) == {}


EXT_SENDER = textwrap.dedent("""
    import socket
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 3)
    # a destination options header (8 bytes of padding) before UDP
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
    for _ in range(6):
        s.sendto(b"x" * 32, ("%s", %d))
    print(s.getsockname()[1])
""" % (B6, PORT))

EXT_RECEIVER = textwrap.dedent("""
    import socket
    b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); b.bind(("%s", %d))
    print("ready", flush=True)
    for _ in range(6):
        b.recv(100)
    print(6, flush=True)
""" % (B6, PORT))


def test_ipv6_extension_headers_walked(pair):
    """Behind a destination options header, a datagram is still UDP with
    its ports."""
    a, b = pair
    rx = Tracer(["ipecn", "--netns", b.name, "-6"])
    try:
        rcv = b.popen([PY, "-c", EXT_RECEIVER], stdout=subprocess.PIPE, text=True)
        assert rcv.stdout.readline().strip() == "ready"
        sport = int(a.exec([PY, "-c", EXT_SENDER]).stdout)
        assert rcv.communicate(timeout=60)[0].strip() == "6"
    finally:
        recs = rx.stop()
    assert {k: v["ce"] for k, v in flows(recs).items()} == {("rx", 6, sport): 6}


def test_docs():
    check_docs_list_exactly_the_options("ipecn")
