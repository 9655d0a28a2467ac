"""sofdsnoop: descriptors passed over a socketpair, on both sides, named,
paired by file_id; filters and output shapes."""
import errno
import json
import os
import subprocess

from conftest import HERE, PY
from so_util import check_docs_list_exactly_the_options
from trace_util import Cgroup, Tracer, events, netns_inode

SOFD_WORKLOAD = os.path.join(HERE, "sofd_workload.py")


def sofd_cmd(ns, *args):
    return ["ip", "netns", "exec", ns.name, PY, SOFD_WORKLOAD] + [str(a) for a in args]


def sofd_workload(ns, *args, cgroup=None):
    """Runs sofd_workload.py in ns (in cgroup v2 directory `cgroup` if
    given); returns its JSON line."""
    cmd = sofd_cmd(ns, *args)
    if cgroup:
        cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def tmpfile(ns):
    return f"/tmp/nlt-sofd-{ns.name}.txt"


def traced(ns, *args, json_mode=True):
    """The workload (with args) run once under sofdsnoop --netns ns:
    (its JSON line, the tracer's records or text)."""
    path = tmpfile(ns)
    tr = Tracer(["sofdsnoop", "--netns", ns.name], json_mode=json_mode)
    try:
        w = sofd_workload(ns, "--file", path, *args)
    finally:
        out = tr.stop()
        os.path.exists(path) and os.unlink(path)
    return w, out


def expected(w, extra=0):
    """(dir, pid, sockfd, fd, type, name) of every row the run must show."""
    names = [("file", w["file"]), ("pipe", f"pipe:[{w['pipe_ino']}]"),
             ("socket", f"tcp 127.0.0.1:{w['lport']}->127.0.0.1:{w['rport']}")]
    names += [names[1]] * extra
    return [("SEND", w["pid"], w["sockfd"], fd) + n for fd, n in zip(w["sent"], names)] + \
           [("RECV", w["child_pid"], w["child_sockfd"], fd) + n
            for fd, n in zip(w["received"], names)]


def rows(evs):
    return [(e["dir"], e["pid"], e["sockfd"], e["fd"], e["type"], e["name"]) for e in evs]


def check_both_sides(w, recs):
    assert recs[-1] == {"lost_events": 0}
    evs = events(recs)
    assert rows(evs) == expected(w)
    send, recv = evs[:3], evs[3:]
    # the same struct file on both ends; distinct files get distinct ids
    assert [e["file_id"] for e in send] == [e["file_id"] for e in recv]
    assert len({e["file_id"] for e in send}) == 3 and all(len(e["file_id"]) == 16 for e in send)
    assert [(e.get("from_pid"), e.get("from_fd")) for e in evs] == \
        [(None, None)] * 3 + [(w["pid"], fd) for fd in w["sent"]]
    assert [e["ino"] for e in recv] == [w["file_ino"], w["pipe_ino"], w["sock_ino"]]
    sock = recv[2]
    assert (sock["family"], sock["sotype"], sock["protocol"], sock["laddr"], sock["lport"],
            sock["raddr"], sock["rport"]) == \
        ("inet", "stream", "tcp", "127.0.0.1", w["lport"], "127.0.0.1", w["rport"])
    assert all("more" not in e for e in evs)


def test_file_pipe_and_socket_on_both_sides(netns):
    w, recs = traced(netns, "--bad")
    assert w["bad_errno"] == errno.EBADF   # and the failed sendmsg shows no row
    check_both_sides(w, recs)
    assert all(e["netns"] == netns_inode(netns) for e in events(recs))


def test_sendmmsg_and_recvmmsg(netns):
    """The same descriptors in two messages of one sendmmsg(), received by
    one recvmmsg()."""
    check_both_sides(*traced(netns, "--mm"))


def test_descriptors_past_the_fourth_message(netns):
    """sendmmsg()/recvmmsg() of eight messages whose descriptors are in the
    last two: every message is walked (bpf_loop)."""
    check_both_sides(*traced(netns, "--mm", "--mm-skip", 6))


def test_without_bpf_loop_the_first_four_messages(netns):
    """The fallback for kernels without bpf_loop() (NETLENS_NO_TP_BTF=1 puts
    the *_loop programs last) loads, and walks the first four messages."""
    path = tmpfile(netns)
    tr = Tracer(["sofdsnoop", "--netns", netns.name, "--stats"],
                env=dict(os.environ, NETLENS_NO_TP_BTF="1"))
    try:
        w = sofd_workload(netns, "--file", path, "--mm", "--mm-skip", 2)
    finally:
        recs = tr.stop()
        os.path.exists(path) and os.unlink(path)
    progs = [r["stats"]["prog"] for r in recs if "stats" in r]
    assert "sofdsnoop_enter_sendmm" in progs and not any(p.endswith("_loop") for p in progs)
    check_both_sides(w, [r for r in recs if "stats" not in r])


