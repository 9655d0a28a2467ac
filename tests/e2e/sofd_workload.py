#!/usr/bin/python3
"""Descriptor passing for the sofdsnoop tests: a parent and a forked child
over a socketpair(AF_UNIX). The parent passes, in one sendmsg() with
SCM_RIGHTS, an open file (--file PATH, created), the write end of a pipe
and a TCP socket connected on loopback; --extra N adds N more copies of
the pipe end. Only once the sendmsg() returned does the child call
recvmsg(), so the sender's event comes first. With --bad the parent
first sends a message naming a descriptor that is not open (EBADF: no
descriptor passed). With --mm the pair is SOCK_DGRAM and the same
descriptors go in one sendmmsg() of two messages ([file], [pipe, socket]),
received with one recvmmsg(); --mm-skip K puts K messages without
descriptors before those two (in both calls). --pipes N then passes the write ends of N
more pipes, 8 to a sendmsg(), all before the child receives any.

--comm NAME sets the command name first; --wait prints {"pid": P} and
waits for a line on stdin before starting. Prints one JSON line: the pids,
both socket descriptors, the numbers sent and received, the inodes, the
file name and the TCP socket's ports.
"""
import argparse
import ctypes
import json
import os
import socket
import struct
import sys

from mmsg_util import IoVec, MMsgHdr, libc

MAXFDS = 4
MSG_WAITFORONE = 0x10000  # linux/socket.h; not in Python's socket module


def fd_mmsgs(groups):
    """An mmsghdr array of len(groups) one-byte messages; a group of
    descriptors becomes the message's SCM_RIGHTS (None: room for MAXFDS,
    []: no control data).
    Returns the array and what must stay alive."""
    arr, keep = (MMsgHdr * len(groups))(), []
    for m, fds in zip(arr, groups):
        data = ctypes.create_string_buffer(1)
        iov = IoVec(ctypes.cast(data, ctypes.c_void_p), 1)
        if fds == []:
            ctl = None
        elif fds is None:
            ctl = ctypes.create_string_buffer(socket.CMSG_SPACE(4 * MAXFDS))
        else:
            raw = struct.pack("=Qii", socket.CMSG_LEN(4 * len(fds)), socket.SOL_SOCKET,
                              socket.SCM_RIGHTS) + struct.pack(f"={len(fds)}i", *fds)
            ctl = ctypes.create_string_buffer(raw, socket.CMSG_SPACE(4 * len(fds)))
        m.hdr.iov, m.hdr.iovlen = ctypes.pointer(iov), 1
        if ctl is not None:
            m.hdr.control, m.hdr.controllen = ctypes.cast(ctl, ctypes.c_void_p), len(ctl)
        keep += [data, iov, ctl]
    return arr, keep


def sendmmsg(sock, groups):
    arr, _keep = fd_mmsgs(groups)
    n = libc.sendmmsg(sock.fileno(), arr, len(groups), 0)
    assert n == len(groups), (n, ctypes.get_errno())


def recvmmsg(sock, count):
    """The descriptors of count messages, in order."""
    arr, keep = fd_mmsgs([None] * count)
    n = libc.recvmmsg(sock.fileno(), arr, count, MSG_WAITFORONE, None)
    assert n == count, (n, ctypes.get_errno())
    fds = []
    for m in arr:
        if not m.hdr.controllen:
            continue  # a message that carried none
        raw = ctypes.string_at(m.hdr.control, m.hdr.controllen)
        ln, level, kind = struct.unpack_from("=Qii", raw)
        assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS), raw
        fds += struct.unpack_from(f"={(ln - 16) // 4}i", raw, 16)
    return fds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--extra", type=int, default=0)
    ap.add_argument("--bad", action="store_true")
    ap.add_argument("--comm")
    ap.add_argument("--wait", action="store_true")
    ap.add_argument("--mm", action="store_true")
    ap.add_argument("--mm-skip", type=int, default=0)
    ap.add_argument("--pipes", type=int, default=0)
    a = ap.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm)
    if a.wait:
        print(json.dumps({"pid": os.getpid()}), flush=True)
        sys.stdin.readline()
    ps, cs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM if a.mm else socket.SOCK_STREAM)
    psfd, csfd = ps.fileno(), cs.fileno()
    go_r, go_w = os.pipe()     # parent -> child: the sendmsg() returned
    res_r, res_w = os.pipe()   # child -> parent: what it received
    f = open(a.file, "w")
    pr, pw = os.pipe()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    tcp = socket.create_connection(ls.getsockname())
    more = [os.pipe()[1] for _ in range(a.pipes)]
    child = os.fork()
    if child == 0:
        ps.close()
        os.read(go_r, 1)
        if a.mm:
            fds = recvmmsg(cs, 2 + a.mm_skip)
        else:
            _, fds, _, _ = socket.recv_fds(cs, 1, 16)
            while len(fds) < 3 + a.extra + a.pipes:
                fds += socket.recv_fds(cs, 1, 16)[1]
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
    if a.mm:
        sendmmsg(ps, [[]] * a.mm_skip + [sent[:1], sent[1:]])
    else:
        socket.send_fds(ps, [b"x"], sent)
        for i in range(0, len(more), 8):
            socket.send_fds(ps, [b"m"], more[i:i + 8])
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
        "pid": os.getpid(), "sockfd": psfd, "sent": sent, "pipes": more,
        "child_pid": c["pid"], "child_sockfd": csfd, "received": c["fds"],
        "file": os.path.basename(a.file), "file_ino": os.fstat(f.fileno()).st_ino,
        "pipe_ino": os.fstat(pw).st_ino, "sock_ino": os.fstat(tcp.fileno()).st_ino,
        "lport": tcp.getsockname()[1], "rport": ls.getsockname()[1],
        "bad_errno": bad_errno}), flush=True)


if __name__ == "__main__":
    main()
