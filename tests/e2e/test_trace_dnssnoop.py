"""dnssnoop against a DNS responder with known answers, delays and rcodes
(dns_responder.py) in the test's own namespaces: exact names, types,
rcodes, answers, latency bounds, TIMEOUT, TCP, the asking process and its
namespace across a veth pair (each exchange printed once though seen twice),
libc and raw queries, -c, the filters, and damaged packets."""
import json
import os
import random
import socket
import struct
import subprocess
import time

import pytest

from conftest import PY, read_live, veth_pair, wait_for
from dns_responder import DnsResponder, build_query, ns_resolver, query_in
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, events, netns_inode

ZONE = {
    "fast.test": {"a": ["192.0.2.1", "192.0.2.5"], "aaaa": ["2001:db8::1"]},
    "slow.test": {"a": ["192.0.2.2"], "delay": 0.2},
    "fail.test": {"rcode": "SERVFAIL"},
    "refused.test": {"rcode": "REFUSED"},
    "quiet.test": {"silent": True},
}


def dnssnoop(*args, json_mode=True):
    return Tracer(["dnssnoop"] + [str(a) for a in args], json_mode=json_mode)


def so_far(tr):
    """The event records the running tracer has written so far."""
    out = []
    for line in read_live(tr.out).splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue  # a line being written
        if "lost_events" not in r:
            out.append(r)
    return out


def wait_events(tr, n, timeout=10):
    return wait_for(lambda: len(so_far(tr)) >= n and so_far(tr), timeout=timeout,
                    what=f"{n} dnssnoop events")


def by_name(evs):
    return {(e["name"], e["type"]): e for e in evs}


def getent_fast(ns):
    """Resolves fast.test with getent (glibc) in ns; returns the finished
    process, once both its addresses were printed."""
    g = subprocess.Popen(["ip", "netns", "exec", ns.name, "getent", "ahosts", "fast.test"],
                         stdout=subprocess.PIPE, text=True)
    out = g.communicate(timeout=30)[0]
    assert "192.0.2.1" in out and "2001:db8::1" in out, out
    return g


def test_known_queries_exact(netns):
    ino = netns_inode(netns)
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name)
        try:
            qs = [query_in(netns, "127.0.0.1", n, t) for n, t in
                  [("fast.test", "A"), ("fast.test", "AAAA"), ("slow.test", "A"),
                   ("fail.test", "A"), ("nx.test", "A"), ("refused.test", "MX")]]
            wait_events(tr, len(qs))
        finally:
            recs = tr.stop()
    evs = events(recs)
    assert recs[-1] == {"lost_events": 0}
    # loopback shows each packet leaving and arriving: one line per exchange
    assert len(evs) == len(qs), evs
    for q, e in zip(qs, evs):
        assert (e["name"], e["type"], e["id"], e["pid"], e["comm"], e["proto"]) == \
            (q["name"], q["qtype"], q["id"], q["pid"], "python3", "UDP")
        assert (e["server"], e["server_port"], e["client"], e["client_port"]) == \
            ("127.0.0.1", 53, "127.0.0.1", q["sport"])
        assert e["rcode"] == q["reply"]["rcode"] and e["answers"] == q["reply"]["answers"]
        assert e["netns"] == ino and e["ip"] == 4
        # inside what the client measured around its send and receive
        assert 0 < e["latency_ms"] <= q["elapsed"] * 1000
    got = by_name(evs)
    assert got[("fast.test", "A")]["answers"] == ["192.0.2.1", "192.0.2.5"]
    assert got[("fast.test", "A")]["ancount"] == 2
    assert got[("fast.test", "AAAA")]["answers"] == ["2001:db8::1"]
    assert got[("slow.test", "A")]["latency_ms"] >= 200
    assert got[("fast.test", "A")]["latency_ms"] < 200
    assert [got[(n, t)]["rcode"] for n, t in [("fail.test", "A"), ("nx.test", "A"),
                                              ("refused.test", "MX")]] == \
        ["SERVFAIL", "NXDOMAIN", "REFUSED"]


def test_unanswered_query_is_a_timeout_after_timeout(netns):
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name, "--timeout", "1")
        try:
            t0 = time.monotonic()
            q = query_in(netns, "127.0.0.1", "quiet.test", timeout=0.3)
            assert q.get("timeout")
            assert so_far(tr) == []
            evs = wait_events(tr, 1, timeout=10)
            took = time.monotonic() - t0
        finally:
            recs = tr.stop()
    assert 1.0 <= took < 5, took
    assert [(e["name"], e["rcode"], e["pid"], e["id"]) for e in evs] == \
        [("quiet.test", "TIMEOUT", q["pid"], q["id"])]
    assert "latency_ms" not in evs[0] and "answers" not in evs[0]
    assert events(recs) == evs


