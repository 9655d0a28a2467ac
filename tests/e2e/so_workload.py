#!/usr/bin/python3
"""Socket-layer workloads for the soconnect/udpconnect/solisten/soaccept
tests. Each mode does its system calls, then prints one JSON line with
what the tests compare against (the pid, the descriptors, the errnos).

connect: --conns connect() calls to --addr/--port (a UNIX path, or an
         abstract name when --addr starts with '@'), each on a fresh socket
         (--type stream|dgram, --nonblock); with --listen, a listener of
         the same family is opened first (--port 0: its port) and the
         connects go to it.
listen:  one socket per --backlog value, bound to --addr (port 0) and
         listening with that backlog; held until stdin closes when --stay.
accept:  a listener on --addr; --conns clients connect and are accepted
         one by one (bound to --client-addr followed by their number when
         given); then one non-blocking accept() that fails (EAGAIN).
mix:     a fixed recipe of socket calls in one process (mix_expected() says
         what it makes, as the sockstat/sofamily/soprotocol tests
         count it); --sends N datagrams sent and received one by one; with
         --gate it prints its pid and waits for a line on stdin first.
--comm NAME sets the process's command name first (for --comm filters).
"""
import argparse
import ctypes
import errno
import json
import os
import socket
import sys

from mmsg_util import libc, mmsgs


def family(addr):
    if addr.startswith("/") or addr.startswith("@"):
        return socket.AF_UNIX
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sockaddr(addr, port):
    if addr.startswith("@"):
        return "\0" + addr[1:]
    if addr.startswith("/"):
        return addr
    return (addr, port)


def connect(a):
    fam = family(a.addr)
    kind = socket.SOCK_DGRAM if a.type == "dgram" else socket.SOCK_STREAM
    keep, port = [], a.port
    if a.listen:
        ls = socket.socket(fam, kind)
        ls.bind(sockaddr(a.addr, a.port))
        if kind == socket.SOCK_STREAM:
            ls.listen(64)
        if fam != socket.AF_UNIX:
            port = ls.getsockname()[1]
        keep.append(ls)
    fds, errnos = [], []
    for _ in range(a.conns):
        s = socket.socket(fam, kind)
        s.setblocking(not a.nonblock)
        fds.append(s.fileno())
        errnos.append(s.connect_ex(sockaddr(a.addr, port)))
        keep.append(s)
    print(json.dumps({"pid": os.getpid(), "port": port, "fds": fds, "errnos": errnos}),
          flush=True)


def listen(a):
    out = []
    keep = []
    for b in a.backlog:
        s = socket.socket(family(a.addr), socket.SOCK_STREAM)
        s.bind(sockaddr(a.addr, 0))
        s.listen(b)
        keep.append(s)
        port = s.getsockname()[1] if family(a.addr) != socket.AF_UNIX else 0
        out.append({"fd": s.fileno(), "backlog": b, "port": port})
    print(json.dumps({"pid": os.getpid(), "listens": out}), flush=True)
    if a.stay:
        sys.stdin.read()


def accept(a):
    fam = family(a.addr)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.bind(sockaddr(a.addr, 0))
    ls.listen(64)
    port = ls.getsockname()[1] if fam != socket.AF_UNIX else 0
    got, keep = [], []
    for i in range(a.conns):
        c = socket.socket(fam, socket.SOCK_STREAM)
        if a.client_addr:
            c.bind(sockaddr(f"{a.client_addr}{i}", 0))
        c.connect(sockaddr(a.addr, port))
        s, peer = ls.accept()
        if fam == socket.AF_UNIX:
            got.append({"fd": s.fileno(), "rport": 0, "cport": 0})
        else:
            got.append({"fd": s.fileno(), "rport": peer[1], "cport": c.getsockname()[1]})
        keep += [c, s]
    ls.setblocking(False)
    err = 0
    try:
        ls.accept()
    except BlockingIOError as e:
        err = e.errno
    print(json.dumps({"pid": os.getpid(), "lfd": ls.fileno(), "port": port, "accepted": got,
                      "nonblock_errno": err}), flush=True)


# What mix() makes, by the names the tests use: system calls entered, then
# the kernel's socket sends/receives (write()/read() and each message of
# sendmmsg()/recvmmsg() included), then the new sockets by family and by
# protocol (accepted, and connected with success or EINPROGRESS).
def mix_expected(sends):
    return {
        "syscalls": {"socket": 14, "bind": 5, "listen": 3, "accept": 2, "accept4": 5,
                     "connect": 10, "shutdown": 2, "sendto": sends, "sendmsg": 1,
                     "sendmmsg": 1, "recvfrom": sends, "recvmsg": 1, "recvmmsg": 1},
        "sock_send": sends + 4, "sock_recv": sends + 4,
        "family": {"inet": (3, 5), "inet6": (2, 2), "unix": (1, 2)},          # (accept, connect)
        "protocol": {"tcp": (5, 6), "udp": (0, 1), "unix-stream": (1, 1), "unix-dgram": (0, 1)},
    }


