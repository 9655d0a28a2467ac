#!/usr/bin/python3
"""Known socket I/O for the socketio and socksize tests, in two processes.

The receiver (this process) binds a UDP socket and a TCP listener, makes a
UNIX stream pair and forks the sender, then prints one JSON line with the
pids and ports and waits for a line on stdin (the tracer attaches
meanwhile). Then, exactly:
  sender (command --sender-comm, default nlt-sender):
    9 sendto() of 100 bytes on an unconnected UDP socket to the receiver,
    one TCP connection to the listener and 5 send() of 3000 bytes on it,
    3 send() of 10 bytes on its end of the UNIX pair;
  receiver (command --comm, if given):
    one recv(MSG_PEEK) on the UDP socket (not counted), 9 recv() of up to
    1000 bytes (100 each), one recv() that fails with EAGAIN, one accept and
    one recv(15000, MSG_WAITALL) (one call of 15000 bytes), 3 recv(10) on
    the UNIX pair.
--tcp6: the TCP part on ::1 instead of 127.0.0.1. Prints a second JSON line
when done.
"""
import argparse
import ctypes
import json
import os
import socket
import sys

UDP_N, UDP_SIZE, TCP_N, TCP_SIZE, UNIX_N, UNIX_SIZE = 9, 100, 5, 3000, 3, 10


def set_comm(name):
    ctypes.CDLL(None, use_errno=True).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME


def sender(go_r, udp_port, tcp_addr, tcp_port, ux, sent_w):
    os.read(go_r, 1)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(UDP_N):
        u.sendto(b"u" * UDP_SIZE, ("127.0.0.1", udp_port))
    t = socket.create_connection((tcp_addr, tcp_port))
    for _ in range(TCP_N):
        assert t.send(b"t" * TCP_SIZE) == TCP_SIZE
    for _ in range(UNIX_N):
        ux.send(b"x" * UNIX_SIZE)
    os.write(sent_w, json.dumps({"udp_lport": u.getsockname()[1],
                                 "tcp_lport": t.getsockname()[1]}).encode())
    os.close(sent_w)
    os.read(go_r, 1)  # hold the sockets until the receiver is done
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--comm")
    ap.add_argument("--sender-comm", default="nlt-sender")
    ap.add_argument("--tcp6", action="store_true")
    a = ap.parse_args()
    tcp_addr = "::1" if a.tcp6 else "127.0.0.1"
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    ls = socket.socket(socket.AF_INET6 if a.tcp6 else socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((tcp_addr, 0))
    ls.listen(1)
    ux_s, ux_r = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    go_r, go_w = os.pipe()
    sent_r, sent_w = os.pipe()
    child = os.fork()
    if child == 0:
        # renamed from a longer name: the tracers' command is the new one,
        # with nothing of the old one's tail
        set_comm("nlt-sender-long")
        set_comm(a.sender_comm)
        os.close(go_w)
        os.close(sent_r)
        sender(go_r, udp.getsockname()[1], tcp_addr, ls.getsockname()[1], ux_s, sent_w)
    os.close(go_r)
    os.close(sent_w)
    if a.comm:
        set_comm(a.comm)
    print(json.dumps({"pid": os.getpid(), "sender": child, "udp_port": udp.getsockname()[1],
                      "tcp_port": ls.getsockname()[1]}), flush=True)
    sys.stdin.readline()
    os.write(go_w, b"g")
    sent = json.loads(os.read(sent_r, 4096))
    assert len(udp.recv(1000, socket.MSG_PEEK)) == UDP_SIZE
    for _ in range(UDP_N):
        assert len(udp.recv(1000)) == UDP_SIZE
    udp.setblocking(False)
    try:
        udp.recv(1000)
        raise AssertionError("a tenth datagram")
    except BlockingIOError:
        pass
    c, _ = ls.accept()
    assert len(c.recv(TCP_N * TCP_SIZE, socket.MSG_WAITALL)) == TCP_N * TCP_SIZE
    for _ in range(UNIX_N):
        assert len(ux_r.recv(UNIX_SIZE)) == UNIX_SIZE
    os.write(go_w, b"g")
    os.waitpid(child, 0)
    print(json.dumps(dict(sent, done=True)), flush=True)


if __name__ == "__main__":
    main()
