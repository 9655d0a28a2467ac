"""netlens ifstat against known traffic: two fresh namespaces joined by a
veth pair with IPv6 off and static neighbours on both sides, so the only
packets on the link are the datagrams a test sends. Counts and bytes must
match exactly; qdisc figures must equal `tc -s -j qdisc`."""
import json
import os
import subprocess

import pytest

from conftest import PY, run, run_json, veth_pair, wait_for

N = 200
PAYLOAD = 300
# a UDP/IPv4 datagram on Ethernet: 14 + 20 + 8 bytes of headers
WIRE = PAYLOAD + 14 + 20 + 8

SENDER = ("import socket,sys\n"
          "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
          "n,size,dst=int(sys.argv[1]),int(sys.argv[2]),sys.argv[3]\n"
          "for _ in range(n): s.sendto(b'x'*size,(dst,9999))\n")


def quiet_pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    for ns in (a, b):
        ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1"])
    veth_pair(a, b)
    # static neighbours: no ARP on the wire
    for ns, other, ip in ((a, b, "10.199.0.2"), (b, a, "10.199.0.1")):
        mac = json.loads(other.exec(["ip", "-j", "link", "show", "veth0"]).stdout)[0]["address"]
        ns.exec(["ip", "neigh", "replace", ip, "lladdr", mac, "dev", "veth0", "nud", "permanent"])
    # a receiver in b, so no ICMP port-unreachable comes back
    recv = b.popen([PY, "-c", "import socket,sys\n"
                    "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                    "s.bind(('10.199.0.2',9999));print('ok',flush=True)\n"
                    "while True: s.recv(65536)\n"], stdout=subprocess.PIPE, text=True)
    assert recv.stdout.readline().strip() == "ok"
    return a, b


def send(ns, n=N, size=PAYLOAD, dst="10.199.0.2"):
    ns.exec([PY, "-c", SENDER, str(n), str(size), dst])


def counters(ns, iface="veth0", extra=()):
    rows = run_json(["ifstat", *extra, iface], ns=ns.name)
    assert len(rows) == 1 and rows[0]["ifname"] == iface
    return rows[0]


def ip_stats(ns):
    return json.loads(ns.exec(["ip", "-s", "-j", "link", "show", "veth0"]).stdout)[0]["stats64"]


@pytest.mark.sanitize
def test_totals_count_exactly_what_was_sent(netns_factory):
    a, b = quiet_pair(netns_factory)
    a0, b0 = counters(a), counters(b)
    send(a)
    wait_for(lambda: counters(b)["rx_packets"] - b0["rx_packets"] >= N, what="datagrams at b")
    a1, b1 = counters(a), counters(b)
    assert a1["tx_packets"] - a0["tx_packets"] == N
    assert a1["tx_bytes"] - a0["tx_bytes"] == N * WIRE
    assert b1["rx_packets"] - b0["rx_packets"] == N
    assert b1["rx_bytes"] - b0["rx_bytes"] == N * WIRE
    assert a1["rx_packets"] == a0["rx_packets"] and b1["tx_packets"] == b0["tx_packets"]
    # and the same numbers as iproute2, all of them typed as numbers
    st = ip_stats(a)
    assert (a1["tx_packets"], a1["tx_bytes"], a1["rx_packets"]) == \
        (st["tx"]["packets"], st["tx"]["bytes"], st["rx"]["packets"])
    assert all(isinstance(v, int) for k, v in a1.items() if k != "ifname")