def mix(a):
    pid = os.getpid()
    if a.gate:
        print(json.dumps({"pid": pid}), flush=True)
        sys.stdin.readline()
    A, S = socket.AF_INET, socket.SOCK_STREAM
    # three listeners: socket, bind, listen each
    ls4 = socket.socket(A, S)
    ls4.bind(("127.0.0.1", 0))
    ls4.listen(8)
    ls6 = socket.socket(socket.AF_INET6, S)
    ls6.bind(("::1", 0))
    ls6.listen(8)
    lsu = socket.socket(socket.AF_UNIX, S)
    lsu.bind(f"\0nlt-mix-{pid}")
    lsu.listen(8)
    # 3 TCP/IPv4 connects accepted with accept4() (Python's accept)
    c4, s4 = [], []
    for _ in range(3):
        c = socket.socket(A, S)
        c.connect(ls4.getsockname())
        c4.append(c)
        s4.append(ls4.accept()[0])
    # 2 TCP/IPv6 connects accepted with accept()
    c6, s6 = [], []
    for _ in range(2):
        c = socket.socket(socket.AF_INET6, S)
        c.connect(ls6.getsockname()[:2])
        c6.append(c)
        fd = libc.accept(ls6.fileno(), None, None)
        assert fd >= 0, ctypes.get_errno()
        s6.append(socket.socket(fileno=fd))
    # a UNIX stream connect, accepted with accept4()
    cu = socket.socket(socket.AF_UNIX, S)
    cu.connect(f"\0nlt-mix-{pid}")
    su = lsu.accept()[0]
    # a non-blocking connect (EINPROGRESS, counted as a new connection) and
    # a refused one (not counted)
    nb = socket.socket(A, S)
    nb.setblocking(False)
    nb_err = nb.connect_ex(ls4.getsockname())
    rf = socket.socket(A, S)
    rf_err = rf.connect_ex(("127.0.0.1", 9))
    # UDP bound and connected to itself
    udp = socket.socket(A, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.connect(udp.getsockname())
    # UNIX datagram: a bound socket and one connected to it
    uds = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    uds.bind(f"\0nlt-mixd-{pid}")
    udc = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    udc.connect(f"\0nlt-mixd-{pid}")
    # an accept4() that fails (EAGAIN: not counted as a new connection)
    lsu.setblocking(False)
    try:
        lsu.accept()
        eagain = 0
    except BlockingIOError as e:
        eagain = e.errno
    c4[2].shutdown(socket.SHUT_WR)
    cu.shutdown(socket.SHUT_RDWR)
    # data: sendto/recvfrom (send/recv), sendmsg/recvmsg, write/read on a
    # socket (no socket system call), sendmmsg/recvmmsg of 2 messages
    for i in range(a.sends):
        udp.send(b"d%d" % i)
    for i in range(a.sends):
        udp.recv(64)
    c4[0].sendmsg([b"hello"])
    s4[0].recvmsg(64)
    os.write(c4[1].fileno(), b"abc")
    os.read(s4[1].fileno(), 64)
    out, keep = mmsgs([8] * 2)
    assert libc.sendmmsg(udp.fileno(), out, 2, 0) == 2, ctypes.get_errno()
    inp, keep2 = mmsgs([64] * 2)
    assert libc.recvmmsg(udp.fileno(), inp, 2, 0, None) == 2, ctypes.get_errno()
    print(json.dumps({"pid": pid, "nonblock_errno": nb_err, "refused_errno": rf_err,
                      "eagain_errno": eagain}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["connect", "listen", "accept", "mix"])
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--type", choices=["stream", "dgram"], default="stream")
    p.add_argument("--nonblock", action="store_true")
    p.add_argument("--listen", action="store_true")
    p.add_argument("--backlog", type=int, action="append", default=[])
    p.add_argument("--stay", action="store_true")
    p.add_argument("--comm")
    p.add_argument("--client-addr")
    p.add_argument("--sends", type=int, default=6)
    p.add_argument("--gate", action="store_true")
    a = p.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm)
    {"connect": connect, "listen": listen, "accept": accept, "mix": mix}[a.mode](a)


if __name__ == "__main__":
    main()
