"""netlens ss -K (close sockets through SOCK_DESTROY) and -E (destroyed
sockets as a stream), in a namespace of their own, against what the
workload holding the sockets sees and against iproute2's ss."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import NETLENS, PY, read_live, run, run_json, wait_for, wrap_cmd

# Holds connections to three listeners (A, B, C) and one UDP socket;
# answers "check" with what each client socket saw since: "reset",
# "eof", "aborted" (a destroyed UDP socket) or "open".
WORKLOAD = r"""
import errno, json, socket, sys
def listener():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); return s
ls = {k: listener() for k in "ABC"}
ports = {k: s.getsockname()[1] for k, s in ls.items()}
clients, servers = {}, {}
for k, n in (("A", 3), ("B", 2), ("C", 2)):
    clients[k] = [socket.create_connection(("127.0.0.1", ports[k])) for _ in range(n)]
    servers[k] = [ls[k].accept()[0] for _ in range(n)]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
def seen(s):
    s.setblocking(False)
    try:
        return "eof" if s.recv(1) == b"" else "data"
    except BlockingIOError:
        return "open"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "aborted" if e.errno == errno.ECONNABORTED else errno.errorcode[e.errno]
print(json.dumps({"ports": ports, "udp": u.getsockname()[1],
                  "clients": {k: [c.getsockname()[1] for c in v] for k, v in clients.items()}}), flush=True)
for line in sys.stdin:
    print(json.dumps({"clients": {k: [seen(c) for c in v] for k, v in clients.items()},
                      "servers": {k: [seen(c) for c in v] for k, v in servers.items()},
                      "udp": seen(u)}), flush=True)
