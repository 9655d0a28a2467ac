"""netlens doctor: conditions made in namespaces, and the findings that
name them; a clean namespace raises nothing; snapshots give the same report."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import PY, run, run_json, veth_pair, wait_for

# a listener with backlog B that never accepts, and N clients connecting to it
FULL = """
import socket, sys, time
B, N, somax = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(B)
cs = []
for _ in range(N):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(l.getsockname())
    except BlockingIOError: pass
    cs.append(c)
print(l.getsockname()[1], flush=True)
sys.stdin.read()
"""


def doctor(ns=None, args=(), check_rc=None):
    p = run(["-j", "doctor", "-i", "0"] + list(args), ns=ns, check=False)
    assert p.returncode in (0, 1, 2), p.stderr
    if check_rc is not None:
        assert p.returncode == check_rc, p.stdout
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    return [r for r in rows if "id" in r], rows[-1]["summary"], p.returncode


def by_id(findings, id):
    got = [f for f in findings if f["id"] == id]
    assert got, f"no {id} in {[f['id'] for f in findings]}"
    return got[0]


@pytest.mark.sanitize
def test_clean_namespace_has_no_findings(netns):
    findings, summary, rc = doctor(netns.name)
    assert rc == 0
    assert [f for f in findings if f["severity"] in ("warning", "critical")] == []
    assert summary["worst"] in ("none", "info") and summary["checked"] >= 6
    assert "No problems found" in run(["doctor", "-i", "0"], ns=netns.name).stdout


def full_listener(ns, backlog, clients, somaxconn=None):
    if somaxconn:
        ns.exec(["sysctl", "-qw", f"net.core.somaxconn={somaxconn}"])
    p = ns.popen([PY, "-c", FULL, str(backlog), str(clients), str(somaxconn or 0)],
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline())
    limit = min(backlog, somaxconn or backlog)
    want = min(clients, limit + 1)
    wait_for(lambda: any(r["sport"] == port and r["recv_q"] == want
                         for r in run_json(["ss", "-tln"], ns=ns.name)), what="queued connections")
    return p, port


def test_full_accept_queue(netns):
    p, port = full_listener(netns, 4, 5)
    findings, summary, rc = doctor(netns.name, check_rc=1)
    f = by_id(findings, "listen-overflow")
    assert f["severity"] == "warning" and f["values"]["full_listeners"] == 1
    assert f["subject"] == f"127.0.0.1:{port}"
    assert f["values"]["accept_queue"] == 5 and f["values"]["backlog"] == 4
    ev = [e["value"] for e in f["evidence"]]
    assert any(f"listener 127.0.0.1:{port}: accept queue 5 of 4, owned by python3 (pid" in v for v in ev)
    assert "accept()" in f["fix"]
    # somaxconn (4096) is not the limit: the application's backlog of 4 is
    somax = int(netns.exec(["sysctl", "-n", "net.core.somaxconn"]).stdout)
    assert (f"The application's listen() backlog is the limit of 127.0.0.1:{port} (python3 "
            f"(pid {p.pid})) backlog 4 (net.core.somaxconn = {somax} allows more): raise the "
            f"backlog the application passes to listen(), up to {somax}") in f["fix"]
    assert "net.core.somaxconn=" not in f["fix"]


def test_two_full_listeners_are_two_findings(netns):
    """One finding per full listener, told apart by subject; each fix names its own."""
    p1, port1 = full_listener(netns, 4, 5)
    p2, port2 = full_listener(netns, 2, 3)
    findings, summary, rc = doctor(netns.name, check_rc=1)
    got = {f["subject"]: f for f in findings if f["id"] == "listen-overflow"}
    assert set(got) == {f"127.0.0.1:{port1}", f"127.0.0.1:{port2}"}
    for port, other, backlog in ((port1, port2, 4), (port2, port1, 2)):
        f = got[f"127.0.0.1:{port}"]
        assert f["values"]["full_listeners"] == 2 and f["values"]["backlog"] == backlog
        assert f"127.0.0.1:{port} (python3" in f["fix"] and f"127.0.0.1:{other}" not in f["fix"]
        assert any(e["value"].startswith(f"listener 127.0.0.1:{port}: accept queue {backlog + 1} "
                                         f"of {backlog}") for e in f["evidence"])
    out = run(["doctor", "-i", "0", "--prom"], ns=netns.name, check=False).stdout
    for port in (port1, port2):
        assert ('netlens_doctor_finding{id="listen-overflow",area="tcp-listen",severity="warning",'
                f'subject="127.0.0.1:{port}"}} 1') in out
    p = subprocess.run(["promtool", "check", "metrics"], input=out, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_full_accept_queue_capped_by_somaxconn(netns):
    """A listener asking for 1024 gets somaxconn (16): double somaxconn, not 4096."""
    p, port = full_listener(netns, 1024, 17, somaxconn=16)
    findings, summary, rc = doctor(netns.name, check_rc=1)
    f = by_id(findings, "listen-overflow")
    assert (f"net.core.somaxconn = 16 caps the backlog of 127.0.0.1:{port} (python3 (pid {p.pid})) "
            f"backlog 16: sysctl -w net.core.somaxconn=32 ") in f["fix"]
    assert "listen() backlog is the limit" not in f["fix"]


def test_overflow_flood_from_snapshot(netns, tmp_path):
    """Overflows between two samples: recorded with snapshot, diagnosed offline."""
    p, port = full_listener(netns, 2, 3)
    snap = str(tmp_path / "flood.nlsnap")
    rec = netns.popen([run.__globals__["NETLENS"], "snapshot", "-o", snap, "-i", "1"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert "waiting" in rec.stderr.readline()
    flood = ("import socket,sys\ncs=[]\nfor _ in range(40):\n c=socket.socket();c.setblocking(False)\n"
             " try: c.connect(('127.0.0.1',%d))\n except BlockingIOError: pass\n cs.append(c)\n" % port)
    netns.exec([PY, "-c", flood])
    assert rec.wait(timeout=30) == 0
    findings, summary, rc = doctor(args=["--from", snap], check_rc=2)
    f = by_id(findings, "listen-overflow")
    assert f["severity"] == "critical" and f["values"]["overflows"] >= 40
    assert any(e["source"] == "/proc/net/netstat" and e["value"].startswith("TcpExtListenOverflows +")
               for e in f["evidence"])
    assert any(f"127.0.0.1:{port}: accept queue 3 of 2" in e["value"] for e in f["evidence"])


def test_somaxconn_caps_backlog(netns):
    p, port = full_listener(netns, 1024, 3, somaxconn=16)
    findings, summary, rc = doctor(netns.name)
    f = by_id(findings, "listen-somaxconn")
    assert f["severity"] == "info" and f["values"]["somaxconn"] == 16
    assert any(f"127.0.0.1:{port}: backlog limit 16 = somaxconn" in e["value"] for e in f["evidence"])
    assert "net.core.somaxconn=4096" in f["fix"]
    # and a warning once that capped queue is full
    p2, port2 = full_listener(netns, 1024, 17, somaxconn=16)
    findings, summary, rc = doctor(netns.name)
    assert by_id(findings, "listen-somaxconn")["severity"] == "warning"


# keeps opening connections whose SYN-ACKs never come back (dropped by nft)
SYN_FLOOD = """
import socket, sys, time
addr = (sys.argv[1], int(sys.argv[2]))
cs = []
while True:
    c = socket.socket(); c.setblocking(False)
    try: c.connect(addr)
    except BlockingIOError: pass
    cs.append(c)
    time.sleep(0.02)