def test_tcp_query(netns):
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name)
        try:
            q = query_in(netns, "127.0.0.1", "slow.test", tcp=True)
            wait_events(tr, 1)
        finally:
            evs = events(tr.stop())
    assert [(e["proto"], e["name"], e["type"], e["rcode"], e["answers"], e["pid"], e["id"],
             e["client_port"]) for e in evs] == \
        [("TCP", "slow.test", "A", "NOERROR", ["192.0.2.2"], q["pid"], q["id"], q["sport"])]
    assert 200 <= evs[0]["latency_ms"] <= q["elapsed"] * 1000


def test_other_namespace_attributed_and_seen_once(netns_factory):
    client, server = netns_factory(), netns_factory()
    veth_pair(client, server)
    token = f"n{os.getpid()}x{random.randrange(1 << 30)}"
    name = f"{token}.test"
    zone = {name: {"a": ["198.51.100.7"]}}
    with DnsResponder(server, zone, addr="10.199.0.2"):
        everywhere = dnssnoop()  # both namespaces: each packet is seen twice
        at_server = dnssnoop("--netns", server.name)
        try:
            q = query_in(client, "10.199.0.2", name)
            wait_for(lambda: [e for e in so_far(everywhere) if e["name"] == name]
                     and so_far(at_server), what="the exchange")
            # a late second sighting would show up in this time
            time.sleep(0.3)
        finally:
            evs = [e for e in events(everywhere.stop()) if e["name"] == name]
            srv = events(at_server.stop())
    assert [(e["pid"], e["comm"], e["netns"], e["client"], e["server"], e["answers"])
            for e in evs] == [(q["pid"], "python3", netns_inode(client), "10.199.0.1",
                               "10.199.0.2", ["198.51.100.7"])]
    # seen from the server's namespace: the query arrived there, from no
    # process of that namespace
    assert [(e["name"], e["pid"], e["netns"]) for e in srv] == \
        [(name, 0, netns_inode(server))]


def test_libc_getent_and_getaddrinfo(netns):
    with DnsResponder(netns, ZONE), ns_resolver(netns, "127.0.0.1"):
        tr = dnssnoop("--netns", netns.name)
        try:
            g = getent_fast(netns)
            wait_events(tr, 2)
            p = netns.exec([PY, "-c", "import os, socket, time; t = time.monotonic(); "
                            "r = socket.getaddrinfo('slow.test', 80, socket.AF_INET, "
                            "socket.SOCK_STREAM); print(os.getpid(), time.monotonic() - t, "
                            "r[0][4][0])"]).stdout.split()
            wait_events(tr, 3)
        finally:
            evs = events(tr.stop())
    assert sorted((e["name"], e["type"], e["comm"], e["pid"], e["rcode"], tuple(e["answers"]))
                  for e in evs[:2]) == \
        [("fast.test", "A", "getent", g.pid, "NOERROR", ("192.0.2.1", "192.0.2.5")),
         ("fast.test", "AAAA", "getent", g.pid, "NOERROR", ("2001:db8::1",))]
    pid, took, addr = int(p[0]), float(p[1]), p[2]
    assert addr == "192.0.2.2"
    assert [(e["name"], e["type"], e["comm"], e["pid"]) for e in evs[2:]] == \
        [("slow.test", "A", "python3", pid)]
    assert 200 <= evs[2]["latency_ms"] <= took * 1000


