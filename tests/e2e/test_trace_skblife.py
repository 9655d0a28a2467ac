"""skblife against known traffic on a veth pair between two namespaces
(10.203.0.0/24): echo requests consumed in the receiver's namespace, and
UDP datagrams to a closed port dropped there as NO_SOCKET, exactly as many
as were sent; per device, per allocating process, -i histograms with their
time, text bars, the skbuff caches learned from a TCP transfer."""
import json
import os
import time

import pytest
from conftest import PY, run as run_cmd, veth_pair, wait_for
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, dropped_keys, events

A, B = "10.203.0.1", "10.203.0.2"
PINGS, DROPS = 5, 7
CLOSED = 5009

SEND = ("import os, socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for _ in range(%d):\n"
        "    s.sendto(b'x' * 100, (sys.argv[1], int(sys.argv[2])))\n"
        "print(os.getpid())\n" % DROPS)

BULK = 1 << 20
TCP = ("import socket, sys, threading\n"
       "l = socket.socket(); l.bind((sys.argv[1], 0)); l.listen(1)\n"
       "def serve():\n"
       "    c, _ = l.accept()\n"
       "    while c.recv(1 << 16): pass\n"
       "t = threading.Thread(target=serve); t.start()\n"
       "s = socket.create_connection(l.getsockname()); s.sendall(b'y' * %d); s.close()\n"
       "t.join()\n" % BULK)


def pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    for ns in (a, b):  # no IPv6 neighbour discovery or MLD
        ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        ns.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
    veth_pair(a, b, A + "/24", B + "/24")
    return a, b


def traffic(a):
    """PINGS echo requests and DROPS datagrams to a closed port, A to B;
    the sender's pid."""
    a.exec(["ping", "-c", str(PINGS), "-i", "0.01", "-q", B], timeout=30)
    return int(a.exec([PY, "-c", SEND, B, str(CLOSED)]).stdout.split()[-1])


def skblife(*args, json_mode=True):
    return Tracer(["skblife"] + [str(a) for a in args], json_mode=json_mode)


def hists(recs):
    """{(end, reason, ifname or comm): (count, record)}."""
    out = {}
    for r in events(recs):
        if "skbs" in r:
            continue
        h = r["histogram"]
        assert (h["unit"], h["scale"]) == ("nsecs", "log2"), h
        assert sum(b["count"] for b in h["buckets"]) == h["count"], h
        assert h["total_ns"] >= h["count"], h
        key = (h["end"], h.get("reason"), h.get("ifname", h.get("comm")))
        assert key not in out, recs
        out[key] = (h["count"], h)
    return out


def skbs(recs):
    (s,) = [r["skbs"] for r in recs if "skbs" in r]
    return s


def test_consumed_and_dropped_by_reason(netns_factory):
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name)
    try:
        traffic(a)
    finally:
        recs = tr.stop()
    h = hists(recs)
    # the echo requests end in B (the replies in A); ARP may add to it
    assert h[("consumed", None, None)][0] >= PINGS, recs
    n, rec = h[("dropped", "NO_SOCKET", None)]
    assert n == DROPS, recs
    assert rec["name"] == "dropped: NO_SOCKET" and rec["reason_code"] > 0, rec
    s = skbs(recs)
    assert s["births"] >= PINGS + DROPS and s["ends"] >= PINGS + DROPS, s
    assert s["caches_known"] >= 1, s
    # (a run of a hook nested on a CPU, skipped by the kernel, adds
    # "skipped_runs" to the last record: host-wide, not this test's)
    assert dropped_keys(recs) == 0 and recs[-1]["lost_events"] == 0, recs[-2:]


def test_by_dev_and_dev_filter(netns_factory):
    a, b = pair(netns_factory)
    by_dev = skblife("--netns", b.name, "--by", "dev")
    lo = skblife("--netns", b.name, "--dev", "lo")
    veth = skblife("--netns", b.name, "--dev", "veth0")
    try:
        traffic(a)
    finally:
        rd, rl, rv = by_dev.stop(), lo.stop(), veth.stop()
    n, rec = hists(rd)[("dropped", "NO_SOCKET", "veth0")]
    assert n == DROPS, rd
    assert rec["netns"] == os.stat(f"/run/netns/{b.name}").st_ino and rec["ifindex"] > 0, rec
    assert rec["name"] == f"dropped: NO_SOCKET, veth0 (ifindex {rec['ifindex']}, " \
                          f"netns {rec['netns']})", rec
    assert ("dropped", "NO_SOCKET", None) not in hists(rl), rl
    assert hists(rv)[("dropped", "NO_SOCKET", None)][0] == DROPS, rv


def test_by_pid_names_the_allocating_process(netns_factory):
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name, "--by", "pid")
    try:
        pid = traffic(a)
    finally:
        recs = tr.stop()
    drops = [r for (end, reason, _), (_, r) in hists(recs).items() if reason == "NO_SOCKET"]
    assert [(r["pid"], r["comm"], r["count"]) for r in drops] == [(pid, "python3", DROPS)], recs


def test_tcp_transfer_teaches_both_caches(netns):
    tr = skblife("--netns", netns.name)
    try:
        netns.exec([PY, "-c", TCP, "127.0.0.1"], timeout=60)
    finally:
        recs = tr.stop()
    # TCP sends from skbuff_fclone_cache, its ACKs from skbuff_head_cache;
    # it frees most of its skbs with __kfree_skb(), which has no tracepoint:
    # they end at the slab free, as "freed"
    assert skbs(recs)["caches_known"] == 2, recs
    assert hists(recs)[("freed", None, None)][0] > 0, recs


