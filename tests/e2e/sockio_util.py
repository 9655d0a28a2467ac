"""The socketio/socksize tests' workload (sockio_workload.py): started in a
namespace, it reports its pids and ports and waits for go() (the tracer
attaches in between), then does its known socket I/O."""
import json
import os
import subprocess

from conftest import HERE, PY

SOCKIO_WORKLOAD = os.path.join(HERE, "sockio_workload.py")


class SockIO:
    def __init__(self, ns, *args):
        self.p = ns.popen([PY, SOCKIO_WORKLOAD] + [str(a) for a in args],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.p.stdout.readline())
        self.pid, self.sender = self.info["pid"], self.info["sender"]
        self.udp_port, self.tcp_port = self.info["udp_port"], self.info["tcp_port"]

    def go(self):
        """Does the I/O; returns the sender's ports (udp_lport, tcp_lport)."""
        self.p.stdin.write("go\n")
        self.p.stdin.close()
        done = json.loads(self.p.stdout.readline())
        assert self.p.wait(timeout=60) == 0 and done["done"]
        self.udp_lport, self.tcp_lport = done["udp_lport"], done["tcp_lport"]
        return done
