"""netlens nstat against iproute2's nstat, its history semantics, rates with
known traffic, and --explain. Every test works in its own namespaces and its
own history file (NETLENS_NSTAT_HISTORY in a tmp_path), removed afterwards."""
import json
import os
import subprocess

import pytest

from conftest import PY, run, run_json, wait_for

# Sends N UDP datagrams to a socket of its own on loopback and receives each,
# so UdpInDatagrams has risen by exactly N when it prints "done". With "wait"
# it first prints "ready" and waits for a line on stdin.
UDP_BURST = r"""
import socket, sys
n = int(sys.argv[1])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if len(sys.argv) > 2:
    print("ready", flush=True); sys.stdin.readline()
for i in range(n):
    s.sendto(b"x", r.getsockname()); r.recv(16)
print("done", flush=True)
"""


def udp_burst(ns, n):
    out = ns.exec([PY, "-c", UDP_BURST, str(n)]).stdout
    assert out.strip() == "done"


@pytest.fixture
def hist_env(tmp_path):
    env = dict(os.environ)
    env["NETLENS_NSTAT_HISTORY"] = str(tmp_path / "hist")
    env["NETLENS_BOOT_ID"] = "boot-a"
    env["NSTAT_HISTORY"] = str(tmp_path / "iproute2-hist")
    return env


def counters(args, ns, env):
    return {o["counter"]: o["value"] for o in run_json(["nstat"] + args, ns=ns.name, env=env)}


def iproute2(ns, env):
    p = subprocess.run(["ip", "netns", "exec", ns.name, "nstat", "-azsj"], capture_output=True,
                       text=True, env=env, check=True)
    return json.loads(p.stdout)["kernel"]


@pytest.mark.sanitize
def test_values_equal_iproute2(netns, hist_env):
    udp_burst(netns, 25)  # some non-zero counters
    # quiet: two reads around iproute2's agree, so neither tool moved a counter
    ours = counters(["-a", "-s", "-z"], netns, hist_env)
    theirs = iproute2(netns, hist_env)
    again = counters(["-a", "-s", "-z"], netns, hist_env)
    assert ours == again, "namespace was not quiet"
    assert set(ours) == set(theirs)
    diff = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    assert not diff
    assert ours["UdpInDatagrams"] == 25
    assert all(isinstance(v, int) for v in ours.values())
    assert not os.path.exists(hist_env["NETLENS_NSTAT_HISTORY"])  # -a -s: no file


def test_history_increments(netns, hist_env):
    first = counters([], netns, hist_env)  # no history yet: totals (all zero here)
    assert "UdpInDatagrams" not in first
    assert os.stat(hist_env["NETLENS_NSTAT_HISTORY"]).st_mode & 0o777 == 0o600
    udp_burst(netns, 7)
    assert counters([], netns, hist_env)["UdpInDatagrams"] == 7
    assert "UdpInDatagrams" not in counters([], netns, hist_env)  # consumed
    # -s shows the increment but keeps the base
    udp_burst(netns, 5)
    assert counters(["-s"], netns, hist_env)["UdpInDatagrams"] == 5
    assert counters(["-s"], netns, hist_env)["UdpInDatagrams"] == 5
    assert counters([], netns, hist_env)["UdpInDatagrams"] == 5
    # -z shows the zero increments too
    z = counters(["-z"], netns, hist_env)
    assert z["UdpInDatagrams"] == 0 and len(z) > 300
    # -a shows totals and updates the base
    udp_burst(netns, 3)
    assert counters(["-a"], netns, hist_env)["UdpInDatagrams"] == 15
    assert "UdpInDatagrams" not in counters([], netns, hist_env)
    # -r forgets: totals now, increments after
    udp_burst(netns, 2)
    assert counters(["-r"], netns, hist_env)["UdpInDatagrams"] == 17
    assert "UdpInDatagrams" not in counters([], netns, hist_env)


def test_history_patterns_keep_other_bases(netns, hist_env):
    counters([], netns, hist_env)
    udp_burst(netns, 4)
    shown = counters(["Ip*"], netns, hist_env)
    assert shown and all(k.startswith("Ip") for k in shown)
    # Udp counters were not shown, so their base did not move
    assert counters(["UdpIn*"], netns, hist_env) == {"UdpInDatagrams": 4}


def test_history_reboot_and_namespaces(netns_factory, hist_env):
    a, b = netns_factory(), netns_factory()
    counters([], a, hist_env)
    counters([], b, hist_env)
    udp_burst(a, 6)
    assert "UdpInDatagrams" not in counters([], b, hist_env)  # keyed by namespace
    assert counters([], a, hist_env)["UdpInDatagrams"] == 6
    udp_burst(a, 1)
    env = dict(hist_env, NETLENS_BOOT_ID="boot-b")  # as after a reboot
    p = run(["nstat", "UdpInDatagrams"], ns=a.name, env=env)
    assert "earlier boot" in p.stderr
    assert "UdpInDatagrams" in p.stdout and " 7" in p.stdout  # totals, not 1
    udp_burst(a, 2)
    assert counters([], a, env)["UdpInDatagrams"] == 2


