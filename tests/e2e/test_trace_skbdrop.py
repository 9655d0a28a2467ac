"""skbdrop and tcpdrop: a UDP datagram to a closed port, a flooded UDP
socket with a tiny receive buffer that never reads, and nftables drops;
each with the reason named from the kernel's BTF and the packet's tuple."""
import json
import textwrap

from conftest import PY, run, run_json, veth_pair
from trace_util import Tracer, dropped_keys, events, workload

L = "127.0.0.1"
FLOOD = 200

SCRIPT = textwrap.dedent("""
    import json, socket, sys
    closed, full, nft, tcpnft = (int(a) for a in sys.argv[1:5])
    def udp(port=0):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        return s
    # 1. nothing listens on `closed`
    a = udp(); a.sendto(b"x" * 10, ("127.0.0.1", closed))
    # 2. a receiver with the smallest buffer, never read
    r = udp(full); r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    b = udp()
    for _ in range(%d):
        b.sendto(b"y" * 1000, ("127.0.0.1", full))
    # 3. nftables drops udp to `nft` and tcp to `tcpnft`
    c = udp(); c.sendto(b"z" * 20, ("127.0.0.1", nft))
    t = socket.socket(); t.setblocking(False); t.bind(("127.0.0.1", 0))
    t.connect_ex(("127.0.0.1", tcpnft)); tsport = t.getsockname()[1]; t.close()
    print(json.dumps(dict(a=a.getsockname()[1], b=b.getsockname()[1], c=c.getsockname()[1],
                          t=tsport)))
""" % FLOOD)

CLOSED, FULL, NFT, TCPNFT = 40009, 40010, 40011, 40012
NF_LOC = ("nft_do_chain+", "nf_hook_slow+")  # 6.18: nft_do_chain


def _setup(ns):
    ns.exec(["nft", "add", "table", "inet", "t"])
    ns.exec(["nft", "add", "chain", "inet", "t", "c", "{ type filter hook input priority 0; }"])
    ns.exec(["nft", "add", "rule", "inet", "t", "c", "udp", "dport", str(NFT), "drop"])
    ns.exec(["nft", "add", "rule", "inet", "t", "c", "tcp", "dport", str(TCPNFT), "drop"])


