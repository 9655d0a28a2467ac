"""netlens doctor, areas tcp-flows and udp: retransmissions from an nftables
rule dropping a share of packets on a veth, SACK/timestamps/window scaling
off, a flow limited by a tiny receive buffer, UDP receive buffer errors; and
clean namespaces that raise nothing."""
import json
import re
import subprocess

import pytest

from conftest import NETLENS, PY, run, veth_pair, wait_for


def doctor(ns=None, args=(), interval="0"):
    p = run(["-j", "doctor", "-i", interval] + list(args), ns=ns, check=False)
    assert p.returncode in (0, 1, 2), p.stderr
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    return [r for r in rows if "id" in r], rows[-1]["summary"], p.returncode


def by_id(findings, id):
    got = [f for f in findings if f["id"] == id]
    assert got, f"no {id} in {[f['id'] for f in findings]}"
    return got


def evidence(f):
    return [e["value"] for e in f["evidence"]]


def record(ns, path, traffic):
    """Records a two-sample snapshot of ns 1 s apart, running traffic() between them."""
    rec = ns.popen([NETLENS, "snapshot", "-o", path, "-i", "1"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert "waiting" in rec.stderr.readline()
        traffic()
        assert rec.wait(timeout=30) == 0
    finally:
        if rec.poll() is None:
            rec.kill()


@pytest.mark.sanitize
def test_clean_namespaces_raise_nothing(netns_factory):
    """Idle namespaces joined by a veth, sampled twice: nothing in these areas."""
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b)
    for ns in (a, b):
        findings, summary, rc = doctor(ns.name, ["--only", "tcp-flows,udp"], interval="0.2")
        assert findings == [] and rc == 0
        assert summary["checked"] == 4 and summary["skipped"] == []
    # one sample: the rate needs two, and says so
    findings, summary, rc = doctor(a.name, ["--only", "tcp-retrans"])
    assert rc == 0 and summary["skipped"][0]["id"] == "tcp-retrans"


# receiver: accepts on each port given, reads everything, holds the sockets
SINK = """
import socket, sys, threading
def serve(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port)); l.listen()
    c, _ = l.accept()
    while c.recv(1 << 20): pass
    c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
print("listening", flush=True)
sys.stdin.read()
"""

# sender: for each PORT:KB, connects and (when told) sends KB kilobytes, all
# in parallel; says "done" and keeps the connections open until stdin closes
SOURCE = """
import socket, sys, threading
todo = [tuple(map(int, a.split(":"))) for a in sys.argv[1:]]
cs = [socket.create_connection(("10.199.0.2", p)) for p, _ in todo]
print(" ".join(str(c.getsockname()[1]) for c in cs), flush=True)
sys.stdin.readline()
buf = b"x" * 65536
def send(c, kb):
    for _ in range(kb // 64): c.sendall(buf)
ts = [threading.Thread(target=send, args=(c, kb)) for c, (_, kb) in zip(cs, todo)]
for t in ts: t.start()
for t in ts: t.join()
print("done", flush=True)
sys.stdin.read()
"""


def test_retransmissions_name_the_lossy_flow(netns_factory, tmp_path):
    """nftables on the receiver drops every 10th packet to one port and every
    50th to another, which carries a sixteenth of the data; the sender's
    snapshot shows a critical retransmission rate and the lossier flow first."""
    snd, rcv = netns_factory(), netns_factory()
    veth_pair(snd, rcv)
    # one segment per packet (veth passes GSO bursts whole), so the rule drops segments
    snd.exec(["ip", "link", "set", "dev", "veth0", "gso_max_segs", "1"])
    lossy, mild = 5001, 5002
    rcv.exec(["nft", "add", "table", "inet", "t"])
    rcv.exec(["nft", "add", "chain", "inet", "t", "c", "{ type filter hook input priority 0; }"])
    # every 10th (50th) packet to the port, counting from 0: not the SYN
    for port, n in ((lossy, 10), (mild, 50)):
        rcv.exec(["nft", "add", "rule", "inet", "t", "c", "tcp", "dport", str(port), "numgen", "inc",
                  "mod", str(n), str(n - 1), "drop"])
    sink = rcv.popen([PY, "-c", SINK, str(lossy), str(mild)], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "listening"
    src = snd.popen([PY, "-c", SOURCE, f"{lossy}:4096", f"{mild}:256"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True)
    lport, mport = map(int, src.stdout.readline().split())

    def transfer():
        src.stdin.write("go\n")
        src.stdin.flush()
        assert src.stdout.readline().strip() == "done"

    snap = str(tmp_path / "retrans.nlsnap")
    record(snd, snap, transfer)
    findings, summary, rc = doctor(args=["--from", snap, "--only", "tcp-flows"])
    assert rc == 2
    [f] = by_id(findings, "tcp-retrans")
    assert f["severity"] == "critical" and f["values"]["retrans_pct"] >= 5
    assert f["values"]["out_segs"] >= 1000 and f["values"]["flows_retransmitting"] == 2
    ev = evidence(f)
    assert re.match(r"TcpRetransSegs \+\d+ over TcpOutSegs \+\d+ \(\d+\.\d\d%", ev[0])
    assert f["evidence"][0]["source"] == "/proc/net/snmp"
    assert ev[1].startswith("TcpExtTCPTimeouts +") and "TcpExtTCPFastRetrans +" in ev[1]
    flows = [v for v in ev if v.startswith("flow ")]
    assert flows[0].startswith(f"flow 10.199.0.1:{lport} -> 10.199.0.2:{lossy} (ESTAB): ")
    assert flows[1].startswith(f"flow 10.199.0.1:{mport} -> 10.199.0.2:{mild} (ESTAB): ")
    n = [int(re.search(r": (\d+) retransmits", v).group(1)) for v in flows]
    assert n[0] > n[1] > 0
    assert "mtr" in f["fix"]


def test_tcp_options_off(netns):
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_sack=0", "net.ipv4.tcp_timestamps=0",
                "net.ipv4.tcp_window_scaling=0"])
    # a connection made after the change negotiates none of them
    hold = netns.popen([PY, "-c", "import socket,sys\nl=socket.socket();l.bind(('127.0.0.1',0));"
                        "l.listen()\nc=socket.create_connection(l.getsockname());a,_=l.accept()\n"
                        "print('up',flush=True);sys.stdin.read()"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert hold.stdout.readline().strip() == "up"
    findings, summary, rc = doctor(netns.name, ["--only", "tcp-options-off"])
    assert rc == 1
    got = {f["evidence"][0]["value"]: f for f in by_id(findings, "tcp-options-off")}
    assert sorted(got) == ["net.ipv4.tcp_sack = 0", "net.ipv4.tcp_timestamps = 0",
                           "net.ipv4.tcp_window_scaling = 0"]
    assert all(f["severity"] == "warning" for f in got.values())
    sack, ts, ws = (got[f"net.ipv4.tcp_{n} = 0"] for n in ("sack", "timestamps", "window_scaling"))
    assert "resends whole windows" in sack["summary"] and "tcp_sack=1" in sack["fix"]
    assert "PAWS" in ts["summary"] and "RTT" in ts["summary"]
    assert "64 KiB" in ws["summary"] and "tcp_window_scaling=1" in ws["fix"]
    assert evidence(sack)[1] == "2 of 2 established TCP flows run without SACK (the setting " \
                                "applies to new connections)"
    assert sack["evidence"][0]["source"] == "/proc/sys/net/ipv4/tcp_sack"
    # back on: nothing
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_sack=1", "net.ipv4.tcp_timestamps=1",
                "net.ipv4.tcp_window_scaling=1"])
    assert doctor(netns.name, ["--only", "tcp-options-off"])[0] == []


# a receiver with a tiny SO_RCVBUF reading 1 KiB every 2 ms, a sender sending bulk
SLOW_READER = """
import os, socket, sys, threading, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(("127.0.0.1", 0)); l.listen()
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
def read():
    while a.recv(1024): time.sleep(0.002)
def send():
    try:
        while True: c.sendall(b"x" * 65536)
    except OSError: pass
threading.Thread(target=read, daemon=True).start()
threading.Thread(target=send, daemon=True).start()
print(c.getsockname()[1], a.getsockname()[1], os.getpid(), flush=True)
sys.stdin.read()
"""


@pytest.mark.sanitize
def test_flow_limited_by_receive_window(netns):
    p = netns.popen([PY, "-c", SLOW_READER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    cport, lport, pid = map(int, p.stdout.readline().split())

    def found():
        fs = [f for f in doctor(netns.name, ["--only", "tcp-buffer-limited"])[0]
              if f["id"] == "tcp-buffer-limited"]
        return fs and fs[0]
    f = wait_for(found, timeout=20, interval=0.1, what="an rwnd-limited flow")
    assert f["severity"] == "warning" and f["values"]["flows"] == 1
    assert f["values"]["worst_limited_pct"] >= 30
    ev = evidence(f)
    m = re.match(rf"flow 127\.0\.0\.1:{cport} -> 127\.0\.0\.1:{lport}: rwnd-limited (\d+) ms of "
                 rf"(\d+) ms busy \((\d+)%\), .* sent; receiver on this host: rcvbuf (.*?), \d+ B "
                 rf"unread \(below tcp_rmem default: fixed by SO_RCVBUF\), owned by python3 \(pid "
                 rf"{pid}\)$", ev[0])
    assert m, ev[0]
    assert int(m.group(3)) >= 30 and int(m.group(2)) >= 100
    assert any(v.startswith("net.ipv4.tcp_rmem = ") and "(max " in v for v in ev)
    assert any(v.startswith("net.ipv4.tcp_wmem = ") for v in ev)
    assert "SO_RCVBUF" in f["fix"] and "net.ipv4.tcp_rmem=" in f["fix"]


# a UDP socket with a small SO_RCVBUF that never reads
DEAF = """
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], os.getpid(), flush=True)
sys.stdin.read()
"""
FLOOD = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])): s.sendto(b"x" * 200, ("127.0.0.1", int(sys.argv[1])))
"""


@pytest.mark.sanitize
def test_udp_receive_buffer_errors(netns, tmp_path):
    deaf = netns.popen([PY, "-c", DEAF], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port, pid = map(int, deaf.stdout.readline().split())
    snap = str(tmp_path / "udp.nlsnap")
    record(netns, snap, lambda: netns.exec([PY, "-c", FLOOD, str(port), "3000"], timeout=30))
    findings, summary, rc = doctor(args=["--from", snap, "--only", "udp"])
    assert rc == 2
    [f] = by_id(findings, "udp-buffer-errors")
    assert f["severity"] == "critical"
    assert f["summary"].startswith("UDP dropped ") and "receive buffers full" in f["summary"]
    assert f["values"]["rcvbuf_errors"] >= 2900 and f["values"]["sockets_dropping"] == 1
    ev = evidence(f)
    m = re.match(r"UdpRcvbufErrors \+(\d+), Udp6RcvbufErrors \+0 \(\d+/s\)", ev[0])
    assert m and int(m.group(1)) >= 2900 and f["evidence"][0]["source"] == "/proc/net/snmp"
    sock = [v for v in ev if v.startswith("socket ")]
    m = re.match(rf"socket 127\.0\.0\.1:{port}: (\d+) drops, rcvbuf 4\.0 KiB \(below rmem_default: "
                 rf"set by SO_RCVBUF\), \d+ B queued$", sock[0])
    assert m and int(m.group(1)) >= 2900, sock
    assert any(v.startswith("net.core.rmem_max = ") for v in ev)
    assert f["fix"].startswith("the application asks for a small SO_RCVBUF")
    assert "net.core.rmem_max=" in f["fix"]
    # live, one sample: the drops are history now, and the owner is named
    findings, summary, rc = doctor(netns.name, ["--only", "udp"])
    [f] = by_id(findings, "udp-buffer-errors")
    assert rc == 0 and f["severity"] == "info" and "dropped datagrams earlier" in f["summary"]
    assert any(v.startswith(f"socket 127.0.0.1:{port}: ") and v.endswith(f"owned by python3 (pid {pid})")
               for v in evidence(f))
