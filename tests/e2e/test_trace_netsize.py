"""netsize against known traffic on a veth pair between two namespaces
(10.203.0.0/24): UDP datagrams of known sizes in their log2 buckets, exactly,
on the sender's device (tx) and the receiver's (rx); a TCP bulk transfer
sent as GSO super-packets shows more than one segment per packet; the
device filter, -i histograms with their time, text bars, a full table."""
import json
import os
import subprocess
import time

import pytest

from conftest import PY, run as run_cmd, veth_pair, wait_for
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, dropped_keys, events

A, B = "10.203.0.1", "10.203.0.2"
PORT = 5003
SMALL, BIG = 7, 5  # datagrams of 100 and 1400 bytes of payload
# with Ethernet (14), IPv4 (20) and UDP (8) headers: 142 and 1442 bytes on
# transmit; received, the Ethernet header is pulled: 128 and 1428
UDP_BUCKETS = {128: SMALL, 1024: BIG}

SEND = ("import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for n, size in ((%d, 100), (%d, 1400)):\n"
        "    for _ in range(n):\n"
        "        s.sendto(b'x' * size, (sys.argv[1], int(sys.argv[2])))\n" % (SMALL, BIG))

SINK = ("import socket, sys\n"
        "s = socket.socket(socket.AF_INET, sys.argv[3] == 'tcp' and socket.SOCK_STREAM"
        " or socket.SOCK_DGRAM)\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind((sys.argv[1], int(sys.argv[2])))\n"
        "if sys.argv[3] == 'tcp':\n"
        "    s.listen(1); print('ready', flush=True); c, _ = s.accept()\n"
        "    n = 0\n"
        "    while True:\n"
        "        d = c.recv(1 << 20)\n"
        "        if not d: break\n"
        "        n += len(d)\n"
        "    print(n, flush=True)\n"
        "else:\n"
        "    print('ready', flush=True)\n"
        "    n = 0\n"
        "    while n < int(sys.argv[4]):\n"
        "        s.recv(65536); n += 1\n"
        "    print(n, flush=True)\n")

BULK = 4 << 20
TCP_SEND = ("import socket, sys\n"
            "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
            "s.sendall(b'y' * %d); s.close()\n" % BULK)


def pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    for ns in (a, b):  # no IPv6 neighbour discovery or MLD in the counts
        ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        ns.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
    veth_pair(a, b, A + "/24", B + "/24")
    return a, b


