"""netlens doctor, areas tcp-memory and tcp-conns: tcp-mem-pressure,
tcp-orphans, tcp-timewait, ephemeral-ports.

Per-namespace conditions are made in namespaces (TIME-WAIT overflow with a
small tcp_max_tw_buckets, a narrow ip_local_port_range); host-wide ones
(tcp_mem pressure, the orphan count against tcp_max_orphans, which only the
initial namespace has) on snapshots of a namespace edited with snapedit."""
import json
import subprocess

import pytest

from conftest import NETLENS, PY, Netns, run, run_json, wait_for
from snapedit import Snapshot, set_counter

RULES = "tcp-memory,tcp-conns"

# A loopback server on PORT and its clients, driven line by line on stdin:
#   open N    N clients connect (and stay)
#   close N   the N newest clients shut down their side first, read the
#             server's FIN (it closes on EOF), then close: their side ends in
#             TIME-WAIT. Waiting for the FIN before close() matters: a FIN
#             that crosses the conversion of an orphaned FIN-WAIT-2 socket
#             was seen answered with a RST on 6.18, losing one TIME-WAIT in
#             ~3% of runs.
#   orphan N  N clients fill the socket towards a server that never reads,
#             then close: FIN-WAIT-1 orphans with unsent data
# Each command answers "done" once it is carried out.
WORKLOAD = r"""
import socket, sys, threading
port, mode = int(sys.argv[1]), sys.argv[2]
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if mode == "noread":
    l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(("127.0.0.1", port)); l.listen(128)
held = []
def eof_close(c):
    while c.recv(4096):
        pass
    c.close()
def serve():
    while True:
        c, _ = l.accept()
        held.append(c)
        if mode == "eof-close":
            threading.Thread(target=eof_close, args=(c,), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
cli = []
print("ready", flush=True)
for line in sys.stdin:
    cmd, n = line.split(); n = int(n)
    for _ in range(n):
        if cmd == "open":
            cli.append(socket.create_connection(("127.0.0.1", port)))
        elif cmd == "close":
            c = cli.pop()
            c.shutdown(socket.SHUT_WR)
            while c.recv(4096):
                pass
            c.close()
        elif cmd == "orphan":
            c = socket.create_connection(("127.0.0.1", port))
            c.setblocking(False)
            try:
                while True:
                    c.send(b"x" * 65536)
            except BlockingIOError:
                pass
            c.close()
    print("done", flush=True)
"""


