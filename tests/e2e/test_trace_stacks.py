"""stacks: kernel stacks at net:net_dev_xmit while datagrams cross a veth
pair between two namespaces (10.204.0.0/24): the transmit path's frames,
counts that cover what was sent, --folded lines in flamegraph.pl's format,
unknown or malformed tracepoints refused, -d ending the run."""
import re
import time

from conftest import run, veth_pair
from lowlevel_util import udp_across
from trace_util import Tracer

N = 200
A, B = "10.204.0.1", "10.204.0.2"


def pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b, A + "/24", B + "/24")
    return a, b


def test_transmit_stacks_counted(netns_factory):
    a, b = pair(netns_factory)
    tr = Tracer(["stacks", "net:net_dev_xmit"])
    try:
        got = udp_across(a, b, B, N)
    finally:
        recs = tr.stop()
    assert got == N
    assert recs[-1] == {"lost_events": 0}, recs[-3:]
    # a hit whose stack's bucket in the stack map holds another stack (the
    # map hashes without chaining; other tests' traffic shares it) is lost,
    # and counted: rare, never silent
    (lost,) = [r["lost_stacks"] for r in recs if "lost_stacks" in r]
    assert lost <= N // 10, lost
    rows = [r for r in recs if "stack" in r]
    assert rows and all(r["tracepoint"] == "net:net_dev_xmit" for r in rows)
    # the datagrams sent from a (udp_sendmsg), over the veth
    sent = [r for r in rows if any(f.startswith("udp_sendmsg+") for f in r["stack"])]
    assert sum(r["count"] for r in sent) + lost >= N, sent
    frames = {f.split("+")[0] for r in sent for f in r["stack"]}
    assert {"dev_hard_start_xmit", "__dev_queue_xmit"} <= frames, frames
    # leaf first, the tracing machinery left out
    assert all(not r["stack"][0].startswith(("bpf_", "__traceiter", "__bpf_trace")) for r in rows)
    assert [r["count"] for r in rows] == sorted(r["count"] for r in rows)  # most frequent last


def test_folded(netns_factory):
    a, b = pair(netns_factory)
    tr = Tracer(["stacks", "--folded", "net:net_dev_xmit", "net:netif_receive_skb"],
                json_mode=False)
    try:
        udp_across(a, b, B, 50)
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines
    tps = set()
    for l in lines:
        m = re.fullmatch(r"((?:[\w.$]+;)+)(net:\w+) (\d+)", l)
        assert m, l
        tps.add(m.group(2))
        assert int(m.group(3)) > 0
    assert tps == {"net:net_dev_xmit", "net:netif_receive_skb"}, tps
    assert any(l.startswith("entry_SYSCALL_64") and ";udp_sendmsg;" in l for l in lines), lines


def test_unknown_and_malformed_refused():
    for args, msg in ((["net:no_such_tp"], "no tracepoint net:no_such_tp"),
                      (["nodots"], "'nodots' is not a tracepoint"),
                      ([], "expected at least one TRACEPOINT"),
                      (["net:net_dev_xmit", "net:net_dev_xmit"], "named twice")):
        p = run(["stacks"] + args + ["-d", "0.1"], check=False)
        assert p.returncode == 2 and msg in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr
    p = run(["-j", "stacks", "--folded", "net:net_dev_xmit"], check=False)
    assert p.returncode == 2 and "--folded" in p.stdout + p.stderr


def test_duration():
    t0 = time.monotonic()
    p = run(["-j", "stacks", "-d", "1", "net:net_dev_xmit"])
    took = time.monotonic() - t0
    assert 1.0 <= took < 6, took
    assert p.stdout.splitlines()[-1] == '{"lost_events":0}'
