"""Creates a known set of sockets in the current network namespace, prints
one JSON line describing them (ports, socket inodes, fds, pid), then holds
them until stdin closes.

Run by the ss end-to-end tests inside a namespace they own:
    ip netns exec NS /usr/bin/python3 sockmaker.py
"""
import json
import os
import socket
import sys
import time

BACKLOG_V4 = 7
BACKLOG_V6 = 13
BACKLOG_FULL = 2
PAYLOAD = 1000


def ino(s):
    return os.fstat(s.fileno()).st_ino


def listener(family, addr, backlog):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 0))
    s.listen(backlog)
    return s


def wait_until(cond, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"sockmaker: timed out waiting for {what}")
        time.sleep(0.01)


def tcp_state(sock):
    # TCP_INFO's first byte is the state (1 established, 6 time-wait, 7 close)
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


def main():
    keep = []
    d = {"pid": os.getpid()}

    l4 = listener(socket.AF_INET, "127.0.0.1", BACKLOG_V4)
    l6 = listener(socket.AF_INET6, "::1", BACKLOG_V6)
    keep += [l4, l6]
    d["l4"] = {"port": l4.getsockname()[1], "inode": ino(l4), "fd": l4.fileno(), "backlog": BACKLOG_V4}
    d["l6"] = {"port": l6.getsockname()[1], "inode": ino(l6), "fd": l6.fileno(), "backlog": BACKLOG_V6}

    # established pairs, one per family; the client sends PAYLOAD bytes
    d["estab"] = []
    for lsock, fam, addr in ((l4, socket.AF_INET, "127.0.0.1"), (l6, socket.AF_INET6, "::1")):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.connect((addr, lsock.getsockname()[1]))
        a, _ = lsock.accept()
        c.sendall(b"x" * PAYLOAD)
        got = 0
        while got < PAYLOAD:
            got += len(a.recv(PAYLOAD - got))
        keep += [c, a]
        d["estab"].append({"family": "inet" if fam == socket.AF_INET else "inet6",
                           "client_port": c.getsockname()[1], "server_port": lsock.getsockname()[1],
                           "client_inode": ino(c), "server_inode": ino(a),
                           "client_fd": c.fileno(), "server_fd": a.fileno()})

    # TIME-WAIT: the client sends its FIN first, then the server; the client
    # reads the server's FIN before close(), so its own socket enters
    # TIME-WAIT (an orphan in FIN-WAIT-2 can answer the FIN with a RST)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.connect(("127.0.0.1", l4.getsockname()[1]))
    a, _ = l4.accept()
    tw_port = c.getsockname()[1]
    c.shutdown(socket.SHUT_WR)
    wait_until(lambda: a.recv(1) == b"", "FIN at the server")
    a.close()
    wait_until(lambda: c.recv(1) == b"", "FIN at the client")
    c.close()
    d["timewait"] = {"client_port": tw_port, "server_port": l4.getsockname()[1]}

    # a listener whose accept queue is full: backlog 2 holds 3 connections
    full = listener(socket.AF_INET, "127.0.0.1", BACKLOG_FULL)
    keep.append(full)
    clients = []
    for _ in range(BACKLOG_FULL + 1):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(("127.0.0.1", full.getsockname()[1]))
        clients.append(c)
    keep += clients
    d["full"] = {"port": full.getsockname()[1], "inode": ino(full), "backlog": BACKLOG_FULL,
                 "queued": BACKLOG_FULL + 1}

    # UDP: one bound, one connected
    u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u1.bind(("127.0.0.1", 0))
    u2 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u2.bind(("::1", 0))
    u2.connect(("::1", 9))
    keep += [u1, u2]
    d["udp_bound"] = {"port": u1.getsockname()[1], "inode": ino(u1)}
    d["udp_connected"] = {"port": u2.getsockname()[1], "inode": ino(u2), "peer_port": 9}

    # UNIX: a stream listener with one connection, and a bound datagram socket
    # abstract names live in the network namespace: nothing is left on disk
    base = f"\0nlt-sockmaker-{os.getpid()}"
    us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    us.bind(base + ".stream")
    us.listen(4)
    uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uc.connect(base + ".stream")
    ua, _ = us.accept()
    ud = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ud.bind(base + ".dgram")
    keep += [us, uc, ua, ud]
    shown = "@" + base[1:]  # how ss and netlens print an abstract name
    d["unix_listener"] = {"path": shown + ".stream", "inode": ino(us)}
    d["unix_pair"] = {"client_inode": ino(uc), "server_inode": ino(ua)}
    d["unix_dgram"] = {"path": shown + ".dgram", "inode": ino(ud)}

    print(json.dumps(d), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