class Workload:
    def __init__(self, ns, port, mode="hold"):
        self.p = ns.popen([PY, "-c", WORKLOAD, str(port), mode], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def do(self, cmd, n):
        self.p.stdin.write(f"{cmd} {n}\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "done"


def doctor(args=(), ns=None, rc=None):
    p = run(["-j", "doctor", "--only", RULES] + list(args), ns=ns, check=False)
    assert p.returncode in (0, 1, 2), p.stderr
    if rc is not None:
        assert p.returncode == rc, p.stdout
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    return [r for r in rows if "id" in r], rows[-1]["summary"]


def live(ns, rc=None):
    return doctor(["-i", "0"], ns=ns.name, rc=rc)[0]


def offline(path, rc=None):
    return doctor(["--from", str(path)], rc=rc)[0]


def by_id(findings, id):
    got = [f for f in findings if f["id"] == id]
    assert got, f"no {id} in {[f['id'] for f in findings]}"
    assert len(got) == 1
    return got[0]


def evidence(f, source=None):
    return [e["value"] for e in f["evidence"] if source is None or e["source"] == source]


def record(ns, path, interval=1, during=None):
    """netlens snapshot of namespace ns; during() runs between the samples."""
    rec = ns.popen([NETLENS, "snapshot", "-o", str(path), "-i", str(interval)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if interval:
        assert "waiting" in rec.stderr.readline()
        if during:
            during()
    assert rec.wait(timeout=30) == 0, rec.stderr.read()
    return Snapshot.load(str(path))


def counter(text, name):
    lines = text.splitlines()
    for i in range(0, len(lines) - 1, 2):
        prefix = lines[i].split(":")[0]
        for h, v in zip(lines[i].split()[1:], lines[i + 1].split()[1:]):
            if prefix + h == name:
                return int(v)
    raise KeyError(name)


def bump(snap, name, delta):
    """Counter name rises by delta between the samples."""
    base = counter(snap.get_file("/proc/net/netstat", 0), name)
    snap.edit_file("/proc/net/netstat", lambda t: set_counter(t, name, base + delta), sample=1)


def set_proto(snap, name, memory, press, sample=None):
    def edit(text):
        out = []
        for line in text.splitlines():
            t = line.split()
            if t and t[0] == name:
                t[3], t[4] = str(memory), press
                line = " ".join(t)
            out.append(line)
        return "\n".join(out) + "\n"
    snap.edit_file("/proc/net/protocols", edit, sample=sample)


def set_sockstat(snap, key, value):
    def edit(text):
        out = []
        for line in text.splitlines():
            t = line.split()
            if t and t[0] == "TCP:":
                t[t.index(key) + 1] = str(value)
                line = " ".join(t)
            out.append(line)
        return "\n".join(out) + "\n"
    snap.edit_file("/proc/net/sockstat", edit)


@pytest.fixture(scope="module")
def clean_snap(tmp_path_factory):
    """One recording (two samples, 1 s apart) of an idle namespace."""
    ns = Netns()
    try:
        path = tmp_path_factory.mktemp("tcpmem") / "clean.nlsnap"
        s = record(ns, path)
        # the pool as an idle host has it, whatever this host is doing now
        for proto in ("TCP", "TCPv6"):
            set_proto(s, proto, 10, "no")
        s.save(str(path))
        yield path
    finally:
        ns.close()


def edited(clean_snap, tmp_path, fn, name="edited.nlsnap"):
    s = Snapshot.load(str(clean_snap))
    fn(s)
    out = tmp_path / name
    s.save(str(out))
    return out


# ---- no false alarms ----

@pytest.mark.sanitize
def test_clean_namespace_is_quiet(netns, clean_snap, tmp_path):
    findings, summary = doctor(["-i", "0"], ns=netns.name, rc=0)
    assert findings == [] and summary["checked"] == 3
    assert [s["id"] for s in summary["skipped"]] == ["tcp-orphans"]
    assert offline(clean_snap, rc=0) == []
    # host-wide sysctls as the initial namespace has them: still nothing
    def host_like(s):
        s.set_file("/proc/sys/net/ipv4/tcp_mem", "287901\t383868\t575802\n")
        s.set_file("/proc/sys/net/ipv4/tcp_max_orphans", "131072\n")
    assert offline(edited(clean_snap, tmp_path, host_like), rc=0) == []


# ---- tcp-mem-pressure (host-wide: snapshots) ----

def test_tcp_mem_pressure_as_in_the_notes(clean_snap, tmp_path):
    """TCP memory 36 pages, press yes, tcp_mem 24 32 48: in pressure, not above high."""
    def pressure(s):
        s.set_file("/proc/sys/net/ipv4/tcp_mem", "24\t32\t48\n")
        set_proto(s, "TCP", 20, "no", sample=0)
        set_proto(s, "TCP", 36, "yes", sample=1)
        bump(s, "TcpExtTCPMemoryPressures", 1)
        bump(s, "TcpExtPruneCalled", 7)
    f = by_id(offline(edited(clean_snap, tmp_path, pressure), rc=1), "tcp-mem-pressure")
    assert f["severity"] == "warning" and f["area"] == "tcp-memory"
    assert "memory pressure" in f["summary"]
    ev = evidence(f)
    assert any(v.startswith("TCP memory 36 pages (") and v.endswith("press yes") for v in ev)
    assert "net.ipv4.tcp_mem = 24 32 48 (low, pressure, high in pages)" in ev
    assert any(v.startswith("memory pressure: socket buffers are capped") for v in evidence(f, "tcp_mem zone"))
    assert any(v.startswith("TcpExtTCPMemoryPressures +1 (1.0/s)") for v in ev)
    assert any(v.startswith("TcpExtPruneCalled +7") for v in ev)
    assert f["values"]["pages"] == 36 and f["values"]["high"] == 48 and f["values"]["in_pressure"] == 1
    assert 'net.ipv4.tcp_mem="48 64 96"' in f["fix"] and "ss -tmn" in f["fix"]


def test_tcp_mem_above_high_is_critical(clean_snap, tmp_path):
    def above(s):
        s.set_file("/proc/sys/net/ipv4/tcp_mem", "24 32 48\n")
        set_proto(s, "TCP", 60, "yes")
        bump(s, "TcpExtTCPAbortOnMemory", 3)
        bump(s, "TcpExtTCPRcvQDrop", 10)
    f = by_id(offline(edited(clean_snap, tmp_path, above), rc=2), "tcp-mem-pressure")
    assert f["severity"] == "critical" and "hard limit" in f["summary"]
    ev = evidence(f)
    assert any(v.startswith("above high: the hard limit") for v in ev)
    assert any(v.startswith("TcpExtTCPAbortOnMemory +3") for v in ev)
    assert any(v.startswith("TcpExtTCPRcvQDrop +10") for v in ev)
    assert f["values"]["aborts"] == 3 and f["values"]["drops"] == 10
    # the aborts belong to memory here, not to orphans
    assert all(x["id"] != "tcp-orphans" for x in offline(edited(clean_snap, tmp_path, above)))


def test_tcp_mem_pressure_with_drops_is_critical(clean_snap, tmp_path):
    """A namespace snapshot as recorded (no tcp_mem in it): the press flag and
    the counters still decide, and the missing thresholds are said."""
    def drops(s):
        set_proto(s, "TCP", 36, "yes")
        bump(s, "TcpExtRcvPruned", 4)
        bump(s, "TcpExtOfoPruned", 2)
    f = by_id(offline(edited(clean_snap, tmp_path, drops), rc=2), "tcp-mem-pressure")
    assert f["severity"] == "critical" and "dropping data" in f["summary"]
    assert any("tcp_mem unreadable (only the initial network namespace" in v for v in evidence(f))
    assert any(v.startswith("TcpExtRcvPruned +4") for v in evidence(f, "/proc/net/netstat"))
    assert any(v.startswith("TcpExtOfoPruned +2") for v in evidence(f, "/proc/net/netstat"))


def test_tcp_mem_near_pressure_is_info(clean_snap, tmp_path):
    def near(s):
        s.set_file("/proc/sys/net/ipv4/tcp_mem", "24 32 48\n")
        set_proto(s, "TCP", 28, "no")
    f = by_id(offline(edited(clean_snap, tmp_path, near), rc=0), "tcp-mem-pressure")
    assert f["severity"] == "info" and "88% of tcp_mem's pressure threshold" in f["summary"]
    assert any(v.startswith("between low and pressure: not regulated yet")
               for v in evidence(f))
    # raising the threshold silences it
    assert doctor(["--from", str(tmp_path / "edited.nlsnap"),
                   "--set", "tcp-mem-pressure.near_fraction=0.9"], rc=0)[0] == []


def test_receive_drops_without_pool_pressure(clean_snap, tmp_path):
    def drops(s):
        s.set_file("/proc/sys/net/ipv4/tcp_mem", "2400 3200 4800\n")
        bump(s, "TcpExtTCPRcvQDrop", 5)
    f = by_id(offline(edited(clean_snap, tmp_path, drops), rc=1), "tcp-mem-pressure")
    assert f["severity"] == "warning" and "socket buffer limits" in f["summary"]
    assert any(v.endswith("press no") for v in evidence(f, "/proc/net/protocols"))
    assert "tcp_rmem" in f["fix"]


# ---- tcp-orphans (tcp_max_orphans is host-wide: snapshots) ----

def test_orphans_near_tcp_max_orphans(netns, tmp_path):
    """Real orphans (closed with unsent data towards a peer that never reads)
    in a namespace; the host-wide count and limit are set in the snapshot."""
    w = Workload(netns, 5001, "noread")
    w.do("orphan", 4)
    wait_for(lambda: sum(r["state"] == "FIN-WAIT-1" for r in
                         run_json(["ss", "-tan"], ns=netns.name)) == 4, what="4 orphans")
    s = record(netns, tmp_path / "o.nlsnap", interval=0)
    s.set_file("/proc/sys/net/ipv4/tcp_max_orphans", "8\n")
    for count, sev in ((5, "critical"), (3, "warning"), (1, None)):
        set_sockstat(s, "orphan", count)
        s.save(str(tmp_path / "o2.nlsnap"))
        found = offline(tmp_path / "o2.nlsnap", rc={"critical": 2, "warning": 1, None: 0}[sev])
        if sev is None:
            assert found == []
            continue
        f = by_id(found, "tcp-orphans")
        assert f["severity"] == sev and f["area"] == "tcp-conns"
        assert f"{count} orphaned TCP sockets, {100 * count / 8:.0f}% of" in f["summary"]
        assert f"TCP orphan {count} (host-wide)" in evidence(f, "/proc/net/sockstat")
        assert f"net.ipv4.tcp_max_orphans = 8 ({100 * count / 8:.1f}% used)" in evidence(f)
        assert ("in this namespace: 4 without a process: FIN-WAIT-1 4, CLOSING 0, LAST-ACK 0; "
                "most to 127.0.0.1 (4)") in evidence(f, "sock_diag")
        assert "tcp_max_orphans=16" in f["fix"] and "tcp_orphan_retries" in f["fix"]


def test_orphan_aborts_without_memory_pressure(clean_snap, tmp_path):
    def aborts(s):
        s.set_file("/proc/sys/net/ipv4/tcp_max_orphans", "65536\n")
        set_sockstat(s, "orphan", 100)
        bump(s, "TcpExtTCPAbortOnMemory", 2)
    found = offline(edited(clean_snap, tmp_path, aborts), rc=2)
    f = by_id(found, "tcp-orphans")
    assert f["severity"] == "critical" and "too many orphaned sockets" in f["summary"]
    assert any(v.startswith("TcpExtTCPAbortOnMemory +2") for v in evidence(f))
    assert f["values"]["aborts"] == 2
    # with the pool not in pressure and no drops, tcp-mem-pressure stays quiet
    assert all(x["id"] != "tcp-mem-pressure" for x in found)
    # in pressure but below high, TCP does not abort for memory: still the orphans
    def pressure(s):
        aborts(s)
        s.set_file("/proc/sys/net/ipv4/tcp_mem", "24 32 48\n")
        set_proto(s, "TCP", 36, "yes")
    found = offline(edited(clean_snap, tmp_path, pressure), rc=2)
    assert by_id(found, "tcp-orphans")["severity"] == "critical"
    assert by_id(found, "tcp-mem-pressure")["severity"] == "warning"


# ---- tcp-timewait (per namespace) ----

def test_timewait_overflow(netns, tmp_path):
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_max_tw_buckets=4"])
    w = Workload(netns, 5002, "eof-close")
    w.do("open", 4)
    w.do("close", 4)
    wait_tw(netns, 4)
    # live, one sample: the table is full, no overflow seen yet
    f = by_id(live(netns, rc=0), "tcp-timewait")
    assert f["severity"] == "info" and "100% of net.ipv4.tcp_max_tw_buckets" in f["summary"]
    assert "TCP tw 4 (this network namespace)" in evidence(f, "/proc/net/sockstat")
    # six more active closes between two samples: each finds the table full
    def churn():
        w.do("open", 6)
        w.do("close", 6)
        wait_for(lambda: counter(netns.exec(["cat", "/proc/net/netstat"]).stdout,
                                 "TcpExtTCPTimeWaitOverflow") >= 6, what="overflows")
    s = record(netns, tmp_path / "tw.nlsnap", interval=2, during=churn)
    assert s.get_file("/proc/sys/net/ipv4/tcp_max_tw_buckets", 1).strip() == "4"
    f = by_id(offline(tmp_path / "tw.nlsnap", rc=1), "tcp-timewait")
    assert f["severity"] == "warning"
    assert f["summary"].startswith("TIME-WAIT table full: 6 connections closed without TIME-WAIT")
    assert any(v.startswith("TcpExtTCPTimeWaitOverflow +6 (") for v in evidence(f, "/proc/net/netstat"))
    assert "net.ipv4.tcp_max_tw_buckets = 4" in evidence(f)
    assert f["values"]["overflows"] == 6 and f["values"]["max_tw_buckets"] == 4
    assert "tcp_max_tw_buckets=262144" in f["fix"]


# ---- ephemeral-ports (per namespace) ----

def sockstat_tw(ns):
    line = [l for l in ns.exec(["cat", "/proc/net/sockstat"]).stdout.splitlines() if l.startswith("TCP:")]
    t = line[0].split()
    return int(t[t.index("tw") + 1])


def wait_tw(ns, n):
    """n TIME-WAIT buckets in the namespace, all past FIN-WAIT-2 (what the
    rules count: sockstat's tw, and the TIME-WAIT state in the socket dump)."""
    def ready():
        states = [r["state"] for r in run_json(["ss", "-tan"], ns=ns.name)]
        return sockstat_tw(ns) == n and states.count("TIME-WAIT") == n
    try:
        wait_for(ready, timeout=20, what=f"{n} TIME-WAIT sockets")
    except AssertionError:
        print(run(["ss", "-tan"], ns=ns.name).stdout, ns.exec(["cat", "/proc/net/sockstat"]).stdout,
              ns.exec(["nstat", "-az", "TcpExtTCPTimeWaitOverflow", "TcpExtTCPAbortOnClose",
                       "TcpEstabResets", "TcpExtTCPAbortOnData"]).stdout)
        raise


def narrow(ns, reserved=None):
    ns.exec(["sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40009"])
    if reserved:
        ns.exec(["sysctl", "-qw", f"net.ipv4.ip_local_reserved_ports={reserved}"])


@pytest.mark.sanitize
def test_ephemeral_ports_to_one_destination(netns, tmp_path):
    narrow(netns)
    w = Workload(netns, 5003)
    w.do("open", 4)
    assert live(netns, rc=0) == []          # 40%: below the warning
    w.do("open", 4)
    f = by_id(live(netns, rc=1), "ephemeral-ports")
    assert f["severity"] == "warning" and f["area"] == "tcp-conns"
    assert f["summary"].startswith("8 connections to 127.0.0.1:5003 use 80% of the 10 usable")
    assert ("from 127.0.0.1 to 127.0.0.1:5003: 8 connected, 0 in TIME-WAIT (80% of 10 ports)"
            in evidence(f, "sock_diag"))
    assert "net.ipv4.ip_local_port_range = 40000 40009 (10 ports)" in evidence(f)
    assert f["values"]["usable_ports"] == 10 and f["values"]["fraction"] == 0.8
    assert "ip_local_port_range" in f["fix"]
    w.do("open", 1)
    f = by_id(live(netns, rc=2), "ephemeral-ports")
    assert f["severity"] == "critical" and "90%" in f["summary"]
    # the recording gives the same finding
    record(netns, tmp_path / "e.nlsnap", interval=0)
    g = by_id(offline(tmp_path / "e.nlsnap", rc=2), "ephemeral-ports")
    assert (g["severity"], g["summary"], g["evidence"]) == (f["severity"], f["summary"], f["evidence"])


def test_ephemeral_ports_count_time_wait(netns, tmp_path):
    narrow(netns)
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_tw_reuse=0"])
    w = Workload(netns, 5004, "eof-close")
    w.do("open", 8)
    w.do("close", 6)
    wait_tw(netns, 6)
    f = by_id(live(netns, rc=1), "ephemeral-ports")
    assert f["severity"] == "warning"
    assert ("from 127.0.0.1 to 127.0.0.1:5004: 2 connected, 6 in TIME-WAIT (80% of 10 ports)"
            in evidence(f, "sock_diag"))
    assert f["values"]["timewait"] == 6
    assert "net.ipv4.tcp_tw_reuse = 0" in evidence(f) and "tcp_tw_reuse=1" in f["fix"]
    # TIME-WAIT replayed from a recording (the dump holds every state)
    record(netns, tmp_path / "tw.nlsnap", interval=0)
    g = by_id(offline(tmp_path / "tw.nlsnap", rc=1), "ephemeral-ports")
    assert g["evidence"] == f["evidence"]
    # loopback TIME-WAITs are reused with the default tcp_tw_reuse=2: advice only
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_tw_reuse=2"])
    f = by_id(live(netns, rc=0), "ephemeral-ports")
    assert f["severity"] == "info" and "reused (tcp_tw_reuse)" in f["summary"]
    assert any("6 in TIME-WAIT (reusable) (20% of 10 ports)" in v for v in evidence(f, "sock_diag"))


def test_ephemeral_ports_reserved_and_listeners(netns):
    narrow(netns, reserved="40008-40009")
    # a listener inside the range holds one more port
    netns.popen([PY, "-c", "import socket,sys\nl=socket.socket();l.bind(('0.0.0.0',40007));"
                 "l.listen();print(1,flush=True);sys.stdin.read()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True).stdout.readline()
    w = Workload(netns, 5005)
    w.do("open", 5)
    f = by_id(live(netns, rc=1), "ephemeral-ports")
    assert f["severity"] == "warning" and "71% of the 7 usable" in f["summary"]
    assert ("2 reserved (net.ipv4.ip_local_reserved_ports), 1 held by local listeners: 7 usable"
            in evidence(f))
    w.do("open", 2)
    assert by_id(live(netns, rc=2), "ephemeral-ports")["severity"] == "critical"