def test_counts_summary(netns):
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name, "-c", "--timeout", "1")
        try:
            for _ in range(3):
                query_in(netns, "127.0.0.1", "fast.test")
            for _ in range(2):
                query_in(netns, "127.0.0.1", "nx.test")
            query_in(netns, "127.0.0.1", "slow.test")
            t0 = time.monotonic()
            query_in(netns, "127.0.0.1", "quiet.test", timeout=0.2)
            time.sleep(max(0, 1.3 - (time.monotonic() - t0)))  # past --timeout
        finally:
            recs = tr.stop()
    rows = [r for r in recs if "count" in r]
    assert sorted((r["name"], r["server"], r["server_port"], r["rcode"], r["count"])
                  for r in rows) == [
        ("fast.test", "127.0.0.1", 53, "NOERROR", 3), ("nx.test", "127.0.0.1", 53, "NXDOMAIN", 2),
        ("quiet.test", "127.0.0.1", 53, "TIMEOUT", 1), ("slow.test", "127.0.0.1", 53, "NOERROR", 1)]
    slow = [r for r in rows if r["name"] == "slow.test"][0]
    assert slow["max_ms"] >= 200 and slow["avg_ms"] >= 200
    assert "max_ms" not in [r for r in rows if r["name"] == "quiet.test"][0]
    hists = [r["histogram"] for r in recs if "histogram" in r]
    assert len(hists) == 1 and hists[0]["server"] == "127.0.0.1"
    assert sum(b["count"] for b in hists[0]["buckets"]) == 6
    slowest = [r["slowest"] for r in recs if "slowest" in r]
    assert slowest[0]["name"] == "slow.test" and slowest[0]["latency_ms"] >= 200
    assert sorted(s["name"] for s in slowest) == ["fast.test", "nx.test", "slow.test"]
    assert recs[-1] == {"lost_events": 0}


def test_text_rows(netns):
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name, json_mode=False)
        try:
            query_in(netns, "127.0.0.1", "fail.test")
            query_in(netns, "127.0.0.1", "fast.test")
            wait_for(lambda: tr._read(tr.out).count("\n") >= 3, what="two rows")
        finally:
            out = tr.stop()
    lines = out.splitlines()
    assert lines[0].split() == ["PID", "COMM", "PROTO", "SERVER", "PORT", "TYPE", "RCODE",
                                "LAT(ms)", "NAME", "ANSWERS"]
    assert lines[1].split()[1:7] == ["python3", "UDP", "127.0.0.1", "53", "A", "SERVFAIL"]
    assert lines[1].split()[-2:] == ["fail.test", "-"]
    assert lines[2].split()[-2:] == ["fast.test", "192.0.2.1,192.0.2.5"]


def test_filters(netns):
    with DnsResponder(netns, ZONE), DnsResponder(netns, ZONE, addr="::1"), \
            DnsResponder(netns, ZONE, port=5353):
        v4 = dnssnoop("--netns", netns.name, "-4")
        v6 = dnssnoop("--netns", netns.name, "-6")
        alt = dnssnoop("--netns", netns.name, "-P", "5353")
        comm = dnssnoop("--netns", netns.name, "--comm", "nosuchcomm")
        try:
            a = query_in(netns, "127.0.0.1", "fast.test")
            b = query_in(netns, "::1", "fast.test", "AAAA")
            c = query_in(netns, "127.0.0.1", "slow.test", port=5353)
            pid = dnssnoop("--netns", netns.name, "-p", b["pid"] + 1000000)
            d = query_in(netns, "127.0.0.1", "fast.test")
            wait_events(v4, 2)
            wait_events(v6, 1)
            wait_events(alt, 1)
            time.sleep(0.2)
        finally:
            e4, e6, ealt = events(v4.stop()), events(v6.stop()), events(alt.stop())
            ecomm, epid = events(comm.stop()), events(pid.stop())
    assert [(e["id"], e["ip"]) for e in e4] == [(a["id"], 4), (d["id"], 4)]
    assert [(e["id"], e["ip"], e["server"], e["answers"]) for e in e6] == \
        [(b["id"], 6, "::1", ["2001:db8::1"])]
    assert [(e["id"], e["server_port"], e["name"]) for e in ealt] == [(c["id"], 5353, "slow.test")]
    assert ecomm == [] and epid == []


