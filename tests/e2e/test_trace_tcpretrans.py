"""tcpretrans: retransmissions caused by nftables drops on a veth, checked
against the sender namespace's TcpRetransSegs counter, per flow; SYN-ACK
retransmits; in-kernel per-flow counts."""
import json
import re
import subprocess

from conftest import PY, run_json, veth_pair, wait_for
from trace_util import Server, Tracer, dropped_keys, events, workload

A, B = "10.199.0.1", "10.199.0.2"
BYTES = 1 << 20


def retrans_segs(ns):
    rows = run_json(["nstat", "-azs", "TcpRetransSegs"], ns=ns.name)
    return {r["counter"]: r["value"] for r in rows}["TcpRetransSegs"]


def nft(ns, hook, *rule):
    ns.exec(["nft", "add", "table", "inet", "t"])
    ns.exec(["nft", "add", "chain", "inet", "t", hook, f"{{ type filter hook {hook} priority 0; }}"])
    ns.exec(["nft", "add", "rule", "inet", "t", hook] + [str(r) for r in rule])


def _pair(netns_factory):
    snd, rcv = netns_factory(), netns_factory()
    veth_pair(snd, rcv, A + "/24", B + "/24")
    # one segment per packet, so a drop costs one segment; no tail loss
    # probes (they re-send without the tracepoint, see the docs)
    snd.exec(["ip", "link", "set", "veth0", "gso_max_size", "1500"])
    snd.exec(["ip", "link", "set", "veth0", "gso_max_segs", "1"])
    snd.exec(["sysctl", "-qw", "net.ipv4.tcp_early_retrans=0"])
    return snd, rcv