"""


@pytest.mark.parametrize("cookies", [1, 0])
def test_syn_flood_names_the_listener(netns_factory, cookies):
    """Half-open connections fill a listener's SYN queue (backlog 2, full at 3): the
    finding names that listener and its process, not just the counters."""
    server, client = netns_factory(), netns_factory()
    veth_pair(server, client)
    server.exec(["sysctl", "-qw", f"net.ipv4.tcp_syncookies={cookies}"])
    client.exec(["nft", "add table inet f"])
    client.exec(["nft", "add chain inet f in { type filter hook input priority 0; }"])
    client.exec(["nft", "add rule inet f in tcp flags & (syn|ack) == syn|ack drop"])
    lst = server.popen([PY, "-c", FULL, "2", "0", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       text=True)
    port = int(lst.stdout.readline())
    # FULL binds 127.0.0.1: a second listener on the veth address, same backlog
    lst2 = server.popen([PY, "-c", FULL.replace('"127.0.0.1"', '"10.199.0.1"'), "2", "0", "0"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port2 = int(lst2.stdout.readline())
    client.popen([PY, "-c", SYN_FLOOD, "10.199.0.1", str(port2)])
    wait_for(lambda: len([r for r in run_json(["ss", "-tn", "state", "syn-recv"], ns=server.name)
                          if r["sport"] == port2]) >= 2, what="a full SYN queue")
    findings, summary, rc = doctor(server.name, ["-i", "1"])
    f = by_id(findings, "syn-flood")
    assert f["severity"] == ("warning" if cookies else "critical")
    ev = [e["value"] for e in f["evidence"]]
    assert f"listener 10.199.0.1:{port2} (python3 (pid {lst2.pid})): SYN queue 3 of 2 (full)" in ev
    assert not any(f"127.0.0.1:{port}" in v for v in ev)
    assert f["values"]["full_listeners"] == 1
    assert f"raise the listen() backlog of 10.199.0.1:{port2} (python3 (pid {lst2.pid})) (backlog 2)" \
        in f["fix"]


def test_syncookies_off(netns):
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syncookies=0"])
    findings, summary, rc = doctor(netns.name, check_rc=1)
    f = by_id(findings, "syncookies-off")
    assert f["severity"] == "warning"
    assert f["evidence"][0]["value"] == "net.ipv4.tcp_syncookies = 0"


def test_snapshot_gives_the_live_report(netns, tmp_path):
    full_listener(netns, 4, 5)
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syncookies=0"])
    snap = str(tmp_path / "s.nlsnap")
    run(["snapshot", "-o", snap, "-i", "0"], ns=netns.name)
    live, _, rc1 = doctor(netns.name)
    recorded, _, rc2 = doctor(args=["--from", snap])
    strip = lambda fs: sorted((f["id"], f["severity"], f["summary"]) for f in fs)
    assert rc1 == rc2 == 1 and strip(live) == strip(recorded)


def test_only_skip_set_and_explain(netns):
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syncookies=0"])
    findings, summary, rc = doctor(netns.name, ["--skip", "syncookies-off"], check_rc=0)
    assert not findings
    findings, summary, rc = doctor(netns.name, ["--only", "hardening"], check_rc=0)
    assert summary["checked"] == 2
    p = run(["doctor", "--explain", "listen-somaxconn"])
    assert "tcp_max_syn_backlog matters only" in p.stdout and "since 4.4" in p.stdout
    p = run(["doctor", "--set", "listen-overflow.nope=3"], check=False)
    assert p.returncode == 3 and "has no threshold 'nope'" in p.stderr
    p = run(["doctor", "--only", "bogus"], check=False)
    assert p.returncode == 3 and "no rule or area 'bogus'" in p.stderr


def test_summary_names_every_area(netns):
    """'nic' is not lost because 'multi-nic' contains it."""
    out = run(["doctor", "-i", "0", "--only", "multi-nic,nic"], ns=netns.name, check=False).stdout
    assert out.splitlines()[0].endswith("checks (multi-nic, nic)."), out


@pytest.mark.parametrize("args,msg", [
    (["doctor", "--bogus"], "--bogus: not an option of 'doctor'"),
    (["doctor", "-i", "x"], "-i: 'x' is not a number of seconds from 0 to 3600"),
    (["doctor", "-i", "-1"], "-i: '-1' is not a number of seconds"),
    (["doctor", "--only"], "--only: needs an argument (LIST)"),
    (["doctor", "extra"], "doctor takes no operands, not 'extra'"),
    (["doctor", "--set", "nodot=1"], "--set: 'nodot=1': expected RULE.THRESHOLD=VALUE"),
    (["doctor", "--set", "listen-overflow.nope=3"], "has no threshold 'nope'"),
    (["doctor", "--config", "/nonexistent/netlens.conf"], "--config: cannot read /nonexistent"),
    (["doctor", "--only", "bogus"], "--only: no rule or area 'bogus'"),
    (["doctor", "--explain", "bogus"], "no rule 'bogus'"),
])
def test_misuse_is_one_line_in_either_mode(args, msg):
    """Every misuse is one line, JSON under -j; doctor's status 3 (could not check)."""
    p = run(args, check=False)
    assert p.returncode == 3 and p.stdout == "" and msg in p.stderr
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("netlens: error: ")
    j = run(["-j"] + args, check=False)
    assert j.returncode == 3 and j.stderr == ""
    assert list(json.loads(j.stdout)) == ["error"] and len(j.stdout.splitlines()) == 1
    assert json.loads(j.stdout)["error"] == p.stderr[len("netlens: error: "):].strip()


