"""soconnect --stacks and soconnlat --stacks: connect() calls counted by
process and user stack, against a C program built with frame pointers
whose connect()s come from known functions (stacks_prog.c), run in the
test's network namespace, and in a mount namespace of its own where its
binary is visible only through /proc/PID/root."""
import json
import os
import subprocess

import pytest

from conftest import HERE, run
from trace_util import Tracer, events

SRC = os.path.join(HERE, "stacks_prog.c")
PORT = 9  # nothing listens: each connect() is refused, and counted all the same


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("stacks") / "nlt_stacks")
    subprocess.run(["cc", "-O0", "-fno-omit-frame-pointer", "-g", "-o", out, SRC], check=True)
    return out


class Prog:
    """stacks_prog in ns (through `wrap`, a command prefix that may name the
    binary itself, then binary is None), its pid known,
    waiting until go() lets it connect."""

    def __init__(self, ns, binary, n, stay=True, wrap=()):
        cmd = ["ip", "netns", "exec", ns.name] + list(wrap) + ([binary] if binary else []) + \
            [str(PORT), str(n)] + \
            (["stay"] if stay else [])
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ns.procs.append(self.p)
        self.pid = json.loads(self.p.stdout.readline())["pid"]

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())["done"]

    def end(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=30) == 0


def func(frame):
    """ "nlt_outer+0x1d (nlt_stacks)" -> "nlt_outer" """
    return frame.split("+")[0]


def traced(ns, tracer, binary, n, wrap=()):
    """Runs the program's n connects under `tracer --stacks`, stopped while
    the program still lives; returns (its pid, the records)."""
    tr = Tracer([tracer, "--stacks", "--netns", ns.name])
    pr = Prog(ns, binary, n, wrap=wrap)
    try:
        assert pr.go() == n
    finally:
        recs = tr.stop()
        pr.end()
    return pr.pid, recs


def check_counted(pid, recs, n, module="nlt_stacks"):
    mine = [r for r in events(recs) if r["pid"] == pid]
    assert len(mine) == 1, mine
    r = mine[0]
    assert (r["count"], r["comm"]) == (n, "nlt_stacks")
    funcs = [func(f) for f in r["stack"]]
    # innermost first: connect() in libc, then the program's own functions
    assert funcs[:4] == ["connect", "nlt_connect_twice", "nlt_outer", "main"], r["stack"]
    assert r["stack"][0].endswith("(libc.so.6)")
    assert all(f.endswith(f"({module})") for f in r["stack"][1:4])
    assert "note" not in r
    assert recs[-1] == {"lost_events": 0}


@pytest.mark.sanitize
@pytest.mark.parametrize("tracer", ["soconnect", "soconnlat"])
def test_counts_exactly_the_connects_under_their_stack(netns, prog, tracer):
    pid, recs = traced(netns, tracer, prog, 5)
    check_counted(pid, recs, 5)
    assert set(events(recs)[0]) == {"count", "pid", "comm", "stack"}


@pytest.mark.sanitize
def test_other_mount_namespace_read_through_proc_root(netns, prog, tmp_path):
    # the binary exists only on a tmpfs mounted in the program's own mount
    # namespace: from the tracer's, its path names nothing
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    sh = 'mount -t tmpfs nlt "$0" && cp "$1" "$0/nlt_stacks" && exec "$0/nlt_stacks" "$2" "$3" "$4"'
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", sh, str(hidden), prog]
    pid, recs = traced(netns, "soconnect", None, 3, wrap=wrap)
    assert not os.path.exists(hidden / "nlt_stacks")
    check_counted(pid, recs, 3)


@pytest.mark.sanitize
def test_exited_process_prints_hex_with_a_note(netns, prog):
    tr = Tracer(["soconnect", "--stacks", "--netns", netns.name])
    pr = Prog(netns, prog, 2, stay=False)
    try:
        assert pr.go() == 2
        pr.end()
    finally:
        recs = tr.stop()
    mine = [r for r in events(recs) if r["pid"] == pr.pid]
    assert len(mine) == 1 and mine[0]["count"] == 2
    assert mine[0]["note"] == "process exited: addresses not symbolized"
    assert len(mine[0]["stack"]) >= 4
    assert all(f.startswith("0x") and int(f, 16) > 0 for f in mine[0]["stack"])


def test_text_shows_indented_frames_below_each_count(netns, prog):
    tr = Tracer(["soconnect", "--stacks", "--netns", netns.name], json_mode=False)
    pr = Prog(netns, prog, 4)
    try:
        assert pr.go() == 4
    finally:
        out = tr.stop()
        pr.end()
    lines = out.splitlines()
    assert lines[0].split() == ["COUNT", "PID", "COMM"]
    row = lines.index(next(l for l in lines if l.split()[:3] == ["4", str(pr.pid), "nlt_stacks"]))
    frames = lines[row + 1:row + 5]
    assert [func(f.strip()) for f in frames] == \
        ["connect", "nlt_connect_twice", "nlt_outer", "main"], lines
    assert all(f.startswith("        ") for f in frames)


@pytest.mark.parametrize("tracer,other", [("soconnect", "-c"), ("soconnlat", "--hist"),
                                          ("soconnlat", "--by=dest")])
def test_stacks_is_a_summary_of_its_own(tracer, other):
    for args in (["--stacks", other], [other, "--stacks"]):
        r = run([tracer] + args, check=False)
        assert r.returncode != 0
        assert len(r.stderr.strip().splitlines()) == 1
        assert "--stacks is a summary of its own" in r.stderr
