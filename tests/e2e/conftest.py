"""Shared fixtures for netlens end-to-end tests.

Every test runs its traffic in network namespaces it creates (named
`nlt-<pid>-<n>`) and removes, even when it fails. Helpers here never sleep
for a fixed time: they poll for a condition with a deadline.

NETLENS points at the binary under test. NETLENS_VALGRIND=1 runs it under
valgrind (tests marked `sanitize` are the ones run that way, and under the
ASan build; tests marked `threads` also run under the TSan build).
"""
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

NETLENS = os.environ.get("NETLENS", os.path.join(os.path.dirname(__file__), "..", "..", "build", "netlens"))
HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "sanitize: also run under ASan/UBSan and valgrind")
    config.addinivalue_line("markers", "threads: also run under ThreadSanitizer (the exporter)")


def wrap_cmd(args):
    """The command line that runs netlens with args (under valgrind if asked)."""
    cmd = [NETLENS] + list(args)
    if os.environ.get("NETLENS_VALGRIND") == "1":
        cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
               "--suppressions=" + os.path.join(HERE, "trace_valgrind.supp"),
               "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"] + cmd
    return cmd


def run(args, ns=None, check=True, timeout=60, env=None, **kw):
    """Runs netlens, optionally inside namespace ns; returns CompletedProcess."""
    cmd = wrap_cmd(args)
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    if p.returncode == 99:
        raise AssertionError(f"valgrind reported errors for {cmd}:\n{p.stderr}")
    return p


def run_json(args, ns=None, **kw):
    """Runs netlens -j and returns the list of JSON objects (one per line)."""
    p = run(["-j"] + list(args), ns=ns, **kw)
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def read_live(f):
    """The whole text of a file a running child is writing to. The child
    shares the file's offset with us (the descriptor was inherited), so a
    seek here would move where its next write lands and overwrite what it
    wrote before; pread reads without touching the offset."""
    fd = f.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")


def wait_for(cond, timeout=10.0, interval=0.02, what="condition"):
    """Polls cond() until it returns a truthy value; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Netns:
    """A network namespace with loopback up; removed on close()."""

    def __init__(self):
        self.name = f"nlt-{os.getpid()}-{next(_counter)}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.exec(["ip", "link", "set", "lo", "up"])
        self.procs = []

    def exec(self, cmd, **kw):
        kw.setdefault("check", True)
        return subprocess.run(["ip", "netns", "exec", self.name] + cmd, capture_output=True, text=True, **kw)

    def popen(self, cmd, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.name] + cmd, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        # kill anything else still living in the namespace
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


@pytest.fixture
def netns():
    """A fresh namespace per test, removed even when the test fails."""
    ns = Netns()
    try:
        yield ns
    finally:
        ns.close()


@pytest.fixture
def netns_factory():
    """Makes as many namespaces as a test needs; all removed at the end."""
    made = []

    def make():
        ns = Netns()
        made.append(ns)
        return ns
    try:
        yield make
    finally:
        for ns in made:
            ns.close()


SOCK_LENGTH_TPS = ("sock_send_length", "sock_recv_length")


@pytest.fixture(params=["tp_btf", "raw_tp", "syscalls"])
def sock_length_hooks(request, monkeypatch):
    """Runs a test of a sock_send_length/sock_recv_length user three times:
    on the tracepoints with tp_btf programs, with raw_tp ones
    (NETLENS_NO_TP_BTF), and with the tracepoints hidden
    (NETLENS_HIDE_TRACEPOINTS) on the system calls that stand in for them
    before kernel 6.3. The value is check(stderr): the banner and warnings
    say which ran."""
    mode = request.param
    if mode == "raw_tp":
        monkeypatch.setenv("NETLENS_NO_TP_BTF", "1")
    if mode == "syscalls":
        monkeypatch.setenv("NETLENS_HIDE_TRACEPOINTS", ",".join(SOCK_LENGTH_TPS))

    def check(stderr):
        used = [tp for tp in SOCK_LENGTH_TPS if f"{mode}/{tp}" in stderr]
        stand_ins = [sc for sc in ("sendto", "recvfrom")
                     if f"tracepoint/syscalls/sys_{{enter,exit}}_{sc}" in stderr]
        if mode == "syscalls":
            assert not any(f"/{tp}" in stderr for tp in SOCK_LENGTH_TPS), stderr
            assert stand_ins and "on this kernel: counting" in stderr, stderr
        else:
            assert used and not stand_ins and "on this kernel" not in stderr, stderr
            if mode == "raw_tp":
                assert "tp_btf/" not in stderr, stderr
    return check


def veth_pair(ns_a, ns_b, addr_a="10.199.0.1/24", addr_b="10.199.0.2/24"):
    """Joins two namespaces with a veth pair (names local to each namespace)."""
    tmp_a, tmp_b = f"va{os.getpid() % 10000}{next(_counter)}", f"vb{os.getpid() % 10000}{next(_counter)}"
    subprocess.run(["ip", "link", "add", tmp_a, "netns", ns_a.name, "type", "veth",
                    "peer", "name", tmp_b, "netns", ns_b.name], check=True)
    ns_a.exec(["ip", "link", "set", tmp_a, "name", "veth0"])
    ns_b.exec(["ip", "link", "set", tmp_b, "name", "veth0"])
    for ns, addr in ((ns_a, addr_a), (ns_b, addr_b)):
        ns.exec(["ip", "addr", "add", addr, "dev", "veth0"])
        ns.exec(["ip", "link", "set", "veth0", "up"])
