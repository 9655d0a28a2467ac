"""Output that cannot be written: a reader that goes away (`netlens X | head
-1`) ends every streaming command promptly, quietly and with exit 0, as
`cat` does; a real write error (/dev/full) is reported once, with its own
errno; a tracer stopped by a signal while its pipe is full ends quietly."""
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import PY, run, wait_for, wrap_cmd

# Every kind of TCP event the tracers report, in a loop, in one namespace:
# sessions with data (lifetimes, states, connects, accepts, latency, windows,
# RTT, backlog, bytes), connects to a closed port (resets and drops) and
# SYNs routed into lo to an address nobody has (retransmissions); a listen()
# and a UDP connect() for the socket-layer tracers; a DNS query on port 53
# and its answer (dnssnoop).
TRAFFIC = r"""
import socket, time
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind(("127.0.0.1", 53))
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
port = ls.getsockname()[1]
closed = socket.socket()
closed.bind(("127.0.0.1", 0))
cport = closed.getsockname()[1]
closed.close()
pending = []
while True:
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = ls.accept()
    c.sendall(b"x" * 20000)
    got = 0
    while got < 20000:
        got += len(s.recv(65536))
    s.sendall(b"y" * 1000)
    c.recv(65536)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)  # tcpnagle: delayed ACK,
    c.send(b"a")
    c.send(b"b")  # so Nagle holds this until the close() below pushes it
    c.close()
    s.close()
    r = socket.socket()
    try:
        r.connect(("127.0.0.1", cport))
    except OSError:
        pass
    r.close()
    l2 = socket.socket()
    l2.bind(("127.0.0.1", 0))
    l2.listen(1)
    l2.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("127.0.0.1", cport))
    u.close()
    d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # dnssnoop: NXDOMAIN
    d.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04pipe\x04test\x00"
             b"\x00\x01\x00\x01", ("127.0.0.1", 53))
    m, peer = dns.recvfrom(512)
    dns.sendto(m[:2] + b"\x81\x83" + m[4:], peer)
    d.recvfrom(512)
    d.close()
    a, b = socket.socketpair()  # sofdsnoop: a descriptor passed (SCM_RIGHTS)
    socket.send_fds(a, [b"f"], [ls.fileno()])
    [socket.socket(fileno=fd).close() for fd in socket.recv_fds(b, 1, 1)[1]]
    a.close()
    b.close()
    socket.getaddrinfo("localhost", 80)  # gethostlatency: a name resolved (/etc/hosts)
    e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # ipecn: a CE mark
    e.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 3)
    e.sendto(b"e", ("127.0.0.1", cport))
    e.close()
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)  # superping
    echo = bytearray(b"\x08\x00\x00\x00\x12\x34\x00\x01")
    csum = sum(int.from_bytes(echo[i:i + 2], "big") for i in range(0, 8, 2))
    csum = ~((csum & 0xffff) + (csum >> 16)) & 0xffff
    echo[2:4] = csum.to_bytes(2, "big")
    icmp.sendto(bytes(echo), ("127.0.0.1", 0))
    icmp.recv(64)
    icmp.close()
    if not pending or time.monotonic() - pending[-1][1] > 0.5:
        q = socket.socket()
        q.setblocking(False)
        q.connect_ex(("10.254.0.2", 80))
        pending.append((q, time.monotonic()))
    while pending and time.monotonic() - pending[0][1] > 4:
        pending.pop(0)[0].close()
    time.sleep(0.01)
"""

EXIT_BOUND = 5  # seconds from the reader's close to the writer's exit


def tracers():
    """Every tracer, from the command table (tracers say so in their -h)."""
    names = re.findall(r"^  (\w+) ", run(["help"]).stdout, re.M)
    return [n for n in names if "lost_events" in run([n, "-h"]).stdout]


# the switch into a tracer's summary mode, for tracers that stream events
# and can also summarise (a new one must be added here: see the check below)
SUMMARY_SWITCH = {"tcpconnect": ["-c"], "tcpaccept": ["-c"], "tcpretrans": ["-c"],
                  "tcpreset": ["-c"], "skbdrop": ["-s"], "tcpdrop": ["-s"],
                  "tcpconnlat": ["--hist"], "soconnect": ["-c"],
                  "udpconnect": ["-c"], "soaccept": ["-c"], "soconnlat": ["--hist"],
                  "so1stbyte": ["--hist"], "tcpnagle": ["-c"], "gethostlatency": ["--hist"],
                  "dnssnoop": ["-c"], "superping": ["-c"]}


# operands a tracer needs (and then runs host-wide: it takes no --netns)
OPERANDS = {"stacks": ["net:netif_receive_skb"]}


def runs_here(t):
    # ieee80211scan needs the cfg80211 tracepoints (module BTF when loaded)
    return t != "ieee80211scan" or os.path.exists("/sys/kernel/btf/cfg80211")


def tracer_modes():
    """(tracer, args): events for tracers that stream, and -i summaries for
    every tracer that has them."""
    modes = []
    for t in filter(runs_here, tracers()):
        h = run([t, "-h"]).stdout
        streams, summarises = "\nEvent output:" in h, "--interval" in h
        if streams:
            modes.append((t, []))
        if summarises:
            if streams:
                assert t in SUMMARY_SWITCH, f"{t}: how does it summarise? add it"
            modes.append((t, SUMMARY_SWITCH.get(t, []) + ["-i", "0.2"] + OPERANDS.get(t, [])))
    return modes