def test_tcpretrans_matches_retranssegs(netns_factory):
    snd, rcv = _pair(netns_factory)
    ev = Tracer(["tcpretrans", "--netns", snd.name])
    cnt = Tracer(["tcpretrans", "--netns", snd.name, "-c", "--stats"])
    own = Tracer(["tcpretrans", "--netns", snd.name, "-c", "--owners"])
    other = Tracer(["tcpretrans", "--netns", rcv.name])
    try:
        srv = Server(rcv, "--addr", B, "--recv", BYTES)
        # every 10th data packet to the server is dropped (the SYN passes)
        nft(rcv, "input", "tcp", "dport", srv.port, "numgen", "inc", "mod", 10, 5, "drop")
        before = retrans_segs(snd)
        cli = workload(snd, "client", "--addr", B, "--port", srv.port, "--send", BYTES)
        srv.wait()
        grown = retrans_segs(snd) - before
    finally:
        recs, rows, orows, none = ev.stop(), cnt.stop(), own.stop(), other.stop()
    evs = events(recs)
    assert recs[-1] == {"lost_events": 0}
    # the receiver's namespace sees none of the sender's retransmissions; the
    # rule can drop the client's last ACK too, and then the server re-sends
    # its FIN, which that tracer rightly reports
    for e in events(none):
        assert (e["laddr"], e["lport"]) == (B, srv.port) and "FIN" in e["flags"], e
    assert grown > 0
    sport = cli["sports"][0]
    for e in evs:
        assert (e["laddr"], e["lport"], e["raddr"], e["rport"]) == (A, sport, B, srv.port), e
        assert (e["pid"], e["comm"], e["type"]) == (cli["pid"], "python3", "seg"), e
        assert e["state"] in ("ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "CLOSING", "LAST_ACK"), e
    seen = sum(e["segs"] for e in evs if e["err"] == 0)
    assert seen >= grown, (seen, grown)
    # -c: no owners, so no owner hooks (they would cost every connection)
    (row,) = [r for r in events(rows) if r["lport"] == sport]
    assert (row["laddr"], row["raddr"], row["rport"]) == (A, B, srv.port)
    assert "pid" not in row and "comm" not in row
    assert row["retrans_segs"] == seen and row["synacks"] == 0
    progs = {r["stats"]["prog"].replace("_btf", "_raw") for r in rows if "stats" in r}
    assert progs == {"tcpretrans_skb_raw", "tcpretrans_skb_raw_nest", "tcpretrans_synack_raw"}
    assert "inet_sock_set_state" not in cnt.stderr and "sys_exit" not in cnt.stderr
    # -c --owners: the owner hooks, and PID/COMM
    (row,) = [r for r in events(orows) if r["lport"] == sport]
    assert (row["pid"], row["comm"], row["retrans_segs"]) == (cli["pid"], "python3", seen)
    assert "inet_sock_set_state" in own.stderr and "sys_exit_accept4" in own.stderr
    # events: the backup for nested runs shares the primary's tracepoint; the
    # banner lists the hook once
    assert ev.stderr.count("tcp_retransmit_skb") == 1, ev.stderr


def test_tcpretrans_synack(netns_factory):
    snd, rcv = _pair(netns_factory)
    ev = Tracer(["tcpretrans", "--netns", rcv.name])
    txt = Tracer(["tcpretrans", "--netns", rcv.name], json_mode=False)
    try:
        srv = Server(rcv, "--addr", B)
        # the server's first SYN-ACK never leaves: it is sent again
        nft(rcv, "output", "tcp", "sport", srv.port, "tcp", "flags", "&", "(syn|ack)", "==",
            "syn|ack", "numgen", "inc", "mod", 1000, 0, "drop")
        cli = workload(snd, "client", "--addr", B, "--port", srv.port)
        srv.wait()
    finally:
        evs, out = events(ev.stop()), txt.stop()
    # NEW_SYN_RECV fits the STATE column: TYPE starts where its title does
    lines = out.splitlines()
    col = lines[0].index("TYPE")
    rows = [l for l in lines[1:] if "NEW_SYN_RECV" in l]
    assert rows and all(l[col:col + 7] == "synack " for l in rows), out
    syn = [e for e in evs if e["type"] == "synack"]
    assert syn, evs
    for e in syn:
        assert (e["laddr"], e["lport"], e["raddr"], e["rport"]) == \
            (B, srv.port, A, cli["sports"][0]), e
        assert (e["state"], e["flags"], e["pid"]) == ("NEW_SYN_RECV", "SYN|ACK", srv.pid), e


SYN_CLIENT = """
import socket, sys
s = socket.socket()
s.setblocking(False)
s.connect_ex((sys.argv[1], int(sys.argv[2])))
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


def test_tcpretrans_qdisc_drop_named(netns_factory):
    # a qdisc that takes nothing (pfifo limit 0) drops every packet the
    # sender queues: the SYN's retransmissions fail with NET_XMIT_DROP (1),
    # which is not an errno
    snd, rcv = _pair(netns_factory)
    # a known neighbour: no ARP (which the qdisc would drop too) holding the
    # SYN in its queue, where a retransmission finds it still busy (EBUSY)
    mac = json.loads(rcv.exec(["ip", "-j", "link", "show", "veth0"]).stdout)[0]["address"]
    snd.exec(["ip", "neigh", "replace", B, "lladdr", mac, "dev", "veth0", "nud", "permanent"])
    snd.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "pfifo", "limit", "0"])
    ev = Tracer(["tcpretrans", "--netns", snd.name])
    txt = Tracer(["tcpretrans", "--netns", snd.name], json_mode=False)
    cli = None
    try:
        cli = snd.popen([PY, "-c", SYN_CLIENT, B, "9"], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True)
        sport = int(cli.stdout.readline())
        # the first retransmission comes after the initial RTO (1 s)
        wait_for(lambda: "failed:" in txt._read(txt.out), timeout=15,
                 what="a failed retransmission")
    finally:
        if cli:
            cli.stdin.close()
            cli.wait(timeout=10)
        evs, out = events(ev.stop()), txt.stop()
    fails = [e for e in evs if e["err"] != 0]
    assert fails, evs
    for e in fails:
        assert (e["lport"], e["raddr"], e["rport"]) == (sport, B, 9), e
        assert (e["err"], e["err_name"], e["state"], e["flags"]) == \
            (1, "NET_XMIT_DROP", "SYN_SENT", "SYN"), e
    assert all("err_name" not in e for e in evs if e["err"] == 0)
    assert re.search(r" SYN failed:NET_XMIT_DROP$", out, re.M) and "failed:?" not in out, out


SYN_TIMEOUTS = r"""
import errno, json, select, socket, sys
n, dst, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((dst, port))
    socks.append(s)
# each connect retransmits its SYN once (tcp_syn_retries=1), then fails
pending = list(socks)
while pending:
    _, w, _ = select.select([], pending, [], 30)
    assert w, "connects did not time out"
    for s in w:
        pending.remove(s)
errs = [s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) for s in socks]
print(json.dumps({"sports": [s.getsockname()[1] for s in socks], "errnos": errs}))
"""


def test_tcpretrans_counts_say_what_did_not_fit(netns_factory):
    # 40 connects whose SYNs the other end drops, each retransmitting its
    # SYN the same number of times R before it times out (tcp_syn_retries=1;
    # R is 2 where tcp_syn_linear_timeouts adds a retry): 40 flows for a
    # table of 16. Each flow counted has exactly R, and the R retransmissions
    # of each of the 24 others are reported.
    snd, rcv = _pair(netns_factory)
    nft(rcv, "input", "tcp", "dport", 5000, "drop")
    snd.exec(["sysctl", "-qw", "net.ipv4.tcp_syn_retries=1"])
    tr = Tracer(["tcpretrans", "--netns", snd.name, "-c", "--max-keys", "16"])
    try:
        p = snd.exec([PY, "-c", SYN_TIMEOUTS, "40", B, "5000"], timeout=60)
        r = json.loads(p.stdout)
    finally:
        recs = tr.stop()
    assert r["errnos"] == [110] * 40  # ETIMEDOUT
    rows = events(recs)
    assert len(rows) == 16, rows
    n = rows[0]["retrans_segs"]
    assert n in (1, 2), rows
    for x in rows:
        assert (x["laddr"], x["raddr"], x["rport"]) == (A, B, 5000), x
        assert (x["retrans_segs"], x["synacks"], x["failed"]) == (n, 0, 0), x
    assert len({x["lport"] for x in rows} & set(r["sports"])) == 16
    assert dropped_keys(recs) == 24 * n and recs[-1] == {"lost_events": 0}