"""


class Workload:
    def __init__(self, ns):
        self.p = ns.popen([PY, "-c", WORKLOAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if not line:
            raise AssertionError("workload did not start")
        self.d = json.loads(line)

    def check(self):
        self.p.stdin.write("check\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())


def tcp_pairs(ns):
    """(sport, dport) of every TCP socket, as iproute2 lists them."""
    out = ns.exec(["ss", "-Htan"]).stdout
    pairs = set()
    for line in out.splitlines():
        f = line.split()
        pairs.add((int(f[3].rsplit(":", 1)[1]), 0 if f[4].endswith(":*") else int(f[4].rsplit(":", 1)[1])))
    return pairs


# --- -K ---

@pytest.mark.sanitize
def test_kill_closes_exactly_the_selected_sockets(netns):
    w = Workload(netns)
    a, b = w.d["ports"]["A"], w.d["ports"]["B"]
    before = tcp_pairs(netns)
    rows = run_json(["ss", "-K", "-tn", "dport", "=", f":{a}"], ns=netns.name)
    # printed: exactly the three clients of A, in the state they were in
    assert sorted(r["sport"] for r in rows) == sorted(w.d["clients"]["A"])
    assert {(r["state"], r["dport"]) for r in rows} == {("ESTAB", a)}
    seen = wait_for(lambda: (lambda c: c if "open" not in c["servers"]["A"] else None)(w.check()),
                    what="A's server ends to see the reset")
    # the workload: A's clients reset (closed by the kernel: ECONNABORTED on
    # the closed end), their peers reset; B and C untouched
    assert all(s in ("reset", "aborted", "eof") for s in seen["clients"]["A"]), seen
    assert all(s in ("reset", "eof") for s in seen["servers"]["A"]), seen
    assert seen["clients"]["B"] == seen["servers"]["B"] == ["open"] * 2
    assert seen["clients"]["C"] == seen["servers"]["C"] == ["open"] * 2
    # iproute2 sees every other socket still there, A's listener included
    after = tcp_pairs(netns)
    gone = {p for p in before if a in p and p != (a, 0)}
    assert after == before - gone and len(gone) == 6
    # iproute2's ss -K on C, for comparison: the same kind of selection
    ref = netns.exec(["ss", "-HKtn", "dport", "=", f":{w.d['ports']['C']}"]).stdout
    assert len(ref.splitlines()) == 2
    seen = wait_for(lambda: (lambda c: c if "open" not in c["servers"]["C"] else None)(w.check()),
                    what="C's server ends to see iproute2's reset")
    assert seen["clients"]["B"] == seen["servers"]["B"] == ["open"] * 2
    assert (b, 0) in tcp_pairs(netns)


def test_kill_by_sport_leaves_the_listener_text_output(netns):
    w = Workload(netns)
    b = w.d["ports"]["B"]
    p = run(["ss", "-K", "-tn", "sport", "=", f":{b}"], ns=netns.name)
    lines = p.stdout.splitlines()
    assert lines[0].split()[:2] == ["State", "Recv-Q"]
    assert len(lines) == 3 and all(f":{b} " in l for l in lines[1:])
    seen = wait_for(lambda: (lambda c: c if "open" not in c["clients"]["B"] else None)(w.check()),
                    what="B's clients to see the reset")
    assert all(s in ("reset", "eof") for s in seen["clients"]["B"])
    assert seen["clients"]["A"] == ["open"] * 3
    assert (b, 0) in tcp_pairs(netns)  # LISTEN is not a connected state: kept


def test_kill_udp_socket(netns):
    w = Workload(netns)
    u = w.d["udp"]
    rows = run_json(["ss", "-K", "-u", "-a", "-n", "sport", "=", f":{u}"], ns=netns.name)
    assert [(r["netid"], r["sport"]) for r in rows] == [("udp", u)]
    assert w.check()["udp"] == "aborted"  # udp_abort: ECONNABORTED to the holder
    assert f":{u} " not in netns.exec(["ss", "-Huan"]).stdout


@pytest.mark.sanitize
def test_kill_prints_and_closes_what_iproute2_does(netns_factory):
    """The same workload in two namespaces, the same -K command by netlens
    in one and by iproute2 in the other: the same lines printed and the
    same sockets left, ports named by their role (listener A, client A1,
    ...)."""
    def outcome(tool):
        ns = netns_factory()
        w = Workload(ns)
        role = {str(p): k for k, p in w.d["ports"].items()}
        for k, ports in w.d["clients"].items():
            role.update({str(p): f"{k}{i}" for i, p in enumerate(ports)})
        cmd = ["ss", "-HKtn", "dport", "=", f":{w.d['ports']['A']}"]
        out = run(cmd, ns=ns.name).stdout if tool == "netlens" else ns.exec(cmd).stdout

        def named(endpoint):
            addr, port = endpoint.rsplit(":", 1)
            return f"{addr}:{role.get(port, 'other' if port != '*' else '*')}"
        printed = sorted((f[0], f[1], f[2], named(f[3]), named(f[4]))
                         for f in (line.split() for line in out.splitlines()))
        left = sorted((role.get(str(sp), "other"), role.get(str(dp), "*" if dp == 0 else "other"))
                      for sp, dp in tcp_pairs(ns))
        return printed, left
    ours, theirs = outcome("netlens"), outcome("iproute2")
    assert ours == theirs
    assert [p[4] for p in ours[0]] == ["127.0.0.1:A"] * 3 and len(ours[1]) == 3 + 4 * 2


@pytest.mark.sanitize
@pytest.mark.parametrize("args", [["-K"], ["-K", "-t"], ["-Ktn"], ["-Ktln"], ["-K", "-l"]])
def test_kill_refuses_without_a_filter(netns, args):
    w = Workload(netns)
    before = tcp_pairs(netns)
    p = run(["ss"] + args, ns=netns.name, check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "-K without a filter" in p.stderr and "-a" in p.stderr
    p = run(["-j", "ss"] + args, ns=netns.name, check=False)
    assert p.returncode == 2 and "-K without a filter" in json.loads(p.stdout)["error"]
    assert tcp_pairs(netns) == before
    assert w.check()["clients"]["A"] == ["open"] * 3


def test_kill_all_closes_everything(netns):
    w = Workload(netns)
    before = tcp_pairs(netns)
    rows = run_json(["ss", "-K", "-a", "-t", "-n"], ns=netns.name)
    # a connection's far end is reset by closing the near one: it is gone
    # (ENOENT) when its turn comes, and not printed as closed by -K
    printed = {(r["sport"], r["dport"]) for r in rows}
    assert printed <= before and {p for p in before if p[1] == 0} <= printed
    assert tcp_pairs(netns) == set()
    seen = w.check()
    assert "open" not in sum(seen["clients"].values(), [])


def test_kill_a_state_clause_is_a_filter(netns):
    w = Workload(netns)
    rows = run_json(["ss", "-K", "-tn", "state", "listening"], ns=netns.name)
    assert sorted(r["sport"] for r in rows) == sorted(w.d["ports"].values())
    assert {p[1] for p in tcp_pairs(netns)} != {0}  # connections stay


def test_kill_needs_cap_net_admin(netns):
    w = Workload(netns)
    before = tcp_pairs(netns)
    cmd = ["ip", "netns", "exec", netns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           "--inh-caps=-all", "--bounding-set=-all", NETLENS, "ss", "-K", "-t", "dport", "=",
           f":{w.d['ports']['A']}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "CAP_NET_ADMIN" in p.stderr
    assert tcp_pairs(netns) == before


@pytest.mark.parametrize("extra,msg", [
    (["--from", "/nonexistent"], "drop --from"), (["-s"], "drop -s"), (["--bpf"], "drop --bpf"),
    (["-E"], "exclude each other"), (["-x"], "cannot destroy UNIX"),
])
def test_kill_refuses_what_it_cannot_do(netns, extra, msg):
    p = run(["ss", "-K"] + extra + ["sport", "=", ":1"], ns=netns.name, check=False)
    assert p.returncode in (1, 2) and msg in p.stderr and p.stderr.count("\n") == 1


# --- -E ---

def sock_diag_subscribed(ns):
    """A sock_diag socket (protocol 4) in some multicast group, in ns."""
    for line in ns.exec(["cat", "/proc/net/netlink"]).stdout.splitlines()[1:]:
        f = line.split()
        if f[1] == "4" and int(f[3], 16):
            return True
    return False


class Events:
    """netlens ss -E running in ns, its output in a file, until stop()."""

    def __init__(self, ns, args, tmp_path, json_out=True):
        self.ns = ns
        self.out = open(tmp_path / f"events-{id(self)}", "w+")
        cmd = wrap_cmd((["-j"] if json_out else []) + ["ss", "-E"] + args)
        self.p = ns.popen(cmd, stdout=self.out, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: sock_diag_subscribed(ns) or self.p.poll() is not None, what="ss -E to subscribe")
        assert self.p.poll() is None, self.p.stderr.read()

    def text(self):
        return read_live(self.out)

    def wait(self, pred, what):
        """Until pred(output so far): the kernel announces a socket from a
        work queue after freeing it, so the event follows the close."""
        wait_for(lambda: pred(self.text()), timeout=30, what=what)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        err = self.p.communicate(timeout=30)[1]
        assert self.p.returncode == 0, err
        return self.text(), err


CLOSER = r"""
import json, socket, sys
k = int(sys.argv[1])
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(16); port = l.getsockname()[1]
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(k)]
ss = [l.accept()[0] for _ in range(k)]
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 0))
d = {"port": port, "clients": [c.getsockname()[1] for c in cs], "udp": u.getsockname()[1]}
for s in cs + ss + [u, l]:
    s.close()