def test_interval_histograms_carry_the_time(netns_factory):
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name, "-i", "0.2")
    try:
        t0 = time.time()
        traffic(a)
        wait_for(lambda: tr._read(tr.out).count('"NO_SOCKET"') >= 1, timeout=10,
                 what="a NO_SOCKET histogram")
    finally:
        recs = tr.stop()
    evs = [r for r in events(recs) if "histogram" in r]
    assert evs and all(t0 - 1 < r["time"] < time.time() for r in evs), evs
    assert sum(r["histogram"]["count"] for r in evs
               if r["histogram"].get("reason") == "NO_SOCKET") == DROPS, evs
    # a counters record per interval
    assert len([r for r in recs if "skbs" in r]) >= 2, recs


MANY = 2000
SEND_MANY = ("import socket, sys\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "for _ in range(%d):\n"
             "    s.sendto(b'x', (sys.argv[1], int(sys.argv[2])))\n" % MANY)


def test_host_wide_end_histograms_count_each_skb_once(netns_factory):
    """Without --by or a filter the histograms are a per-CPU array, not
    the hash (bpf/skblife.h, SKBLIFE_END_SLOTS), read as differences
    between intervals: host-wide, every -i 0.2, MANY datagrams to a closed
    port are counted once over the intervals, never lost and never shown
    again in a later one (the host's other drops, if any, add a few; a
    repeat would add MANY), as the --netns run beside it (the hash)
    counts them."""
    a, b = pair(netns_factory)
    host = skblife("-i", "0.2")
    filtered = skblife("--netns", b.name)
    try:
        a.exec([PY, "-c", SEND_MANY, B, str(CLOSED)])
        wait_for(lambda: host._read(host.out).count('"NO_SOCKET"') >= 1, timeout=10,
                 what="a NO_SOCKET histogram")
        seen = host._read(host.out).count('"skbs"')
        wait_for(lambda: host._read(host.out).count('"skbs"') >= seen + 2, timeout=10,
                 what="two more intervals")
    finally:
        recs = host.stop()
        frecs = filtered.stop()
    n = sum(r["histogram"]["count"] for r in events(recs)
            if "histogram" in r and r["histogram"].get("reason") == "NO_SOCKET")
    assert MANY <= n < MANY * 3 // 2, n
    assert hists(frecs)[("dropped", "NO_SOCKET", None)][0] == MANY, frecs


def test_text_bars(netns_factory):
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name, json_mode=False)
    try:
        traffic(a)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    i = lines.index("dropped: NO_SOCKET")
    assert lines[i + 1].split() == ["nsecs", ":", "count", "distribution"], out
    rest = lines[i + 2:]
    end = next(n for n, l in enumerate(rest) if "->" not in l)
    assert sum(int(l.split(":")[1].split()[0]) for l in rest[:end]) == DROPS, out
    assert rest[end].split(":")[1].split()[:2] == [str(DROPS), "skbs,"], out
    assert lines[-1].startswith("skbs (all namespaces): "), out


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPUs")
def test_ends_on_two_cpus_add_up(netns_factory):
    """The kernel keeps a histogram per CPU (one writer each, no atomics):
    datagrams sent, and so dropped, on two CPUs make one histogram."""
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name)
    try:
        for cpu in (0, 1):
            a.exec(["taskset", "-c", str(cpu), PY, "-c", SEND, B, str(CLOSED)])
    finally:
        recs = tr.stop()
    assert hists(recs)[("dropped", "NO_SOCKET", None)][0] == 2 * DROPS, recs


def test_full_table_counts_dropped_keys(netns_factory):
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name, "--max-keys", "1")
    try:
        traffic(a)
    finally:
        recs = tr.stop()
    assert dropped_keys(recs) > 0, recs


def test_json_shape_empty(netns):
    p = run_cmd(["-j", "skblife", "--netns", netns.name, "-d", "0.2"])
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    # (the last may add "skipped_runs": nested runs, host-wide)
    assert [list(r)[0] for r in recs] == ["skbs", "dropped_keys", "lost_events"], p.stdout
    assert sorted(recs[0]["skbs"]) == ["births", "caches_known", "ends", "evicted", "foreign",
                                       "replaced", "unborn"]
    p = run_cmd(["skblife", "--netns", netns.name, "-d", "0.2"])
    assert p.stdout.startswith("skb lifetimes\n  (no samples)\nskbs (all namespaces): "), p.stdout


def test_bad_by_is_one_error_line():
    p = run_cmd(["-j", "skblife", "--by", "flow"], check=False)
    assert p.returncode == 2 and p.stdout.count("\n") == 1 and '"error"' in p.stdout, p
    assert "expected end, dev or pid, got 'flow'" in p.stdout, p


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("skblife")


def test_raw_tp_fallback_counts_the_same(netns_factory, monkeypatch):
    monkeypatch.setenv("NETLENS_NO_TP_BTF", "1")
    a, b = pair(netns_factory)
    tr = skblife("--netns", b.name)
    try:
        traffic(a)
    finally:
        recs = tr.stop()
    assert "raw_tp/kmem_cache_alloc" in tr.stderr and "tp_btf/" not in tr.stderr, tr.stderr
    assert hists(recs)[("dropped", "NO_SOCKET", None)][0] == DROPS, recs