def test_more_than_eight_descriptors(netns):
    """Eight descriptors of a message are described; the rest are counted."""
    w, recs = traced(netns, "--extra", 7)
    evs = events(recs)
    assert len(w["sent"]) == len(w["received"]) == 10
    want = expected(w, extra=7)
    assert rows(evs) == want[:8] + want[10:18]
    assert all(e["more"] == 2 for e in evs)


def test_pid_and_comm_filters(netns):
    """-p the sender: its SEND rows only (the receiver is its child);
    --comm: only the named workload's rows."""
    path = tmpfile(netns)
    held = subprocess.Popen(sofd_cmd(netns, "--file", path, "--wait", "--comm", "nlt-sofd"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    tracers = []
    try:
        pid = json.loads(held.stdout.readline())["pid"]
        for f in (["-p", str(pid)], ["--comm", "nlt-sofd"], ["-p", "1"]):
            tracers.append(Tracer(["sofdsnoop", "--netns", netns.name] + f))
        held.stdin.write("go\n")
        held.stdin.flush()
        w = json.loads(held.stdout.readline())
        assert held.wait(timeout=30) == 0
        sofd_workload(netns, "--file", path)  # another command: filtered out by --comm
    finally:
        held.kill()
        ep, ec, eo = [events(t.stop()) for t in tracers] if len(tracers) == 3 else \
            [t.kill() for t in tracers]
        os.path.exists(path) and os.unlink(path)
    assert w["pid"] == pid and eo == []
    assert rows(ep) == expected(w)[:3]
    assert rows(ec) == expected(w) and {e["comm"] for e in ec} == {"nlt-sofd"}


def test_cgroup_and_netns_filters(netns_factory):
    """--cgroup: only the UNIX sockets made in that cgroup; --netns: only
    that namespace's."""
    a, b = netns_factory(), netns_factory()
    cg = Cgroup()
    try:
        in_cg = Tracer(["sofdsnoop", "--netns", a.name, "--cgroup", cg.path])
        in_b = Tracer(["sofdsnoop", "--netns", b.name])
        try:
            w_cg = sofd_workload(a, "--file", tmpfile(a), cgroup=cg.path)
            sofd_workload(a, "--file", tmpfile(a))
            w_b = sofd_workload(b, "--file", tmpfile(b))
        finally:
            ecg, eb = events(in_cg.stop()), events(in_b.stop())
            for ns in (a, b):
                os.path.exists(tmpfile(ns)) and os.unlink(tmpfile(ns))
    finally:
        cg.close()
    assert rows(ecg) == expected(w_cg)
    assert rows(eb) == expected(w_b) and {e["netns"] for e in eb} == {netns_inode(b)}


def test_every_receiver_names_its_sender_with_many_files_in_flight(netns):
    # 99 files sent before any is received: each RECV pairs with its SEND
    # (a table of one slot per hash paired ~99% of such runs wrongly)
    w, recs = traced(netns, "--pipes", 96)
    evs = events(recs)
    sends = [e for e in evs if e["dir"] == "SEND"]
    recvs = [e for e in evs if e["dir"] == "RECV"]
    sent = w["sent"] + w["pipes"]
    assert [e["fd"] for e in sends] == sent
    assert [e["fd"] for e in recvs] == w["received"]
    assert [(e.get("from_pid"), e.get("from_fd")) for e in recvs] == [(w["pid"], fd) for fd in sent]
    assert recs[-1] == {"lost_events": 0}


def test_text_rows_name_the_sender(netns):
    w, out = traced(netns, json_mode=False)
    lines = out.splitlines()
    assert lines[0].split() == ["PID", "COMM", "DIR", "SOCKFD", "FD", "TYPE", "NAME", "FROM"]
    got = [l.split() for l in lines[1:]]
    assert [(int(r[0]), r[2], int(r[3]), int(r[4]), r[5], r[-1]) for r in got] == \
        [(w["pid"], "SEND", w["sockfd"], fd, ty, "-")
         for fd, ty in zip(w["sent"], ["file", "pipe", "socket"])] + \
        [(w["child_pid"], "RECV", w["child_sockfd"], fd, ty, f"{w['pid']}:{sfd}")
         for fd, sfd, ty in zip(w["received"], w["sent"], ["file", "pipe", "socket"])]


def test_docs_list_exactly_the_options():
    check_docs_list_exactly_the_options("sofdsnoop")
