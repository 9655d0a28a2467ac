"""tcpreset: a connect to a closed port (reset sent by the kernel with no
socket, received by the connecting socket) and an abortive close
(SO_LINGER 0: reset sent by the closing socket, received by its peer)."""
import json
import subprocess
import textwrap

from conftest import NETLENS, PY
from trace_util import Tracer, events

L = "127.0.0.1"

SCRIPT = textwrap.dedent("""
    import json, os, socket, struct
    # a closed port: bind it, never listen
    closed = socket.socket(); closed.bind(("127.0.0.1", 0))
    cport = closed.getsockname()[1]
    c = socket.socket(); c.bind(("127.0.0.1", 0)); rsport = c.getsockname()[1]
    try:
        c.connect(("127.0.0.1", cport)); refused = False
    except ConnectionRefusedError:
        refused = True
    c.close()
    # an abortive close
    ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
    lport = ls.getsockname()[1]
    a = socket.create_connection(("127.0.0.1", lport))
    asport = a.getsockname()[1]
    s, _ = ls.accept()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
    try:
        got = s.recv(10); reset = False
    except ConnectionResetError:
        reset = True
    print(json.dumps(dict(pid=os.getpid(), cport=cport, rsport=rsport, refused=refused,
                          lport=lport, asport=asport, reset=reset)))
""")


def _run(ns):
    p = ns.exec([PY, "-c", SCRIPT], timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


def key(e):
    return (e["direction"], e["laddr"], e["lport"], e["raddr"], e["rport"])


def test_tcpreset_refused_and_abortive_close(netns):
    tr = Tracer(["tcpreset", "--netns", netns.name])
    sent = Tracer(["tcpreset", "--netns", netns.name, "--sent"])
    cnt = Tracer(["tcpreset", "--netns", netns.name, "-c"])
    try:
        r = _run(netns)
    finally:
        recs, recs_sent, rows = tr.stop(), sent.stop(), cnt.stop()
    evs = events(recs)
    assert r["refused"] and r["reset"]
    by = {key(e): e for e in evs}
    assert len(by) == len(evs) == 4, evs
    # closed port: the kernel answers the SYN without a socket ...
    e = by[("sent", L, r["cport"], L, r["rsport"])]
    assert (e["socket"], e["state"], e["pid"], e["reason"]) == (False, "-", 0, "NO_SOCKET")
    # ... and the connecting socket gets it in SYN_SENT
    e = by[("received", L, r["rsport"], L, r["cport"])]
    assert (e["socket"], e["state"], e["pid"], e["comm"]) == (True, "SYN_SENT", r["pid"], "python3")
    # abortive close: the closing socket sends (tcp_disconnect has moved it
    # to CLOSE already), the accepted peer receives while ESTABLISHED
    e = by[("sent", L, r["asport"], L, r["lport"])]
    assert (e["socket"], e["state"], e["pid"]) == (True, "CLOSE", r["pid"]), e
    assert e["reason"] in ("TCP_STATE", "NOT_SPECIFIED")  # 6.18: TCP_STATE
    e = by[("received", L, r["lport"], L, r["asport"])]
    assert (e["socket"], e["state"], e["pid"]) == (True, "ESTABLISHED", r["pid"]), e
    # --sent: the two sent ones only
    assert sorted(map(key, events(recs_sent))) == sorted(k for k in by if k[0] == "sent")
    assert recs[-1] == {"lost_events": 0}
    # -c: the same resets counted in the kernel, without the owner hooks
    counted = {key(c): c for c in events(rows)}
    assert sorted(counted) == sorted(by), rows
    for k, c in counted.items():
        assert c["count"] == 1 and "pid" not in c, c
        assert (c["state"], c["socket"], c.get("reason")) == \
            (by[k]["state"], by[k]["socket"], by[k].get("reason")), (c, by[k])
    assert "inet_sock_set_state" not in cnt.stderr and "sys_exit" not in cnt.stderr


def test_tcpreset_text_and_filters(netns):
    tr = Tracer(["tcpreset", "--netns", netns.name], json_mode=False)
    none = Tracer(["tcpreset", "--netns", netns.name, "-6"])
    try:
        r = _run(netns)
    finally:
        out, nothing = tr.stop(), none.stop()
    assert events(nothing) == []
    lines = out.splitlines()
    assert lines[0].split() == ["DIR", "PID", "COMM", "LADDR", "LPORT", "RADDR", "RPORT",
                                "STATE", "REASON"]
    assert any(l.split()[:2] == ["sent", "-"] and l.split()[-1] == "NO_SOCKET" and
               str(r["cport"]) in l.split() for l in lines[1:]), out


def test_accept_owner_hooks_mount_tracefs_when_missing():
    # a fresh machine: no tracefs, no debugfs (in a mount namespace of our
    # own); the syscalls:sys_exit_accept* tracepoints must still attach,
    # not the sys_exit fallback that runs for every system call
    script = ("umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null;"
              " umount /sys/kernel/tracing 2>/dev/null; test ! -e /sys/kernel/tracing/events &&"
              ' exec "$0" tcpreset -d 0.2')
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, NETLENS],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "tracepoint/syscalls/sys_exit_accept4" in p.stderr, p.stderr
    assert "raw_tp/sys_exit" not in p.stderr and "tp_btf/sys_exit" not in p.stderr, p.stderr
    assert "running without" not in p.stderr, p.stderr
