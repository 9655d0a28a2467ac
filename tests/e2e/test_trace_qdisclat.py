"""qdisclat: UDP datagrams across a quiet veth pair (10.202.0.0/24) whose
sender side has a qdisc. A tbf at 1 Mbit/s holds a standing queue: every
datagram is timed once, in the milliseconds, with the queue it found; an
htb with room to spare on the idle link hands packets on at once
(microseconds; this kernel has no fq_codel); the default noqueue has no
qdisc and no samples; --dev keeps one device."""
from conftest import NETLENS  # noqa: F401  (documents which binary is tested)
from trace_util import Tracer, dropped_keys
from txq_util import count, hists, median_from, quiet_pair, send_udp, tbf_count_ok, untimed

SENT = 40  # 40 x 1028 bytes fit tbf's limit (10k burst + 500 ms at 1 Mbit/s)
TBF = ["tbf", "rate", "1mbit", "burst", "10k", "latency", "500ms"]


def _htb(ns, dev, major):
    """An htb root (handle major:) whose default class has 1 Gbit/s."""
    ns.exec(["tc", "qdisc", "add", "dev", dev, "root", "handle", f"{major}:", "htb", "default", "1"])
    ns.exec(["tc", "class", "add", "dev", dev, "parent", f"{major}:", "classid", f"{major}:1",
             "htb", "rate", "1gbit"])


def _traced(a, args, work):
    tr = Tracer(["qdisclat", "--netns", a.name] + args)
    try:
        work()
    finally:
        recs = tr.stop()
    assert recs[-2:] == [{"dropped_keys": 0}, {"lost_events": 0}], recs
    return recs


def test_tbf_standing_queue_in_milliseconds(netns_factory):
    a, b = quiet_pair(netns_factory)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "handle", "1:"] + TBF)
    recs = _traced(a, ["--dev", "veth0", "--stats"], lambda: send_udp(a, SENT, rx=b))
    (h,) = hists(recs)
    assert (h["ifname"], h["kind"], h["handle"], h["parent"]) == ("veth0", "tbf", "1:0", "root")
    # --stats: a failure shows skipped runs (MISSED) and the untimed counts
    assert count(h) == h["packets"] and tbf_count_ok(count(h), SENT), \
        (recs, a.exec(["tc", "-s", "qdisc", "show"]).stdout)
    # the 10k burst goes at once, the rest waits its turn at 125 kB/s:
    # the last one about 0.25 s
    assert median_from(h) >= 1024, h
    assert 65536 <= max(b["from"] for b in h["buckets"] if b["count"]) < 1 << 20, h
    assert h["qlen_max"] >= SENT // 2 and h["backlog_max"] >= (SENT // 2) * 1000, h
    assert 1 <= h["qlen_avg"] <= h["qlen_max"], h
    assert untimed(recs) == {"dropped": 0, "expired": 0, "unwalked": 0}


def test_a_full_table_counts_what_it_cannot_time(netns_factory):
    """--max-keys 1: one slot for the starts of packets in the qdisc. The
    tbf's burst goes through one at a time; then one datagram waits in the
    slot while the others queue behind it: each datagram is either timed
    or counted in dropped_keys, never both, never neither."""
    a, b = quiet_pair(netns_factory)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "handle", "1:"] + TBF)
    tr = Tracer(["qdisclat", "--netns", a.name, "--dev", "veth0", "--max-keys", "1"])
    try:
        send_udp(a, SENT, rx=b)
    finally:
        recs = tr.stop()
    (h,) = hists(recs)
    dk = dropped_keys(recs)
    assert tbf_count_ok(count(h) + dk, SENT) and dk >= SENT // 2, recs
    assert untimed(recs) == {"dropped": 0, "expired": 0, "unwalked": 0}, recs


