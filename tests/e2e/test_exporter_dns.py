"""netlens exporter's dns collector (off by default): queries of known types
over UDP and TCP against the test DNS responder (dns_responder.py) in the
served namespace give exactly the queries, rcodes, timeout and response
times sent; another namespace's are not counted; the scrape passes
promtool; the collector's thread ends cleanly with the exporter."""
import json
import os

import pytest

from conftest import PY, wait_for
from dns_responder import DnsResponder, query_in
from test_exporter import exporter_factory, promtool_check, samples, value  # noqa: F401
from test_exporter_bpf import check_hist, hist

ZONE = {
    "fast.test": {"a": ["192.0.2.1"], "aaaa": ["2001:db8::1"]},
    "slow.test": {"a": ["192.0.2.2"], "delay": 0.3},
    "fail.test": {"rcode": "SERVFAIL"},
    "refused.test": {"rcode": "REFUSED"},
    "quiet.test": {"silent": True},
}

# one query of type 99 (SPF: not among the collector's types, so OTHER)
# over UDP, answered NOERROR with no records
OTHER_TYPE = r"""
import socket, sys
sys.path.insert(0, sys.argv[1])
from dns_responder import build_query
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(build_query("fast.test", 99), ("127.0.0.1", 53))
print(len(s.recv(512)))
"""

# (name, type, over TCP)
QUERIES = [("fast.test", "A", False)] * 3 + [
    ("fast.test", "AAAA", False), ("nx.test", "A", False), ("nx.test", "A", False),
    ("fail.test", "A", False), ("refused.test", "A", False), ("slow.test", "A", False),
    ("fast.test", "A", True), ("nx.test", "MX", True), ("fast.test", "AAAA", True)]


def dns_series(s):
    """{(family, labels): value} of the collector's counter families."""
    return {(k[0], tuple(sorted(k[1]))): v for k, v in s.items()
            if k[0] in ("netlens_dns_queries_total", "netlens_dns_responses_total",
                        "netlens_dns_timeouts_total", "netlens_dns_lost_events_total")}


def expected():
    q = {}
    for _, t, tcp in QUERIES + [("quiet.test", "A", False)]:
        k = ("netlens_dns_queries_total", (("protocol", "tcp" if tcp else "udp"), ("qtype", t)))
        q[k] = q.get(k, 0) + 1
    q[("netlens_dns_queries_total", (("protocol", "udp"), ("qtype", "OTHER")))] = 1
    r = lambda code: ("netlens_dns_responses_total", (("rcode", code),))  # noqa: E731
    q.update({r("NOERROR"): 3 + 1 + 1 + 1 + 1 + 1, r("NXDOMAIN"): 3, r("SERVFAIL"): 1,
              r("REFUSED"): 1, ("netlens_dns_timeouts_total", ()): 1,
              ("netlens_dns_lost_events_total", ()): 0})
    return q


@pytest.mark.sanitize
@pytest.mark.threads
def test_dns_collector_counts_exactly(netns_factory, exporter_factory):
    served, other = netns_factory(), netns_factory()
    with DnsResponder(served, ZONE), DnsResponder(other, ZONE):
        assert "netlens_dns_" not in exporter_factory(served).metrics()  # off by default
        # tcp and drops off: under valgrind (make valgrind-test) libbpf's load of
        # their objects reports uninitialised reads; dnssnoop's does not
        e = exporter_factory(served, ["--collector.dns", "--no-collector.tcp",
                                      "--no-collector.drops"])
        s0 = samples(e.metrics())
        assert value(s0, "netlens_dns_queries_total", protocol="udp", qtype="A") == 0
        assert value(s0, "netlens_dns_response_duration_seconds_count") == 0
        # the unanswered query first: it times out (5 s) while the rest run
        assert query_in(served, "127.0.0.1", "quiet.test", timeout=0.2).get("timeout")
        answered = [query_in(served, "127.0.0.1", n, t, tcp=tcp) for n, t, tcp in QUERIES]
        assert all("reply" in a for a in answered), answered
        assert served.exec([PY, "-c", OTHER_TYPE, os.path.dirname(os.path.abspath(__file__))]
                           ).stdout.strip() != "0"
        # another namespace's exchanges are not the served one's
        query_in(other, "127.0.0.1", "fast.test")
        query_in(other, "127.0.0.1", "quiet.test", timeout=0.2)
        n_answered = len(QUERIES) + 1

        def settled():
            s = samples(e.metrics())
            return s if (value(s, "netlens_dns_timeouts_total") >= 1 and
                         value(s, "netlens_dns_response_duration_seconds_count")
                         >= n_answered) else None
        s = wait_for(settled, timeout=30, what="the timeout and every answer counted")
    assert dns_series(s) == expected(), json.dumps(sorted(map(str, dns_series(s).items())))
    buckets, total, count = hist(s, "netlens_dns_response_duration_seconds")
    check_hist(buckets, total, count)
    assert count == n_answered
    le = dict(buckets)
    # slow.test waits 0.3 s: in (0.262144, 0.524288]; the others are quick
    assert le[0.262144] == n_answered - 1 and le[0.524288] == n_answered
    assert 0.3 <= total < 0.3 + n_answered * 0.1
    assert value(s, "netlens_scrape_collector_success", collector="dns") == 1
    assert value(s, "netlens_bpf_runs_missed_total", collector="dns") == 0
    assert value(s, "netlens_bpf_dropped_keys_total", collector="dns") == 0
    text = e.metrics()
    promtool_check(text)
    assert "dns (on)" in e.get("/")[2]
    rc, err = e.stop()
    assert rc == 0 and "warning" not in err, err


def test_dns_collector_without_capability_is_off(exporter_factory):
    e = exporter_factory(None, ["--collector.dns"],
                         wrap=["setpriv", "--bounding-set=-sys_admin,-bpf,-perfmon"])
    assert "netlens_dns_" not in e.metrics()
    assert "dns (off: could not start" in e.get("/")[2]
    rc, err = e.stop()
    assert rc == 0
    assert "netlens: warning: collector dns disabled: needs CAP_BPF" in err, err