def test_help_is_generated_from_the_option_table():
    h = run(["doctor", "-h"]).stdout
    for opt in ("-i, --interval SECS", "--only LIST", "--set ID.NAME=V", "--prom", "-N, --net NAME",
                "--from FILE", "-j, --json", "Exit status: 0"):
        assert opt in h


def test_prometheus_output(netns):
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syncookies=0"])
    out = run(["doctor", "-i", "0", "--prom"], ns=netns.name, check=False).stdout
    assert ('netlens_doctor_finding{id="syncookies-off",area="tcp-listen",severity="warning",'
            'subject="net.ipv4.tcp_syncookies"} 1') in out
    assert "netlens_doctor_worst_severity 2" in out
    promtool = shutil.which("promtool")
    if promtool:  # the exposition format's own linter (Debian package prometheus)
        p = subprocess.run([promtool, "check", "metrics"], input=out, capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr


def test_json_report_is_json_lines(netns):
    """Every line of the JSON report parses on its own; the summary comes last."""
    netns.exec(["sysctl", "-qw", "net.ipv4.tcp_syncookies=0"])
    out = run(["-j", "doctor", "-i", "0.2"], ns=netns.name, check=False).stdout
    rows = [json.loads(l) for l in out.splitlines()]
    assert [list(r) for r in rows[:-1]] == [["id", "severity", "area", "subject", "summary",
                                             "evidence", "values", "fix"]] * (len(rows) - 1)
    assert list(rows[-1]) == ["summary"] and rows[-1]["summary"]["interval_s"] == 0.2
    assert any(r.get("id") == "syncookies-off" for r in rows)


def test_default_command_is_doctor(netns):
    p = run([], ns=netns.name, check=False, timeout=30)
    assert p.returncode == 0 and "No problems found" in p.stdout


def test_rules_page_is_current(tmp_path):
    """docs/doctor-rules.md is generated from the code and must match it."""
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    out = tmp_path / "rules.md"
    subprocess.run([os.path.join(root, "scripts", "gen-doctor-rules.sh"), run.__globals__["NETLENS"], str(out)],
                   check=True, cwd=root)
    assert out.read_text() == open(os.path.join(root, "docs", "doctor-rules.md")).read(), \
        "docs/doctor-rules.md is stale: run scripts/gen-doctor-rules.sh"
