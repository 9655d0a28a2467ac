"""tcprtt: the smoothed-RTT histogram moves up by orders of magnitude when a
tbf qdisc shapes the sender's side of a veth (its queue adds up to 50 ms)."""
import re

from conftest import NETLENS  # noqa: F401  (documents which binary is tested)
from conftest import run, veth_pair
from trace_util import Server, Tracer, workload

BULK = 1_500_000


def _median_from(hist):
    """Lower bound (us) of the bucket holding the median sample."""
    total = sum(b["count"] for b in hist["buckets"])
    seen = 0
    for b in hist["buckets"]:
        seen += b["count"]
        if seen * 2 >= total:
            return b["from"]
    raise AssertionError(hist)


def _measure(a, b, extra=()):
    srv = Server(b, "--addr", "10.199.0.2", "--recv", BULK)
    tr = Tracer(["tcprtt", "--netns", a.name, "--rport", str(srv.port)] + list(extra))
    try:
        workload(a, "client", "--addr", "10.199.0.2", "--port", srv.port, "--send", BULK)
        srv.wait()
    finally:
        recs = tr.stop()
    hists = [r["histogram"] for r in recs if "histogram" in r]
    assert len(hists) == 1, recs
    h = hists[0]
    assert h["unit"] == "usecs" and h["scale"] == "log2"
    assert sum(x["count"] for x in h["buckets"]) >= 5
    return h


def test_shaped_link_raises_rtt(netns_factory):
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b)
    plain = _measure(a, b)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "tbf", "rate", "10mbit",
            "burst", "32kbit", "latency", "50ms"])
    shaped = _measure(a, b, ["--by", "raddr"])
    assert shaped["name"].endswith("raddr 10.199.0.2")
    m_plain, m_shaped = _median_from(plain), _median_from(shaped)
    # 10 Mbit/s with a 50 ms queue: RTTs of milliseconds to tens of them;
    # an idle veth: tens to hundreds of microseconds
    assert m_shaped >= 2048, (plain, shaped)
    assert m_shaped >= 8 * max(m_plain, 1), (plain, shaped)
    assert max(x["from"] for x in shaped["buckets"]) < 1 << 18  # < 0.5 s


def test_by_rport_and_interval(netns):
    srv = Server(netns, "--recv", 300_000)
    tr = Tracer(["tcprtt", "--netns", netns.name, "--by", "rport", "-P", str(srv.port)])
    try:
        workload(netns, "client", "--port", srv.port, "--send", 300_000)
        srv.wait()
    finally:
        recs = tr.stop()
    names = sorted(r["histogram"]["name"] for r in recs if "histogram" in r)
    assert f"Smoothed RTT, rport {srv.port}" in names
    assert len(names) == 2  # the server's side: rport is the client's port


def test_text_bars(netns):
    srv = Server(netns, "--recv", 100_000)
    tr = Tracer(["tcprtt", "--netns", netns.name], json_mode=False)
    try:
        workload(netns, "client", "--port", srv.port, "--send", 100_000)
        srv.wait()
    finally:
        out = tr.stop()
    assert "Smoothed RTT" in out and "usecs" in out and "|*" in out and "samples, mean" in out


def test_bad_by():
    p = run(["tcprtt", "--by", "pid"], check=False)
    assert p.returncode == 2 and "--by" in p.stderr


def test_interval_summaries_are_stamped(netns):
    # -i prints a summary per interval, each after a blank line and the
    # wall-clock time; a namespace without traffic has no samples
    p = run(["tcprtt", "--netns", netns.name, "-i", "0.2", "-d", "0.5"])
    stamps = re.findall(r"^\n(\d\d:\d\d:\d\d)\nSmoothed RTT\n  \(no samples\)$", "\n" + p.stdout,
                        re.M)
    assert len(stamps) >= 2, p.stdout