def test_full_slots_are_named_in_the_message(netns_factory):
    """--max-keys 3: the starts' array rounds up to 4 slots while the
    histograms' hash holds 3. Behind the tbf the slots fill, and the
    message names the 4 slots that were full, not the hash's 3."""
    a, b = quiet_pair(netns_factory)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "handle", "1:"] + TBF)
    tr = Tracer(["qdisclat", "--netns", a.name, "--dev", "veth0", "--max-keys", "3"],
                json_mode=False)
    try:
        send_udp(a, SENT, rx=b)
    finally:
        tr.stop()
    assert "a kernel table of qdisclat was full at 4 entries (--max-keys N raises the limit)" \
        in tr.stderr, tr.stderr


def test_htb_in_microseconds_noqueue_none(netns_factory):
    a, b = quiet_pair(netns_factory)
    # noqueue (a veth's default): nothing enqueued, nothing timed
    recs = _traced(a, [], lambda: send_udp(a, SENT, rx=b))
    assert hists(recs) == [], recs
    _htb(a, "veth0", 2)
    recs = _traced(a, [], lambda: send_udp(a, SENT, rx=b))
    (h,) = hists(recs)
    assert (h["ifname"], h["kind"], h["handle"]) == ("veth0", "htb", "2:0"), h
    assert count(h) == SENT, h
    # an idle veth never stops its queue: dequeued right after the enqueue
    assert median_from(h) < 1024 and max(b["from"] for b in h["buckets"] if b["count"]) < 16384, h


def test_dev_filter_and_intervals(netns_factory):
    a, b = quiet_pair(netns_factory)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "handle", "1:"] + TBF)
    _htb(a, "lo", 3)  # a second device with a qdisc

    def work():
        send_udp(a, SENT, rx=b)
        send_udp(a, 7, dst="127.0.0.1")
    both = Tracer(["qdisclat", "--netns", a.name])
    try:
        recs = _traced(a, ["--dev", "veth0"], work)
    finally:
        all_recs = both.stop()
    (h,) = hists(recs)
    assert (h["ifname"], h["kind"]) == ("veth0", "tbf") and tbf_count_ok(count(h), SENT), recs
    got = {(h["ifname"], h["kind"]): count(h) for h in hists(all_recs)}
    # lo: the 7 datagrams and the 7 ICMP port unreachables answering them
    assert sorted(got) == [("lo", "htb"), ("veth0", "tbf")], all_recs
    assert got[("lo", "htb")] == 14 and tbf_count_ok(got[("veth0", "tbf")], SENT), all_recs
    # -i: a summary per interval, each with its time and its untimed record
    tr = Tracer(["qdisclat", "--netns", a.name, "-i", "0.2", "-n", "2"])
    tr.p.wait(timeout=20)  # -n 2: ends by itself
    recs = tr.stop()
    unt = [r for r in recs if "untimed" in r]
    assert len(unt) == 2 and all("time" in r for r in unt), recs


def test_fast_intervals_lose_nothing(netns_factory):
    """50 intervals a second while a hot qdisc counts 30,000 datagrams: the
    intervals add up to exactly what was sent (the table is swapped whole
    each interval; deleting entries of a live table lost the counts a
    program added to an entry it had just looked up)."""
    a, b = quiet_pair(netns_factory)
    _htb(a, "veth0", 4)
    n = 30000
    recs = _traced(a, ["--dev", "veth0", "-i", "0.02"], lambda: send_udp(a, n, rx=b))
    hs = hists(recs)
    # several intervals while it ran (how many depends on the send's speed)
    assert len(hs) >= 3, recs
    assert {(h["ifname"], h["kind"], h["handle"]) for h in hs} == {("veth0", "htb", "4:0")}
    lost = {k: sum(r["untimed"][k] for r in recs if "untimed" in r)
            for k in ("dropped", "expired", "unwalked")}
    assert (sum(count(h) for h in hs), lost) == (n, {"dropped": 0, "expired": 0, "unwalked": 0})
    assert sum(h["packets"] for h in hs) == n
