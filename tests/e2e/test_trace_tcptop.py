"""tcptop: per-connection byte counts equal what the workload moved, each
byte once (recv(MSG_PEEK) is not counted); redraws in place on a tty."""
import json
import os
import pty
import select
import subprocess
import time

from conftest import NETLENS, PY, run, wait_for, wrap_cmd  # noqa: F401
from trace_util import Server, Tracer, dropped_keys, netns_inode, workload

TX, RX = 1_234_567, 345_678

PEEK_CLIENT = r"""
import json, os, socket, sys
addr, port, tx, rx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection((addr, port))
s.sendall(b"c" * tx)
got = 0
while got < rx:
    s.recv(4096, socket.MSG_PEEK)         # shows bytes, must not count them
    got += len(s.recv(min(65536, rx - got)))
print(json.dumps({"pid": os.getpid(), "sport": s.getsockname()[1]}), flush=True)
s.close()
"""


def _sum(recs):
    flows = {}
    for r in recs:
        if "tx_bytes" not in r:
            continue
        k = (r["pid"], r["lport"], r["rport"])
        f = flows.setdefault(k, dict(r, tx_bytes=0, rx_bytes=0))
        f["tx_bytes"] += r["tx_bytes"]
        f["rx_bytes"] += r["rx_bytes"]
    return flows


def _close(a, b):
    return abs(a - b) <= b / 100


def test_bytes_match_workload(netns, sock_length_hooks):
    tr = Tracer(["tcptop", "--netns", netns.name, "-i", "0.2"])
    try:
        srv = Server(netns, "--recv", TX, "--send", RX)
        cli = workload(netns, "client", "--port", srv.port, "--send", TX, "--recv", RX)
        srv.wait()
    finally:
        recs = tr.stop()
    sock_length_hooks(tr.stderr)
    flows = _sum(recs)
    sport = cli["sports"][0]
    c, s = flows[(cli["pid"], sport, srv.port)], flows[(srv.pid, srv.port, sport)]
    assert _close(c["tx_bytes"], TX) and _close(c["rx_bytes"], RX), c
    assert _close(s["tx_bytes"], RX) and _close(s["rx_bytes"], TX), s
    # in fact exact: each byte once
    assert (c["tx_bytes"], c["rx_bytes"], s["tx_bytes"], s["rx_bytes"]) == (TX, RX, RX, TX)
    for f in (c, s):
        assert f["comm"] == "python3" and f["netns"] == netns_inode(netns)
        assert f["laddr"] == "127.0.0.1" and f["ip"] == 4
    assert len(flows) == 2, flows


def test_peek_not_counted_ipv6(netns):
    tr = Tracer(["tcptop", "--netns", netns.name, "-i", "0.3", "--sort", "rx"])
    try:
        srv = Server(netns, "--addr", "::1", "--recv", 5000, "--send", RX)
        p = netns.exec([PY, "-c", PEEK_CLIENT, "::1", str(srv.port), "5000", str(RX)])
        srv.wait()
    finally:
        recs = tr.stop()
    import json
    cli = json.loads(p.stdout)
    c = _sum(recs)[(cli["pid"], cli["sport"], srv.port)]
    assert (c["tx_bytes"], c["rx_bytes"], c["ip"], c["laddr"]) == (5000, RX, 6, "::1")


def test_refreshes_in_place_on_a_tty(netns):
    master, slave = pty.openpty()
    p = subprocess.Popen(wrap_cmd(["tcptop", "--netns", netns.name, "-i", "0.2"]),
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    try:
        def two_frames():
            nonlocal out
            while select.select([master], [], [], 0.05)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
            return out.count(b"\033[H\033[2J") >= 2
        wait_for(two_frames, timeout=20, what="two redraws")
    finally:
        p.send_signal(2)
        p.wait(timeout=20)
        os.close(master)
    assert p.returncode == 0
    assert b"connections" in out


def test_rolling_text_and_bad_sort(netns):
    tr = Tracer(["tcptop", "--netns", netns.name, "-i", "0.2"], json_mode=False)
    try:
        srv = Server(netns, "--recv", 100_000)
        workload(netns, "client", "--port", srv.port, "--send", 100_000)
        srv.wait()
    finally:
        out = tr.stop()
    assert "\033[" not in out and "TX_KB" in out and "97.7" in out
    p = run(["tcptop", "--sort", "pid"], check=False)
    assert p.returncode == 2 and "--sort" in p.stderr


def test_full_table_is_counted_not_evicted(netns):
    # 40 connections one after the other, each with 2 flows (the client's
    # socket and the server's) and 4 updates in this order: the client
    # sends 10 bytes, the server reads them and answers 1, the client reads
    # it. A table of 16: the first 8 connections are counted exactly, and
    # each update of the other 32 finds no room and is counted (4 x 32). An
    # LRU table would have evicted the first flows for later ones, in
    # silence. One summary, on exit (-i longer than the test).
    tr = Tracer(["tcptop", "--netns", netns.name, "--max-keys", "16", "-i", "3600"])
    try:
        srv = Server(netns, "--conns", 40, "--recv", 10, "--send", 1)
        cli = workload(netns, "client", "--port", srv.port, "--conns", 40, "--send", 10,
                       "--recv", 1, "--sport-base", 45000)
        srv.wait()
    finally:
        recs = tr.stop()
    rows = sorted((r["pid"], r["lport"], r["rport"], r["tx_bytes"], r["rx_bytes"])
                  for r in recs if "tx_bytes" in r)
    assert rows == sorted([(cli["pid"], 45000 + i, srv.port, 10, 1) for i in range(8)] +
                          [(srv.pid, srv.port, 45000 + i, 1, 10) for i in range(8)]), rows
    assert dropped_keys(recs) == 4 * 32 and recs[-1] == {"lost_events": 0}


def _table_size(pid, name):
    """Entries in the BPF hash map `name` that process pid holds open."""
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except FileNotFoundError:
            continue
        if "map_id" not in info:
            continue
        mid = info["map_id"].strip()
        show = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", mid],
                                         capture_output=True, text=True, check=True).stdout)
        if show.get("name") == name:
            dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", mid],
                                  capture_output=True, text=True, check=True).stdout
            return len(json.loads(dump))
    raise AssertionError(f"process {pid} holds no map {name}")


def test_idle_flows_leave_the_table(netns):
    # a table of 2 keys (one connection's two ends), connections one after
    # the other: each waits until the one before has left the table (idle
    # for an interval), so none is dropped and every byte is seen
    tr = Tracer(["tcptop", "--netns", netns.name, "--max-keys", "2", "-i", "0.1"])
    try:
        srv = Server(netns, "--conns", 3, "--recv", 10)
        for i in range(3):
            workload(netns, "client", "--port", srv.port, "--send", 10, "--sport-base", 45100 + i)
            wait_for(lambda: _table_size(tr.p.pid, "flows") == 0, timeout=10,
                     what="idle flows to leave the table")
        srv.wait()
    finally:
        recs = tr.stop()
    flows = _sum(recs)
    assert sorted((k[1], f["tx_bytes"]) for k, f in flows.items() if f["tx_bytes"]) == \
        [(45100 + i, 10) for i in range(3)]
    assert dropped_keys(recs) == 0