print(json.dumps(d))
"""


def close_some(ns, k):
    return json.loads(ns.exec([PY, "-c", CLOSER, str(k)]).stdout)


def all_freed(ns):
    """Until every closed socket is freed, which is when the kernel announces
    it (a socket entering TIME-WAIT leaves a timewait socket and is freed)."""
    wait_for(lambda: not ns.exec(["ss", "-Htan", "exclude", "time-wait"]).stdout.strip(),
             what="the closed sockets to be freed")


@pytest.mark.sanitize
def test_events_report_each_closed_socket_json(netns, tmp_path):
    ev = Events(netns, ["-n"], tmp_path)
    ref_out = open(tmp_path / "iproute2", "w+")
    ref = netns.popen(["stdbuf", "-oL", "ss", "-EHn"], stdout=ref_out, text=True)
    wait_for(lambda: sum(1 for l in netns.exec(["cat", "/proc/net/netlink"]).stdout.splitlines()[1:]
                         if l.split()[1] == "4" and int(l.split()[3], 16)) >= 2, what="iproute2 ss -E")
    d = close_some(netns, 4)
    want = {(c, d["port"]) for c in d["clients"]} | {(d["port"], c) for c in d["clients"]} | {(d["port"], 0)}
    ev.wait(lambda t: t.count("\n") >= len(want) + 1, "an event per socket closed")
    out, err = ev.stop()
    rows = [json.loads(l) for l in out.splitlines()]
    assert rows[-1] == {"lost_events": 0}
    events = rows[:-1]
    tcp = [(r["sport"], r["dport"]) for r in events if r["netid"] == "tcp"]
    udp = [(r["sport"], r["family"]) for r in events if r["netid"] == "udp"]
    assert sorted(tcp) == sorted(want)  # each once
    assert udp == [(d["udp"], "inet6")]
    assert all(isinstance(r["time"], float) for r in events)
    # iproute2 saw the same sockets
    def ref_text():
        return read_live(ref_out)
    wait_for(lambda: ref_text().count("\n") >= len(want) + 1, what="iproute2's events")
    ref.send_signal(signal.SIGINT)
    ref.wait(timeout=10)
    text = ref_text()
    port = lambda a: 0 if a.endswith(":*") else int(a.rsplit(":", 1)[1])
    ref_pairs = sorted((port(l.split()[4]), port(l.split()[5])) for l in text.splitlines()
                       if l.split()[0] == "tcp")
    assert ref_pairs == sorted(want)


def test_events_text_with_a_filter(netns, tmp_path):
    d0 = close_some(netns, 1)  # before the stream: not in it
    all_freed(netns)
    ev = Events(netns, ["-n", "dport", ">=", ":1024"], tmp_path, json_out=False)
    d = close_some(netns, 3)
    ev.wait(lambda t: t.count("\n") >= 1 + 6, "an event per connected socket closed")
    # and the excluded ones (listener, UDP) were freed and not shown
    all_freed(netns)
    out, err = ev.stop()
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Netid", "State", "Recv-Q"]
    pairs = set()
    for l in lines[1:]:
        f = l.split()
        pairs.add((f[0], int(f[4].rsplit(":", 1)[1]), int(f[5].rsplit(":", 1)[1])))
    # the clients (to the listener's port) and the server ends (to the
    # clients' ephemeral ports); not the listener (dport 0) nor the
    # unconnected UDP socket
    want = {("tcp", c, d["port"]) for c in d["clients"]} | {("tcp", d["port"], c) for c in d["clients"]}
    assert pairs == want
    assert d0["port"] not in {p[1] for p in pairs} | {p[2] for p in pairs}
    assert err == ""


def test_events_count_what_the_kernel_dropped(netns, tmp_path):
    """Stopped, the stream's socket queue can overflow: what was shown plus
    lost_events is every socket destroyed, none missing silently."""
    n = 3000
    out = open(tmp_path / "events.json", "w+")
    p = netns.popen(wrap_cmd(["-j", "ss", "-E", "-n", "-u"]), stdout=out, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: sock_diag_subscribed(netns), what="ss -E to subscribe")
    p.send_signal(signal.SIGSTOP)
    try:
        netns.exec([PY, "-c", "import socket\nfor i in range(%d):\n"
                    " u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0)); u.close()" % n])
    finally:
        p.send_signal(signal.SIGCONT)
    # a last socket marks the end of the burst; closed once the stream has
    # emptied its queue (its Rmem in /proc/net/netlink), or it could be
    # dropped itself
    wait_for(lambda: all(int(l.split()[4]) == 0 for l in netns.exec(["cat", "/proc/net/netlink"]).stdout.splitlines()[1:]
                         if l.split()[1] == "4"), timeout=20, what="ss -E to empty its queue")
    last = int(netns.exec([PY, "-c", "import socket\nu = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
                           "u.bind(('::1', 0)); print(u.getsockname()[1]); u.close()"]).stdout)

    def last_seen():
        return any('"inet6"' in l and f'"sport":{last},' in l for l in read_live(out).splitlines())
    wait_for(last_seen, timeout=20, what="the last socket's event")
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=30) == 0, p.stderr.read()
    out.seek(0)
    rows = [json.loads(l) for l in out.read().splitlines()]
    lost = rows[-1]["lost_events"]
    assert len(rows) - 1 + lost == n + 1, (len(rows), lost)


def test_events_need_cap_net_admin(netns):
    cmd = ["ip", "netns", "exec", netns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           "--inh-caps=-all", "--bounding-set=-all", NETLENS, "ss", "-E"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "CAP_NET_ADMIN" in p.stderr


def test_events_duration_ends_the_stream(netns):
    t = time.monotonic()
    p = run(["-j", "ss", "-E", "--duration", "0.3"], ns=netns.name)
    assert time.monotonic() - t < 10
    assert [json.loads(l) for l in p.stdout.splitlines()] == [{"lost_events": 0}]
    p = run(["ss", "--duration", "1"], ns=netns.name, check=False)
    assert p.returncode == 2 and "--duration bounds -E" in p.stderr


@pytest.mark.parametrize("extra", [["-x"], ["-w"], ["-0"]])
def test_events_refuse_kinds_the_kernel_does_not_announce(netns, extra):
    p = run(["ss", "-E"] + extra, ns=netns.name, check=False)
    assert p.returncode == 1 and "TCP and UDP sockets only" in p.stderr
