#!/usr/bin/python3
"""A small DNS server and client for the name-resolution tests.

The server answers over UDP and TCP (RFC 1035 section 4.2.2: a two-byte
length before each message) from a zone the test gives it, so a test
knows exactly what every query should return and how long it should take:

    zone = {
        "fast.test":  {"a": ["192.0.2.1"], "aaaa": ["2001:db8::1"]},
        "slow.test":  {"a": ["192.0.2.2"], "delay": 0.2},
        "fail.test":  {"rcode": "SERVFAIL"},
        "quiet.test": {"silent": True},          # never answered
    }

Names are matched case-insensitively without the trailing dot. A name not
in the zone is NXDOMAIN. A known name asked for a type it has no records
of gets NOERROR with no answers. "delay" (seconds) holds the answer back
without holding other queries up; "rcode" is any of RCODES.

From a test:

    with DnsResponder(ns, zone, addr="127.0.0.1") as srv:
        with ns_resolver(ns, "127.0.0.1"):       # /etc/netns/NAME/resolv.conf
            ns.exec(["getent", "ahosts", "fast.test"])
        srv.queries()    # what the server received: list of dicts

The server runs as its own process inside the namespace (`serve` mode of
this file) and writes one JSON line per query it receives, which
queries() reads back: {"id", "name", "qtype", "proto", "peer", "port",
"rcode", "answers", "t"}. The client mode (`query`) sends one query built
here, without libc, and prints the answer as JSON (with its own pid, for
tests that check which process asked):

    /usr/bin/python3 dns_responder.py query --server 127.0.0.1 \
        --name fast.test [--type AAAA] [--tcp] [--id N] [--timeout S]

Everything a test creates is removed on exit, also when it fails: the
server process is killed, /etc/netns/NAME is removed.
"""
import argparse
import contextlib
import heapq
import ipaddress
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}
RCODE_NAMES = {v: k for k, v in RCODES.items()}
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
          "SRV": 33, "HTTPS": 65, "ANY": 255}
QTYPE_NAMES = {v: k for k, v in QTYPES.items()}
PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))


# ---- messages -------------------------------------------------------------

