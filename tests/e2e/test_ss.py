"""netlens ss against a known set of sockets in a fresh namespace, and
against iproute2's ss over the same namespace."""
import json
import os
import re
import subprocess

import pytest

from conftest import HERE, PY, Netns, run, run_json, wait_for


class Sockets:
    """sockmaker.py running in a namespace; .d is its description."""

    def __init__(self, ns):
        self.ns = ns
        self.proc = ns.popen([PY, os.path.join(HERE, "sockmaker.py")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("sockmaker did not start")
        self.d = json.loads(line)
        # connections complete asynchronously: wait for the full queue to fill
        wait_for(lambda: self.listener(self.d["full"]["port"]).get("recv_q") == self.d["full"]["queued"],
                 what="the full accept queue")

    def listener(self, port):
        for s in run_json(["ss", "-tln"], ns=self.ns.name):
            if s["sport"] == port:
                return s
        return {}


@pytest.fixture(scope="module")
def world():
    """One namespace with the known sockets, shared by the read-only tests."""
    ns = Netns()
    try:
        yield ns, Sockets(ns).d
    finally:
        ns.close()


def inodes(rows):
    return {r["inode"] for r in rows}


def ports(rows):
    return {(r.get("sport"), r.get("dport")) for r in rows}


# --- the known set, exactly ---

@pytest.mark.sanitize
def test_listeners_show_backlog_and_accept_queue(world):
    ns, d = world
    rows = run_json(["ss", "-tln"], ns=ns.name)
    assert {r["state"] for r in rows} == {"LISTEN"}
    assert inodes(rows) == {d["l4"]["inode"], d["l6"]["inode"], d["full"]["inode"]}
    by_port = {r["sport"]: r for r in rows}
    l4, l6, full = by_port[d["l4"]["port"]], by_port[d["l6"]["port"]], by_port[d["full"]["port"]]
    assert (l4["family"], l4["src"], l4["send_q"], l4["recv_q"]) == ("inet", "127.0.0.1", 7, 0)
    assert (l6["family"], l6["src"], l6["send_q"]) == ("inet6", "::1", 13)
    # a full accept queue: backlog 2 holds 3 (the kernel allows backlog + 1)
    assert (full["recv_q"], full["send_q"]) == (3, 2)
    assert (full["accept_queue"], full["accept_queue_limit"]) == (3, 2)


def test_default_shows_connected_tcp_only(world):
    ns, d = world
    rows = run_json(["ss", "-tn"], ns=ns.name)
    assert {r["state"] for r in rows} == {"ESTAB"}
    want = set()
    for e in d["estab"]:
        want |= {e["client_inode"], e["server_inode"]}
    got = inodes(rows)
    assert want <= got
    # the rest are the three queued connections to the full listener (both ends)
    extra = [r for r in rows if r["inode"] not in want]
    assert len(extra) == 6
    assert all(d["full"]["port"] in (r["sport"], r["dport"]) for r in extra)


def test_time_wait_only_with_all_or_state(world):
    ns, d = world
    tw = (d["timewait"]["client_port"], d["timewait"]["server_port"])
    assert tw not in ports(run_json(["ss", "-tn"], ns=ns.name))
    rows = run_json(["ss", "-tan"], ns=ns.name)
    assert tw in ports(rows)
    rows = run_json(["ss", "-tn", "state", "time-wait"], ns=ns.name)
    assert ports(rows) == {tw} and rows[0]["state"] == "TIME-WAIT"


def test_udp_bound_and_connected(world):
    ns, d = world
    rows = run_json(["ss", "-uan"], ns=ns.name)
    assert inodes(rows) == {d["udp_bound"]["inode"], d["udp_connected"]["inode"]}
    st = {r["inode"]: r for r in rows}
    assert st[d["udp_bound"]["inode"]]["state"] == "UNCONN"
    conn = st[d["udp_connected"]["inode"]]
    assert (conn["state"], conn["dport"], conn["family"]) == ("ESTAB", 9, "inet6")
    # without -a only the connected one, as ss does
    assert inodes(run_json(["ss", "-un"], ns=ns.name)) == {d["udp_connected"]["inode"]}
    # -l: unconnected UDP counts as listening
    assert inodes(run_json(["ss", "-uln"], ns=ns.name)) == {d["udp_bound"]["inode"]}


def test_unix_stream_and_dgram(world):
    ns, d = world
    rows = run_json(["ss", "-xa"], ns=ns.name)
    by_ino = {r["inode"]: r for r in rows}
    lst = by_ino[d["unix_listener"]["inode"]]
    assert (lst["netid"], lst["state"], lst["path"], lst["send_q"]) == ("u_str", "LISTEN", d["unix_listener"]["path"], 4)
    dg = by_ino[d["unix_dgram"]["inode"]]
    assert (dg["netid"], dg["state"], dg["path"]) == ("u_dgr", "UNCONN", d["unix_dgram"]["path"])
    c, s = by_ino[d["unix_pair"]["client_inode"]], by_ino[d["unix_pair"]["server_inode"]]
    assert c["peer_inode"] == s["inode"] and s["peer_inode"] == c["inode"]
    assert c["state"] == s["state"] == "ESTAB"
    # -A unix_dgram selects only datagram sockets
    rows = run_json(["ss", "-a", "-A", "unix_dgram"], ns=ns.name)
    assert {r["netid"] for r in rows} == {"u_dgr"} and d["unix_dgram"]["inode"] in inodes(rows)


def test_families(world):
    ns, d = world
    v4 = run_json(["ss", "-tan4"], ns=ns.name)
    v6 = run_json(["ss", "-tan6"], ns=ns.name)
    assert v4 and {r["family"] for r in v4} == {"inet"}
    assert v6 and {r["family"] for r in v6} == {"inet6"}
    assert inodes(v4) | inodes(v6) == inodes(run_json(["ss", "-tan"], ns=ns.name))


def test_extended_memory_timers(world):
    ns, d = world
    e = d["estab"][0]
    rows = run_json(["ss", "-tnemo", "sport", "=", f":{e['client_port']}"], ns=ns.name)
    assert len(rows) == 1
    r = rows[0]
    assert r["inode"] == e["client_inode"] and r["uid"] == 0 and r["cookie"] > 0
    assert r["skmem"]["rcvbuf"] > 0 and r["skmem"]["sndbuf"] > 0
    # SO_KEEPALIVE arms the keepalive timer
    assert r["timer"]["name"] == "keepalive" and r["timer"]["expires_ms"] > 0


def test_tcp_info_counts_the_payload(world):
    ns, d = world
    e = d["estab"][0]
    rows = run_json(["ss", "-tni"], ns=ns.name)
    by_ino = {r["inode"]: r for r in rows}
    client, server = by_ino[e["client_inode"]]["tcp_info"], by_ino[e["server_inode"]]["tcp_info"]
    assert client["bytes_sent"] == 1000 and client["bytes_acked"] == 1001  # + the SYN
    assert server["bytes_received"] == 1000
    for k in ("rtt_ms", "rto_ms", "cwnd", "mss", "congestion", "delivery_rate_bps", "min_rtt_ms",
              "busy_ms", "rwnd_limited_ms", "sndbuf_limited_ms", "app_limited", "total_retrans", "lost"):
        assert k in client, k
    assert isinstance(client["rtt_ms"], float) or isinstance(client["rtt_ms"], int)
    assert client["total_retrans"] == 0


def test_processes(world):
    ns, d = world
    rows = run_json(["ss", "-tlnp"], ns=ns.name)
    l4 = [r for r in rows if r["inode"] == d["l4"]["inode"]][0]
    assert {"comm": "python3", "pid": d["pid"], "fd": d["l4"]["fd"]} in l4["users"]
    text = run(["ss", "-tlnp"], ns=ns.name).stdout
    assert f'users:(("python3",pid={d["pid"]},fd={d["l4"]["fd"]}))' in text


def test_summary_counts_the_dump(world):
    ns, d = world
    rows = run_json(["ss", "-s"], ns=ns.name)
    head = rows[0]
    assert head["tcp_estab"] == 2 * 2 + 2 * 3  # two pairs, three queued pairs
    states = {r["tcp_state"]: r for r in rows if "tcp_state" in r}
    assert states["LISTEN"]["ipv4"] == 2 and states["LISTEN"]["ipv6"] == 1
    assert states["TIME-WAIT"]["ipv4"] == 1
    transports = {r["transport"]: r for r in rows if "transport" in r}
    assert transports["UDP"]["total"] == 2
    assert transports["UNIX"]["total"] == 4


# --- filters: kernel bytecode, user space and iproute2 agree ---

FILTERS = [
    [],
    ["sport", "=", ":{l4}"],
    ["dport", "=", ":{l4}"],
    ["( sport = :{l4} or dport = :{l4} )"],
    ["not", "sport", "=", ":{l4}"],
    ["sport", ">", ":{l4}"],
    ["sport", "<=", ":{l4}"],
    ["dport", "ge", ":1024", "and", "dport", "lt", ":{l4}"],
    ["src", "127.0.0.1"],
    ["src", "127.0.0.0/8", "and", "not", "dport", "=", ":{full}"],
    ["dst", "[::1]"],
    ["src", "[::1]:{l6}"],
    ["src", "127.0.0.1:{full}", "or", "dst", "127.0.0.1:{full}"],
    ["state", "established"],
    ["state", "listening"],
    ["state", "connected", "sport", "!=", ":{full}"],
    ["exclude", "established"],
    ["state", "time-wait", "state", "listening"],
    ["state", "bucket"],
    ["!", "(", "src", "127.0.0.1", "||", "dport", "==", ":{l4}", ")"],
    # and/or group left to right in ss: this is (A or B) and C
    ["sport", "=", ":{l4}", "or", "sport", "=", ":{full}", "and", "dst", "10.0.0.0/8"],
    ["dport", "=", ":{l4}", "or", "dport", "=", ":{full}", "and", "src", "127.0.0.1"],
]


def expand(words, d):
    return [w.format(l4=d["l4"]["port"], l6=d["l6"]["port"], full=d["full"]["port"]) for w in words]


def netlens_tuples(ns, args):
    return sorted((r["state"], r["sport"], r["dport"], r["inode"]) for r in run_json(["ss"] + args, ns=ns))


def iproute2_tuples(ns, args):
    """Parses iproute2 ss -Hne output: state, ports, inode."""
    p = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hne"] + args, capture_output=True, text=True, check=True)
    out = []
    for line in p.stdout.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0].isdigit():  # one state selected: ss drops the State column
            f = ["-"] + f
        state, local, peer = f[0], f[3], f[4]
        m = re.search(r"ino:(\d+)", line)
        port = lambda a: 0 if a.endswith(":*") else int(a.rsplit(":", 1)[1])
        out.append((state, port(local), port(peer), int(m.group(1)) if m else 0))
    return sorted(out)


@pytest.mark.parametrize("words", FILTERS, ids=lambda w: " ".join(w) or "none")
def test_filter_paths_agree_with_iproute2(world, words):
    ns, d = world
    f = expand(words, d)
    kernel = netlens_tuples(ns.name, ["-tan"] + f)
    user = netlens_tuples(ns.name, ["-tan", "--no-kernel-filter"] + f)
    ref = iproute2_tuples(ns.name, ["-ta"] + f)
    assert kernel == user
    if ref and ref[0][0] == "-":
        kernel = sorted(("-",) + k[1:] for k in kernel)
    assert kernel == ref


def test_state_column_hidden_for_one_state(world):
    ns, d = world
    out = run(["ss", "-tn", "state", "established"], ns=ns.name).stdout
    assert out.splitlines()[0].split()[0] == "Recv-Q"
    out = run(["ss", "-tan"], ns=ns.name).stdout
    assert out.splitlines()[0].startswith("State")


def test_text_table_is_aligned_and_untruncated(world):
    ns, d = world
    out = run(["ss", "-xa"], ns=ns.name).stdout.splitlines()
    header = out[0]
    col = header.index("Recv-Q")
    for line in out[1:]:
        assert line[col - 1] == " " and line[col] != " "
    assert any(d["unix_listener"]["path"] in line for line in out)


# --- namespaces ---

def test_netns_by_name_and_path(world):
    ns, d = world
    inside = netlens_tuples(ns.name, ["-tan"])
    by_name = sorted((r["state"], r["sport"], r["dport"], r["inode"]) for r in run_json(["ss", "-tan", "-N", ns.name]))
    by_path = sorted((r["state"], r["sport"], r["dport"], r["inode"])
                     for r in run_json(["ss", "-tan", "--netns", f"/run/netns/{ns.name}"]))
    assert inside == by_name == by_path


def test_netns_missing_is_a_clear_error():
    p = run(["ss", "-N", "no-such-ns-here"], check=False)
    assert p.returncode == 1
    assert "cannot enter network namespace 'no-such-ns-here'" in p.stderr and "ip netns list" in p.stderr


# --- bad input ---

@pytest.mark.sanitize
def test_unknown_option_is_one_line():
    p = run(["ss", "--bogus"], check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip().splitlines() == \
        ["netlens: error: --bogus: not an option of 'ss': see 'netlens ss -h'"]
    p = run(["-j", "ss", "-f", "nosuch"], check=False)
    assert p.returncode == 2 and p.stderr == ""
    assert "-f: unknown family 'nosuch'" in json.loads(p.stdout)["error"]


@pytest.mark.sanitize
@pytest.mark.parametrize("words,col,msg", [
    (["sport", "=", ":x"], 10, "port"),
    (["state", "bogus"], 7, "state"),
    (["(", "sport", "=", ":22"], 1, "unbalanced '('"),
    (["src", "300.1.1.1"], 5, "address"),
    (["dport", ">", ":22", "and"], None, "and"),
])
def test_bad_filter_names_the_column(words, col, msg):
    p = run(["ss", "-tn"] + words, check=False)
    assert p.returncode == 2, p.stderr
    m = re.search(r"bad filter at column (\d+) of '(.*)': (.*)", p.stderr)
    assert m, p.stderr
    assert len(p.stderr.splitlines()) == 1, p.stderr  # one line, no caret art
    assert m.group(2) == " ".join(words)
    if col is not None:
        assert int(m.group(1)) == col
    assert msg in m.group(3)


def test_bad_filter_json_error():
    p = run(["-j", "ss", "sport", "=", ":x"], check=False)
    assert p.returncode == 2
    assert "bad filter at column" in json.loads(p.stdout.splitlines()[0])["error"]


def test_processes_without_root_still_prints(world):
    ns, d = world
    # as an unprivileged user: our own (root's) processes are unreadable
    cmd = ["ip", "netns", "exec", ns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           os.environ.get("NETLENS_PLAIN", run.__globals__["NETLENS"]), "-j", "ss", "-tlnp"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    assert d["l4"]["inode"] in inodes(rows)
    assert "users" not in [r for r in rows if r["inode"] == d["l4"]["inode"]][0]
    assert "run as root" in p.stderr


# --- the BPF iterator fast path gives exactly what sock_diag gives ---

@pytest.mark.parametrize("args", [["-tan"], ["-tane"], ["-tanp"], ["-tn", "state", "time-wait"],
                                  ["-tan4"], ["-tan6"], ["-tln"],
                                  ["-tan", "sport", "=", ":{l4}", "or", "dst", "[::1]"]],
                         ids=lambda a: " ".join(a))
@pytest.mark.parametrize("variant", ["fixed", "core"])
def test_bpf_iterator_equals_sock_diag(world, args, variant):
    """Both iterator programs: the one built for this kernel (loaded with one
    bpf() call) and the CO-RE one libbpf relocates (NETLENS_ITER_CORE=1)."""
    ns, d = world
    args = expand(args, d)
    env = dict(os.environ, **({"NETLENS_ITER_CORE": "1"} if variant == "core" else {}))
    fast = sorted(run(["-j", "ss", "--bpf"] + args, ns=ns.name, env=env).stdout.splitlines())
    slow = sorted(run(["-j", "ss", "--no-bpf"] + args, ns=ns.name).stdout.splitlines())
    assert fast and fast == slow


def test_bpf_iterator_refuses_what_it_cannot_show(world):
    ns, d = world
    for args in (["-ti"], ["-tin"], ["-s"], ["-tm", "-H"]):
        p = run(["ss", "--bpf"] + args, ns=ns.name, check=False)
        # the error is the only output: no header printed before it
        assert p.returncode == 1 and p.stdout == "", args
        assert p.stderr.count("\n") == 1 and "--bpf lists only what the iterator provides" in p.stderr
    p = run(["-j", "ss", "--bpf", "-tin"], ns=ns.name, check=False)
    assert p.returncode == 1 and len(p.stdout.splitlines()) == 1
    assert "--bpf lists only" in json.loads(p.stdout)["error"]


def test_bpf_iterator_needs_privilege(world):
    ns, d = world
    cmd = ["ip", "netns", "exec", ns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           "--inh-caps=-all", "--bounding-set=-all", run.__globals__["NETLENS"], "ss", "--bpf", "-tan"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "--bpf needs root" in p.stderr and p.stdout == ""


# --- sockets made by a short script in a test's own namespace ---

HOLD = """
import json, os, socket, sys
keep = []
def ino(s):
    return os.fstat(s.fileno()).st_ino
d = {}
%s
print(json.dumps(d), flush=True)
sys.stdin.read()
"""


def hold(ns, code):
    """Runs code (which fills dict d and appends sockets to keep) inside ns;
    returns d once the sockets exist. ns.close() ends the process."""
    p = ns.popen([PY, "-c", HOLD % code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line:
        raise AssertionError("socket holder did not start")
    return json.loads(line)


def iproute2(ns, args):
    return subprocess.run(["ip", "netns", "exec", ns.name, "ss"] + args, capture_output=True,
                          text=True, check=True).stdout


def test_unix_path_bound_with_its_nul(netns, tmp_path):
    """A path bound with a length counting the NUL is the path, not 'path@'."""
    path = str(tmp_path / "nul.sock")
    d = hold(netns, f"""
u = socket.socket(socket.AF_UNIX); u.bind({path!r} + "\\0"); u.listen(1); keep.append(u)
a = socket.socket(socket.AF_UNIX); a.bind("\\0nlt-abstract-{os.getpid()}"); a.listen(1); keep.append(a)
d["path"] = ino(u); d["abstract"] = ino(a)
""")
    rows = {r["inode"]: r for r in run_json(["ss", "-xa"], ns=netns.name)}
    assert rows[d["path"]]["path"] == path
    assert rows[d["abstract"]]["path"] == f"@nlt-abstract-{os.getpid()}"
    text = run(["ss", "-xaH"], ns=netns.name).stdout
    ref = iproute2(netns, ["-xaH"])
    assert f"{path} {d['path']}" in text and f"{path}@" not in text
    assert f"{path} " in ref and f"{path}@" not in ref
    assert f"@nlt-abstract-{os.getpid()} {d['abstract']}" in text


def test_packet_protocol_is_the_ethertype(netns):
    """ss -0: ethertype in host order as iproute2 names it, '*' for ETH_P_ALL."""
    d = hold(netns, """
for name, typ, proto in (("ip", socket.SOCK_RAW, 0x0800), ("all", socket.SOCK_DGRAM, 3),
                         ("lldp", socket.SOCK_RAW, 0x88cc), ("odd", socket.SOCK_RAW, 0x1234)):
    s = socket.socket(socket.AF_PACKET, typ, socket.htons(proto)); keep.append(s); d[name] = ino(s)
""")
    rows = {r["inode"]: r for r in run_json(["ss", "-0a"], ns=netns.name)}
    assert {k: rows[d[k]]["protocol"] for k in ("ip", "all", "lldp", "odd")} == \
        {"ip": 0x0800, "all": 3, "lldp": 0x88cc, "odd": 0x1234}
    for args in (["-0aH"], ["-0aHn"]):
        mine = sorted(" ".join(l.split()) for l in run(["ss"] + args, ns=netns.name).stdout.splitlines())
        ref = sorted(" ".join(l.split()) for l in iproute2(netns, args).splitlines())
        assert mine == ref, args


def iproute2_summary(ns):
    out = iproute2(ns, ["-s"])
    m = re.search(r"Total: (\d+)", out)
    t = re.search(r"TCP:\s+(\d+) \(estab (\d+), closed (\d+), orphaned (\d+), timewait (\d+)\)", out)
    head = {"sockets_used": int(m.group(1))}
    head.update(zip(("tcp_total", "tcp_estab", "tcp_closed", "tcp_orphaned", "tcp_timewait"),
                    map(int, t.groups())))
    rows = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] in ("RAW", "UDP", "TCP", "INET", "FRAG"):
            rows[f[0]] = tuple(map(int, f[1:]))
    return head, rows


def netlens_summary(ns):
    objs = run_json(["ss", "-s"], ns=ns.name)
    head = {k: objs[0][k] for k in ("sockets_used", "tcp_total", "tcp_estab", "tcp_closed",
                                    "tcp_orphaned", "tcp_timewait")}
    rows = {o["transport"]: (o["total"], o["ipv4"], o["ipv6"]) for o in objs
            if o.get("transport") in ("RAW", "UDP", "TCP", "INET", "FRAG")}
    return head, rows


def test_summary_matches_iproute2(netns):
    """-s: 'Total' does not count netlens's own netlink sockets, and TCP
    includes TIME-WAIT, exactly as iproute2's ss -s prints them."""
    d = hold(netns, """
import time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8); keep.append(l)
for i in range(3):
    c = socket.create_connection(l.getsockname()); s, _ = l.accept()
    if i < 2:
        c.shutdown(socket.SHUT_WR); s.recv(1); s.close()   # the client's FIN first:
        c.recv(1); c.close()                                # TIME-WAIT on its side
    else:
        keep += [c, s]
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 0)); keep.append(u)
""")
    wait_for(lambda: netlens_summary(netns)[0]["tcp_timewait"] == 2, what="two TIME-WAIT sockets")
    # the two tools run one after the other: retry until a quiet moment
    # where nothing (an earlier run's netlink socket awaiting RCU) moves
    seen = []

    def same():
        ref, mine, ref2 = iproute2_summary(netns), netlens_summary(netns), iproute2_summary(netns)
        seen[:] = [ref, mine]
        return ref == ref2 == mine
    try:
        wait_for(same, timeout=10, what="equal summaries")
    except AssertionError:
        # TCP alloc (so total and closed) is host-wide and other work on the
        # host moves it; everything per namespace must still agree
        glob = ("tcp_total", "tcp_closed")
        strip = lambda h: {k: v for k, v in h.items() if k not in glob}
        assert (strip(seen[1][0]), seen[1][1]) == (strip(seen[0][0]), seen[0][1])
    head = run_json(["ss", "-s"], ns=netns.name)[0]
    assert head["tcp_timewait"] == 2 and head["tcp_estab"] == 2
    assert head["tcp_total"] == head["tcp_alloc"] + head["tcp_timewait"]
    rows = netlens_summary(netns)[1]
    assert rows["UDP"] == (1, 0, 1) and rows["TCP"] == (3, 3, 0)  # listener and a pair


# --- kinds without a sock_diag module: the /proc/net tables ---

PROC_SOCKETS = """
import time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4); keep.append(l)
c = socket.create_connection(l.getsockname()); s, _ = l.accept(); keep += [c, s]
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
l6 = socket.socket(socket.AF_INET6); l6.bind(("::1", 0)); l6.listen(3); keep.append(l6)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); keep.append(u)
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.connect(("::1", 9)); keep.append(u6)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); keep.append(r)
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); keep.append(r6)
x = socket.socket(socket.AF_UNIX); x.bind("\\0nlt-proc-%d" % os.getpid()); x.listen(2); keep.append(x)
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)); keep.append(p)
d["raw"] = ino(r); d["raw6"] = ino(r6)
"""


def normalized(text):
    # an unspecified IPv6 address is '*' unless the socket is v6only, which
    # the /proc tables cannot tell (both tools print '*' from them) and
    # sock_diag can ('[::]'): compare the netlink and /proc paths without it
    return sorted(" ".join(l.replace("[::]:", "*:").split()) for l in text.splitlines() if l.strip())


def test_raw_without_raw_diag_reads_proc(netns):
    """ss -w on a kernel without raw_diag lists /proc/net/raw and raw6 (as
    iproute2 does) and says so once; with raw_diag the hook simulates it."""
    d = hold(netns, PROC_SOCKETS)
    env = dict(os.environ, NETLENS_SS_NO_DIAG="raw")
    p = run(["ss", "-wa", "-Hn"], ns=netns.name, env=env)
    assert normalized(p.stdout) == normalized(iproute2(netns, ["-waHn"]))
    assert p.stderr.count("\n") == 1 and "/proc/net/raw, /proc/net/raw6" in p.stderr
    assert "raw_diag" in p.stderr
    rows = run_json(["ss", "-wa"], ns=netns.name, env=env)
    assert {(r["inode"], r["protocol"], r["family"]) for r in rows} == \
        {(d["raw"], 1, "inet"), (d["raw6"], 58, "inet6")}
    # the kernel's own answer, without the hook, is the same
    assert sorted(run(["ss", "-waHn"], ns=netns.name).stdout.splitlines()) == sorted(p.stdout.splitlines())


@pytest.mark.parametrize("args", [["-tan"], ["-tln"], ["-uan"], ["-xa"], ["-0a"], ["-wa"], ["-tano"],
                                  ["-an", "-A", "inet"], ["-tan", "sport", "!=", ":22"]],
                         ids=lambda a: " ".join(a))
def test_proc_fallback_equals_iproute2_and_netlink(netns, args):
    """Every kind read from its /proc/net file (NETLENS_SS_NO_DIAG=all) prints
    what iproute2 prints from the same files (PROC_ROOT=/proc makes it read
    them), and the same sockets as the netlink path."""
    hold(netns, PROC_SOCKETS)
    env = dict(os.environ, NETLENS_SS_NO_DIAG="all")
    mine = run(["ss", "-H"] + args, ns=netns.name, env=env)
    ref = subprocess.run(["ip", "netns", "exec", netns.name, "env", "PROC_ROOT=/proc", "ss", "-H"] + args,
                         capture_output=True, text=True, check=True).stdout
    # timers tick between the two runs: compare them without their value
    untime = lambda lines: [re.sub(r"timer:\(([a-z]+),[^,]*,", r"timer:(\1,", l) for l in lines]
    assert untime(normalized(mine.stdout)) == untime(normalized(ref))
    assert mine.stderr.count("\n") == 1 and "/proc/net/" in mine.stderr
    # the netlink path: the same sockets (the files lack a listener's backlog
    # limit, so queues are left out)
    noq = lambda lines: sorted(re.sub(r"^(\S+ )?(\S+) \d+ \d+ ", r"\1\2 ", l) for l in lines)
    via_netlink = run(["ss", "-H"] + args, ns=netns.name)
    assert noq(untime(normalized(via_netlink.stdout))) == noq(untime(normalized(mine.stdout)))


def test_proc_fallback_json_has_the_same_sockets(netns):
    hold(netns, PROC_SOCKETS)
    env = dict(os.environ, NETLENS_SS_NO_DIAG="all")
    key = lambda r: (r["netid"], r["state"], r["inode"], r.get("src"), r.get("sport"),
                     r.get("dst"), r.get("dport"), r.get("path"), r.get("protocol"))
    a = sorted(map(key, run_json(["ss", "-an"], ns=netns.name, env=env)))
    b = sorted(map(key, run_json(["ss", "-an"], ns=netns.name)))
    assert a == b and len(a) >= 10


# --- -i, -o, -e, -O as iproute2 prints them ---

def tokens(line):
    # cgroup: is iproute2's (netlens does not show it); values that move
    # between the two runs (ages, rates, timers) are compared by name only
    out = []
    for tok in line.replace("\t", " ").split():
        if tok.startswith("cgroup:"):
            continue
        tok = re.sub(r"^(lastsnd|lastrcv|lastack|busy):.*", r"\1", tok)
        tok = re.sub(r"^timer:\(([a-z]+),[^,]*,", r"timer:(\1,", tok)
        out.append(tok)
    return out


def test_info_timers_extended_oneline_match_iproute2(netns):
    d = hold(netns, """
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4); keep.append(l)
c = socket.socket(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"bbr")
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.connect(l.getsockname()); s, _ = l.accept(); keep += [c, s]
c.sendall(b"x" * 1000)
d["port"] = l.getsockname()[1]; d["client"] = ino(c)
""")
    wait_for(lambda: "bytes_acked:1001" in run(["ss", "-tin"], ns=netns.name).stdout, what="the ack")
    for args in (["-tinoeaO"], ["-tinoeaHO"], ["-tnoeaO"]):
        ref = [tokens(l) for l in iproute2(netns, args).splitlines()]
        mine = [tokens(l) for l in run(["ss"] + args, ns=netns.name).stdout.splitlines()]
        # rates are computed from a moving rtt: keep their names
        rate = lambda ts: [re.sub(r"^\d[\d.]*[kMGT]?bps$", "N", re.sub(r"(bw|mrtt):[^,)]*", r"\1", t))
                           for t in ts]
        assert sorted(map(rate, mine)) == sorted(map(rate, ref)), args
    text = run(["ss", "-tinoa"], ns=netns.name).stdout
    listener = [l for l in text.splitlines() if l.startswith("LISTEN")]
    # the listener's detail line: a few meaningful fields, not two dozen zeros
    det = text.splitlines()[text.splitlines().index(listener[0]) + 1].split()
    assert det == ["bbr", "cwnd:10"], det
    client = [r for r in run_json(["ss", "-tinoe"], ns=netns.name) if r["inode"] == d["client"]][0]
    ti = client["tcp_info"]
    assert ti["congestion"] == "bbr" and ti["backoff"] == 0 and ti["dsack_dups"] == 0
    assert set(ti["bbr"]) == {"bw_bps", "mrtt_ms", "pacing_gain", "cwnd_gain"}
    assert client["timer"]["name"] == "keepalive"
    # timers and -e details are on the socket's line in text
    line = [l for l in run(["ss", "-tnoe"], ns=netns.name).stdout.splitlines() if f"ino:{d['client']}" in l][0]
    assert "timer:(keepalive," in line and line.startswith("ESTAB")


# --- --record FILE: a snapshot that --from replays with any options ---

RECORD_SOCKETS = """
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4); keep.append(l)
c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.connect(l.getsockname()); s, _ = l.accept(); keep += [c, s]
c.sendall(b"x" * 1000); s.recv(1000)
l6 = socket.socket(socket.AF_INET6); l6.bind(("::", 0)); l6.listen(2); keep.append(l6)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); keep.append(u)
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.connect(("::1", 9)); keep.append(u6)
x = socket.socket(socket.AF_UNIX); x.bind("\\0nlt-rec-%d" % os.getpid()); x.listen(2); keep.append(x)
keep += list(socket.socketpair())
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)); keep.append(p)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); keep.append(r)
d["port"] = l.getsockname()[1]; d["client_port"] = c.getsockname()[1]; d["client"] = ino(c)
d["udp"] = u.getsockname()[1]; d["packet"] = ino(p); d["raw"] = ino(r)
"""

# values that move between two reads of the same socket
MOVING = {"last_send_ms", "last_recv_ms", "last_ack_ms", "expires_ms", "rcv_rtt_ms", "busy_ms"}


def steady(rows):
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in MOVING}
        return o
    return [json.dumps(strip(r), sort_keys=True) for r in rows]


@pytest.fixture(scope="module")
def recorded_world(tmp_path_factory):
    """Known sockets in a namespace, recorded with `ss -tan --record`."""
    ns = Netns()
    try:
        d = hold(ns, RECORD_SOCKETS)
        wait_for(lambda: "bytes_acked:1001" in run(["ss", "-tin"], ns=ns.name).stdout, what="the ack")
        path = str(tmp_path_factory.mktemp("rec") / "ss.nlsnap")
        # umask 0: the file is 0600 because netlens makes it so
        rec = run(["ss", "-tan", "--record", path], ns=ns.name, preexec_fn=lambda: os.umask(0))
        live = run(["ss", "-tan"], ns=ns.name)
        yield ns, d, path, rec, live
    finally:
        ns.close()


@pytest.mark.sanitize
def test_record_prints_what_it_recorded(recorded_world):
    ns, d, path, rec, live = recorded_world
    assert rec.stdout == live.stdout and f":{d['port']}" in rec.stdout
    assert run(["ss", "-tan", "--from", path]).stdout == rec.stdout
    assert os.stat(path).st_mode & 0o7777 == 0o600
    # no temporary file is left beside it
    assert os.listdir(os.path.dirname(path)) == ["ss.nlsnap"]


@pytest.mark.parametrize("args", [["-tan"], ["-uan"], ["-xa"], ["-0a"], ["-wa"], ["-tln"], ["-a"],
                                  ["-tinoe"], ["-tanm"], ["-tan", "dport", "=", ":PORT"],
                                  ["-an", "sport", "=", ":PORT"], ["-ua", "sport", "=", ":UDP"],
                                  ["-tan", "state", "listening"], ["-tan4"], ["-uan6"]],
                         ids=lambda a: " ".join(a))
def test_record_replays_any_options(recorded_world, args):
    """A file recorded with -tan replays every other option set as the live
    command prints it: all kinds, states and extensions are in it."""
    ns, d, path, rec, _ = recorded_world
    args = [a.replace("PORT", str(d["port"])).replace("UDP", str(d["udp"])) for a in args]
    live = run(["ss"] + args, ns=ns.name)
    replay = run(["ss", "--from", path] + args)
    assert [tokens(l) for l in replay.stdout.splitlines()] == [tokens(l) for l in live.stdout.splitlines()]
    assert replay.stderr == live.stderr
    assert len(live.stdout.splitlines()) > 1, "the option set shows nothing: a weak test"
    assert steady(run_json(["ss", "--from", path] + args)) == steady(run_json(["ss"] + args, ns=ns.name))


def test_record_has_every_kind(recorded_world):
    ns, d, path, rec, _ = recorded_world
    rows = run_json(["ss", "-a", "--from", path])
    inos = {r["inode"] for r in rows}
    assert {d["client"], d["packet"], d["raw"]} <= inos
    assert {r["netid"] for r in rows} >= {"tcp", "udp", "raw", "u_str", "p_raw"}


@pytest.mark.sanitize
def test_record_refuses_a_symlink(netns, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "out.nlsnap"
    link.symlink_to(victim)
    for j in ([], ["-j"]):
        p = run(j + ["ss", "-t", "--record", str(link)], ns=netns.name, check=False)
        assert p.returncode == 1
        if j:  # under -j the error is the one JSON line of the output
            assert p.stdout.count("\n") == 1 and "symbolic link" in json.loads(p.stdout)["error"]
        else:
            assert p.stdout == "" and p.stderr.count("\n") == 1 and "symbolic link" in p.stderr
    assert victim.read_text() == "precious\n" and link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["out.nlsnap", "victim"]


def test_record_refuses_another_users_file(netns, tmp_path):
    other = tmp_path / "theirs.nlsnap"
    other.write_text("theirs\n")
    os.chown(other, 65534, 65534)
    p = run(["ss", "-t", "--record", str(other)], ns=netns.name, check=False)
    assert p.returncode == 1 and "belongs to uid 65534" in p.stderr
    assert other.read_text() == "theirs\n"


def test_record_replaces_own_file_whole(netns, tmp_path):
    """An existing file of ours is replaced by rename (a new inode, 0600),
    never rewritten in place; a missing directory is one clear line."""
    out = tmp_path / "old.nlsnap"
    out.write_text("old\n")
    os.chmod(out, 0o644)
    before = os.stat(out).st_ino
    run(["ss", "-x", "--record", str(out)], ns=netns.name)
    st = os.stat(out)
    assert st.st_ino != before and st.st_mode & 0o777 == 0o600
    assert open(out, "rb").read(8) == b"NLSNAP\r\n"
    p = run(["ss", "--record", str(tmp_path / "no" / "x")], ns=netns.name, check=False)
    assert p.returncode == 1 and "its directory does not exist" in p.stderr
    assert sorted(os.listdir(tmp_path)) == ["old.nlsnap"]


def test_unspecified_ipv6_is_a_star_unless_v6only(netns, tmp_path):
    """[::] without IPV6_V6ONLY also takes IPv4: iproute2 prints '*', and
    '[::]' only for v6only sockets (INET_DIAG_SKV6ONLY); so does netlens,
    live and from a recording."""
    hold(netns, """
for v6only in (0, 1):
    l = socket.socket(socket.AF_INET6); l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    l.bind(("::", 0)); l.listen(2); keep.append(l)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only); u.bind(("::", 0)); keep.append(u)
c = socket.create_connection(("127.0.0.1", keep[0].getsockname()[1])); keep.append(c)
""")
    words = lambda text: sorted(" ".join(l.split()) for l in text.splitlines())
    ref = words(iproute2(netns, ["-tuanH"]))
    assert sum(l.count("*:*") for l in ref) == 2 and sum(l.count("[::]:*") for l in ref) == 2
    assert words(run(["ss", "-tuanH"], ns=netns.name).stdout) == ref
    path = str(tmp_path / "v6.nlsnap")
    run(["ss", "-tuanH", "--record", path], ns=netns.name)
    assert words(run(["ss", "-tuanH", "--from", path]).stdout) == ref


def test_process_names_are_escaped_in_tables(netns):
    """A process may name itself anything (prctl PR_SET_NAME): an escape
    sequence or a new line in its name must not reach the terminal or split
    the row; JSON carries the name exactly, escaped by JSON's own rules."""
    hold(netns, r"""
import ctypes
ctypes.CDLL(None).prctl(15, b"ev\x1b[2Jil\n", 0, 0, 0)
s = socket.socket(); s.bind(("127.0.0.1", 4242)); s.listen(); keep.append(s)
""")
    text = run(["ss", "-tlnp"], ns=netns.name).stdout
    assert 'users:(("ev\\x1b[2Jil\\x0a",pid=' in text, text
    assert "\x1b" not in text and len(text.splitlines()) == 2, text
    row = run_json(["ss", "-tlnp"], ns=netns.name)[0]
    assert row["users"][0]["comm"] == "ev\x1b[2Jil\n"
