"""Helpers for the tests of the tracers below TCP (napistat, stacks): UDP
datagrams across a veth pair, counted by the receiver, and GRO switched on
a veth (which gives it its own NAPI) without ethtool."""
import subprocess
import textwrap

from conftest import PY

PORT = 40404

RECEIVER = textwrap.dedent("""
    import socket, sys
    addr, port, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port)); s.settimeout(5)
    print("ready", flush=True)
    n = 0
    try:
        while n < want:
            s.recv(2048); n += 1
    except socket.timeout:
        pass
    print(n, flush=True)
""")

SENDER = textwrap.dedent("""
    import socket, sys, time
    addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"n" * 100, (addr, port))
        if i % 50 == 49:
            time.sleep(0.001)  # never overflow the receive buffer
""")

# An ethtool flag through SIOCETHTOOL: struct ifreq { name[16]; void *data }
# pointing at struct ethtool_value { u32 cmd; u32 data }.
ETHTOOL_SET = textwrap.dedent("""
    import ctypes, fcntl, socket, struct, sys
    val = ctypes.create_string_buffer(struct.pack("II", int(sys.argv[2]), int(sys.argv[3])))
    ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(val))
    fcntl.ioctl(socket.socket(), 0x8946, ifr)
""")
ETHTOOL_STSO, ETHTOOL_SGRO = 0x1f, 0x2c


def veth_napi(ns_src, ns_dst, src_dev="veth0", dst_dev="veth0"):
    """Makes ns_dst's veth receive through its own NAPI: GRO on it, and TSO
    off on the sender's end (veth_xmit() hands a packet from a TSO device
    to the peer's NAPI only in special cases; else to netif_rx())."""
    ns_dst.exec([PY, "-c", ETHTOOL_SET, dst_dev, str(ETHTOOL_SGRO), "1"])
    ns_src.exec([PY, "-c", ETHTOOL_SET, src_dev, str(ETHTOOL_STSO), "0"])


def udp_across(ns_src, ns_dst, dst_addr, n, port=PORT):
    """Sends n datagrams from ns_src to dst_addr in ns_dst; returns how many
    the receiver got."""
    r = ns_dst.popen([PY, "-c", RECEIVER, dst_addr, str(port), str(n)],
                     stdout=subprocess.PIPE, text=True)
    assert r.stdout.readline().strip() == "ready"
    ns_src.exec([PY, "-c", SENDER, dst_addr, str(port), str(n)], timeout=60)
    got = int(r.stdout.readline())
    r.wait(timeout=10)
    return got


def records_of(recs, **kw):
    return [r for r in recs if all(r.get(k) == v for k, v in kw.items())]

