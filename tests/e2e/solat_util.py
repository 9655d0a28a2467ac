"""Helpers for the soconnlat and so1stbyte tests: the solat_workload.py
runner (to completion, or held at its gate), nftables rules in a test's
namespace, and the --hist records as {key: (group, histogram)}."""
import json
import os
import subprocess

from conftest import HERE, PY

SOLAT_WORKLOAD = os.path.join(HERE, "solat_workload.py")


def solat_workload(ns, *args):
    """Runs solat_workload.py to completion in ns; returns its JSON line."""
    p = ns.exec([PY, SOLAT_WORKLOAD] + [str(a) for a in args], timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


class Gated:
    """solat_workload.py --gate in ns: its pid is known before it connects
    (start() lets it, go() lets it if need be and waits for its JSON line)."""

    def __init__(self, ns, *args):
        self.p = ns.popen([PY, SOLAT_WORKLOAD] + [str(a) for a in args] + ["--gate"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = json.loads(self.p.stdout.readline())["pid"]
        self.started = False

    def start(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        self.started = True

    def go(self):
        if not self.started:
            self.start()
        out, _ = self.p.communicate(timeout=60)
        assert self.p.returncode == 0
        return json.loads(out.strip().splitlines()[-1])


def drop_syns(ns, port, first_only=False):
    """An nftables rule in ns dropping SYNs to port; first_only: only the
    first one (a quota the first SYN, 60 bytes, stays under and a second
    goes over), so its retransmission, an initial RTO (1 s) later, passes."""
    quota = " quota until 100 bytes" if first_only else ""
    ns.exec(["nft", "-f", "-"], input=f"table inet nlt{port} {{ chain out {{ type filter hook "
            f"output priority 0; tcp dport {port} tcp flags & (syn|ack) == syn{quota} drop; "
            f"}}; }}\n")


def hists(records):
    """--hist -j records: each histogram is followed by its group record;
    returns [(group, histogram)] in the order printed."""
    out, h = [], None
    for r in records:
        if "histogram" in r:
            h = r["histogram"]
        elif "group" in r:
            assert h is not None, records
            out.append((r["group"], h))
            h = None
    return out


def bucket_total(h):
    return sum(b["count"] for b in h["buckets"])
