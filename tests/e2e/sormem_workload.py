"""sormem's workload, run in a test namespace: an ICMP ping socket
(SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) with a small SO_RCVBUF bound to ident
IDENT that does not read while it sends N echo requests to loopback, so the
replies fill its queue and the rest are dropped (sock:sock_rcvqueue_full,
counted in the socket's drops in /proc/net/icmp{,6}); then it reads them
all. A first single probe reply, read at once, gives the truesize of one
reply. With --udp the socket is a UDP one bound to port IDENT, fed by a
second UDP socket (its drops in /proc/net/udp{,6}). Prints one JSON line:
pid, truesize, rcvbuf, queued, drops, reads.

With --tcp: a TCP connection on loopback to a listener on port IDENT (one
process, both ends); the client sends SENDS x 1000 bytes while the
accepted socket does not read, and once all of them are queued
(SIOCINQ) the accepted socket reads them 2500 bytes at a time. After each
read, the socket's own sk_rmem_alloc and sk_rcvbuf (SO_MEMINFO): nothing
arrives between the read and that call (the sender is done), so these are
the values the read left behind. Prints pid and rmem: [[rmem_alloc,
rcvbuf], ...] per read."""
import argparse
import ctypes
import json
import os
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("--family", type=int, default=4)
ap.add_argument("--sends", type=int, default=30)
ap.add_argument("--rcvbuf", type=int, default=4096)
ap.add_argument("--ident", type=int, default=4242)
ap.add_argument("--comm")
ap.add_argument("--udp", action="store_true",
                help="a UDP socket bound to port IDENT, fed by a second UDP socket")
ap.add_argument("--tcp", action="store_true", help="a TCP connection (see above)")
a = ap.parse_args()
if a.comm:
    ctypes.CDLL(None).prctl(15, a.comm.encode(), 0, 0, 0)  # PR_SET_NAME


def tcp_reads():
    """--tcp: [[rmem_alloc, rcvbuf]] after each read of the accepted socket."""
    import fcntl
    import termios
    fam, host = (socket.AF_INET6, "::1") if a.family == 6 else (socket.AF_INET, "127.0.0.1")
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)  # inherited, fixed
    ls.bind((host, a.ident))
    ls.listen(1)
    c = socket.create_connection((host, a.ident))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s, _ = ls.accept()
    total = a.sends * 1000
    for _ in range(a.sends):
        c.sendall(b"t" * 1000)
    end = time.time() + 10
    inq = bytearray(4)
    while fcntl.ioctl(s.fileno(), termios.FIONREAD, inq) == 0 and \
            struct.unpack("i", inq)[0] < total:
        if time.time() > end:
            raise SystemExit(f"timeout: {struct.unpack('i', inq)[0]} of {total} queued")
        time.sleep(0.01)
    out, got = [], 0
    while got < total:
        got += len(s.recv(2500))
        mi = struct.unpack("9I", s.getsockopt(socket.SOL_SOCKET, 55, 36))  # SO_MEMINFO
        out.append([mi[0], mi[1]])  # SK_MEMINFO_RMEM_ALLOC, SK_MEMINFO_RCVBUF
    print(json.dumps({"pid": os.getpid(), "rmem": out}), flush=True)
    raise SystemExit(0)


if a.tcp:
    tcp_reads()
with open("/proc/sys/net/ipv4/ping_group_range", "w") as f:
    f.write("0 0")

v6 = a.family == 6
fam, proto, host = ((socket.AF_INET6, socket.IPPROTO_ICMPV6, "::1") if v6 else
                    (socket.AF_INET, socket.IPPROTO_ICMP, "127.0.0.1"))
echo = 128 if v6 else 8
if a.udp:
    proto = socket.IPPROTO_UDP
s = socket.socket(fam, socket.SOCK_DGRAM, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
s.bind((host, a.ident))
ino = os.fstat(s.fileno()).st_ino
table = ("/proc/net/udp6" if v6 else "/proc/net/udp") if a.udp else \
    ("/proc/net/icmp6" if v6 else "/proc/net/icmp")
feeder = socket.socket(fam, socket.SOCK_DGRAM) if a.udp else None


def queue_and_drops():
    """(rx_queue bytes, drops) of the socket, from /proc/net/icmp{,6}."""
    with open(table) as f:
        for line in f.readlines()[1:]:
            x = line.split()
            if int(x[9]) == ino:
                return int(x[4].split(":")[1], 16), int(x[-1])
    raise SystemExit("socket not in " + table)


def wait(cond):
    end = time.time() + 10
    while not cond():
        if time.time() > end:
            raise SystemExit(f"timeout: {queue_and_drops()}")
        time.sleep(0.01)


def ping(seq):
    """An echo request whose reply queues on s; with --udp, a datagram to s."""
    if a.udp:
        feeder.sendto(b"x" * 100, (host, a.ident))
        return
    s.sendto(struct.pack("!BBHHH", echo, 0, 0, 0, seq) + b"x" * 100, (host, 0))


ping(0)
wait(lambda: queue_and_drops()[0] > 0)
truesize = queue_and_drops()[0]
s.recv(2000)
for i in range(a.sends):
    ping(i + 1)
# the queue took what fitted (sk_rmem_alloc < sk_rcvbuf), the rest dropped
wait(lambda: queue_and_drops()[1] + queue_and_drops()[0] // truesize == a.sends)
rxq, drops = queue_and_drops()
s.setblocking(False)
reads = 0
try:
    while True:
        s.recv(2000)
        reads += 1
except BlockingIOError:
    pass
print(json.dumps({"pid": os.getpid(), "truesize": truesize,
                  "rcvbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                  "queued": rxq // truesize, "drops": drops, "reads": reads}), flush=True)
