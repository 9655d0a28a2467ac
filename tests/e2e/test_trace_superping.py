"""superping: ping between two namespaces joined by veth (10.201.0.0/24,
fd01:201::/64) gives exactly one sample per reply, with ping's sequence
numbers and id, its process, and an RTT above 0 and not above the one ping
printed for that reply; --dev, -c histograms, -p, and the table of requests
in flight: bounded by --max-keys, unanswered ones aged out after
--timeout."""
import re
import shutil
import subprocess
import time

import pytest

from conftest import PY
from pkt_util import linked_pair
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, dropped_keys, events, netns_inode

pytestmark = pytest.mark.skipif(not shutil.which("ping"), reason="needs ping (iputils-ping)")

A4, B4 = "10.201.0.1", "10.201.0.2"
A6, B6 = "fd01:201::1", "fd01:201::2"
# ping's times have 3 decimals of a millisecond, and its receive time is the
# packet's kernel timestamp, taken when veth queues it to the receiving
# CPU's backlog (netdev_tstamp_prequeue), before the softirq that runs
# netif_receive_skb: on a busy machine that wait is not in ping's time
SLACK_US = 2000


@pytest.fixture
def pair(netns_factory):
    return linked_pair(netns_factory, A4, B4, A6, B6)


def ping(ns, dst, n, *extra, check=True, interval="0.2"):
    """Runs ping in ns; returns its pid, per-sequence times (us) and output."""
    p = ns.popen(["ping", "-n", "-c", str(n), "-i", interval, *extra, dst],
                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = p.communicate(timeout=60)
    if check:
        assert p.returncode == 0, out
    times = {int(s): float(t) * 1000 for s, t in re.findall(r"icmp_seq=(\d+) .*time=([\d.]+) ms",
                                                            out)}
    return p.pid, times, out


def check_samples(evs, dst, pid, times, n):
    assert [e["seq"] for e in evs] == list(range(1, n + 1)), evs
    assert len(times) == n, times
    for e in evs:
        assert e["daddr"] == dst and e["ifname"] == "veth0" and e["rx_ifname"] == "veth0", e
        assert (e["pid"], e["comm"]) == (pid, "ping"), e
        assert 0 < e["rtt_us"] <= times[e["seq"]] + SLACK_US, (e, times)
    assert len({e["id"] for e in evs}) == 1, evs


def test_ping_v4_and_v6_exact(pair):
    a, b = pair
    tr = Tracer(["superping", "--netns", a.name])
    try:
        pid4, t4, _ = ping(a, B4, 5)
        pid6, t6, _ = ping(a, B6, 5)
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    evs = events(recs)
    assert {e["netns"] for e in evs} == {netns_inode(a)}
    check_samples([e for e in evs if e["ip"] == 4], B4, pid4, t4, 5)
    check_samples([e for e in evs if e["ip"] == 6], B6, pid6, t6, 5)
    assert len(evs) == 10


def test_dev_family_and_pid_filters(pair):
    a, b = pair
    veth = Tracer(["superping", "--netns", a.name, "--dev", "veth0"])
    every = Tracer(["superping", "--netns", a.name])
    v6 = Tracer(["superping", "--netns", a.name, "-6"])
    other = Tracer(["superping", "--netns", a.name, "--comm", "no-such-comm"])
    try:
        ping(a, "127.0.0.1", 3)
        pid, t4, _ = ping(a, B4, 5)
        ping(a, B6, 2)
    finally:
        rv, re_, r6, ro = (t.stop() for t in (veth, every, v6, other))
    ev = events(rv)
    check_samples([e for e in ev if e["ip"] == 4], B4, pid, t4, 5)
    assert len(ev) == 7
    lo = [e for e in events(re_) if e["daddr"] == "127.0.0.1"]
    assert [e["seq"] for e in lo] == [1, 2, 3] and {e["ifname"] for e in lo} == {"lo"}, lo
    assert len(events(re_)) == 10
    assert [(e["daddr"], e["seq"]) for e in events(r6)] == [(B6, 1), (B6, 2)]
    assert events(ro) == []


def test_counts_histograms_per_destination(pair):
    a, b = pair
    tr = Tracer(["superping", "--netns", a.name, "-c"])
    try:
        _, t4, _ = ping(a, B4, 5)
        _, t6, _ = ping(a, B6, 3)
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    hists = {r["histogram"]["daddr"]: r["histogram"] for r in recs if "histogram" in r}
    assert set(hists) == {B4, B6}, recs
    for dst, n, times in ((B4, 5, t4), (B6, 3, t6)):
        h = hists[dst]
        assert h["unit"] == "usecs" and h["scale"] == "log2" and h["netns"] == netns_inode(a)
        assert sum(x["count"] for x in h["buckets"]) == n == h["replies"], h
        assert 0 < h["min_us"] <= h["avg_us"] <= h["max_us"] <= max(times.values()) + SLACK_US


def test_unanswered_requests_bounded_and_aged(pair):
    a, b = pair
    b.exec(["nft", "add", "table", "inet", "t"])
    b.exec(["nft", "add", "chain", "inet", "t", "c", "{ type filter hook input priority 0; }"])
    b.exec(["nft", "add", "rule", "inet", "t", "c", "icmp", "type", "echo-request", "drop"])
    aged = Tracer(["superping", "--netns", a.name, "--max-keys", "2", "--timeout", "3"])
    kept = Tracer(["superping", "--netns", a.name, "--max-keys", "2", "--timeout", "600"])
    try:
        # two requests fill both tables, a third is refused by both (sent
        # well within the 3 s before the first one ages out)
        t0 = time.monotonic()
        _, _, out = ping(a, B4, 3, "-W", "0.2", check=False, interval="0.05")
        assert " 0 received" in out and time.monotonic() - t0 < 2.5, out
        b.exec(["nft", "flush", "ruleset"])
        # the --timeout to pass, and the scan after it (every quarter of
        # the timeout) to age the requests out: a wait for time itself,
        # nothing to poll
        time.sleep(max(0.0, t0 + 4.6 - time.monotonic()))
        pid, t4, _ = ping(a, B4, 2)
    finally:
        ra, rk = aged.stop(), kept.stop()
    check_samples(events(ra), B4, pid, t4, 2)
    assert dropped_keys(ra) == 1
    assert events(rk) == [] and dropped_keys(rk) == 3


def test_docs():
    check_docs_list_exactly_the_options("superping")


# Three ICMPv6 echo requests behind a destination options header (8 bytes
# of padding), from a raw socket; prints the id and the replies' sequences.
EXT_PINGER = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.settimeout(5)
ident, seqs = 0x5150, []
for seq in (1, 2, 3):
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"x" * 16, (sys.argv[1], 0))
    while True:
        r = s.recv(200)
        if r[0] == 129 and struct.unpack("!H", r[4:6])[0] == ident:
            seqs.append(struct.unpack("!H", r[6:8])[0])
            break
print(ident, *seqs)
"""


def test_ipv6_extension_headers_walked(pair):
    a, b = pair
    tr = Tracer(["superping", "--netns", a.name, "-6"])
    try:
        out = a.exec([PY, "-c", EXT_PINGER, B6]).stdout.split()
    finally:
        evs = events(tr.stop())
    assert out == [str(0x5150), "1", "2", "3"]
    assert [(e["daddr"], e["id"], e["seq"]) for e in evs] == [(B6, 0x5150, s) for s in (1, 2, 3)]
    assert all(e["rtt_us"] > 0 for e in evs)
