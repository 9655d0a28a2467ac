"""napistat: datagrams across a veth pair between two namespaces
(10.204.0.0/24) are polled by the backlog NAPI (veth without GRO) or by the
receiving veth's own NAPI (GRO on); the work counted is at least what the
receiver got; NET_RX softirqs are counted; the time squeeze is the one
/proc/net/softnet_stat shows."""
import re
import subprocess

from conftest import PY, run, veth_pair
from lowlevel_util import records_of, udp_across, veth_napi
from trace_util import Tracer

N = 300
A, B = "10.204.0.1", "10.204.0.2"


def squeeze_now():
    with open("/proc/net/softnet_stat") as f:
        rows = [[int(x, 16) for x in l.split()] for l in f if l.strip()]
    return {(r[12] if len(r) > 12 else i): r[2] for i, r in enumerate(rows)}


def pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b, A + "/24", B + "/24")
    return a, b


def test_backlog_work_covers_received_and_softirqs(netns_factory):
    a, b = pair(netns_factory)
    sq0 = squeeze_now()
    tr = Tracer(["napistat", "-i", "0.5"])
    try:
        got = udp_across(a, b, B, N)
    finally:
        recs = tr.stop()
    sq1 = squeeze_now()
    assert got == N
    assert recs[-1] == {"lost_events": 0}
    napi = records_of(recs, kind="napi", dev="backlog")
    assert napi and all(r["ifindex"] == 0 and r["budget"] > 0 for r in napi), napi
    assert sum(r["polls"] for r in napi) > 0
    assert all(abs(r["work_per_poll"] - r["work"] / r["polls"]) < 0.01 for r in napi)
    # veth without GRO hands packets to netif_rx(): the CPU's backlog NAPI
    assert sum(r["work"] for r in napi) >= got
    cpus = records_of(recs, kind="cpu")
    assert sum(r["net_rx"] for r in cpus) > 0
    for r in cpus:
        assert sq0[r["cpu"]] <= r["time_squeeze_total"] <= sq1[r["cpu"]], (r, sq0, sq1)
        assert r["dev"] == "*" and "time" in r and r["net_rx_ns"] >= 0
    # a CPU row sums its NAPI rows
    for c in cpus:
        rows = [r for r in records_of(recs, kind="napi", cpu=c["cpu"]) if r["time"] == c["time"]]
        assert c["polls"] == sum(r["polls"] for r in rows) and c["work"] == sum(r["work"] for r in rows)


def test_gro_veth_napi_named_and_filtered(netns_factory):
    a, b = pair(netns_factory)
    veth_napi(a, b)
    tr = Tracer(["napistat", "--netns", b.name, "--dev", "veth0", "-i", "0.5"])
    try:
        got = udp_across(a, b, B, N)
    finally:
        recs = tr.stop()
    assert got == N
    napi = records_of(recs, kind="napi")
    # only the receiving veth's own NAPI: the backlog and other devices are filtered out
    assert napi and {r["dev"] for r in napi} == {"veth0"}, napi
    assert sum(r["polls"] for r in napi) > 0
    assert sum(r["work"] for r in napi) >= got
    assert all(r["full_budget"] <= r["polls"] and r["timed_polls"] <= r["polls"] for r in napi)
    assert any(r["poll_ns"] > 0 for r in napi)


def test_text_columns(netns_factory):
    a, b = pair(netns_factory)
    tr = Tracer(["napistat", "-i", "0.5"], json_mode=False)
    try:
        udp_across(a, b, B, 50)
    finally:
        out = tr.stop()
    head = out.splitlines()[0].split()
    assert head == ["TIME", "CPU", "DEV", "POLLS", "WORK", "PERPOLL", "BUDGET", "FULL", "POLL_US",
                    "NET_RX", "RX_US", "NET_TX", "TX_US", "SQUEEZE"], head
    assert any(re.match(r"\d\d:\d\d:\d\d +\d+ backlog ", l) for l in out.splitlines()), out


def test_dev_unknown_refused(netns):
    p = run(["napistat", "--netns", netns.name, "--dev", "nosuch0", "-d", "0.1"], check=False)
    assert p.returncode == 2 and "nosuch0" in p.stderr, p.stderr


def test_more_napis_than_slots(netns_factory):
    # a CPU counts 8 NAPIs in array slots and the rest in a hash: ten
    # veths with their own NAPI, all polled on CPU 0 (a veth's NAPI runs
    # where the sender runs), each counted with the datagrams sent to it
    a, b = netns_factory(), netns_factory()
    for i in range(10):
        subprocess.run(["ip", "link", "add", f"v{i}", "netns", a.name, "type", "veth", "peer",
                        "name", f"w{i}", "netns", b.name], check=True)
        a.exec(["ip", "addr", "add", f"10.204.{10 + i}.1/24", "dev", f"v{i}"])
        b.exec(["ip", "addr", "add", f"10.204.{10 + i}.2/24", "dev", f"w{i}"])
        a.exec(["ip", "link", "set", f"v{i}", "up"])
        b.exec(["ip", "link", "set", f"w{i}", "up"])
        veth_napi(a, b, src_dev=f"v{i}", dst_dev=f"w{i}")
    tr = Tracer(["napistat", "--netns", b.name, "-i", "0.5"])
    try:
        send = "; ".join(f"s.sendto(b'x', ('10.204.{10 + i}.2', 9))" for i in range(10))
        a.exec(["taskset", "-c", "0", PY, "-c",
                f"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                f"for _ in range(20): {send}"])
    finally:
        recs = tr.stop()
    napi = records_of(recs, kind="napi")
    work = {}
    for r in napi:
        work[r["dev"]] = work.get(r["dev"], 0) + r["work"]
    assert work == {f"w{i}": work[f"w{i}"] for i in range(10)}, work
    assert all(w >= 20 for w in work.values()), work
    # CPU 0 polled them all: at least two through the hash
    assert len({r["dev"] for r in napi if r["cpu"] == 0}) == 10, napi
