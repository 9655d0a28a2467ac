"""What the sweep's hostile inputs point at: a private directory of awkward
files (a FIFO, a directory, dangling and planted symlinks, files owned by
another user), a network namespace with a few sockets, a valid snapshot
recorded in it, and a traffic generator for the tracers. Everything is
removed by close(), which the sweep calls even when it fails."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

NOBODY = 65534
PY = "/usr/bin/python3"

# Runs inside the namespace: listeners and one established connection on
# loopback (so ss, doctor and snapshots see sockets), until stdin closes.
HOLDER = r"""
import socket, sys
ls = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 7001 if fam == socket.AF_INET else 7002)); s.listen(8); ls.append(s)
c = socket.create_connection(("127.0.0.1", 7001)); a, _ = ls[0].accept()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 7003))
print("ready", flush=True)
sys.stdin.read()
"""

# Runs inside the namespace: events for every tracer (sessions with data,
# resets from a closed port, SYN retransmits to a silent address through a
# veth whose peer is down, drops), until killed.
TRAFFIC = r"""
import socket, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 7100)); srv.listen(64); srv.setblocking(False)
held = []
while True:
    try:
        c = socket.create_connection(("127.0.0.1", 7100), timeout=1)
        a, _ = srv.accept(); c.sendall(b"x" * 70000); a.recv(65536); a.sendall(b"y" * 1000)
        c.close(); a.close()
    except OSError:
        pass
    try:
        socket.create_connection(("127.0.0.1", 7999), timeout=1)
    except OSError:
        pass
    s = socket.socket(); s.setblocking(False)
    try:
        s.connect(("10.251.0.2", 7200))
    except OSError:
        pass
    held.append(s); held = held[-20:]
    time.sleep(0.01)
"""


class Fixtures:
    def __init__(self, netlens, quick=False):
        self.netlens = netlens
        self.dir = tempfile.mkdtemp(prefix="netlens-hostile-")
        os.chmod(self.dir, 0o755)
        self.ns = f"nlh-{os.getpid()}"
        self.procs, self.mounts, self.preexisting = [], [], set()
        self._n = 0
        try:
            self._files()
            self._netns()
        except BaseException:
            self.close()
            raise

    def path(self, name):
        return os.path.join(self.dir, name)

    def _files(self):
        p = self.path
        os.mkfifo(p("fifo"))
        os.mkdir(p("dir"))
        os.symlink(p("nonexistent"), p("dangling"))
        os.symlink(p("fifo"), p("link-to-fifo"))
        with open(p("victim"), "w") as f:
            f.write("precious\n")
        os.symlink(p("victim"), p("planted"))
        with open(p("others"), "w") as f:
            f.write("precious\n")
        os.chown(p("others"), NOBODY, NOBODY)
        with open(p("garbage"), "wb") as f:
            f.write(b"secret-first-line-of-the-file\n\xff\xfe\x00junk\n")
        for name, mode, owner in (("cfg-ok", 0o600, 0), ("cfg-world", 0o666, 0), ("cfg-others", 0o644, NOBODY)):
            with open(p(name), "w") as f:
                f.write("# thresholds\n")
            os.chmod(p(name), mode)
            os.chown(p(name), owner, owner)
        self.preexisting = {p(n) for n in os.listdir(self.dir)}

    def _netns(self):
        subprocess.run(["ip", "netns", "add", self.ns], check=True, capture_output=True)
        self.nsrun(["ip", "link", "set", "lo", "up"])
        # a veth whose peer stays down: what is sent to 10.251.0.2 is lost (SYN retransmits, drops)
        self.nsrun(["ip", "link", "add", "hv0", "type", "veth", "peer", "name", "hv1"])
        self.nsrun(["ip", "addr", "add", "10.251.0.1/24", "dev", "hv0"])
        self.nsrun(["ip", "link", "set", "hv0", "up"])
        self.nsrun(["ip", "neigh", "add", "10.251.0.2", "lladdr", "02:00:00:00:00:02", "dev", "hv0", "nud", "permanent"])
        h = subprocess.Popen(["ip", "netns", "exec", self.ns, PY, "-c", HOLDER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(h)
        if h.stdout.readline().strip() != "ready":
            raise RuntimeError("socket holder did not start")
        self.snapshot = self.path("base.snap")
        r = subprocess.run([self.netlens, "snapshot", "-N", self.ns, "-i", "0.2", "-o", self.snapshot],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"cannot record the base snapshot: {r.stderr.strip()}")
        os.chmod(self.snapshot, 0o644)
        self.others_snapshot = self.path("others.snap")
        shutil.copy(self.snapshot, self.others_snapshot)
        os.chown(self.others_snapshot, NOBODY, NOBODY)
        self.preexisting |= {self.snapshot, self.others_snapshot}

    def nsrun(self, cmd):
        subprocess.run(["ip", "netns", "exec", self.ns] + cmd, check=True, capture_output=True)

    def workdir(self, owner=0):
        """A fresh empty directory for one run's outputs (removed by the caller)."""
        self._n += 1
        d = tempfile.mkdtemp(prefix=f"w{self._n}-", dir=self.dir)
        os.chmod(d, 0o755)
        if owner:
            os.chown(d, owner, owner)
        return d

    def victim_intact(self, name="victim"):
        with open(self.path(name)) as f:
            return f.read() == "precious\n"

    def traffic(self):
        """Starts the traffic generator; returns its Popen (stopped by close())."""
        t = subprocess.Popen(["ip", "netns", "exec", self.ns, PY, "-c", TRAFFIC], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(t)
        return t

    def tmpfs(self, size="64k"):
        """A small tmpfs, filled up; returns its path (unmounted by close())."""
        d = tempfile.mkdtemp(prefix="full-", dir=self.dir)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "hostile", d], check=True)
        self.mounts.append(d)
        try:
            with open(os.path.join(d, "filler"), "wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        except OSError:
            pass
        return d

    def stop(self, p):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self):
        for p in self.procs:
            if p.stdin:
                try:
                    p.stdin.close()
                except OSError:
                    pass
            self.stop(p)
        pids = subprocess.run(["ip", "netns", "pids", self.ns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        for m in self.mounts:
            for _ in range(50):
                if subprocess.run(["umount", m], capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)