def test_history_file_refused(netns, hist_env, tmp_path):
    path = hist_env["NETLENS_NSTAT_HISTORY"]
    target = tmp_path / "target"
    target.write_text("precious\n")
    os.symlink(target, path)
    p = run(["nstat"], ns=netns.name, env=hist_env, check=False)
    assert p.returncode == 1
    assert "symbolic link" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert target.read_text() == "precious\n"
    os.unlink(path)
    with open(path, "w") as f:
        f.write("netlens-nstat-history 1\n")
    os.chmod(path, 0o600)
    os.chown(path, 65534, 65534)
    p = run(["nstat"], ns=netns.name, env=hist_env, check=False)
    assert p.returncode == 1 and "owned by another user" in p.stderr
    p = run(["-j", "nstat"], ns=netns.name, env=hist_env, check=False)
    assert p.returncode == 1 and "error" in json.loads(p.stdout)
    # -a -s does not need the file at all
    assert run(["nstat", "-as"], ns=netns.name, env=hist_env).returncode == 0


def test_rates_with_known_traffic(netns, hist_env):
    n = 150
    sender = netns.popen([PY, "-c", UDP_BURST, str(n), "wait"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert sender.stdout.readline().strip() == "ready"
    mon = netns.popen(["env", "NETLENS_NSTAT_HISTORY=" + hist_env["NETLENS_NSTAT_HISTORY"],
                       os.environ.get("NETLENS", "build/netlens"), "-j", "nstat", "-i", "1.5", "-c", "2",
                       "-z", "UdpInDatagrams"], stdout=subprocess.PIPE, text=True)
    first = json.loads(mon.stdout.readline())
    assert first["sample"] == 1 and first["delta"] == 0
    sender.stdin.write("go\n")
    sender.stdin.flush()
    assert sender.stdout.readline().strip() == "done"
    second = json.loads(mon.stdout.readline())
    assert mon.wait(timeout=30) == 0
    assert second["sample"] == 2 and second["delta"] == n
    assert abs(second["rate"] * second["seconds"] - n) < 0.01 * n
    assert 1.4 < second["seconds"] < 3
    assert not os.path.exists(hist_env["NETLENS_NSTAT_HISTORY"])  # rates leave history alone


def test_explain(netns, hist_env):
    p = run(["nstat", "--explain", "ListenOverflows"], ns=netns.name, env=hist_env)
    assert "TcpExtListenOverflows" in p.stdout and "accept queue" in p.stdout
    assert "usually raised by" in p.stdout
    rows = run_json(["nstat", "--explain", "RcvbufErrors"], ns=netns.name, env=hist_env)
    assert {"UdpRcvbufErrors", "Udp6RcvbufErrors"} <= {r["counter"] for r in rows}
    assert all(r["meaning"] and r["raised_by"] for r in rows)
    for name in ["ListenDrops", "TCPMemoryPressures", "TCPMemoryPressuresChrono", "OfoPruned",
                 "PruneCalled", "RcvPruned", "TCPRcvQDrop", "TCPAbortOnMemory", "TCPAbortFailed",
                 "SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed", "TCPReqQFullDrop",
                 "TCPReqQFullDoCookies", "RetransSegs", "TCPTimeouts", "TCPLostRetransmit",
                 "TCPTimeWaitOverflow", "IPReversePathFilter", "SndbufErrors", "InErrors"]:
        rows = run_json(["nstat", "--explain", name], ns=netns.name, env=hist_env)
        assert rows and all(r["meaning"] != "no explanation recorded" for r in rows), name
    wide = run_json(["nstat", "-azsw", "TcpExtListen*"], ns=netns.name, env=hist_env)
    assert len(wide) == 2 and all(r["meaning"] for r in wide)
    p = run(["nstat", "--explain", "NoSuchThing"], ns=netns.name, env=hist_env, check=False)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1


def test_usage_errors(netns, hist_env):
    for args in (["nstat", "--bogus"], ["nstat", "-i", "0"], ["nstat", "-c", "3"], ["nstat", "-i", "x"]):
        p = run(args, ns=netns.name, env=hist_env, check=False)
        assert p.returncode == 2, args
    p = run(["nstat", "-N", "nlt-does-not-exist"], env=hist_env, check=False)
    assert p.returncode == 1 and "ip netns list" in p.stderr


def test_interval_records_carry_time():
    """-i: a TIME column in text (as sar), a "time" in every JSON row."""
    import time
    before = time.time()
    rows = run_json(["nstat", "-z", "-i", "0.1", "-n", "2", "IpInReceives"])
    after = time.time()
    assert [r["sample"] for r in rows] == [1, 2]
    assert all(before <= r["time"] <= after for r in rows)
    assert rows[0]["time"] < rows[1]["time"]
    text = run(["nstat", "-z", "-i", "0.1", "-c", "1", "IpInReceives"]).stdout.splitlines()
    assert text[0].split()[:2] == ["TIME", "COUNTER"]
    assert len(text) == 2 and len(text[1].split()[0]) == 8 and text[1].split()[0].count(":") == 2


def test_explain_unknown_prints_nothing_but_the_error(netns, hist_env):
    """Everything is checked before anything is printed: no table header on
    stdout ahead of the error, in either mode."""
    p = run(["nstat", "--explain", "NoSuchThing"], ns=netns.name, env=hist_env, check=False)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == "netlens: error: no counter matches 'NoSuchThing': see 'netlens nstat -az' for the names\n"
    j = run(["-j", "nstat", "--explain", "NoSuch*"], ns=netns.name, env=hist_env, check=False)
    assert j.returncode == 1 and list(json.loads(j.stdout)) == ["error"] and j.stderr == ""


# --- where the history lives without NETLENS_NSTAT_HISTORY ---

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def runtime_dir():
    """A private directory in /tmp (so another user can be given one too)."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="nlt-xdg-", dir="/tmp")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def default_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NETLENS_NSTAT_HISTORY", "XDG_RUNTIME_DIR")}
    env["NETLENS_BOOT_ID"] = "boot-a"
    env.update(extra)
    return env


def test_history_in_a_directory_only_its_user_can_write(netns, runtime_dir):
    """Another user's /tmp/.netlens-nstat.u0 no longer matters: root's
    history is $XDG_RUNTIME_DIR/netlens/nstat, the directory made 0700."""
    planted = "/tmp/.netlens-nstat.u0"
    ours = not os.path.lexists(planted)
    if ours:
        with open(planted, "w") as f:
            f.write("not yours\n")
        os.chown(planted, 65534, 65534)
    try:
        env = default_env(XDG_RUNTIME_DIR=runtime_dir)
        counters([], netns, env)
        st_dir, st_file = os.lstat(f"{runtime_dir}/netlens"), os.lstat(f"{runtime_dir}/netlens/nstat")
        assert st_dir.st_mode & 0o777 == 0o700 and st_file.st_mode & 0o777 == 0o600
        udp_burst(netns, 3)
        assert counters([], netns, env)["UdpInDatagrams"] == 3
    finally:
        if ours:
            os.unlink(planted)


@pytest.mark.parametrize("plant,why", [("symlink", "is a symbolic link"),
                                       ("other", "is owned by another user"),
                                       ("open", "is open to group or others")])
def test_history_directory_refused(netns, runtime_dir, plant, why):
    d = f"{runtime_dir}/netlens"
    if plant == "symlink":
        os.symlink("/tmp", d)
    else:
        os.mkdir(d, 0o700)
        os.chown(d, 65534, 65534) if plant == "other" else os.chmod(d, 0o755)
    p = run(["nstat"], ns=netns.name, env=default_env(XDG_RUNTIME_DIR=runtime_dir), check=False)
    assert p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1
    assert f"nstat history directory {d} {why}" in p.stderr


def test_root_history_without_runtime_dir_is_under_run(runtime_dir):
    """No XDG_RUNTIME_DIR (or one that is not root's): /run/netlens/nstat, in a
    mount namespace of its own whose /run is a fresh tmpfs."""
    script = ("mount -t tmpfs tmpfs /run && \"$0\" nstat >/dev/null && "
              "stat -c '%a %U %F' /run/netlens /run/netlens/nstat")
    p = subprocess.run(["unshare", "-m", "sh", "-c", script, NETLENS_BIN()], capture_output=True, text=True,
                       env=default_env(XDG_RUNTIME_DIR="/tmp"), timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["700 root directory", "600 root regular file"]


def NETLENS_BIN():
    return os.path.abspath(os.environ.get("NETLENS", "build/netlens"))


def test_unprivileged_history(runtime_dir):
    """Another user without XDG_RUNTIME_DIR (and no /run/user/UID) has no
    private place: one line says so; -a -s needs none; with a runtime
    directory of their own the history works."""
    if os.path.exists("/run/user/65534"):
        pytest.skip("/run/user/65534 exists here")
    p = subprocess.run(NOBODY + [NETLENS_BIN(), "nstat"], capture_output=True, text=True, env=default_env())
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("netlens: error: nstat history has no private directory")
    assert len(p.stderr.splitlines()) == 1 and "XDG_RUNTIME_DIR" in p.stderr
    p = subprocess.run(NOBODY + [NETLENS_BIN(), "nstat", "-as"], capture_output=True, text=True, env=default_env())
    assert p.returncode == 0 and "IpInReceives" in p.stdout
    os.chown(runtime_dir, 65534, 65534)
    p = subprocess.run(NOBODY + [NETLENS_BIN(), "nstat"], capture_output=True, text=True,
                       env=default_env(XDG_RUNTIME_DIR=runtime_dir))
    assert p.returncode == 0, p.stderr
    assert os.stat(f"{runtime_dir}/netlens/nstat").st_uid == 65534
