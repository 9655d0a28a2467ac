#!/usr/bin/python3
"""Known TCP workloads for the tracer tests.

server: listens, prints {"pid", "port"} when ready (with --gate, waits for a
        line on stdin before the first accept), then for each of --conns
        connections: accepts, reads exactly --recv bytes, sends --send bytes,
        and closes first (--close-first) or after the peer's EOF (or reset);
        with --stay it exits only when its stdin closes.
client: opens --conns connections one after the other, from source ports
        --sport-base + i (0: ephemeral), sends --send bytes, reads exactly
        --recv bytes, holds the connection --hold seconds, closes (or waits
        for the server's EOF with --wait-eof); prints {"pid", "sports"}.
--reset: both close abortively (SO_LINGER 0: a reset instead of a FIN).
refuse: connects to --port where nothing listens, --conns times; with
        --ports N, to each of the N ports from --port up, --conns times each.
flood:  opens and closes --conns connections to --port as fast as it can.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_exact(s, n):
    got = 0
    while got < n:
        b = s.recv(min(65536, n - got))
        if not b:
            raise SystemExit(f"short read: {got}/{n}")
        got += len(b)


def wait_eof(s):
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass


def close(s, a):
    if a.reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def server(a):
    ls = socket.socket(family(a.addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(128)
    print(json.dumps({"pid": os.getpid(), "port": ls.getsockname()[1]}), flush=True)
    if a.gate:
        sys.stdin.readline()
    for _ in range(a.conns):
        c, _ = ls.accept()
        recv_exact(c, a.recv)
        c.sendall(b"s" * a.send)
        if not a.close_first:
            wait_eof(c)
        close(c, a)
    ls.close()
    if a.stay:
        sys.stdin.read()  # exit only when told (stdin closed)


def client(a):
    sports = []
    for i in range(a.conns):
        s = socket.socket(family(a.addr), socket.SOCK_STREAM)
        if a.sport_base:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a.addr, a.sport_base + i))
        s.connect((a.addr, a.port))
        sports.append(s.getsockname()[1])
        s.sendall(b"c" * a.send)
        recv_exact(s, a.recv)
        if a.hold:
            time.sleep(a.hold)
        if a.wait_eof:
            wait_eof(s)
        close(s, a)
    print(json.dumps({"pid": os.getpid(), "sports": sports}), flush=True)


def refuse(a):
    errs = []
    for port in range(a.port, a.port + a.ports):
        for _ in range(a.conns):
            s = socket.socket(family(a.addr), socket.SOCK_STREAM)
            try:
                s.connect((a.addr, port))
            except OSError as e:
                errs.append(e.errno)
            s.close()
    print(json.dumps({"pid": os.getpid(), "errnos": errs}), flush=True)


def flood(a):
    ls = socket.socket(family(a.addr), socket.SOCK_STREAM)
    ls.bind((a.addr, 0))
    ls.listen(4096)
    port = ls.getsockname()[1]
    for _ in range(a.conns):
        c = socket.create_connection((a.addr, port))
        s, _ = ls.accept()
        c.close()
        s.close()
    print(json.dumps({"pid": os.getpid()}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client", "refuse", "flood"])
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--ports", type=int, default=1, help="refuse: this many ports from --port")
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--recv", type=int, default=0)
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--sport-base", type=int, default=0)
    p.add_argument("--close-first", action="store_true")
    p.add_argument("--wait-eof", action="store_true")
    p.add_argument("--reset", action="store_true", help="close with a reset (SO_LINGER 0)")
    p.add_argument("--stay", action="store_true", help="server: exit at stdin EOF")
    p.add_argument("--gate", action="store_true", help="server: accept after a stdin line")
    a = p.parse_args()
    {"server": server, "client": client, "refuse": refuse, "flood": flood}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
