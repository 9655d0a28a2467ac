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
--comm NAME sets the process's command name first (for --comm filters).
"""
import argparse
import errno
import json
import os
import socket
import sys


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["connect", "listen", "accept"])
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
    a = p.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm)
    {"connect": connect, "listen": listen, "accept": accept}[a.mode](a)


if __name__ == "__main__":
    main()