def test_rates_over_intervals(netns_factory):
    a, b = quiet_pair(netns_factory)
    p = a.popen(wrap(["-j", "ifstat", "-i", "0.4", "-n", "5", "veth0"]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()  # the first interval is over: the baseline was taken
    assert first, p.stderr.read()
    send(a)
    rest, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    rows = [json.loads(first)] + [json.loads(l) for l in rest.splitlines()]
    assert len(rows) == 5
    assert sum(r["tx_packets"] for r in rows) == N
    assert sum(r["tx_bytes"] for r in rows) == N * WIRE
    for r in rows:
        assert 0.35 < r["interval_s"] < 1.5
        assert r["tx_packets_per_s"] * r["interval_s"] == pytest.approx(r["tx_packets"], rel=1e-3, abs=1e-3)
        assert r["tx_bytes_per_s"] * r["interval_s"] == pytest.approx(r["tx_bytes"], rel=1e-3, abs=1e-3)
        # veth reports 10000 Mb/s full duplex: utilisation of the busier direction
        assert r["speed_mbps"] == 10000
        busier = max(r["tx_bytes_per_s"], r["rx_bytes_per_s"])
        assert r["util_pct"] == pytest.approx(busier * 8 / 1e10 * 100, rel=1e-3, abs=1e-6)
        assert r["sat"] == 0
    busy = [r for r in rows if r["tx_packets"]]
    assert all(r["tx_avg_bytes"] == pytest.approx(WIRE, abs=0.1) for r in busy)


def wrap(args):
    from conftest import wrap_cmd
    return wrap_cmd(args)


def test_drops_show_in_link_and_edev_counters(netns_factory):
    a, b = quiet_pair(netns_factory)
    b.exec(["ip", "link", "set", "veth0", "down"])  # veth drops what its peer cannot take
    e0 = counters(a, extra=["-e"])
    send(a, n=37)
    e1 = counters(a, extra=["-e"])
    assert e1["tx_dropped"] - e0["tx_dropped"] == 37
    assert e1["tx_dropped"] == ip_stats(a)["tx"]["dropped"]
    for k in ("rx_errors", "tx_errors", "collisions", "rx_crc_errors", "rx_over_errors"):
        assert e1[k] == e0[k] == 0
    # nicstat's Sat counts them per second
    p = a.popen(wrap(["-j", "ifstat", "-i", "0.3", "-n", "3", "veth0"]),
                stdout=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    send(a, n=11)
    rest, _ = p.communicate(timeout=30)
    rows = [json.loads(first)] + [json.loads(l) for l in rest.splitlines()]
    assert sum(r["sat"] for r in rows) == 11


def tc_qdisc(ns):
    return {q["handle"]: q for q in json.loads(ns.exec(["tc", "-s", "-j", "qdisc", "show", "dev", "veth0"]).stdout)}


def test_qdisc_figures_equal_tc(netns_factory):
    a, b = quiet_pair(netns_factory)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "handle", "10:", "tbf",
            "rate", "200kbit", "burst", "1600", "limit", "3000"])
    send(a, n=60, size=1000)  # far more than the bucket and queue hold: drops
    wait_for(lambda: tc_qdisc(a)["10:"]["backlog"] == 0, what="the tbf queue to drain")
    tc = tc_qdisc(a)["10:"]
    rows = run_json(["ifstat", "--qdisc", "veth0"], ns=a.name)
    assert len(rows) == 1
    q = rows[0]
    assert (q["kind"], q["handle"], q["parent"]) == ("tbf", "10:", "root")
    for k in ("bytes", "packets", "drops", "overlimits", "requeues", "backlog", "qlen"):
        assert q[k] == tc[k], k
    assert q["drops"] > 0 and q["packets"] + q["drops"] == 60
    # the same drops do not appear as link drops: they happened in the qdisc
    assert counters(a, extra=["-e"])["tx_dropped"] == 0


def test_softnet_per_cpu(netns):
    rows = run_json(["ifstat", "--softnet"], ns=netns.name)
    with open("/proc/net/softnet_stat") as f:
        lines = [l.split() for l in f if l.strip()]
    assert len(rows) == len(lines) == os.sysconf("SC_NPROCESSORS_ONLN")
    after = {int(l[12], 16): int(l[0], 16) for l in lines}
    for r in rows:
        assert r["processed"] <= after[r["cpu"]]
        assert isinstance(r["dropped"], int) and isinstance(r["time_squeeze"], int)
        assert "flow_limit" in r and "received_rps" in r
    iv = run_json(["ifstat", "--softnet", "-i", "0.2", "-n", "1"], ns=netns.name)
    assert len(iv) == len(rows) and all("processed_per_s" in r for r in iv)


def test_driver_stats_and_ring(netns_factory):
    a, b = quiet_pair(netns_factory)
    peer = json.loads(b.exec(["ip", "-j", "link", "show", "veth0"]).stdout)[0]["ifindex"]
    stats = {r["stat"]: r["value"] for r in run_json(["ifstat", "--driver-stats", "veth0"], ns=a.name)}
    assert stats["peer_ifindex"] == peer
    # lo has neither: tolerated, shown as unsupported
    rows = run_json(["ifstat", "--ring"], ns=a.name)
    assert {r["ifname"] for r in rows} == {"lo", "veth0"}
    assert [r["supported"] for r in rows if r["ifname"] == "lo"] == [False]
    p = run(["ifstat", "--driver-stats", "lo"], ns=a.name)
    assert "lo: no driver statistics" in p.stderr


def test_patterns_select_interfaces(netns_factory):
    a, b = quiet_pair(netns_factory)
    assert [r["ifname"] for r in run_json(["ifstat", "vet*"], ns=a.name)] == ["veth0"]
    assert {r["ifname"] for r in run_json(["ifstat"], ns=a.name)} == {"lo", "veth0"}
    out = run(["ifstat"], ns=a.name).stdout.splitlines()
    assert out[0].split()[:3] == ["Iface", "RX", "bytes"] and len(out) == 3


@pytest.mark.parametrize("args,code,msg", [
    (["ifstat", "nosuch0"], 1, "no interface named 'nosuch0'"),
    (["ifstat", "zz*"], 1, "no interface matches 'zz*'"),
    (["ifstat", "--frobnicate"], 2, "--frobnicate: not an option of 'ifstat'"),
    (["ifstat", "-n", "3"], 2, "--count counts intervals: give -i SECS too"),
    (["ifstat", "-c", "3"], 2, "--count counts intervals: give -i SECS too"),
    (["ifstat", "-i", "abc"], 2, "-i: 'abc' is not a number of seconds"),
    (["ifstat", "-i"], 2, "-i: needs an argument (SECS)"),
    (["ifstat", "-i", "1", "--count", "0"], 2, "--count: '0' is not a whole number"),
    (["ifstat", "-e", "--qdisc"], 2, "choose one view"),
    (["ifstat", "--ring", "-i", "1"], 2, "--ring shows settings"),
    (["ifstat", "--softnet", "lo"], 2, "--softnet is per CPU"),
    (["ifstat", "-N", "nlt-does-not-exist"], 1, "cannot enter network namespace"),
])
def test_errors_are_one_line(netns, args, code, msg):
    """Every user error is one line naming the cause, JSON under -j."""
    p = run(args, ns=netns.name, check=False)
    assert p.returncode == code
    assert msg in p.stderr
    assert len(p.stderr.splitlines()) == 1 and p.stdout == ""
    j = run(["-j"] + args, ns=netns.name, check=False)
    assert j.returncode == code and j.stderr == ""
    assert list(json.loads(j.stdout)) == ["error"] and len(j.stdout.splitlines()) == 1
    assert json.loads(j.stdout)["error"] == p.stderr[len("netlens: error: "):].strip()


def test_count_is_n_and_c_stays_an_alias(netns):
    """-n/--count as every interval command spells it; -c, ifstat's old
    letter, still works but is not in the help."""
    for flag in ("-n", "--count", "-c"):
        rows = run_json(["ifstat", "-i", "0.1", flag, "2", "lo"], ns=netns.name)
        assert len(rows) == 2
    h = run(["ifstat", "-h"]).stdout
    assert "-n, --count N" in h and not any(l.split()[0] == "-c," or l.split()[0] == "-c"
                                            for l in h.splitlines() if l.strip())


# ---- softnet advice needs a rate; interval records carry their time ----

def softnet_snap(netns, tmp_path, before, after):
    """A real two-sample snapshot (1 s apart) of netns whose softnet_stat is
    edited: cpu0's time_squeeze is `before` at the first sample and `after`
    at the second, netdev_budget 300 and netdev_budget_usecs 2000."""
    from snapedit import Snapshot
    path = str(tmp_path / "sn.nlsnap")
    run(["snapshot", "-o", path, "-i", "1"], ns=netns.name)
    s = Snapshot.load(path)
    for sample, squeeze in ((0, before), (1, after)):
        rows = [l.split() for l in s.get_file("/proc/net/softnet_stat", sample).splitlines() if l.strip()]
        rows[0][2] = "%08x" % squeeze
        s.set_file("/proc/net/softnet_stat", "".join(" ".join(r) + "\n" for r in rows), sample=sample)
    s.set_file("/proc/sys/net/core/netdev_budget", "300\n")
    s.set_file("/proc/sys/net/core/netdev_budget_usecs", "2000\n")
    s.save(path)
    return path


def test_softnet_advice_only_from_a_rate(netns, tmp_path):
    """One time squeeze since boot is no reason to raise netdev_budget; 50 a
    second is. Totals never advise; intervals advise from the rate."""
    snap = softnet_snap(netns, tmp_path, 1, 1)
    assert "netdev_budget" not in run(["ifstat", "--softnet", "--from", snap]).stdout
    assert "netdev_budget" not in run(["ifstat", "--softnet", "-i", "1", "--from", snap]).stdout
    snap = softnet_snap(netns, tmp_path, 1000, 1000)
    assert "netdev_budget" not in run(["ifstat", "--softnet", "--from", snap]).stdout
    snap = softnet_snap(netns, tmp_path, 1000, 1050)
    out = run(["ifstat", "--softnet", "-i", "1", "--from", snap]).stdout
    assert ("squeezed 50.0/s: NET_RX ran out of budget; raise net.core.netdev_budget (now 300) "
            "or netdev_budget_usecs (now 2000)") in out
    assert out.count("ran out of budget") == 1  # only cpu0


@pytest.mark.parametrize("view", [[], ["-e"], ["--softnet"], ["--qdisc"]])
def test_interval_records_carry_their_time(netns_factory, view):
    """Every -i record has "time" (Unix seconds, fraction), as the tracers'
    records do; text has the Time column."""
    import time
    a, b = quiet_pair(netns_factory)
    args = ["ifstat", *view, "-i", "0.2", "-n", "2"] + ([] if view == ["--softnet"] else ["veth0"])
    t0 = time.time()
    rows = run_json(args, ns=a.name)
    t1 = time.time()
    assert rows
    for r in rows:
        assert t0 < r["time"] < t1 and isinstance(r["time"], float)
    times = sorted({r["time"] for r in rows})
    assert len(times) == 2 and 0.15 < times[1] - times[0] < 1.0
    text = run(args, ns=a.name).stdout.splitlines()
    assert text[0].split()[0] == "Time"
    assert all(len(l.split()[0]) == 8 and l.split()[0].count(":") == 2
               for l in text if l.strip() and not l.startswith("Time") and not l.startswith(" "))


def test_interval_time_from_a_snapshot(netns, tmp_path):
    """From a snapshot, "time" is when the second sample was recorded."""
    import time
    path = str(tmp_path / "t.nlsnap")
    t0 = time.time()
    run(["snapshot", "-o", path, "-i", "1"], ns=netns.name)
    t1 = time.time()
    rows = run_json(["ifstat", "-i", "1", "--from", path, "lo"])
    assert len(rows) == 1 and t0 + 1 <= rows[0]["time"] + 0.01 and rows[0]["time"] <= t1
