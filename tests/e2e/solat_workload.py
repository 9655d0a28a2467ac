#!/usr/bin/python3
"""Workloads for the soconnlat and so1stbyte tests. Each mode does its
connects, then prints one JSON line with what the tests compare against.

connect:   --conns connects to --addr/--port, one after the other, each on
           a fresh TCP socket (--nonblock: connect_ex, then a bounded wait
           for the outcome and SO_ERROR); with --listen, a listener opened
           first (--port 0: its port) takes them. --abandon SECS: a
           non-blocking connect still pending after SECS is closed.
           Prints the pid, the port and each connect's errno (0: connected;
           -1: abandoned) and how long it took as seen here (ms).
firstbyte: a listener (on --port) and a server thread that accepts each connection,
           waits --delay SECS, sends one byte and closes; --conns clients
           connect (--nonblock as above), read the byte and close.
           --silent N more clients connect to a listener that never sends,
           and close without reading, first. --shutwr: the clients shut
           their sending side down before they read.
--gate: print {"pid": N} first and wait for a line on stdin before the
connects (the tests start the tracer with -p N meanwhile). --comm NAME
sets the process's command name first.
"""
import argparse
import errno
import json
import os
import select
import socket
import sys
import threading
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def one_connect(a, port):
    """(errno, ms): the connect's outcome as the application learns it."""
    s = socket.socket(family(a.addr), socket.SOCK_STREAM)
    s.setblocking(not a.nonblock)
    t = time.monotonic()
    err = s.connect_ex((a.addr, port))
    if err == errno.EINPROGRESS:
        wait = a.abandon if a.abandon else 30
        _, w, _ = select.select([], [s], [], wait)
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if w else -1
    ms = (time.monotonic() - t) * 1000
    return s, err, ms


def connect(a):
    keep, port = [], a.port
    if a.listen:
        ls = socket.socket(family(a.addr), socket.SOCK_STREAM)
        ls.bind((a.addr, a.port))
        ls.listen(64)
        port = ls.getsockname()[1]
        keep.append(ls)
    gate(a)
    errs, mss = [], []
    for _ in range(a.conns):
        s, err, ms = one_connect(a, port)
        errs.append(err)
        mss.append(ms)
        if err == -1:
            s.close()
        else:
            keep.append(s)
    print(json.dumps({"pid": os.getpid(), "port": port, "errnos": errs, "ms": mss}), flush=True)


def firstbyte(a):
    ls = socket.socket(family(a.addr), socket.SOCK_STREAM)
    ls.bind((a.addr, a.port))
    ls.listen(64)
    port = ls.getsockname()[1]
    quiet = socket.socket(family(a.addr), socket.SOCK_STREAM)
    quiet.bind((a.addr, 0))
    quiet.listen(64)

    def serve():
        for _ in range(a.conns):
            c, _ = ls.accept()
            time.sleep(a.delay)
            c.sendall(b"x")
            c.close()

    gate(a)
    for _ in range(a.silent):
        s = socket.socket(family(a.addr), socket.SOCK_STREAM)
        s.connect((a.addr, quiet.getsockname()[1]))
        s.close()
    th = threading.Thread(target=serve)
    th.start()
    mss = []
    for _ in range(a.conns):
        s, err, _ = one_connect(a, port)
        assert err == 0, err
        if a.shutwr:
            s.shutdown(socket.SHUT_WR)
        t = time.monotonic()
        s.setblocking(True)
        assert s.recv(1) == b"x"
        mss.append((time.monotonic() - t) * 1000)
        s.close()
    th.join()
    print(json.dumps({"pid": os.getpid(), "port": port, "quiet_port": quiet.getsockname()[1],
                      "ms": mss}), flush=True)


def gate(a):
    if a.gate:
        print(json.dumps({"pid": os.getpid()}), flush=True)
        sys.stdin.readline()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["connect", "firstbyte"])
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--nonblock", action="store_true")
    p.add_argument("--listen", action="store_true")
    p.add_argument("--abandon", type=float, default=0)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--silent", type=int, default=0)
    p.add_argument("--shutwr", action="store_true")
    p.add_argument("--gate", action="store_true")
    p.add_argument("--comm")
    a = p.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm)
    {"connect": connect, "firstbyte": firstbyte}[a.mode](a)


if __name__ == "__main__":
    main()
