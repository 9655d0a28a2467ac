"""The DNS test responder answers exactly what its zone says, over UDP and
TCP, through libc and without it: the name-resolution tests rely on it."""
import time

from conftest import PY
from dns_responder import DnsResponder, ns_resolver, query_in

ZONE = {
    "fast.test": {"a": ["192.0.2.1", "192.0.2.11"], "aaaa": ["2001:db8::1"]},
    "slow.test": {"a": ["192.0.2.2"], "delay": 0.3},
    "fail.test": {"rcode": "SERVFAIL"},
    "quiet.test": {"silent": True},
}


def test_udp_tcp_rcodes_and_delay(netns):
    with DnsResponder(netns, ZONE) as srv:
        r = query_in(netns, "127.0.0.1", "fast.test")
        assert r["reply"]["rcode"] == "NOERROR" and r["reply"]["answers"] == ["192.0.2.1", "192.0.2.11"]
        r = query_in(netns, "127.0.0.1", "fast.test", qtype="AAAA", tcp=True)
        assert r["proto"] == "tcp" and r["reply"]["answers"] == ["2001:db8::1"]
        assert query_in(netns, "127.0.0.1", "nope.test")["reply"]["rcode"] == "NXDOMAIN"
        assert query_in(netns, "127.0.0.1", "fail.test")["reply"]["rcode"] == "SERVFAIL"
        r = query_in(netns, "127.0.0.1", "slow.test", txid=4242)
        assert r["id"] == 4242 and r["reply"]["id"] == 4242 and 0.3 <= r["elapsed"] < 3
        assert query_in(netns, "127.0.0.1", "quiet.test", timeout=0.5).get("timeout")
        seen = [(q["name"], q["qtype"], q["proto"], q["rcode"]) for q in srv.queries()]
        assert seen == [("fast.test", "A", "udp", "NOERROR"), ("fast.test", "AAAA", "tcp", "NOERROR"),
                        ("nope.test", "A", "udp", "NXDOMAIN"), ("fail.test", "A", "udp", "SERVFAIL"),
                        ("slow.test", "A", "udp", "NOERROR"), ("quiet.test", "A", "udp", None)]


def test_libc_uses_the_namespace_resolver(netns):
    with DnsResponder(netns, ZONE) as srv, ns_resolver(netns, "127.0.0.1") as d:
        out = netns.exec(["getent", "ahostsv4", "slow.test"]).stdout
        assert "192.0.2.2" in out
        t = time.monotonic()
        p = netns.exec([PY, "-c", "import socket; socket.getaddrinfo('nope.test', 80)"], check=False)
        assert p.returncode != 0 and "Name or service not known" in p.stderr
        assert time.monotonic() - t < 10
        assert "slow.test" in [q["name"] for q in srv.queries()]
    import os
    assert not os.path.exists(d)
