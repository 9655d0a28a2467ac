"""nettxlat: UDP datagrams across a quiet veth pair (10.202.0.0/24): each
one is timed once in each stage (queue, xmit, total) on the sender's veth0;
with no qdisc the whole path takes microseconds, and a tbf at 1 Mbit/s
moves the queue stage (and the total) to milliseconds while the driver's
part stays short. --dev keeps one device."""
import json
import os
import subprocess

import pytest
from conftest import NETLENS, PY, read_live, wait_for  # noqa: F401  (NETLENS: the binary tested)
from trace_util import Tracer
from txq_util import B, count, hists, median_from, quiet_pair, send_udp, tbf_count_ok, untimed

SENT = 40
STAGES = ["queue", "xmit", "total"]


def _run(a, work, args=("--dev", "veth0")):
    tr = Tracer(["nettxlat", "--netns", a.name, "--stats"] + list(args))
    try:
        work()
    finally:
        recs = tr.stop()
    assert recs[-2:] == [{"dropped_keys": 0}, {"lost_events": 0}], recs
    assert untimed(recs) == {"dropped": 0, "expired": 0}, recs
    # a failure below shows the skipped runs (MISSED) of --stats
    hs = {(h["ifname"], h["stage"]): h for h in hists(recs)}
    assert all(count(h) == h["packets"] for h in hs.values()), recs
    return hs


def _top(h):
    return max(b["from"] for b in h["buckets"] if b["count"])


def test_stages_without_and_with_qdisc(netns_factory):
    a, b = quiet_pair(netns_factory)
    hs = _run(a, lambda: send_udp(a, SENT, rx=b))
    assert sorted(hs) == [("veth0", s) for s in sorted(STAGES)], hs
    for s in STAGES:
        h = hs[("veth0", s)]
        assert count(h) == h["packets"] == SENT and h["errors"] == 0, h
    # noqueue: straight to the driver, which hands the packet to the peer
    assert _top(hs[("veth0", "total")]) < 16384, hs

    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "tbf", "rate", "1mbit", "burst", "10k",
            "latency", "500ms"])
    hs = _run(a, lambda: send_udp(a, SENT, rx=b))
    for s in STAGES:
        assert tbf_count_ok(count(hs[("veth0", s)]), SENT), hs
    q, x = hs[("veth0", "queue")], hs[("veth0", "xmit")]
    assert median_from(q) >= 1024 and 65536 <= _top(q) < 1 << 20, q
    assert median_from(hs[("veth0", "total")]) >= 1024, hs
    assert median_from(x) < 1024, x


def test_dev_filter(netns_factory):
    a, b = quiet_pair(netns_factory)

    def work():
        send_udp(a, SENT, rx=b)
        send_udp(a, 5, dst="127.0.0.1")
    hs = _run(a, work, ())
    # lo: 5 datagrams and the 5 ICMP port unreachables answering them
    assert {k: count(h) for k, h in hs.items()} == {
        **{("veth0", s): SENT for s in STAGES}, **{("lo", s): 10 for s in STAGES}}, hs
    hs = _run(a, work, ("--dev", "lo"))
    assert {k: count(h) for k, h in hs.items()} == {("lo", s): 10 for s in STAGES}, hs


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPUs")
def test_a_devices_cpus_add_up(netns_factory):
    """The kernel keeps a device's histograms per CPU (one writer each, no
    atomics): senders on two CPUs make one set of histograms with both."""
    a, b = quiet_pair(netns_factory)

    def work():
        send_udp(a, SENT, rx=b, cpu=0)
        send_udp(a, SENT + 5, rx=b, cpu=1)
    hs = _run(a, work)
    assert {k: count(h) for k, h in hs.items()} == {("veth0", s): 2 * SENT + 5 for s in STAGES}


TCP_SINK = """import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 5301)); s.listen(1)
print("ready", flush=True)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
print(n, flush=True)
"""
TCP_SEND = """import socket, sys
s = socket.create_connection((sys.argv[1], 5301)); s.sendall(b"x" * 262144); s.close()
"""


def test_gso_packet_split_after_queue_expires(netns_factory):
    """With TSO off, TCP's GSO packets are split into segments after
    net_dev_queue: the packet queued is freed without reaching
    net_dev_xmit (its segments are timed from their start_xmit), so its
    start stays in the kernel's table until user space frees it, 10 s old,
    counted as expired; the segments' xmit stage is timed as ever."""
    a, b = quiet_pair(netns_factory)
    a.exec(["ethtool", "-K", "veth0", "tso", "off"])
    p = b.popen([PY, "-c", TCP_SINK, B], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    tr = Tracer(["nettxlat", "--netns", a.name, "--dev", "veth0", "-i", "0.5"])
    try:
        a.exec([PY, "-c", TCP_SEND, B], timeout=60)
        assert p.stdout.readline().strip() == "262144"
        wait_for(lambda: any(r.get("untimed", {}).get("expired") for r in _live(tr)),
                 timeout=25, what="the split packets' starts to expire")
    finally:
        recs = tr.stop()
    unt = [r["untimed"] for r in recs if "untimed" in r]
    expired = sum(u["expired"] for u in unt)
    xmit = sum(count(h) for h in hists(recs) if h["stage"] == "xmit")
    queued = sum(count(h) for h in hists(recs) if h["stage"] == "queue")
    # the segments outnumber the packets split into them
    assert 1 <= expired < xmit - queued, (expired, xmit, queued)
    # (a segment the peer's full backlog refuses is freed as dropped)
    assert recs[-1] == {"lost_events": 0}, recs


def _live(tr):
    """The records a running tracer has printed so far (whole lines)."""
    out = []
    for line in read_live(tr.out).splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out
