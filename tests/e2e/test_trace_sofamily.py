"""sofamily against a known mix of new sockets (so_workload.py mix): accepted
and connected sockets counted exactly per process and family (inet, inet6,
unix, and others), failures and AF_UNSPEC disconnects left out; the
filters; intervals; a full table; the docs."""
import json
import re
import signal

import pytest

from conftest import run
from so_util import (Gated, GatedScript, check_docs_list_exactly_the_options,
                     check_unloads, mix_rows, new_rows, run_traced)
from trace_util import Cgroup, Tracer

# a netlink connect, a UDP connect and then its disconnect (AF_UNSPEC):
# one netlink and one inet connect
OTHERS = r"""
import ctypes, socket
n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
n.connect((0, 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", 9))
unspec = ctypes.create_string_buffer(16)
assert ctypes.CDLL(None).connect(u.fileno(), unspec, 16) == 0
"""


def sofamily(*args, json_mode=True):
    return Tracer(["sofamily"] + [str(a) for a in args], json_mode=json_mode)


@pytest.mark.sanitize
def test_mix_counted_exactly(netns):
    w = Gated(netns, "mix")
    (out,), (recs,) = run_traced([w], sofamily("--netns", netns.name))
    # the refused connect and the EAGAIN accept are in the mix, not counted
    assert (out["refused_errno"], out["eagain_errno"]) == (111, 11)
    assert new_rows(recs, "family") == mix_rows(w, "family") == {
        (w.pid, "python3", "inet"): (3, 5), (w.pid, "python3", "inet6"): (2, 2),
        (w.pid, "python3", "unix"): (1, 2)}
    assert recs[-2] == {"dropped_keys": 0}
    assert {r["family"]: r["af"] for r in recs[:-2]} == {"inet": 2, "inet6": 10, "unix": 1}
    # most first
    assert [r["family"] for r in recs[:-2]] == ["inet", "inet6", "unix"]


def test_other_families_and_unspec_disconnect(netns):
    w = GatedScript(netns, OTHERS)
    _, (recs,) = run_traced([w], sofamily("-p", w.pid))
    assert new_rows(recs, "family") == {(w.pid, "python3", "netlink"): (0, 1),
                                        (w.pid, "python3", "inet"): (0, 1)}


def test_pid_and_comm_filters(netns):
    w1, w2 = Gated(netns, "mix"), Gated(netns, "mix", "--comm", "nlt-fam2")
    _, (rp, rc) = run_traced([w1, w2], sofamily("-p", w1.pid), sofamily("--comm", "nlt-fam2"))
    assert new_rows(rp, "family") == mix_rows(w1, "family")
    assert new_rows(rc, "family") == mix_rows(w2, "family", comm="nlt-fam2")


def test_netns_and_cgroup_filters(netns_factory):
    a, b = netns_factory(), netns_factory()
    cg = Cgroup()
    try:
        wa, wb = Gated(a, "mix"), Gated(b, "mix", cgroup=cg.path)
        wb2 = Gated(b, "mix")
        _, (ra, rcg) = run_traced([wa, wb, wb2], sofamily("--netns", a.name),
                                  sofamily("--cgroup", cg.path))
    finally:
        cg.close()
    assert new_rows(ra, "family") == mix_rows(wa, "family")
    assert new_rows(rcg, "family") == mix_rows(wb, "family")


def test_intervals_carry_the_time_and_add_up(netns):
    w = Gated(netns, "mix")
    _, (recs,) = run_traced([w], sofamily("--netns", netns.name, "-i", "0.2"))
    assert new_rows(recs, "family") == mix_rows(w, "family")
    assert all(isinstance(r["time"], float) for r in recs[:-2])


def test_text_table(netns):
    w = Gated(netns, "mix")
    _, (out,) = run_traced([w], sofamily("--netns", netns.name, json_mode=False))
    lines = out.splitlines()
    assert lines[0].split() == ["PID", "COMM", "FAMILY", "ACCEPT", "CONNECT"]
    assert [l.split() for l in lines[1:]] == [
        [str(w.pid), "python3", "inet", "3", "5"], [str(w.pid), "python3", "inet6", "2", "2"],
        [str(w.pid), "python3", "unix", "1", "2"]]
    # -i: the time first on each row
    p = run(["sofamily", "--netns", netns.name, "-i", "0.2", "-n", "2"])
    assert p.stdout.splitlines()[0].split()[0] == "TIME", p.stdout


def test_full_table_counts_dropped_keys(netns):
    # one key: the first family seen (inet) is counted, every event of the
    # other two is a dropped key (inet6: 2 accepts + 2 connects; unix: 1 + 2)
    w = Gated(netns, "mix")
    _, (recs,) = run_traced([w], sofamily("--netns", netns.name, "--max-keys", "1"))
    assert new_rows(recs, "family") == {(w.pid, "python3", "inet"): (3, 5)}
    assert recs[-2] == {"dropped_keys": 7}


def test_stats_names_the_programs(netns):
    p = run(["-j", "sofamily", "--netns", netns.name, "-d", "0.1", "--stats"])
    stats = [json.loads(l)["stats"] for l in p.stdout.splitlines() if "stats" in l]
    assert [(s["prog"], s["hook"]) for s in stats] == [
        ("sofamily_accept4_exit", "tracepoint/syscalls/sys_exit_accept4"),
        ("sofamily_accept_exit", "tracepoint/syscalls/sys_exit_accept"),
        ("sofamily_connect_enter", "tracepoint/syscalls/sys_enter_connect"),
        ("sofamily_connect_exit", "tracepoint/syscalls/sys_exit_connect")]
    assert re.search(r'"lost_events":0}$', p.stdout.strip())


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("sofamily")


@pytest.mark.sanitize
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_no_programs_left_behind(netns, sig):
    check_unloads(netns, "sofamily", sig)
