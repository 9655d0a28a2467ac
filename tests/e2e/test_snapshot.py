"""netlens snapshot: record a namespace, read it back with --from, and
reject damaged files with a message that names the damage."""
import json
import os
import shutil
import signal
import subprocess

import pytest

from conftest import HERE, PY, run, run_json, wait_for
from test_ss import Sockets, hold

# values that depend on the moment they are read
MOVING = {"last_send_ms", "last_recv_ms", "last_ack_ms", "expires_ms", "rcv_rtt_ms"}


def steady(rows):
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in MOVING}
        return o
    return sorted(json.dumps(strip(r), sort_keys=True) for r in rows)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    from conftest import Netns
    ns = Netns()
    try:
        Sockets(ns)
        path = str(tmp_path_factory.mktemp("snap") / "host.nlsnap")
        run(["snapshot", "-o", path, "-i", "0.1"], ns=ns.name)
        yield ns, path
    finally:
        ns.close()


@pytest.mark.sanitize
@pytest.mark.parametrize("args", [["-tan"], ["-a"], ["-tanie"], ["-tanm"], ["-xa"], ["-ua"], ["-tln"],
                                  ["-tn", "state", "established"], ["-ta", "dport", "<", ":30000"],
                                  ["-A", "unix_dgram,tcp", "-a"]],
                         ids=lambda a: " ".join(a))
def test_from_equals_live(recorded, args):
    ns, path = recorded
    live = run_json(["ss"] + args, ns=ns.name)
    replay = run_json(["ss", "--from", path] + args)
    # TIME-WAIT lasts 60 s: under valgrind the live socket may be gone by
    # the last parameter, while the snapshot keeps it
    tw = lambda rows: [r for r in rows if r.get("state") != "TIME-WAIT"]
    assert live and steady(tw(live)) == steady(tw(replay))
    if "-a" in args or "-tan" in args:
        assert any(r.get("state") == "TIME-WAIT" for r in replay)


def test_text_from_equals_live(recorded):
    ns, path = recorded
    assert run(["ss", "-tan"], ns=ns.name).stdout == run(["ss", "-tan", "--from", path]).stdout


def test_summary_from_snapshot(recorded):
    ns, path = recorded
    rows = run_json(["ss", "-s", "--from", path])
    assert rows[0]["tcp_estab"] == 10  # sockmaker: 2 pairs + 3 queued pairs


def test_processes_not_recorded(recorded):
    ns, path = recorded
    p = run(["ss", "-tlp", "--from", path])
    assert "snapshots do not record process owners" in p.stderr and "LISTEN" in p.stdout


def damaged(path, tmp_path, name, mutate):
    data = bytearray(open(path, "rb").read())
    mutate(data)
    out = tmp_path / name
    out.write_bytes(bytes(data))
    return str(out)


