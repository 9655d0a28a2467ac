"""netlens ss's dev, UNIX path and cgroup filters and -T, each against
iproute2's ss on the same sockets, through the kernel bytecode and the
user-space matcher."""
import json
import os
import re
import subprocess

import pytest

from conftest import NETLENS, PY, run, run_json, wait_for

HOLD = r"""
import json, os, socket, sys, threading
d = {}
keep = []
%s
print(json.dumps(d), flush=True)
sys.stdin.read()
"""


def hold(ns, code, **kw):
    p = ns.popen([PY, "-c", HOLD % code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **kw)
    line = p.stdout.readline()
    if not line:
        raise AssertionError("socket holder did not start")
    return p, json.loads(line)


def ours(ns, args, via=None):
    """inodes netlens shows, through the bytecode and the matcher (must agree)."""
    base = ["-N", ns.name] if via == "-N" else []
    kernel = {r["inode"] for r in run_json(["ss"] + base + args, ns=None if via else ns.name)}
    user = {r["inode"] for r in run_json(["ss", "--no-kernel-filter"] + base + args, ns=None if via else ns.name)}
    assert kernel == user
    return kernel


def ref(ns, args, nsenter=False):
    cmd = (["nsenter", f"--net=/run/netns/{ns.name}"] if nsenter else ["ip", "netns", "exec", ns.name]) + \
        ["ss", "-Hne"] + args
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {int(m.group(1)) for m in re.finditer(r"ino:(\d+)", out)}


def ref_unix(ns, args):
    """UNIX inodes from iproute2's -x lines: NETID STATE RQ SQ PATH INO PEER PINO."""
    out = subprocess.run(["ip", "netns", "exec", ns.name, "ss", "-Hn"] + args, capture_output=True,
                         text=True, check=True).stdout
    return {int(l.split()[5]) for l in out.splitlines() if l.strip()}


@pytest.mark.sanitize
def test_dev_filter_matches_iproute2(netns):
    netns.exec(["ip", "link", "add", "nlt16a", "type", "veth", "peer", "name", "nlt16b"])
    netns.exec(["ip", "link", "set", "nlt16a", "up"])
    p, d = hold(netns, """
b = socket.socket(); b.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"nlt16a")
b.bind(("0.0.0.0", 0)); b.listen(); keep.append(b); d["bound"] = os.fstat(b.fileno()).st_ino
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); keep.append(l); d["lo"] = os.fstat(l.fileno()).st_ino
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
u.bind(("127.0.0.1", 0)); keep.append(u); d["udp_lo"] = os.fstat(u.fileno()).st_ino
""")
    idx = int(netns.exec(["cat", "/sys/class/net/nlt16a/ifindex"]).stdout)
    for f, want in ((["dev", "nlt16a"], {d["bound"]}), (["dev", "=", "nlt16a"], {d["bound"]}),
                    (["dev", str(idx)], {d["bound"]}), (["dev", "!=", "nlt16a"], {d["lo"], d["udp_lo"]}),
                    (["dev", "lo"], {d["udp_lo"]}), (["!", "dev", "lo"], {d["bound"], d["lo"]})):
        got = ours(netns, ["-tuln"] + f)
        assert got == want, f
        assert got == ref(netns, ["-tul"] + f), f
    p = run(["ss", "-tln", "dev", "nosuch0"], ns=netns.name, check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "no interface 'nosuch0'" in p.stderr


def test_unix_path_globs_match_iproute2(netns, tmp_path):
    base = str(tmp_path)
    p, d = hold(netns, f"""
for name in ("a.sock", "b.sock", "c.other"):
    s = socket.socket(socket.AF_UNIX); s.bind(os.path.join({base!r}, name)); s.listen(); keep.append(s)
    d[name] = os.fstat(s.fileno()).st_ino
a = socket.socket(socket.AF_UNIX); a.bind("\\0nlt16-abstract"); a.listen(); keep.append(a); d["abs"] = os.fstat(a.fileno()).st_ino
""")
    cases = [
        (["-xl", "src", f"{base}/*.sock"], {d["a.sock"], d["b.sock"]}),
        (["-xl", "src", "=", f"{base}/A.SOCK"], {d["a.sock"]}),  # case-insensitive, as iproute2
        (["-xl", "not", "src", f"{base}/*.sock", "and", "src", f"{base}/*"], {d["c.other"]}),
        (["-xl", "src", "@nlt16-*"], {d["abs"]}),
        (["-al", "src", f"unix:{base}/b*"], {d["b.sock"]}),  # with every kind: unix: says it
    ]
    for args, want in cases:
        got = ours(netns, args)
        assert got == want, args
        assert got == ref_unix(netns, args), args
    # dst is the peer's path, which sock_diag does not give: iproute2 matches ""
    assert ours(netns, ["-xl", "dst", "*"]) >= set(d.values())
    assert ours(netns, ["-xl", "dst", "/*"]) == set() == ref_unix(netns, ["-xl", "dst", "/*"])


def cgroup2_mount():
    for line in open("/proc/self/mounts"):
        f = line.split()
        if f[2] == "cgroup2":
            return f[1]
    return None


def test_cgroup_filter_matches_iproute2(netns):
    mnt = cgroup2_mount()
    if not mnt:
        pytest.skip("no cgroup2 file system mounted")
    name = f"nlt16-{os.getpid()}"
    path = os.path.join(mnt, name)
    os.mkdir(path)
    try:
        # the holder joins the cgroup before it makes its sockets (a socket's
        # cgroup is the one its creator was in)
        p = netns.popen([PY, "-c", HOLD % """
sys.stdin.readline()
i = socket.socket(); i.bind(("127.0.0.1", 0)); i.listen(); keep.append(i); d["in"] = os.fstat(i.fileno()).st_ino
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(p.pid))
        p.stdin.write("go\n")
        p.stdin.flush()
        d = json.loads(p.stdout.readline())
        _, o = hold(netns, """
o = socket.socket(); o.bind(("127.0.0.1", 0)); o.listen(); keep.append(o); d["out"] = os.fstat(o.fileno()).st_ino
""")
        # ip netns exec hides /sys/fs/cgroup (it mounts a new sysfs): -N
        # enters only the network namespace, as nsenter does for iproute2
        for f, want in ((["cgroup", "/" + name], {d["in"]}), (["cgroup", path], {d["in"]}),
                        (["cgroup", "!=", "/" + name], {o["out"]})):
            got = ours(netns, ["-tln"] + f, via="-N")
            assert got == want, f
            assert got == ref(netns, ["-tl"] + f, nsenter=True), f
        q = run(["ss", "-N", netns.name, "-tln", "cgroup", "/nlt16-nonexistent"], check=False)
        assert q.returncode == 2 and q.stderr.count("\n") == 1 and "nlt16-nonexistent" in q.stderr
    finally:
        for proc in netns.procs:
            proc.kill()
            proc.wait()
        os.rmdir(path)


def users(text):
    return sorted(re.findall(r'\("[^"]*",pid=\d+,tid=\d+,fd=\d+\)', text))


def test_threads_match_iproute2(netns):
    p, d = hold(netns, """
ev = threading.Event()
ts = [threading.Thread(target=ev.wait, daemon=True) for _ in range(2)]
for t in ts: t.start()
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); keep.append(l); d["port"] = l.getsockname()[1]
d["tids"] = sorted(int(t) for t in os.listdir("/proc/self/task"))
""")
    text = run(["ss", "-tlnT"], ns=netns.name).stdout
    refs = subprocess.run(["ip", "netns", "exec", netns.name, "ss", "-tlnT"], capture_output=True, text=True).stdout
    assert users(text) == users(refs) and len(users(text)) == 3
    row = [r for r in run_json(["ss", "-tlnT"], ns=netns.name) if r["sport"] == d["port"]][0]
    assert sorted(u["tid"] for u in row["users"]) == d["tids"]
    assert {u["pid"] for u in row["users"]} == {d["tids"][0]}
    # -p alone: one owner, no tid
    row = [r for r in run_json(["ss", "-tlnp"], ns=netns.name) if r["sport"] == d["port"]][0]
    assert len(row["users"]) == 1 and "tid" not in row["users"][0]