def _run(ns):
    p = ns.exec([PY, "-c", SCRIPT, str(CLOSED), str(FULL), str(NFT), str(TCPNFT)], timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


def rcvbuf_errors(ns):
    rows = run_json(["nstat", "-azs", "UdpRcvbufErrors"], ns=ns.name)
    return {r["counter"]: r["value"] for r in rows}["UdpRcvbufErrors"]


def flow(e):
    return (e["proto"], e["saddr"], e["sport"], e["daddr"], e["dport"])


def test_skbdrop_reasons_and_tuples(netns):
    _setup(netns)
    tr = Tracer(["skbdrop", "--netns", netns.name, "-K"])
    tcp = Tracer(["tcpdrop", "--netns", netns.name])
    try:
        before = rcvbuf_errors(netns)
        r = _run(netns)
        grown = rcvbuf_errors(netns) - before
    finally:
        recs, trecs = tr.stop(), tcp.stop()
    evs = events(recs)
    assert recs[-1] == {"lost_events": 0}
    by = {}
    for e in evs:
        by.setdefault(flow(e), []).append(e)
    # 1. closed port
    (e,) = by.pop(("udp4", L, r["a"], L, CLOSED))
    assert (e["reason"], e["ifname"], e["len"]) == ("NO_SOCKET", "lo", 18), e
    assert e["location"].startswith("__udp4_lib_rcv+0x"), e
    assert any(f.startswith("__udp4_lib_rcv+") for f in e["stack"]), e["stack"]
    assert not e["stack"][0].startswith(("bpf_", "__traceiter")), e["stack"]
    # 2. full receive buffer: as many as the namespace's UdpRcvbufErrors
    full = by.pop(("udp4", L, r["b"], L, FULL))
    assert {e["reason"] for e in full} == {"SOCKET_RCVBUFF"}
    assert 0 < len(full) == grown < FLOOD
    # 3. nftables
    (e,) = by.pop(("udp4", L, r["c"], L, NFT))
    assert e["reason"] == "NETFILTER_DROP" and e["location"].startswith(NF_LOC), e
    (e,) = by.pop(("tcp4", L, r["t"], L, TCPNFT))
    assert e["reason"] == "NETFILTER_DROP", e
    assert by == {}, by
    # tcpdrop: the TCP one only, with its flags
    (t,) = events(trecs)
    assert flow(t) == ("tcp4", L, r["t"], L, TCPNFT)
    assert (t["reason"], t["tcp_flags"], t["state"]) == ("NETFILTER_DROP", "SYN", "-"), t


def test_skbdrop_summaries(netns):
    _setup(netns)
    by_reason = Tracer(["skbdrop", "--netns", netns.name, "-s"])
    # no filter: the packet's headers, device and socket are not read at
    # all (host-wide, so other drops may add to the counts)
    host = Tracer(["skbdrop", "-s"])
    by_loc = Tracer(["skbdrop", "--netns", netns.name, "--by", "location"])
    by_flow = Tracer(["skbdrop", "--netns", netns.name, "--by", "flow"])
    only = Tracer(["skbdrop", "--netns", netns.name, "--reason", "no_socket"])
    port = Tracer(["skbdrop", "--netns", netns.name, "--lport", str(NFT)])
    try:
        before = rcvbuf_errors(netns)
        r = _run(netns)
        grown = rcvbuf_errors(netns) - before
    finally:
        rr, rl, rf, ro, rp, rh = (t.stop() for t in (by_reason, by_loc, by_flow, only, port,
                                                    host))
    # summaries end with the lost_events record too
    assert all(r[-1] == {"lost_events": 0} for r in (rr, rl, rf, ro, rp)), (rr, rl, rf, ro, rp)
    rr, rl, rf, rh = events(rr), events(rl), events(rf), events(rh)
    assert {x["reason"]: x["packets"] for x in rr} == \
        {"NO_SOCKET": 1, "SOCKET_RCVBUFF": grown, "NETFILTER_DROP": 2}
    on_host = {x["reason"]: x["packets"] for x in rh}
    assert on_host["SOCKET_RCVBUFF"] >= grown and on_host["NETFILTER_DROP"] >= 2, rh
    locs = {(x["reason"], x["location"].split("+")[0]): x["packets"] for x in rl}
    assert locs[("NO_SOCKET", "__udp4_lib_rcv")] == 1
    assert sum(n for (why, fn), n in locs.items()
               if why == "NETFILTER_DROP" and fn + "+" in NF_LOC) == 2
    assert sum(locs.values()) == 3 + grown
    flows = {(flow(x), x["reason"]): x["packets"] for x in rf}
    assert flows == {
        (("udp4", L, r["a"], L, CLOSED), "NO_SOCKET"): 1,
        (("udp4", L, r["b"], L, FULL), "SOCKET_RCVBUFF"): grown,
        (("udp4", L, r["c"], L, NFT), "NETFILTER_DROP"): 1,
        (("tcp4", L, r["t"], L, TCPNFT), "NETFILTER_DROP"): 1,
    }
    assert [(flow(e), e["reason"]) for e in events(ro)] == \
        [(("udp4", L, r["a"], L, CLOSED), "NO_SOCKET")]
    assert [flow(e) for e in events(rp)] == [("udp4", L, r["c"], L, NFT)]


BURST = 30


def test_skbdrop_stack_of_every_drop_in_a_burst(netns):
    # identical drops name one stack id; the first read used to delete it,
    # so the rest of the burst printed "[stack lost]"
    tr = Tracer(["skbdrop", "--netns", netns.name, "-K", "--reason", "NO_SOCKET"])
    try:
        netns.exec([PY, "-c", textwrap.dedent("""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(%d):
                s.sendto(b"x", ("127.0.0.1", %d))
        """ % (BURST, CLOSED))], timeout=60)
    finally:
        recs = tr.stop()
    evs = events(recs)
    assert len(evs) == BURST and recs[-1] == {"lost_events": 0}, recs
    for e in evs:
        assert any(f.startswith("__udp4_lib_rcv+") for f in e["stack"]), e
    # the burst did repeat stacks (the first send may take another path)
    assert len({tuple(e["stack"]) for e in evs}) <= 2


def test_skbdrop_stack_text_burst(netns):
    tr = Tracer(["skbdrop", "--netns", netns.name, "-K", "--reason", "NO_SOCKET"],
                json_mode=False)
    try:
        netns.exec([PY, "-c", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    f"for _ in range({BURST}): s.sendto(b'x', ('127.0.0.1', {CLOSED}))"],
                   timeout=60)
    finally:
        out = tr.stop()
    assert out.count("NO_SOCKET") == BURST and "[stack" not in out, out
    assert out.count("__udp4_lib_rcv+") >= 2 * BURST  # LOCATION and a frame


def test_skbdrop_flows_say_what_did_not_fit(netns):
    # 40 SYNs to closed ports, each dropped once (NO_SOCKET) as its own
    # flow: a table of 16 counts the first 16 exactly and reports 24
    tr = Tracer(["skbdrop", "--netns", netns.name, "--by", "flow", "--reason", "NO_SOCKET",
                 "--max-keys", "16"])
    try:
        workload(netns, "refuse", "--port", 2000, "--ports", 40)
    finally:
        recs = tr.stop()
    rows = events(recs)
    assert sorted((x["proto"], x["daddr"], x["dport"], x["reason"], x["packets"]) for x in rows) \
        == [("tcp4", L, p, "NO_SOCKET", 1) for p in range(2000, 2016)], rows
    assert dropped_keys(recs) == 24 and recs[-1] == {"lost_events": 0}


DEV_SCRIPT = textwrap.dedent("""
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for addr in sys.argv[1:]:
        s.sendto(b"d" * 7, (addr, 40013))
""")


def test_skbdrop_dev_keeps_only_that_device(netns_factory):
    """Two drops in one namespace, one arriving on veth0, one on lo:
    --dev veth0 (a name, looked up in --netns's namespace) keeps the first,
    --dev with lo's ifindex the second."""
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b)
    b.exec(["ip", "link", "set", "lo", "up"])
    # -4: a new veth's IPv6 (MLD, DAD) packets can be dropped on it too
    by_name = Tracer(["skbdrop", "-4", "--netns", b.name, "--dev", "veth0"])
    by_index = Tracer(["skbdrop", "-4", "--netns", b.name, "--dev", "1"])
    try:
        a.exec([PY, "-c", DEV_SCRIPT, "10.199.0.2"], timeout=30)
        b.exec([PY, "-c", DEV_SCRIPT, "127.0.0.1"], timeout=30)
    finally:
        named, indexed = by_name.stop(), by_index.stop()
    (v,) = events(named)
    assert (v["ifname"], v["saddr"], v["daddr"], v["reason"]) == \
        ("veth0", "10.199.0.1", "10.199.0.2", "NO_SOCKET"), v
    (lo,) = events(indexed)
    assert (lo["ifname"], lo["daddr"]) == ("lo", "127.0.0.1"), lo


def test_skbdrop_dev_that_does_not_exist_is_refused(netns):
    p = run(["skbdrop", "--netns", netns.name, "--dev", "nosuch0"], check=False)
    assert p.returncode == 2 and p.stdout == "", p
    assert p.stderr.count("\n") == 1 and "--dev nosuch0: no such device" in p.stderr, p.stderr
    p = run(["-j", "skbdrop", "--dev", "x" * 20], check=False)
    assert p.returncode == 2 and "device name" in json.loads(p.stdout)["error"], p.stdout
