#!/usr/bin/python3
"""TCP sends that Nagle's algorithm or TCP_CORK holds back, with the truth
to compare tcpnagle against. A client connects to a server thread of the
same process that only reads, with delayed ACKs (TCP_QUICKACK 0 after every
read); every round starts with nothing unacked (SIOCOUTQ 0).

nagle:   each round sends --size bytes (they leave at once: nothing in
         flight) and at once --size more, which Nagle holds until the
         server's delayed ACK of the first. Rounds go on until --rounds
         of them were held (at most 8 times --rounds).
nodelay: the same with TCP_NODELAY: nothing is held.
cork:    TCP_NODELAY and TCP_CORK; each round sends --sends chunks of
         --size bytes, waits --cork-ms and uncorks, which sends them.

Prints one JSON line: pid, port (the server's), lport (the client's) and
per round "held_ms", the truth: from the return of the first send that
was held (nagle: the second; cork: the first) to the server's read of its
last byte (cork: the last chunk's) by the kernel (SO_TIMESTAMPNS). --gate prints {"pid": N} first and
waits for a line on stdin; --comm NAME sets the command name first."""
import argparse
import ctypes
import fcntl
import json
import os
import socket
import struct
import sys
import termios
import threading
import time

SO_TIMESTAMPNS = 35  # SCM_TIMESTAMPNS too: CLOCK_REALTIME of the segment's arrival

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["nagle", "nodelay", "cork"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=10)
    ap.add_argument("--sends", type=int, default=1)
    ap.add_argument("--cork-ms", type=float, default=50)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--comm")
    ap.add_argument("--gate", action="store_true")
    a = ap.parse_args()
    if a.comm:
        ctypes.CDLL(None).prctl(15, a.comm.encode(), 0, 0, 0)  # PR_SET_NAME
    if a.gate:
        print(json.dumps({"pid": os.getpid()}), flush=True)
        sys.stdin.readline()

    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.bind((a.addr, a.port))
    srv.listen(1)
    port = srv.getsockname()[1]
    arrivals = []  # (CLOCK_REALTIME ns, bytes read so far)
    cond = threading.Condition()
    # the server reads only as far as the client lets it: a read sends an
    # ACK at once when the socket is out of delayed-ACK ("pingpong") mode,
    # which would end a Nagle hold early; unread data is acked by the
    # delayed-ACK timer alone
    may_read = [0]
    ready = threading.Event()

    def serve():
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
        c.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        ready.set()
        got = 0
        while True:
            with cond:
                cond.wait_for(lambda: may_read[0] > got)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
            d, anc, _, _ = c.recvmsg(65536, 256)
            if not d:
                break
            # when the kernel received the last segment read, not when
            # this thread got to run
            now = next((s * 10**9 + ns for lvl, typ, v in anc
                        if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS
                        for s, ns in [struct.unpack("qq", v[:16])]), None)
            got += len(d)
            with cond:
                arrivals.append((now, got))
                cond.notify_all()
        c.close()

    th = threading.Thread(target=serve)
    th.start()
    cl = socket.create_connection((a.addr, port))
    lport = cl.getsockname()[1]
    if not ready.wait(10):
        sys.exit("not accepted")
    nodelay = a.mode != "nagle"
    cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(nodelay))
    sent = 0

    def arrival(end, stamped=True):
        with cond:
            may_read[0] = max(may_read[0], end)
            cond.notify_all()
            if not cond.wait_for(lambda: arrivals and arrivals[-1][1] >= end, timeout=10):
                sys.exit("data did not arrive")
            t = next(t for t, g in arrivals if g >= end)
            if stamped and t is None:
                sys.exit("a read without its receive timestamp")
            return t

    def all_acked():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            n = struct.unpack("i", fcntl.ioctl(cl, termios.TIOCOUTQ, b"\0" * 4))[0]
            if n == 0:
                return
            time.sleep(0.002)
        sys.exit("data not acked")

    # the kernel turns receive timestamps on a moment after the first
    # socket asks (a deferred static key): warm up until reads have them,
    # with TCP_NODELAY so that nothing of it is held
    cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(500):
        cl.send(b"w")
        sent += 1
        arrival(sent, stamped=False)
        if arrivals[-1][0] is not None:
            break
        time.sleep(0.01)
    else:
        sys.exit("no receive timestamps")
    cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(nodelay))

    rounds = []
    chunk = b"x" * a.size
    def more():
        # nagle: until --rounds rounds were held (a loaded machine can let the
        # server ack the first send at once, and then nothing is held), at
        # most 8 times as many
        if len(rounds) < a.rounds:
            return True
        held = sum(r["held_ms"] >= 20 for r in rounds)  # test_trace_tcpnagle.HELD_MS
        return a.mode == "nagle" and held < a.rounds and len(rounds) < 8 * a.rounds

    while more():
        all_acked()
        if a.mode == "cork":
            cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            t0 = None
            for _ in range(a.sends):
                cl.send(chunk)
                sent += a.size
                t0 = t0 or time.time_ns()
            time.sleep(a.cork_ms / 1000)
            cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        else:
            cl.send(chunk)
            cl.send(chunk)
            t0 = time.time_ns()
            sent += 2 * a.size
        all_acked()  # by the server's delayed ACKs, before it reads
        rounds.append({"held_ms": round((arrival(sent) - t0) / 1e6, 3)})
    all_acked()
    arrival(sent, stamped=False)
    with cond:
        may_read[0] = float("inf")  # on to the end of the stream
        cond.notify_all()
    cl.close()
    th.join()
    print(json.dumps({"pid": os.getpid(), "port": port, "lport": lport, "rounds": rounds}))


if __name__ == "__main__":
    main()
