"""The tracer framework: lost events, teardown, --stats, option errors."""
import signal

import pytest

from conftest import run, wait_for
from trace_util import Server, Tracer, bpf_prog_ids, events, workload


def test_lost_events_counted_and_tracer_survives(netns):
    # A stopped consumer cannot drain the 4 KiB buffer: the flood must be lost
    # in part, counted in the kernel, and reported; the tracer then carries on.
    tr = Tracer(["tcpstates", "--netns", netns.name, "--ringbuf-size", "4096"])
    try:
        tr.p.send_signal(signal.SIGSTOP)
        workload(netns, "flood", "--conns", 300)
        tr.p.send_signal(signal.SIGCONT)
        srv = Server(netns, "--conns", 1)
        workload(netns, "client", "--port", srv.port, "--conns", 1)
        srv.wait()
    finally:
        tr.p.send_signal(signal.SIGCONT)
        recs = tr.stop()
    assert recs[-1]["lost_events"] > 0
    assert any(e.get("lport") == srv.port and e["newstate"] == "LISTEN" for e in events(recs))


def test_lost_events_text_mode(netns):
    tr = Tracer(["tcpstates", "--netns", netns.name, "--ringbuf-size", "4096"], json_mode=False)
    try:
        tr.p.send_signal(signal.SIGSTOP)
        workload(netns, "flood", "--conns", 300)
    finally:
        tr.p.send_signal(signal.SIGCONT)
        tr.stop()
    assert " events lost" in tr.stderr


@pytest.mark.sanitize
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("tracer", ["tcplife", "tcpaccept", "tcpconnlat"])
def test_no_programs_left_behind(netns, tracer, sig):
    before = bpf_prog_ids()
    tr = Tracer([tracer, "--netns", netns.name])
    mine = {i: n for i, n in bpf_prog_ids().items() if i not in before}
    assert any(n.startswith(tracer) for n in mine.values()), mine
    tr.stop(sig)
    assert wait_for(lambda: not (set(mine) & set(bpf_prog_ids())), timeout=10,
                    what="programs to be unloaded")


def test_stats_and_duration(netns):
    # -d ends the run by itself; --stats reports each attached program
    p = run(["-j", "tcplife", "--netns", netns.name, "-d", "0.3", "--stats"])
    recs = [__import__("json").loads(l) for l in p.stdout.splitlines()]
    stats = [r["stats"] for r in recs if "stats" in r]
    assert {s["hook"] for s in stats} == {"tp_btf/inet_sock_set_state", "tp_btf/sys_exit"}
    assert all(s["run_cnt"] >= 0 and "mean_ns" in s for s in stats)
    assert {"lost_events": 0} in recs


@pytest.mark.parametrize("args,msg", [
    (["tcplife", "-P", "0"], "-P"),
    (["tcplife", "-P", "1,2,3,4,5,6,7,8,9"], "at most"),
    (["tcplife", "--netns", "no-such-ns-xyz"], "--netns"),
    (["tcplife", "--comm", "x" * 20], "--comm"),
    (["tcplife", "--ringbuf-size", "5000"], "power of two"),
    (["tcplife", "--bogus"], "unknown option"),
    (["tcpconnlat", "--linear", "0"], "--linear"),
])
def test_option_errors(args, msg):
    p = run(args, check=False)
    assert p.returncode == 2 and msg in p.stderr, p.stderr