@pytest.mark.sanitize
@pytest.mark.parametrize("name,mutate,msg", [
    ("truncated", lambda d: d.__delitem__(slice(len(d) // 2, None)), "truncated snapshot"),
    ("flipped", lambda d: d.__setitem__(len(d) // 3, d[len(d) // 3] ^ 0x10), "snapshot"),
    ("version", lambda d: d.__setitem__(8, 9), "format version 9 is not supported"),
    ("oversized", lambda d: d.__setitem__(slice(24 + 12, 24 + 16), b"\xff\xff\xff\x7f"), "claims"),
    ("magic", lambda d: d.__setitem__(slice(0, 8), b"GARBAGE!"), "not a netlens snapshot"),
    ("empty", lambda d: d.__delitem__(slice(0, None)), "not a netlens snapshot"),
])
def test_damaged_files_rejected(recorded, tmp_path, name, mutate, msg):
    ns, path = recorded
    bad = damaged(path, tmp_path, name, mutate)
    p = run(["ss", "--from", bad], check=False)
    assert p.returncode == 1
    assert msg in p.stderr and p.stdout == ""


def test_missing_file():
    p = run(["ss", "--from", "/nonexistent/x.nlsnap"], check=False)
    assert p.returncode == 1 and "cannot open snapshot /nonexistent/x.nlsnap" in p.stderr


def test_snapshot_needs_output():
    p = run(["snapshot"], check=False)
    assert p.returncode == 2 and "-o FILE" in p.stderr
    assert len(p.stderr.splitlines()) == 1 and "usage:" not in p.stderr


# --- every state view reads the snapshot as it reads the host ---

@pytest.fixture
def quiet(netns, tmp_path):
    """A quiet namespace (no traffic) and a one-sample snapshot of it."""
    path = str(tmp_path / "quiet.nlsnap")
    run(["snapshot", "-o", path, "-i", "0"], ns=netns.name)
    return netns, path


@pytest.mark.parametrize("args", [["nstat", "-a", "-s", "-z"], ["sockmem"], ["sockmem", "-a"],
                                  ["sysctl"], ["sysctl", "net.ipv4.tcp_*"], ["links"],
                                  ["ifstat"], ["ifstat", "-e"], ["ifstat", "--qdisc"],
                                  ["ifstat", "--softnet"], ["ss", "-a"]],
                         ids=lambda a: " ".join(a))
def test_views_from_equal_live(quiet, args):
    ns, path = quiet
    live = [json.loads(l) for l in run(["-j"] + args, ns=ns.name).stdout.splitlines()]
    replay = [json.loads(l) for l in run(["-j"] + args + ["--from", path]).stdout.splitlines()]
    # host-wide figures (not per namespace) may move between the two reads:
    # socket totals and protocol memory pools, per-CPU softnet counts
    host_wide = {"used", "alloc", "mem", "orphan", "used_pages", "used_bytes", "in_pressure", "memory_pages", "memory_bytes", "processed",
                 "time_squeeze", "received_rps", "dropped", "flow_limit", "backlog", "zone", "usage"}
    strip = lambda rows: [{k: v for k, v in r.items() if k not in host_wide} for r in rows]
    assert strip(live) == strip(replay)
    if args not in (["sockmem"], ["ss", "-a"]):  # both empty in a fresh namespace
        assert live


def test_rates_from_two_samples(netns, tmp_path):
    """nstat and ifstat give the increases between the snapshot's samples."""
    path = str(tmp_path / "two.nlsnap")
    rec = netns.popen([run.__globals__["NETLENS"], "snapshot", "-o", path, "-i", "1"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # the first sample is taken once the wait for the second is announced
    assert "waiting" in rec.stderr.readline()
    # traffic between the samples: 50 datagrams to a bound socket
    code = ("import socket,sys;r=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);r.bind(('127.0.0.1',0));"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            "[s.sendto(b'x'*100,r.getsockname()) for _ in range(50)];[r.recv(200) for _ in range(50)]")
    netns.exec([PY, "-c", code])
    assert rec.wait(timeout=30) == 0
    rows = {r["counter"]: r for r in run_json(["nstat", "--from", path, "UdpInDatagrams", "UdpOutDatagrams"])}
    assert rows["UdpInDatagrams"]["value"] == 50 and rows["UdpOutDatagrams"]["value"] == 50
    lo = [r for r in run_json(["ifstat", "-i", "1", "--from", path]) if r["ifname"] == "lo"][0]
    assert lo["rx_packets"] == 50


def test_raw_sockets_replay_from_proc_tables(netns, tmp_path):
    """Without raw_diag (this kernel has none; NETLENS_SS_NO_DIAG=raw makes
    any kernel behave so) ss lists /proc/net/raw and raw6: a snapshot records
    those tables, so `ss -w --from` shows the raw sockets it had."""
    d = hold(netns, """
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); keep.append(r)
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); keep.append(r6)
d["raw"] = ino(r); d["raw6"] = ino(r6)
""")
    env = dict(os.environ, NETLENS_SS_NO_DIAG="raw")
    path = str(tmp_path / "raw.nlsnap")
    run(["snapshot", "-o", path, "-i", "0"], ns=netns.name, env=env)
    rows = run_json(["ss", "-wa", "--from", path])
    assert {(r["inode"], r["protocol"]) for r in rows} == {(d["raw"], 1), (d["raw6"], 58)}
    live = run(["ss", "-wa"], ns=netns.name, env=env)
    replay = run(["ss", "-wa", "--from", path])
    assert replay.stdout == live.stdout and "/proc/net/raw" in replay.stderr
    # tables of kinds whose dump was recorded are not duplicated
    assert b"/proc/net/tcp" not in open(path, "rb").read()


@pytest.mark.sanitize
def test_ss_names_a_bound_device_as_the_snapshot_does(netns, tmp_path):
    """A socket bound to a device (SO_BINDTODEVICE) shows the device's name
    from the snapshot's own link table: the same index names another
    device, or none, on the host that reads it."""
    netns.exec(["ip", "link", "add", "nlsv0", "type", "veth", "peer", "name", "nlsv1"])
    netns.exec(["ip", "link", "set", "nlsv0", "up"])
    code = ("import socket,sys;s=socket.socket();"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_BINDTODEVICE,b'nlsv0');"
            "s.bind(('0.0.0.0',0));s.listen();print(s.getsockname()[1],flush=True);"
            "sys.stdin.read()")
    p = netns.popen([PY, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline())
    path = str(tmp_path / "bound.nlsnap")
    run(["snapshot", "-o", path], ns=netns.name)
    live = run_json(["ss", "-tlne"], ns=netns.name)
    replay = run_json(["ss", "-tlne", "--from", path])
    text = run(["ss", "-tln", "--from", path]).stdout
    p.stdin.close()
    assert [(r["sport"], r["dev"]) for r in live] == [(port, "nlsv0")], live
    assert replay == live
    assert f"0.0.0.0%nlsv0:{port}" in text, text


def test_snapshot_refuses_a_symlink(netns, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "snap").symlink_to(victim)
    p = run(["snapshot", "-o", str(tmp_path / "snap"), "-i", "0"], ns=netns.name, check=False)
    assert p.returncode == 1 and "symbolic link" in p.stderr
    assert victim.read_text() == "precious\n"
    assert sorted(os.listdir(tmp_path)) == ["snap", "victim"]


# --- a snapshot is made to be shared: nothing secret goes in ---

TFO_KEY = "0a1b2c3d-4e5f6a7b-8c9d0e1f-2a3b4c5d"
STABLE_SECRET = "2001:db8:5ec2:e7::42"


def test_secrets_are_not_recorded(netns_factory, tmp_path):
    """The TCP Fast Open key is recorded as set/unset, and every sysctl only
    root may read (the IPv6 stable_secret here) as "redacted": neither
    value appears anywhere in the file."""
    from snapedit import Snapshot
    keyed, plain = netns_factory(), netns_factory()
    keyed.exec(["sysctl", "-qw", f"net.ipv4.tcp_fastopen_key={TFO_KEY}"])
    keyed.exec(["sysctl", "-qw", f"net.ipv6.conf.lo.stable_secret={STABLE_SECRET}"])
    for ns, state in ((keyed, "set"), (plain, "unset")):
        path = str(tmp_path / f"{state}.nlsnap")
        run(["snapshot", "-o", path, "-i", "0"], ns=ns.name)
        raw = open(path, "rb").read()
        snap = Snapshot.load(path)
        assert snap.get_file("/proc/sys/net/ipv4/tcp_fastopen_key") == state + "\n"
        for part in TFO_KEY.split("-"):
            assert part.encode() not in raw
        if state == "set":
            assert snap.get_file("/proc/sys/net/ipv6/conf/lo/stable_secret") == "redacted\n"
            assert b"5ec2" not in raw
        # what the views read is still there, as read
        assert snap.get_file("/proc/sys/net/ipv4/tcp_fastopen") == \
            ns.exec(["cat", "/proc/sys/net/ipv4/tcp_fastopen"]).stdout


def test_root_only_sysctls_are_redacted(tmp_path):
    """net.core.bpf_jit_* exist only in the first namespace: every /proc/sys
    file not readable by others is recorded as "redacted", whatever it is."""
    from snapedit import Snapshot
    secret = [os.path.join(d, f) for d, _, fs in os.walk("/proc/sys/net") for f in fs
              if not os.stat(os.path.join(d, f)).st_mode & 0o004
              and os.stat(os.path.join(d, f)).st_mode & 0o400]
    assert "/proc/sys/net/core/bpf_jit_limit" in secret
    path = str(tmp_path / "host.nlsnap")
    run(["snapshot", "-o", path, "-i", "0"])
    snap = Snapshot.load(path)
    recorded = {k.decode(): d for kind, s, k, d in snap.records if kind == 1}
    for f in secret:
        if f.endswith("tcp_fastopen_key"):
            assert recorded[f] in (b"set\n", b"unset\n")
        elif f in recorded:  # stable_secret reads EIO until set: not recorded
            assert recorded[f] == b"redacted\n", f
    assert recorded["/proc/sys/net/core/bpf_jit_limit"] == b"redacted\n"
    assert recorded["/proc/sys/net/core/somaxconn"] == open("/proc/sys/net/core/somaxconn", "rb").read()


# --- a full disk, or a kill, never leaves half a snapshot behind ---

@pytest.fixture
def small_fs(tmp_path):
    """A 64 KiB tmpfs of our own, unmounted even when the test fails."""
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(d)], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)


def fill(d):
    """Writes a file until the file system is full."""
    with open(d / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            assert e.errno == 28


def test_full_disk_is_reported_with_its_errno(netns, small_fs):
    """Two samples of a namespace (~100 KiB) do not fit in 64 KiB: the error
    says "No space left on device", once, and neither the snapshot nor its
    temporary file is left."""
    p = run(["snapshot", "-o", str(small_fs / "s.nlsnap"), "-i", "0.05"], ns=netns.name, check=False)
    assert p.returncode == 1 and p.stdout == ""
    errors = [l for l in p.stderr.splitlines() if "error" in l]
    assert errors == [f"netlens: error: writing {small_fs}/s.nlsnap: No space left on device"]
    assert os.listdir(small_fs) == []


def test_full_disk_ss_record(netns, small_fs):
    fill(small_fs)
    p = run(["ss", "-ta", "--record", str(small_fs / "r.nlsnap")], ns=netns.name, check=False)
    assert p.returncode == 1 and p.stdout == ""
    assert "No space left on device" in p.stderr and len(p.stderr.splitlines()) == 1
    assert os.listdir(small_fs) == ["filler"]
    p = run(["-j", "snapshot", "-i", "0", "-o", str(small_fs / "s.nlsnap")], ns=netns.name, check=False)
    assert p.returncode == 1 and "No space left on device" in json.loads(p.stdout)["error"]
    assert os.listdir(small_fs) == ["filler"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_killed_snapshot_leaves_no_temporary_file(netns, tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    rec = netns.popen([run.__globals__["NETLENS"], "snapshot", "-o", str(out / "s.nlsnap"), "-i", "30"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert "waiting" in rec.stderr.readline()  # the first sample is in the hidden file
    hidden = os.listdir(out)
    assert len(hidden) == 1 and hidden[0].startswith(".s.nlsnap.")
    rec.send_signal(sig)
    assert rec.wait(timeout=10) == -sig  # still dies of the signal, as without a handler
    assert os.listdir(out) == []


@pytest.mark.skipif(not shutil.which("strace"), reason="needs strace to hold ss before its rename")
def test_killed_ss_record_leaves_no_temporary_file(netns, tmp_path):
    """ss --record is too quick to catch: strace holds it 5 s at the fsync
    before the rename, when the whole snapshot sits in the hidden file."""
    out = tmp_path / "out"
    out.mkdir()
    tracer = netns.popen(["strace", "-qq", "-o", "/dev/null", "-e", "trace=fsync",
                          "-e", "inject=fsync:delay_enter=5000000",
                          run.__globals__["NETLENS"], "ss", "-ta", "--record", str(out / "r.nlsnap")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: os.listdir(out), timeout=10, what="the hidden file")
    child = wait_for(lambda: open(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read().split(),
                     what="the traced ss")
    os.kill(int(child[0]), signal.SIGTERM)
    tracer.wait(timeout=20)
    assert os.listdir(out) == []
