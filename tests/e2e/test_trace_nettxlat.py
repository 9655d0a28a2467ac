"""nettxlat: UDP datagrams across a quiet veth pair (10.202.0.0/24): each
one is timed once in each stage (queue, xmit, total) on the sender's veth0;
with no qdisc the whole path takes microseconds, and a tbf at 1 Mbit/s
moves the queue stage (and the total) to milliseconds while the driver's
part stays short. --dev keeps one device."""
from conftest import NETLENS  # noqa: F401  (documents which binary is tested)
from trace_util import Tracer
from txq_util import count, hists, median_from, quiet_pair, send_udp, tbf_count_ok, untimed

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
