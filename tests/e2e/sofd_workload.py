#!/usr/bin/python3
"""Descriptor passing for the sofdsnoop tests: a parent and a forked child
over a socketpair(AF_UNIX). The parent passes, in one sendmsg() with
SCM_RIGHTS, an open file (--file PATH, created), the write end of a pipe
and a TCP socket connected on loopback; --extra N adds N more copies of
the pipe end. Only once the sendmsg() returned does the child call
recvmsg(), so the sender's event comes first. With --bad the parent
first sends a message naming a descriptor that is not open (EBADF: no
descriptor passed).

--comm NAME sets the command name first; --wait prints {"pid": P} and
waits for a line on stdin before starting. Prints one JSON line: the pids,
both socket descriptors, the numbers sent and received, the inodes, the
file name and the TCP socket's ports.
"""
import argparse
import json
import os
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--extra", type=int, default=0)
    ap.add_argument("--bad", action="store_true")
    ap.add_argument("--comm")
    ap.add_argument("--wait", action="store_true")
    a = ap.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm)
    if a.wait:
        print(json.dumps({"pid": os.getpid()}), flush=True)
        sys.stdin.readline()
    ps, cs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    psfd, csfd = ps.fileno(), cs.fileno()
    go_r, go_w = os.pipe()     # parent -> child: the sendmsg() returned
    res_r, res_w = os.pipe()   # child -> parent: what it received
    f = open(a.file, "w")
    pr, pw = os.pipe()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    tcp = socket.create_connection(ls.getsockname())
    child = os.fork()
    if child == 0:
        ps.close()
        os.read(go_r, 1)
        _, fds, _, _ = socket.recv_fds(cs, 16, 16)
        os.write(res_w, json.dumps({"pid": os.getpid(), "fds": fds}).encode())
        os._exit(0)
    cs.close()
    bad_errno = None
    if a.bad:
        try:
            socket.send_fds(ps, [b"b"], [9999])
        except OSError as e:
            bad_errno = e.errno
    sent = [f.fileno(), pw, tcp.fileno()] + [pw] * a.extra
    socket.send_fds(ps, [b"x"], sent)
    os.write(go_w, b"g")
    os.close(res_w)
    got = b""
    while True:
        chunk = os.read(res_r, 4096)
        if not chunk:
            break
        got += chunk
    os.waitpid(child, 0)
    c = json.loads(got)
    print(json.dumps({
        "pid": os.getpid(), "sockfd": psfd, "sent": sent,
        "child_pid": c["pid"], "child_sockfd": csfd, "received": c["fds"],
        "file": os.path.basename(a.file), "file_ino": os.fstat(f.fileno()).st_ino,
        "pipe_ino": os.fstat(pw).st_ino, "sock_ino": os.fstat(tcp.fileno()).st_ino,
        "lport": tcp.getsockname()[1], "rport": ls.getsockname()[1],
        "bad_errno": bad_errno}), flush=True)


if __name__ == "__main__":
    main()