def sink(ns, proto, count=0):
    p = ns.popen([PY, "-c", SINK, B, str(PORT), proto, str(count)], stdout=subprocess.PIPE,
                 text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def udp(a, b):
    p = sink(b, "udp", SMALL + BIG)
    a.exec([PY, "-c", SEND, B, str(PORT)])
    assert p.stdout.readline().strip() == str(SMALL + BIG)
    p.wait(timeout=10)


def tcp(a, b):
    p = sink(b, "tcp")
    a.exec([PY, "-c", TCP_SEND, B, str(PORT)], timeout=60)
    assert p.stdout.readline().strip() == str(BULK)
    p.wait(timeout=10)


def netsize(*args, json_mode=True):
    return Tracer(["netsize"] + [str(a) for a in args], json_mode=json_mode)


def hists(recs, unit="bytes"):
    """{(ifname, dir): ({from: count}, record)} of the histograms in unit."""
    out = {}
    for r in events(recs):
        h = r["histogram"]
        assert h["scale"] == "log2", h
        if h["unit"] != unit:
            continue
        key = (h["ifname"], h["dir"])
        assert key not in out, recs
        out[key] = ({b["from"]: b["count"] for b in h["buckets"] if b["count"]}, h)
    return out


def only_udp(buckets):
    return {k: v for k, v in buckets.items() if k in UDP_BUCKETS}


def test_udp_sizes_in_their_buckets_per_direction(netns_factory):
    a, b = pair(netns_factory)
    ta, tb = netsize("--netns", a.name), netsize("--netns", b.name, "--dev", "veth0")
    try:
        udp(a, b)
    finally:
        ra, rb = ta.stop(), tb.stop()
    ha, hb = hists(ra), hists(rb)
    # the other packets on the wire (ARP) are smaller than 128 bytes
    assert only_udp(ha[("veth0", "tx")][0]) == UDP_BUCKETS, ra
    assert only_udp(hb[("veth0", "rx")][0]) == UDP_BUCKETS, rb
    assert set(hb) == {("veth0", "rx"), ("veth0", "tx")}, rb
    for h in (ha[("veth0", "tx")][1], hb[("veth0", "rx")][1]):
        assert h["gso_packets"] == 0 and h["wire_segs"] == h["packets"], h
        assert h["name"] == f"veth0 {h['dir']} bytes (ifindex {h['ifindex']}, netns {h['netns']})"
    assert os.stat(f"/run/netns/{b.name}").st_ino == hb[("veth0", "rx")][1]["netns"]
    tx = ha[("veth0", "tx")][1]
    assert tx["bytes"] >= SMALL * 142 + BIG * 1442, tx
    # no segment histogram without GSO packets
    assert hists(ra, "segments") == {} and hists(rb, "segments") == {}
    # (a run of a hook nested on a CPU, skipped by the kernel, adds
    # "skipped_runs" to the last record: host-wide, not this test's)
    assert dropped_keys(ra) == 0 and ra[-1]["lost_events"] == 0, ra[-2:]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPUs")
def test_a_devices_cpus_add_up(netns_factory):
    """The kernel keeps an entry per device, direction and CPU (one writer
    each, plain adds): the datagrams sent from CPU 0 and from CPU 1 (veth
    transmits, and the receiver receives, on the sender's CPU) make one
    histogram per direction with both sends in it."""
    a, b = pair(netns_factory)
    tr = netsize("--netns", b.name, "--dev", "veth0")
    try:
        for cpu in (0, 1):
            p = sink(b, "udp", SMALL + BIG)
            a.exec(["taskset", "-c", str(cpu), PY, "-c", SEND, B, str(PORT)])
            assert p.stdout.readline().strip() == str(SMALL + BIG)
            p.wait(timeout=10)
    finally:
        recs = tr.stop()
    assert only_udp(hists(recs)[("veth0", "rx")][0]) == {k: 2 * v for k, v in UDP_BUCKETS.items()}, \
        recs


def test_tcp_bulk_gso_packets_have_segments(netns_factory):
    a, b = pair(netns_factory)
    ta, tb = netsize("--netns", a.name), netsize("--netns", b.name)
    try:
        tcp(a, b)
    finally:
        ra, rb = ta.stop(), tb.stop()
    for recs, d in ((ra, "tx"), (rb, "rx")):
        segs, h = hists(recs, "segments")[("veth0", d)]
        assert h["gso_packets"] > 0 and h["wire_segs"] > h["packets"], h
        assert sum(c for f, c in segs.items() if f >= 2) > 0, segs
        assert sum(segs.values()) == h["gso_packets"], (segs, h)
        # a super-packet is bigger than the MTU
        sizes, _ = hists(recs)[("veth0", d)]
        assert any(f >= 2048 for f in sizes), sizes


def test_dev_filter(netns_factory):
    a, b = pair(netns_factory)
    lo = netsize("--netns", b.name, "--dev", "lo")
    try:
        udp(a, b)
    finally:
        recs = lo.stop()
    assert events(recs) == [], recs


def test_interval_histograms_carry_the_time(netns_factory):
    a, b = pair(netns_factory)
    tr = netsize("--netns", b.name, "-i", "0.2")
    try:
        t0 = time.time()
        udp(a, b)
        wait_for(lambda: tr._read(tr.out).count('"rx"') >= 1, timeout=10, what="a histogram")
    finally:
        recs = tr.stop()
    evs = events(recs)
    assert evs and all(t0 - 1 < r["time"] < time.time() for r in evs), evs
    tot = {}
    for r in evs:
        h = r["histogram"]
        if (h["dir"], h["unit"]) != ("rx", "bytes"):
            continue
        for x in h["buckets"]:
            if x["count"] and x["from"] in UDP_BUCKETS:
                tot[x["from"]] = tot.get(x["from"], 0) + x["count"]
    assert tot == UDP_BUCKETS, evs


def test_text_bars(netns_factory):
    a, b = pair(netns_factory)
    tr = netsize("--netns", b.name, json_mode=False)
    try:
        udp(a, b)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    i = next(n for n, l in enumerate(lines) if l.startswith("veth0 rx bytes (ifindex "))
    assert lines[i + 1].split() == ["bytes", ":", "count", "distribution"], out
    bars = {}
    for l in lines[i + 2:]:
        if "->" not in l:
            break
        bars[l.split(":")[0].strip()] = int(l.split(":")[1].split()[0])
    assert (bars["128 -> 255"], bars["1024 -> 2047"]) == (SMALL, BIG), out


def test_full_table_counts_dropped_keys(netns_factory):
    a, b = pair(netns_factory)
    tr = netsize("--netns", b.name, "--max-keys", "1")
    try:
        udp(a, b)
    finally:
        recs = tr.stop()
    # the first packet (B's ARP reply is sent after A's request arrives: rx
    # comes first) takes the one key; every transmitted packet is refused
    assert list(hists(recs)) == [("veth0", "rx")], recs
    assert dropped_keys(recs) > 0


def test_json_shape_empty(netns):
    p = run_cmd(["-j", "netsize", "--netns", netns.name, "-d", "0.2"])
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    # (the last may add "skipped_runs": nested runs, host-wide)
    assert recs[0] == {"dropped_keys": 0} and recs[1]["lost_events"] == 0, p.stdout
    assert len(recs) == 2, p.stdout
    p = run_cmd(["netsize", "--netns", netns.name, "-d", "0.2"])
    assert p.stdout == "Packet sizes\n  (no packets)\n", p.stdout


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("netsize")


def test_raw_tp_fallback_counts_the_same(netns_factory, monkeypatch):
    monkeypatch.setenv("NETLENS_NO_TP_BTF", "1")
    a, b = pair(netns_factory)
    tr = netsize("--netns", b.name)
    try:
        udp(a, b)
    finally:
        recs = tr.stop()
    assert "raw_tp/netif_receive_skb" in tr.stderr and "tp_btf/" not in tr.stderr, tr.stderr
    assert only_udp(hists(recs)[("veth0", "rx")][0]) == UDP_BUCKETS, recs


def test_probe_read_fallback_counts_the_same(netns_factory, monkeypatch):
    # a kernel without bpf_rdonly_cast() (before 6.2) refuses the _cast
    # programs, which read the shared info with plain loads; the tp_btf ones
    # that read it with a helper load instead, and read the same segments
    a, b = pair(netns_factory)
    for no_kfuncs, progs in ((False, {"netsize_rx_cast", "netsize_tx_cast"}),
                             (True, {"netsize_rx_btf", "netsize_tx_btf"})):
        if no_kfuncs:
            monkeypatch.setenv("NETLENS_NO_KFUNCS", "1")
        tr = netsize("--netns", b.name, "--stats")
        try:
            tcp(a, b)
        finally:
            recs = tr.stop()
        got = {r["stats"]["prog"] for r in recs if "stats" in r and "prog" in r["stats"]}
        assert got == progs, got
        segs, h = hists(recs, "segments")[("veth0", "rx")]
        assert h["gso_packets"] > 0 and h["wire_segs"] > h["packets"], h
        assert sum(segs.values()) == h["gso_packets"], (segs, h)