def test_pid_filter_keeps_the_asker(netns):
    with DnsResponder(netns, ZONE):
        # the asker: a shell that waits for a line, then runs the query
        p = netns.popen(["sh", "-c", f"read x; exec {PY} {os.path.dirname(__file__)}/"
                         "dns_responder.py query --server 127.0.0.1 --name fast.test"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        tr = dnssnoop("--netns", netns.name, "-p", p.pid)
        try:
            other = query_in(netns, "127.0.0.1", "nx.test")
            out = p.communicate("go\n", timeout=30)[0]
            q = json.loads(out)
            wait_events(tr, 1)
            time.sleep(0.2)
        finally:
            evs = events(tr.stop())
    assert other["pid"] != p.pid
    assert [(e["pid"], e["name"], e["id"]) for e in evs] == [(p.pid, "fast.test", q["id"])]


def test_damaged_messages_ignored(netns):
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name)
        try:
            loop = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01"
            bad = [b"", b"\x00" * 5, loop, b"\xff" * 300, b"\x00\x01\x00\x00\x00\x01" + b"\x3f" * 40,
                   build_query("fast.test")[:15],           # cut in the question
                   struct.pack("!HHHHHH", 8, 0x0100, 1, 0, 0, 0) + b"\x3f" + b"a" * 10]
            prog = ("import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    "for h in sys.argv[1:]:\n    s.sendto(bytes.fromhex(h), ('127.0.0.1', 53))\n")
            netns.exec([PY, "-c", prog] + [b.hex() for b in bad])
            q = query_in(netns, "127.0.0.1", "fast.test")
            wait_events(tr, 1)
            time.sleep(0.2)
        finally:
            recs = tr.stop()
    assert [(e["name"], e["id"]) for e in events(recs)] == [("fast.test", q["id"])]
    assert recs[-1] == {"lost_events": 0}


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("dnssnoop")


# A TCP server that writes each answer's length and message apart (two
# segments, two sends): the message reaches the packet hooks in page
# fragments, where they cannot read it, and its send has no length before
# it; the answer is read by following the server's sends as a stream.
SPLIT_SERVER = r"""
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from dns_responder import build_answer
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 53))
l.listen(4)
print("ready", flush=True)
c, _ = l.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
    buf += c.recv(4096)
out = build_answer(buf[2:], {"split.test": {"a": ["192.0.2.3"]}})[0]
c.send(struct.pack("!H", len(out)))
time.sleep(0.05)
c.send(out[:20])
time.sleep(0.05)
c.send(out[20:])
time.sleep(1)
"""


def test_tcp_answer_sent_in_pieces_is_read(netns):
    srv = netns.popen([PY, "-c", SPLIT_SERVER, os.path.dirname(os.path.abspath(__file__))],
                      stdout=subprocess.PIPE, text=True)
    assert srv.stdout.readline().strip() == "ready"
    tr = dnssnoop("--netns", netns.name)
    try:
        # id 0xffff: read as a length, longer than the message sent
        q = query_in(netns, "127.0.0.1", "split.test", tcp=True, txid=0xffff)
        wait_events(tr, 1)
        time.sleep(0.2)
    finally:
        evs = events(tr.stop())
    assert q["reply"]["answers"] == ["192.0.2.3"]
    assert [(e["proto"], e["name"], e["rcode"], e["answers"], e["pid"], e["id"])
            for e in evs] == [("TCP", "split.test", "NOERROR", ["192.0.2.3"], q["pid"], 0xffff)]
    assert 100 <= evs[0]["latency_ms"] <= q["elapsed"] * 1000


# A TCP client that writes its queries in pieces: the length alone, then
# the message in two sends, then two whole queries (length and message
# each) in one send; it reads the three answers and prints their ids.
PIECES_CLIENT = r"""
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from dns_responder import build_query
s = socket.create_connection(("127.0.0.1", 53), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
q1 = build_query("fast.test", "A", 0x1111)
q2 = build_query("fast.test", "AAAA", 0x2222)
q3 = build_query("refused.test", "A", 0x3333)
s.send(struct.pack("!H", len(q1)))
s.send(q1[:5])
s.send(q1[5:])
s.send(struct.pack("!H", len(q2)) + q2 + struct.pack("!H", len(q3)) + q3)
buf = b""
ids = []
while len(ids) < 3:
    while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
        buf += s.recv(4096)
    n = struct.unpack("!H", buf[:2])[0]
    ids.append(struct.unpack("!H", buf[2:4])[0])
    buf = buf[2 + n:]
print(" ".join(map(str, ids)))
"""


def test_tcp_queries_sent_in_pieces_and_together(netns):
    with DnsResponder(netns, ZONE):
        tr = dnssnoop("--netns", netns.name)
        try:
            p = netns.exec([PY, "-c", PIECES_CLIENT, os.path.dirname(os.path.abspath(__file__))])
            wait_events(tr, 3)
            time.sleep(0.2)
        finally:
            evs = events(tr.stop())
    assert sorted(map(int, p.stdout.split())) == [0x1111, 0x2222, 0x3333]
    assert sorted((e["proto"], e["id"], e["name"], e["type"], e["rcode"]) for e in evs) == [
        ("TCP", 0x1111, "fast.test", "A", "NOERROR"),
        ("TCP", 0x2222, "fast.test", "AAAA", "NOERROR"),
        ("TCP", 0x3333, "refused.test", "A", "REFUSED")]
    assert {e["comm"] for e in evs} == {"python3"}


def test_libc_over_tcp_two_queries_in_one_write(netns):
    """glibc with `options use-vc` asks A and AAAA over TCP in one writev of
    four pieces (length, query, length, query)."""
    with DnsResponder(netns, ZONE), \
            ns_resolver(netns, "127.0.0.1", options="use-vc timeout:2 attempts:1"):
        tr = dnssnoop("--netns", netns.name)
        try:
            g = getent_fast(netns)
            wait_events(tr, 2)
            time.sleep(0.2)
        finally:
            evs = events(tr.stop())
    assert sorted((e["proto"], e["name"], e["type"], e["comm"], e["pid"], e["rcode"],
                   tuple(e["answers"])) for e in evs) == [
        ("TCP", "fast.test", "A", "getent", g.pid, "NOERROR", ("192.0.2.1", "192.0.2.5")),
        ("TCP", "fast.test", "AAAA", "getent", g.pid, "NOERROR", ("2001:db8::1",))]


def test_unreadable_tcp_answer_ends_its_query(netns_factory):
    """Seen from the client's namespace only, a TCP answer from another
    namespace arrives in page fragments and its send is not traced: it
    ends its query with an unknown rcode."""
    client, server = netns_factory(), netns_factory()
    veth_pair(client, server)
    with DnsResponder(server, ZONE, addr="10.199.0.2"):
        tr = dnssnoop("--netns", client.name)
        try:
            q = query_in(client, "10.199.0.2", "slow.test", tcp=True)
            wait_events(tr, 1)
            time.sleep(0.2)
        finally:
            evs = events(tr.stop())
    assert q["reply"]["answers"] == ["192.0.2.2"]
    assert [(e["proto"], e["name"], e["rcode"], e["pid"], e["id"]) for e in evs] == \
        [("TCP", "slow.test", "UNKNOWN", q["pid"], q["id"])]
    assert 200 <= evs[0]["latency_ms"] <= q["elapsed"] * 1000
    assert "answers" not in evs[0]


# A UDP query over IPv6 that carries a destination options header (an
# 8-byte header of padding) between the IPv6 header and UDP.
DSTOPTS_CLIENT = r"""
import json, os, socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from dns_responder import build_query, parse_message
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.settimeout(5)
s.connect(("::1", 53))
q = build_query("fast.test", "AAAA", 0x4242)
t = time.monotonic()
s.send(q)
r = parse_message(s.recv(65536))
print(json.dumps({"pid": os.getpid(), "sport": s.getsockname()[1],
                  "elapsed": time.monotonic() - t, "reply": r}))
"""


def test_ipv6_extension_header_before_udp(netns):
    with DnsResponder(netns, ZONE, addr="::1"):
        tr = dnssnoop("--netns", netns.name)
        try:
            q = json.loads(netns.exec([PY, "-c", DSTOPTS_CLIENT,
                                       os.path.dirname(os.path.abspath(__file__))]).stdout)
            wait_events(tr, 1)
            time.sleep(0.2)
        finally:
            evs = events(tr.stop())
    assert q["reply"]["answers"] == ["2001:db8::1"]
    # the query (with the header) is seen, so the exchange has its asker
    # and latency, not an answer alone
    assert [(e["ip"], e["id"], e["name"], e["type"], e["rcode"], e["answers"], e["pid"],
             e["client_port"]) for e in evs] == \
        [(6, 0x4242, "fast.test", "AAAA", "NOERROR", ["2001:db8::1"], q["pid"], q["sport"])]
    assert 0 < evs[0]["latency_ms"] <= q["elapsed"] * 1000


def test_ipv6_fragmented_answer(netns):
    """An answer larger than the link's MTU leaves in IPv6 fragments: the
    first (a fragment header before UDP) is read, the rest are not DNS."""
    big = [f"2001:db8::{i:x}" for i in range(1, 101)]  # ~2.9 KB of answers
    netns.exec(["ip", "link", "set", "lo", "mtu", "1280"])
    with DnsResponder(netns, {"big.test": {"aaaa": big}}, addr="::1"):
        tr = dnssnoop("--netns", netns.name, "--timeout", "1")
        try:
            q = query_in(netns, "::1", "big.test", "AAAA")
            wait_events(tr, 1)
            time.sleep(0.2)
        finally:
            evs = events(tr.stop())
    assert q["reply"]["answers"] == big
    assert [(e["ip"], e["name"], e["type"], e["rcode"], e["ancount"], e["answers"], e["pid"])
            for e in evs] == [(6, "big.test", "AAAA", "NOERROR", 100, big[:4], q["pid"])]
