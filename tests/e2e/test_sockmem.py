"""netlens sockmem: the source notes' pressure example through a recorded
/proc tree, and live figures in a namespace against the kernel's files."""
import os
import subprocess

import pytest

from conftest import PY, run, run_json

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "sockmem_pressure")
PAGE = os.sysconf("SC_PAGESIZE")

HOLD_UDP = r"""
import socket, sys
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print("ready", flush=True); sys.stdin.readline()
"""


def sections(rows):
    out = {}
    for r in rows:
        out.setdefault(r["section"], []).append(r)
    return out


@pytest.mark.sanitize
def test_notes_example_under_pressure():
    env = dict(os.environ, NETLENS_PROC_ROOT=os.path.abspath(FIXTURE))
    s = sections(run_json(["sockmem"], env=env))
    tcp = next(r for r in s["pool"] if r["pool"] == "tcp")
    assert tcp["used_pages"] == 36 and tcp["used_bytes"] == 36 * PAGE
    assert (tcp["low_pages"], tcp["pressure_pages"], tcp["high_pages"]) == (24, 32, 48)
    assert tcp["high_bytes"] == 48 * PAGE
    assert tcp["zone"] == "pressure-to-high" and tcp["in_pressure"] == "yes"
    assert "pressure" in tcp["meaning"]
    udp = next(r for r in s["pool"] if r["pool"] == "udp")
    assert udp["zone"] == "below-low"
    proto = {r["protocol"]: r for r in s["protocol"]}
    assert proto["TCP"]["pressure"] == "yes" and proto["TCP"]["sockets"] == 28
    assert "UNIX" in proto  # has sockets; PACKET too
    assert "XDP" not in proto  # no sockets, no memory accounting: only with -a
    assert "XDP" in {r["protocol"] for r in run_json(["sockmem", "-a"], env=env) if r["section"] == "protocol"}
    st = {r["protocol"]: r for r in s["sockstat"]}
    assert st["TCP"]["orphan"] == 3 and st["TCP"]["mem"] == 36 and st["TCP6"]["inuse"] == 2
    buf = {r["sysctl"]: r for r in s["buffer"]}
    assert buf["net.ipv4.tcp_rmem"]["max"] == 6291456
    text = run(["sockmem"], env=env).stdout
    assert "pressure-to-high" in text and "TCP" in text


def test_live_namespace(netns):
    holder = netns.popen([PY, "-c", HOLD_UDP, "3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    s = sections(run_json(["sockmem"], ns=netns.name))
    st = {r["protocol"]: r for r in s["sockstat"]}
    assert st["UDP"]["inuse"] == 3
    # tcp_mem is host-wide: not visible inside a namespace, so no zone there
    tcp = next(r for r in s["pool"] if r["pool"] == "tcp")
    assert tcp["zone"] == "unknown" and "initial network namespace" in tcp["meaning"]
    assert "used_pages" in tcp
    rmem = [int(x) for x in netns.exec(["cat", "/proc/sys/net/ipv4/tcp_rmem"]).stdout.split()]
    buf = {r["sysctl"]: r for r in s["buffer"]}
    assert [buf["net.ipv4.tcp_rmem"][k] for k in ("min", "default", "max")] == rmem
    holder.stdin.close()


def test_live_initial_namespace():
    s = sections(run_json(["sockmem"]))
    with open("/proc/sys/net/ipv4/tcp_mem") as f:
        tcp_mem = [int(x) for x in f.read().split()]
    tcp = next(r for r in s["pool"] if r["pool"] == "tcp")
    assert [tcp["low_pages"], tcp["pressure_pages"], tcp["high_pages"]] == tcp_mem
    assert tcp["low_bytes"] == tcp_mem[0] * PAGE
    assert tcp["zone"] in ("below-low", "low-to-pressure", "pressure-to-high", "above-high")


def test_errors():
    assert run(["sockmem", "--bogus"], check=False).returncode == 2
    assert run(["sockmem", "extra"], check=False).returncode == 2
    p = run(["sockmem"], env=dict(os.environ, NETLENS_PROC_ROOT="/nonexistent"), check=False)
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and "/proc/net/protocols" in p.stderr
