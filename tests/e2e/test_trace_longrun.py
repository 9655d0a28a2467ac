"""No memory growth in long runs: tracers under a churn of short
connections whose keys (ephemeral ports, sockets) never come back keep a
flat resident size, in their interval modes from their 100th interval to
their 500th (each interval's keys go idle and are deleted in the kernel,
and user space must forget them too: previous values, names, rows), and
as event streams from their 2,000th event to their 40,000th; and their
open descriptors stay as many (an interval table makes a kernel map every
interval)."""
import os
import re

import pytest

from conftest import PY, wait_for
from trace_util import Tracer

pytestmark = pytest.mark.skipif(os.environ.get("NETLENS_VALGRIND") == "1",
                                reason="valgrind's own memory is what RSS would show")

# connections with fresh ephemeral ports, as fast as one process makes them,
# until killed: each connect, 100 bytes each way, close
CHURN = r"""
import socket, threading
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(512)
def serve():
    while True:
        c, _ = ls.accept(); c.sendall(c.recv(100)); c.close()
threading.Thread(target=serve, daemon=True).start()
port = ls.getsockname()[1]
while True:
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"x" * 100)
    s.recv(100); s.close()
"""

# (arguments, progress counted in intervals or in events, from, to)
TRACERS = [
    (["socketio", "-i", "0.02"], "intervals", 100, 500),
    (["tcptop", "-i", "0.02"], "intervals", 100, 500),
    (["soconnect", "-c", "-i", "0.02"], "intervals", 100, 500),
    (["tcpconnlat", "--hist", "-i", "0.02"], "intervals", 100, 500),
    # an interval table (trace/tables.c): a fresh kernel map every interval
    (["tcprtt", "-i", "0.02"], "intervals", 100, 500),
    (["tcplife"], "events", 2000, 40000),
    (["soconnlat"], "events", 2000, 40000),
]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Progress:
    """Intervals printed so far (distinct "time" values), or events (lines),
    read from where the last call stopped: the output grows to tens of MB
    and is polled every 20 ms."""

    def __init__(self, tr, unit):
        self.fd, self.unit = tr.out.fileno(), unit
        self.offset, self.tail, self.n, self.last_time = 0, b"", 0, None

    def __call__(self):
        size = os.fstat(self.fd).st_size
        data = self.tail + os.pread(self.fd, size - self.offset, self.offset)
        self.offset = size
        lines = data.split(b"\n")
        self.tail = lines.pop()  # a line still being written
        for line in lines:
            if self.unit == "events":
                self.n += 1
                continue
            m = re.search(rb'"time":([0-9.]+)', line)
            if m and m.group(1) != self.last_time:  # an interval's rows share its time
                self.n, self.last_time = self.n + 1, m.group(1)
        return self.n


@pytest.mark.parametrize("args,unit,start,end", TRACERS, ids=[" ".join(t[0]) for t in TRACERS])
def test_memory_stays_flat_in_a_long_run(netns, args, unit, start, end):
    churn = netns.popen([PY, "-c", CHURN])
    tr = Tracer(args + ["--netns", netns.name])
    try:
        done = Progress(tr, unit)
        wait_for(lambda: done() >= start, timeout=60, what=f"{start} {unit}")
        rss_start, fds_start = rss_kb(tr.p.pid), fds(tr.p.pid)
        wait_for(lambda: done() >= end, timeout=120, what=f"{end} {unit}")
        rss_end, fds_end = rss_kb(tr.p.pid), fds(tr.p.pid)
    finally:
        churn.kill()
        tr.stop()
    print(f"{args[0]}: VmRSS {rss_start} kB after {start} {unit}, {rss_end} kB after {end}; "
          f"{len(tr.stdout.splitlines())} lines")
    # hundreds of thousands of keys or tens of thousands of events: anything
    # kept per key, event or interval would show as megabytes; the
    # allocator's own slack stays well under one
    assert rss_end - rss_start < 1024, \
        f"{args[0]}: VmRSS {rss_start} kB after {start} {unit}, {rss_end} kB after {end}"
    # and no descriptor (maps, links, ring buffers) left open per interval
    assert fds_end == fds_start, f"{args[0]}: {fds_start} descriptors, then {fds_end}"
