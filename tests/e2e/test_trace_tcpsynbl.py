"""tcpsynbl: a listener that stops accepting fills its accept queue up to
its limit (listen backlog); one that accepts keeps it short."""
import subprocess

from conftest import NETLENS, PY, run, wait_for  # noqa: F401
from trace_util import Tracer, netns_inode

LIMIT, CLIENTS = 8, 14

# listens with backlog LIMIT, never accepts (or accepts each one with
# "accept"), opens CLIENTS connections, stays until stdin closes
SCRIPT = r"""
import socket, sys
addr, limit, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
l = socket.socket(fam, socket.SOCK_STREAM)
l.bind((addr, 0)); l.listen(limit)
port = l.getsockname()[1]
print(port, flush=True)
keep = []
for _ in range(n):
    c = socket.socket(fam, socket.SOCK_STREAM); c.setblocking(False)
    try:
        c.connect((addr, port))
    except BlockingIOError:
        pass
    keep.append(c)
    if mode == "accept":
        keep.append(l.accept()[0])
print("done", flush=True)
sys.stdin.read()
"""


def _recv_q(ns, port):
    out = ns.exec(["ss", "-Hltn", f"sport = :{port}"]).stdout.split()
    return int(out[1]) if len(out) > 1 else -1


def _run(ns, addr, mode):
    tr = Tracer(["tcpsynbl", "--netns", ns.name])
    p = None
    try:
        p = ns.popen([PY, "-c", SCRIPT, addr, str(LIMIT), str(CLIENTS), mode],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = int(p.stdout.readline())
        assert p.stdout.readline().strip() == "done"
        if mode == "stall":
            # the queue holds LIMIT + 1 connections
            wait_for(lambda: _recv_q(ns, port) >= LIMIT + 1, timeout=20, what="a full queue")
    finally:
        recs = tr.stop()
        if p:
            p.stdin.close()
            p.wait(timeout=10)
    hists = [r["histogram"] for r in recs if "histogram" in r]
    lst = [r["listener"] for r in recs if "listener" in r]
    assert len(hists) == 1 and len(lst) == 1, recs
    assert lst[0]["lport"] == port and lst[0]["netns"] == netns_inode(ns)
    assert f":{port} (netns" in hists[0]["name"]
    return hists[0], lst[0]


def test_stalled_listener_reaches_limit(netns):
    h, li = _run(netns, "127.0.0.1", "stall")
    assert li["limit"] == LIMIT and li["laddr"] == "127.0.0.1" and li["ip"] == 4
    assert li["max_backlog"] == LIMIT + 1 and li["full_samples"] >= 1
    assert li["samples"] == LIMIT + 1  # later handshakes are dropped
    top = max(h["buckets"], key=lambda b: b["from"])
    assert top["from"] <= LIMIT <= top["to"] and top["count"] >= 1


def test_accepting_listener_stays_short(netns):
    h, li = _run(netns, "::1", "accept")
    assert li["ip"] == 6 and li["laddr"] == "::1" and li["limit"] == LIMIT
    assert li["max_backlog"] <= 2 and li["full_samples"] == 0
    assert li["samples"] == CLIENTS


def test_text_output(netns):
    tr = Tracer(["tcpsynbl", "--netns", netns.name], json_mode=False)
    p = None
    try:
        p = netns.popen([PY, "-c", SCRIPT, "127.0.0.1", "2", "5", "stall"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = int(p.stdout.readline())
        p.stdout.readline()
        wait_for(lambda: _recv_q(netns, port) >= 3, timeout=20, what="a full queue")
    finally:
        out = tr.stop()
        if p:
            p.stdin.close()
            p.wait(timeout=10)
    assert f"127.0.0.1:{port}" in out and "limit 2" in out and "FULL" in out and "|*" in out


def test_pid_refused():
    p = run(["tcpsynbl", "-p", "1", "-d", "1"], check=False)
    assert p.returncode == 2 and "softirq" in p.stderr
