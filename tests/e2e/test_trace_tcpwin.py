"""tcpwin: windows per segment; cwnd collapses after loss induced by nftables
on a veth (every Nth data segment dropped, deterministically)."""
import csv
import io

from conftest import NETLENS  # noqa: F401  (documents which binary is tested)
from conftest import veth_pair
from trace_util import Server, Tracer, events, netns_inode, workload

INF = 0x7fffffff
BULK = 3_000_000


def _retrans_segs(ns):
    out = ns.exec(["cat", "/proc/net/snmp"]).stdout.splitlines()
    tcp = [l.split() for l in out if l.startswith("Tcp:")]
    return int(tcp[1][tcp[0].index("RetransSegs")])


def _pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b)
    # veth hands whole 64 KiB GSO bursts to the peer: make loss per segment
    a.exec(["ip", "link", "set", "veth0", "gso_max_size", "1500"])
    return a, b


def test_cwnd_collapses_after_loss(netns_factory):
    a, b = _pair(netns_factory)
    srv = Server(b, "--addr", "10.199.0.2", "--recv", BULK)
    port = srv.port
    b.exec(["nft", "add", "table", "inet", "t"])
    b.exec(["nft", "add", "chain", "inet", "t", "c", "{ type filter hook input priority 0; }"])
    b.exec(["nft", "add", "rule", "inet", "t", "c", "tcp", "dport", str(port),
            "meta", "l4proto", "tcp", "numgen", "inc", "mod", "50", "0", "drop"])
    before = _retrans_segs(a)
    tr = Tracer(["tcpwin", "--netns", a.name, "--rport", str(port)])
    try:
        workload(a, "client", "--addr", "10.199.0.2", "--port", port, "--send", BULK)
        srv.wait()
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    evs = events(recs)
    assert _retrans_segs(a) > before, "the nftables rule dropped nothing"
    assert evs, "no tcp_probe events"
    inode = netns_inode(a)
    for e in evs:
        assert (e["raddr"], e["rport"], e["ip"], e["netns"]) == ("10.199.0.2", port, 4, inode)
        assert e["cwnd"] > 0 and e["mss"] > 0 and e["srtt_us"] > 0
    # slow start begins with ssthresh unset; loss sets it
    assert "ssthresh" not in evs[0]
    with_ss = [e for e in evs if "ssthresh" in e]
    assert with_ss, "ssthresh never set despite the drops"
    assert all(e["ssthresh"] < INF for e in with_ss)
    # cwnd falls below an earlier value at some point (the collapse)
    peak, dropped = 0, False
    for e in evs:
        if e["cwnd"] < peak:
            dropped = True
            break
        peak = max(peak, e["cwnd"])
    assert dropped, [e["cwnd"] for e in evs][:200]
    assert min(e["ssthresh"] for e in with_ss) < max(e["cwnd"] for e in evs)


def test_csv(netns):
    srv = Server(netns, "--recv", 200_000)
    tr = Tracer(["tcpwin", "--csv", "--netns", netns.name, "-P", str(srv.port)],
                json_mode=False)
    try:
        workload(netns, "client", "--port", srv.port, "--send", 200_000)
        srv.wait()
    finally:
        out = tr.stop()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows, out
    assert list(rows[0].keys()) == ["time", "elapsed_s", "ip", "laddr", "lport", "raddr",
                                    "rport", "cwnd", "ssthresh", "snd_wnd", "rcv_wnd",
                                    "srtt_us", "packets_out", "mss", "netns"]
    for r in rows:
        assert r["laddr"] == "127.0.0.1" and srv.port in (int(r["lport"]), int(r["rport"]))
        assert int(r["cwnd"]) > 0 and float(r["elapsed_s"]) >= 0
        assert r["ssthresh"] == "" or int(r["ssthresh"]) < INF
        assert int(r["netns"]) == netns_inode(netns)


def test_pid_filter_refused(netns):
    from conftest import run
    p = run(["tcpwin", "-p", "1", "-d", "1"], check=False)
    assert p.returncode == 2 and "softirq" in p.stderr