def streaming_commands():
    """Commands other than tracers that print every -i seconds."""
    out = []
    for n in re.findall(r"^  (\w+) ", run(["help"]).stdout, re.M):
        h = run([n, "-h"]).stdout
        if "lost_events" not in h and "-i, --interval" in h and "-n, --count" in h:
            out.append(n)
    return out


@pytest.fixture
def busy_netns(netns):
    netns.exec(["ip", "route", "add", "10.254.0.0/24", "dev", "lo"])
    netns.popen([PY, "-c", TRAFFIC])
    yield netns


def read_line(f, timeout):
    """One line from the pipe f (bytes), polled with a deadline."""
    buf, deadline = b"", time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        assert left > 0, f"no line within {timeout}s; got {buf!r}"
        if select.select([f], [], [], left)[0]:
            chunk = os.read(f.fileno(), 65536)
            assert chunk, f"the writer closed its output; got {buf!r}"
            buf += chunk
    return buf.split(b"\n")[0].decode()


def head_1(args):
    """`netlens ARGS | head -1`: the first line, then the reader goes away.
    Returns (line, exit status, stderr, seconds from the close to the exit)."""
    with tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen(wrap_cmd(args), stdout=subprocess.PIPE, stderr=err)
        try:
            line = read_line(p.stdout, 60)
            p.stdout.close()
            t0 = time.monotonic()
            try:
                rc = p.wait(timeout=EXIT_BOUND)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{args} still running {EXIT_BOUND}s after its reader "
                                     "went away")
            took = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        err.seek(0)
        return line, rc, err.read(), took


def not_banner(stderr):
    return [l for l in stderr.splitlines() if not l.startswith("Tracing ")]


def test_every_tracer_is_covered():
    modes = tracer_modes()
    assert len({t for t, _ in modes}) >= 13, modes
    assert len(streaming_commands()) >= 2


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("mode", tracer_modes(), ids=lambda m: " ".join([m[0]] + m[1]))
def test_tracer_ends_when_its_reader_goes_away(busy_netns, mode, json_mode):
    tracer, args = mode
    where = [] if tracer in OPERANDS else ["--netns", busy_netns.name]
    line, rc, err, took = head_1((["-j"] if json_mode else []) + [tracer] + args + where)
    if json_mode:
        json.loads(line)
    assert rc == 0 and not not_banner(err), (rc, err)
    assert took < EXIT_BOUND


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("cmd", streaming_commands())
def test_interval_command_ends_when_its_reader_goes_away(busy_netns, cmd, json_mode):
    line, rc, err, took = head_1((["-j"] if json_mode else []) +
                                 [cmd, "-i", "0.2", "-N", busy_netns.name])
    if json_mode:
        json.loads(line)
    assert rc == 0 and err == "", (rc, err)


def _full_error(p, json_mode):
    """The one error line of a run whose stdout was /dev/full."""
    lines = [l for l in p.stderr.splitlines()
             if not l.startswith("Tracing ") and "warning" not in l]
    assert p.returncode == 1 and len(lines) == 1, p
    if json_mode:
        msg = json.loads(lines[0])["error"]
    else:
        assert lines[0].startswith("netlens: error: "), lines
        msg = lines[0]
    assert "No space left on device" in msg, msg


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("args", [["ss"], ["ss", "-ta"], ["sysctl"], ["links"],
                                  ["ifstat", "-i", "0.2", "-N", "NS"],
                                  ["nstat", "-i", "0.2", "-N", "NS"]])
def test_state_command_to_dev_full(busy_netns, args, json_mode):
    # ss, sysctl and links on the host (never empty: unix sockets, lo)
    args = [busy_netns.name if a == "NS" else a for a in args]
    with open("/dev/full", "w") as full:
        p = subprocess.run(wrap_cmd((["-j"] if json_mode else []) + args),
                           stdout=full, stderr=subprocess.PIPE, text=True, timeout=30)
    _full_error(p, json_mode)


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("args", [["tcplife"], ["tcpconnect", "-c", "-i", "0.2"]])
def test_tracer_to_dev_full(busy_netns, args, json_mode):
    # the first write fails: the tracer ends by itself and says why, once
    with open("/dev/full", "w") as full:
        p = subprocess.run(wrap_cmd((["-j"] if json_mode else []) + args +
                                    ["--netns", busy_netns.name]),
                           stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    _full_error(p, json_mode)


def _blocked_in_write(pid):
    """The process sleeps in write(2) (a full pipe)."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split()[0] == "1"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stop_with_a_full_pipe_is_quiet(busy_netns, sig):
    # nobody reads the pipe: it fills, the tracer blocks writing, and a
    # normal stop must end it at once without a stale errno on stderr
    r, w = os.pipe()
    with tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen(wrap_cmd(["-j", "tcpstates", "--netns", busy_netns.name]),
                             stdout=w, stderr=err)
        os.close(w)
        try:
            wait_for(lambda: _blocked_in_write(p.pid), timeout=60, what="a blocked write")
            p.send_signal(sig)
            rc = p.wait(timeout=EXIT_BOUND)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(r)
        err.seek(0)
        stderr = err.read()
    assert rc == 0 and not not_banner(stderr), (rc, stderr)