def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode()
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def decode_name(msg, off):
    """Returns (name, offset after the name); follows compression pointers."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 32:
                raise ValueError("compression loop")
            continue
        if n == 0:
            off += 1
            break
        labels.append(msg[off + 1:off + 1 + n].decode(errors="replace"))
        off += 1 + n
    return ".".join(labels), (end if end is not None else off)


def build_query(name, qtype="A", txid=None, rd=True):
    txid = random.randrange(1, 65536) if txid is None else txid
    flags = 0x0100 if rd else 0
    return struct.pack("!HHHHHH", txid, flags, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", QTYPES[qtype.upper()] if isinstance(qtype, str) else qtype, 1)


def parse_message(msg):
    """The header, question and A/AAAA answers of a message, as a dict."""
    txid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    off, name, qtype = 12, "", 0
    if qd:
        name, off = decode_name(msg, off)
        qtype = struct.unpack("!H", msg[off:off + 2])[0]
        off += 4
    answers = []
    for _ in range(an):
        _, off = decode_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        off += rdlen
        if rtype == 1 and rdlen == 4:
            answers.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == 28 and rdlen == 16:
            answers.append(str(ipaddress.IPv6Address(rdata)))
    return {"id": txid, "qr": bool(flags & 0x8000), "rcode": RCODE_NAMES.get(flags & 0xF, str(flags & 0xF)),
            "name": name, "qtype": QTYPE_NAMES.get(qtype, str(qtype)), "answers": answers}


def build_answer(query, zone):
    """(answer bytes or None when silent, delay, log record) for a query."""
    q = parse_message(query)
    entry = zone.get(q["name"].lower().rstrip("."))
    rcode, records, delay = "NXDOMAIN", [], 0.0
    if entry is not None:
        if entry.get("silent"):
            return None, 0.0, dict(q, rcode=None, answers=[])
        rcode = entry.get("rcode", "NOERROR")
        delay = float(entry.get("delay", 0))
        if rcode == "NOERROR":
            if q["qtype"] in ("A", "ANY"):
                records += [(1, ipaddress.IPv4Address(a).packed) for a in entry.get("a", [])]
            if q["qtype"] in ("AAAA", "ANY"):
                records += [(28, ipaddress.IPv6Address(a).packed) for a in entry.get("aaaa", [])]
    flags = 0x8000 | 0x0400 | (struct.unpack("!H", query[2:4])[0] & 0x0100) | 0x0080 | RCODES[rcode]
    qend = 12 + len(encode_name(q["name"])) + 4
    out = struct.pack("!HHHHHH", q["id"], flags, 1, len(records), 0, 0) + query[12:qend]
    for rtype, rdata in records:
        out += struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(rdata)) + rdata
    return out, delay, dict(q, qr=False, rcode=rcode,
                            answers=[str(ipaddress.ip_address(r)) for _, r in records])


# ---- server (runs inside the namespace) ------------------------------------

def serve(a):
    zone = {k.lower().rstrip("."): v for k, v in json.loads(a.zone).items()}
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((a.addr, a.port))
    tcp = socket.socket(fam, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((a.addr, a.port))
    tcp.listen(64)
    log_lock = threading.Lock()
    pending = []          # heap of (due, seq, send callable)
    pending_lock = threading.Condition()
    seq = [0]

    def log(rec, proto, peer):
        rec.update(proto=proto, peer=peer[0], port=peer[1], t=time.time())
        with log_lock:
            sys.stdout.write(json.dumps(rec) + "\n")
            sys.stdout.flush()

    def later(delay, fn):
        with pending_lock:
            seq[0] += 1
            heapq.heappush(pending, (time.monotonic() + delay, seq[0], fn))
            pending_lock.notify()

    def sender():
        while True:
            with pending_lock:
                while not pending or pending[0][0] > time.monotonic():
                    pending_lock.wait(None if not pending else pending[0][0] - time.monotonic())
                _, _, fn = heapq.heappop(pending)
            try:
                fn()
            except OSError:
                pass

    def tcp_conn(c, peer):
        with c:
            buf = b""
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    msg, buf = buf[2:2 + n], buf[2 + n:]
                    out, delay, rec = build_answer(msg, zone)
                    log(rec, "tcp", peer)
                    if out is not None:
                        time.sleep(delay)   # this connection's own thread
                        try:
                            c.sendall(struct.pack("!H", len(out)) + out)
                        except OSError:
                            return

    threading.Thread(target=sender, daemon=True).start()
    sys.stdout.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    while True:
        r, _, _ = select.select([udp, tcp], [], [])
        if udp in r:
            msg, peer = udp.recvfrom(65536)
            try:
                out, delay, rec = build_answer(msg, zone)
            except (ValueError, IndexError, struct.error, KeyError):
                continue
            log(rec, "udp", peer)
            if out is not None:
                later(delay, lambda o=out, p=peer: udp.sendto(o, p))
        if tcp in r:
            c, peer = tcp.accept()
            threading.Thread(target=tcp_conn, args=(c, peer), daemon=True).start()


# ---- client (a query without libc) -----------------------------------------

def query(a):
    fam = socket.AF_INET6 if ":" in a.server else socket.AF_INET
    msg = build_query(a.name, a.type, a.id)
    txid = struct.unpack("!H", msg[:2])[0]
    start = time.monotonic()
    result = {"pid": os.getpid(), "id": txid, "name": a.name, "qtype": a.type.upper(), "proto": "tcp" if a.tcp else "udp"}
    try:
        if a.tcp:
            s = socket.create_connection((a.server, a.port), timeout=a.timeout)
            s.sendall(struct.pack("!H", len(msg)) + msg)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                data = s.recv(65536)
                if not data:
                    raise ConnectionError("closed")
                buf += data
            reply = buf[2:]
        else:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(a.timeout)
            s.connect((a.server, a.port))
            s.send(msg)
            reply = s.recv(65536)
        result["sport"] = s.getsockname()[1]
        result.update(reply=parse_message(reply))
    except (socket.timeout, TimeoutError):
        result["timeout"] = True
    result["elapsed"] = time.monotonic() - start
    print(json.dumps(result), flush=True)


# ---- test-side API ----------------------------------------------------------

class DnsResponder:
    """The server of this file running in namespace ns (a conftest Netns)."""

    def __init__(self, ns, zone, addr="127.0.0.1", port=53):
        self.ns, self.addr, self.port = ns, addr, port
        self.proc = ns.popen([PY, os.path.abspath(__file__), "serve", "--addr", addr, "--port", str(port),
                              "--zone", json.dumps(zone)], stdout=subprocess.PIPE, text=True)
        self._log, self._lock = [], threading.Lock()
        line = self._readline(10)
        if not line or not json.loads(line).get("ready"):
            self.close()
            raise AssertionError(f"DNS responder did not start in {ns.name} on {addr}:{port}")
        self.pid = json.loads(line)["pid"]
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _readline(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if r else ""

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self._log.append(json.loads(line))

    def queries(self):
        """Every query the server received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def ns_resolver(ns, server, hosts="", options="timeout:1 attempts:1"):
    """Gives namespace ns its own /etc/resolv.conf and /etc/hosts (applied
    by `ip netns exec` to processes started inside the block).

    glibc's getaddrinfo(AI_ADDRCONFIG), which getent uses, asks nothing
    when the host has no address but 127.0.0.1 and ::1; so the namespace's
    loopback also gets 10.253.0.2/32 and fd53::2/128 (the namespace is
    removed with them)."""
    ns.exec(["ip", "addr", "replace", "10.253.0.2/32", "dev", "lo"])
    ns.exec(["ip", "addr", "replace", "fd53::2/128", "dev", "lo", "nodad"])
    d = os.path.join("/etc/netns", ns.name)
    os.makedirs(d, exist_ok=True)
    try:
        with open(os.path.join(d, "resolv.conf"), "w") as f:
            f.write(f"nameserver {server}\noptions {options}\n")
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n" + hosts)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def query_in(ns, server, name, qtype="A", tcp=False, txid=None, timeout=3.0, port=53):
    """Runs one query without libc in namespace ns; returns the client's JSON."""
    cmd = [PY, os.path.abspath(__file__), "query", "--server", server, "--port", str(port),
           "--name", name, "--type", qtype, "--timeout", str(timeout)]
    if tcp:
        cmd.append("--tcp")
    if txid is not None:
        cmd += ["--id", str(txid)]
    return json.loads(ns.exec(cmd, timeout=timeout + 30).stdout)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--addr", default="127.0.0.1")
    s.add_argument("--port", type=int, default=53)
    s.add_argument("--zone", default="{}")
    q = sub.add_parser("query")
    q.add_argument("--server", required=True)
    q.add_argument("--port", type=int, default=53)
    q.add_argument("--name", required=True)
    q.add_argument("--type", default="A")
    q.add_argument("--tcp", action="store_true")
    q.add_argument("--id", type=int)
    q.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    serve(a) if a.mode == "serve" else query(a)


if __name__ == "__main__":
    main()
