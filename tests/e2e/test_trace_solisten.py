"""solisten: the backlog asked for against the one net.core.somaxconn of
the socket's namespace lets through."""
import os

from so_util import check_docs_list_exactly_the_options, so_workload
from trace_util import Tracer, events, netns_inode


def test_somaxconn_truncates(netns):
    netns.exec(["sysctl", "-qw", "net.core.somaxconn=16"])
    tr = Tracer(["solisten", "--netns", netns.name])
    try:
        w = so_workload(netns, "listen", "--backlog", 4096, "--backlog", 8)
        w6 = so_workload(netns, "listen", "--addr", "::1", "--backlog", 17)
    finally:
        recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}
    big, small = w["listens"]
    (six,) = w6["listens"]
    assert [(e["pid"], e["fd"], e["family"], e["laddr"], e["lport"], e["backlog"],
             e["backlog_applied"], e["truncated"], e["result"]) for e in events(recs)] == [
        (w["pid"], big["fd"], "inet", "127.0.0.1", big["port"], 4096, 16, True, "ok"),
        (w["pid"], small["fd"], "inet", "127.0.0.1", small["port"], 8, 8, False, "ok"),
        (w6["pid"], six["fd"], "inet6", "::1", six["port"], 17, 16, True, "ok")]
    assert all(e["netns"] == netns_inode(netns) and e["type"] == "stream"
               for e in events(recs))


def test_unix_and_filters(netns):
    netns.exec(["sysctl", "-qw", "net.core.somaxconn=16"])
    unix = Tracer(["solisten", "--netns", netns.name, "-U"])
    v4 = Tracer(["solisten", "--netns", netns.name, "-4", "--comm", "nlt-l"])
    try:
        wu = so_workload(netns, "listen", "--addr", "@nlt-listen", "--backlog", 100)
        w4 = so_workload(netns, "listen", "--backlog", 5, "--comm", "nlt-l")
        so_workload(netns, "listen", "--backlog", 6)
    finally:
        eu, e4 = events(unix.stop()), events(v4.stop())
    assert [(e["pid"], e["family"], e["path"], e["backlog"], e["backlog_applied"], e["truncated"])
            for e in eu] == [(wu["pid"], "unix", "@nlt-listen", 100, 16, True)]
    assert "laddr" not in eu[0] and "lport" not in eu[0]
    assert [(e["pid"], e["comm"], e["backlog"], e["truncated"]) for e in e4] == \
        [(w4["pid"], "nlt-l", 5, False)]


def test_unix_path_in_text(netns):
    """A path-bound listener shows its path where an IP listener shows its
    address; the file is the test's own, removed with the namespace's
    workload."""
    path = f"/tmp/nlt-listen-{netns.name}.sock"
    tr = Tracer(["solisten", "--netns", netns.name, "-U"], json_mode=False)
    try:
        so_workload(netns, "listen", "--addr", path, "--backlog", 7)
    finally:
        out = tr.stop()
        if os.path.exists(path):
            os.unlink(path)
    row = out.splitlines()[1].split()
    assert row[3:7] == ["unix", path, "-", "7"], out


def test_text_flags_truncation(netns):
    netns.exec(["sysctl", "-qw", "net.core.somaxconn=16"])
    tr = Tracer(["solisten", "--netns", netns.name], json_mode=False)
    try:
        so_workload(netns, "listen", "--backlog", 4096)
    finally:
        out = tr.stop()
    head, row = out.splitlines()[:2]
    assert head.split() == ["PID", "COMM", "FD", "AF", "LADDR", "LPORT", "BACKLOG", "APPLIED",
                            "TRUNC", "RESULT"]
    assert row.split()[-4:] == ["4096", "16", "yes", "ok"]


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("solisten")
