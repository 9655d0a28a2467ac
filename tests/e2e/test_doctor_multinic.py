"""netlens doctor, area multi-nic: strict rp_filter against asymmetric
routes (with the drops it causes, recorded across a snapshot), two NICs in
one subnet (ARP flux), and an address on a second NIC without policy
routing. Each host is a namespace with veths to peer namespaces."""
import itertools
import json
import os
import subprocess

import pytest

from conftest import NETLENS, PY, run, wait_for

_n = itertools.count()


def doctor(ns=None, args=()):
    p = run(["-j", "doctor", "-i", "0"] + list(args), ns=ns, check=False)
    assert p.returncode in (0, 1, 2), p.stderr
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    return [r for r in rows if "id" in r], rows[-1]["summary"], p.returncode


def only(findings, id):
    got = [f for f in findings if f["id"] == id]
    assert len(got) == 1, f"want one {id} in {[f['id'] for f in findings]}"
    return got[0]


def values(f):
    return [e["value"] for e in f["evidence"]]


def link(host, peer, name, addr, peer_addr, peer_name="veth0"):
    """A veth from host (named name, address addr) to peer; both up."""
    a, b = f"ma{os.getpid() % 10000}{next(_n)}", f"mb{os.getpid() % 10000}{next(_n)}"
    subprocess.run(["ip", "link", "add", a, "netns", host.name, "type", "veth",
                    "peer", "name", b, "netns", peer.name], check=True)
    host.exec(["ip", "link", "set", a, "name", name])
    peer.exec(["ip", "link", "set", b, "name", peer_name])
    for ns, dev, ad in ((host, name, addr), (peer, peer_name, peer_addr)):
        ns.exec(["ip", "addr", "add", ad, "dev", dev])
        ns.exec(["ip", "link", "set", dev, "up"])
    return host.exec(["cat", f"/sys/class/net/{name}/address"]).stdout.strip()


def sysctl(ns, *settings):
    ns.exec(["sysctl", "-qw"] + list(settings))


def netstat_counter(ns, name):
    lines = ns.exec(["cat", "/proc/net/netstat"]).stdout.splitlines()
    for head, vals in zip(lines[::2], lines[1::2]):
        prefix = head.split(":")[0]
        for h, v in zip(head.split()[1:], vals.split()[1:]):
            if prefix + h == name:
                return int(v)
    raise KeyError(name)


# ---- rp-filter-asymmetric ----

SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[3])):
    s.sendto(b"x", (sys.argv[2], 9))
"""


def two_uplinks(host, netns_factory):
    """host has uplink_a (10.61.1.1) and uplink_b (10.61.2.1), a default
    route through each (b preferred), strict rp_filter; peer a owns
    198.51.100.7, a source the host routes through b."""
    a, b = netns_factory(), netns_factory()
    mac_a = link(host, a, "uplink_a", "10.61.1.1/24", "10.61.1.2/24")
    link(host, b, "uplink_b", "10.61.2.1/24", "10.61.2.2/24")
    sysctl(host, "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.uplink_a.rp_filter=1",
           "net.ipv4.conf.uplink_b.rp_filter=0")
    host.exec(["ip", "route", "add", "default", "via", "10.61.2.2", "dev", "uplink_b", "metric", "10"])
    host.exec(["ip", "route", "add", "default", "via", "10.61.1.2", "dev", "uplink_a", "metric", "20"])
    a.exec(["ip", "addr", "add", "198.51.100.7/32", "dev", "lo"])
    # the host would drop an ARP request from that source too: no ARP needed
    a.exec(["ip", "neigh", "replace", "10.61.1.1", "lladdr", mac_a, "dev", "veth0", "nud", "permanent"])
    return a, b


def send_spoofless(a, n):
    a.exec([PY, "-c", SEND, "198.51.100.7", "10.61.1.1", str(n)])


def test_rp_filter_strict_with_two_default_routes_is_info_while_idle(netns, netns_factory):
    two_uplinks(netns, netns_factory)
    findings, summary, rc = doctor(netns.name)
    f = only(findings, "rp-filter-asymmetric")
    assert f["severity"] == "info" and f["area"] == "multi-nic"
    assert "strict rp_filter on uplink_a will drop traffic" in f["summary"]
    ev = values(f)
    assert ("uplink_a: net.ipv4.conf.all.rp_filter = 1, net.ipv4.conf.uplink_a.rp_filter = 1 "
            "(in effect: 1)") in ev
    assert ("uplink_a: route default via 10.61.1.2 dev uplink_a metric 20 loses to default via "
            "10.61.2.2 dev uplink_b metric 10, so packets from there arriving on uplink_a fail the check") in ev
    assert any(v.startswith("TcpExtIPReversePathFilter = ") and v.endswith("since boot (one sample: no rate)")
               for v in ev)
    assert "net.ipv4.conf.uplink_a.rp_filter=2" in f["fix"]
    # uplink_b is strict too (max(all=1, 0)), but its route wins: nothing about it
    assert not any(v.startswith("uplink_b: route") for v in ev)


@pytest.mark.sanitize
def test_rp_filter_drops_recorded_in_snapshot(netns, netns_factory, tmp_path):
    a, _ = two_uplinks(netns, netns_factory)
    before = netstat_counter(netns, "TcpExtIPReversePathFilter")
    snap = str(tmp_path / "rpf.nlsnap")
    rec = netns.popen([NETLENS, "snapshot", "-o", snap, "-i", "2"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert "waiting" in rec.stderr.readline()
        send_spoofless(a, 40)
        wait_for(lambda: netstat_counter(netns, "TcpExtIPReversePathFilter") >= before + 40,
                 what="IPReversePathFilter to count the drops")
        assert rec.wait(timeout=30) == 0
    finally:
        if rec.poll() is None:
            rec.kill()
    after = netstat_counter(netns, "TcpExtIPReversePathFilter")
    findings, summary, rc = doctor(args=["--from", snap])
    f = only(findings, "rp-filter-asymmetric")
    assert f["severity"] == "warning" and rc >= 1
    # the drops between the samples (all 40 unless the sender outlasted the interval)
    assert 1 <= f["values"]["rp_filter_drops"] <= after - before
    assert f["values"]["asymmetric_routes"] == 1
    assert "strict rp_filter on uplink_a drops packets" in f["summary"]
    assert any(e["source"] == "/proc/net/netstat" and e["value"].startswith("TcpExtIPReversePathFilter +")
               for e in f["evidence"])
    # fast enough for the threshold: critical
    findings, _, rc = doctor(args=["--from", snap, "--set", "rp-filter-asymmetric.critical_per_s=0.1"])
    assert only(findings, "rp-filter-asymmetric")["severity"] == "critical" and rc == 2


def test_snapshot_gives_the_live_report(netns, netns_factory, tmp_path):
    two_uplinks(netns, netns_factory)
    link(netns, netns_factory(), "lan1", "10.63.2.1/24", "10.63.2.2/24")
    link(netns, netns_factory(), "lan2", "10.63.2.3/24", "10.63.2.4/24")
    snap = str(tmp_path / "s.nlsnap")
    run(["snapshot", "-o", snap, "-i", "0"], ns=netns.name)
    live, _, rc1 = doctor(netns.name, ["--only", "multi-nic"])
    recorded, _, rc2 = doctor(args=["--from", snap, "--only", "multi-nic"])
    strip = lambda fs: sorted((f["id"], f["severity"], f["summary"], json.dumps(f["evidence"])) for f in fs)
    assert rc1 == rc2 == 1 and strip(live) == strip(recorded)
    assert sorted({f["id"] for f in live}) == ["arp-flux", "no-policy-routing", "rp-filter-asymmetric"]


def test_rp_filter_loose_or_policy_routed_is_quiet(netns, netns_factory):
    a, _ = two_uplinks(netns, netns_factory)
    # policy routing: from uplink_a's address back out of uplink_a. The kernel agrees:
    netns.exec(["ip", "route", "add", "default", "via", "10.61.1.2", "dev", "uplink_a", "table", "101"])
    netns.exec(["ip", "rule", "add", "from", "10.61.1.1", "table", "101", "priority", "1000"])
    before = netstat_counter(netns, "TcpExtIPReversePathFilter")
    send_spoofless(a, 5)
    findings, _, _ = doctor(netns.name)
    assert "rp-filter-asymmetric" not in [f["id"] for f in findings]
    assert netstat_counter(netns, "TcpExtIPReversePathFilter") == before
    # loose mode, and no policy routing
    netns.exec(["ip", "rule", "del", "priority", "1000"])
    sysctl(netns, "net.ipv4.conf.uplink_a.rp_filter=2")
    findings, _, _ = doctor(netns.name)
    assert "rp-filter-asymmetric" not in [f["id"] for f in findings]


# ---- arp-flux ----

def test_two_nics_in_one_subnet_is_arp_flux(netns, netns_factory):
    p, q = netns_factory(), netns_factory()
    link(netns, p, "nic0", "10.62.0.1/24", "10.62.0.11/24")
    link(netns, q, "nic1", "10.62.0.2/24", "10.62.0.12/24")
    sysctl(netns, "net.ipv4.conf.all.arp_filter=0", "net.ipv4.conf.all.arp_ignore=0",
           "net.ipv4.conf.all.arp_announce=0")
    findings, summary, rc = doctor(netns.name)
    f = only(findings, "arp-flux")
    assert f["severity"] == "warning" and rc >= 1
    assert f["summary"].startswith("2 interfaces have addresses in 10.62.0.0/24 with arp_filter off")
    ev = values(f)
    assert "nic0: 10.62.0.1/24" in ev and "nic1: 10.62.0.2/24" in ev
    assert {"source": "/proc/sys/net/ipv4/conf/{all,nic1}/arp_filter",
            "value": "nic1: net.ipv4.conf.all.arp_filter = 0, net.ipv4.conf.nic1.arp_filter = 0 (in effect: 0)"} \
        in [{"source": e["source"], "value": e["value"]} for e in f["evidence"]]
    assert "nic0: net.ipv4.conf.all.arp_ignore = 0, net.ipv4.conf.nic0.arp_ignore = 0 (in effect: 0)" in ev
    assert "net.ipv4.conf.nic0.arp_filter=1 net.ipv4.conf.nic1.arp_filter=1" in f["fix"]
    assert f["values"]["interfaces"] == 2
    # the kernel's side of it: nic0 answers ARP for nic1's address
    mac0 = netns.exec(["cat", "/sys/class/net/nic0/address"]).stdout.strip()
    p.exec([PY, "-c", SEND, "10.62.0.11", "10.62.0.2", "1"])
    wait_for(lambda: f"lladdr {mac0}" in p.exec(["ip", "neigh", "show", "10.62.0.2"]).stdout,
             what="nic0's MAC for nic1's address")

    # arp_filter on (all ORs with the interface), or arp_ignore=1: quiet
    sysctl(netns, "net.ipv4.conf.all.arp_filter=1")
    assert "arp-flux" not in [f["id"] for f in doctor(netns.name)[0]]
    sysctl(netns, "net.ipv4.conf.all.arp_filter=0", "net.ipv4.conf.all.arp_ignore=1")
    assert "arp-flux" not in [f["id"] for f in doctor(netns.name)[0]]


def many_nics(ns, names, addr, routes=()):
    """Veths named names (up, address addr(i)) whose peers stay down in ns;
    routes(i, name) gives `ip route add` arguments. One ip -batch."""
    cmds = []
    for i, name in enumerate(names):
        cmds += [f"link add {name} type veth peer name p{name[-12:]}",
                 f"addr add {addr(i)} dev {name}", f"link set {name} up"]
        cmds += [f"route add {r}" for r in routes(i, name)] if routes else []
    ns.exec(["ip", "-batch", "-"], input="\n".join(cmds) + "\n")


def test_arp_flux_counts_every_interface(netns):
    """20 interfaces with 15-character names in one subnet: all counted, all
    listed, the fix names each (no fixed arrays or buffers in the finding)."""
    names = [f"arp-flux-nic-{i:02d}" for i in range(20)]
    sysctl(netns, "net.ipv4.conf.all.arp_filter=0", "net.ipv4.conf.all.arp_ignore=0",
           "net.ipv4.conf.all.arp_announce=0")
    many_nics(netns, names, lambda i: f"10.65.0.{i + 1}/24")
    findings, summary, rc = doctor(netns.name, ["--only", "arp-flux"])
    f = only(findings, "arp-flux")
    assert f["summary"].startswith("20 interfaces have addresses in 10.65.0.0/24 with arp_filter off")
    assert f["values"] == {"interfaces": 20, "addresses": 20}
    ev = values(f)
    for i, name in enumerate(names):
        assert f"{name}: 10.65.0.{i + 1}/24" in ev
        assert (f"{name}: net.ipv4.conf.all.arp_announce = 0, net.ipv4.conf.{name}.arp_announce = 0 "
                "(in effect: 0)") in ev
    assert f["fix"].startswith("sysctl -w " + " ".join(f"net.ipv4.conf.{n}.arp_filter=1" for n in names)
                               + ", so each interface answers only")
    assert f["fix"].endswith("Bonding the NICs is the cleaner design when they share one segment.")


def test_rp_filter_lists_every_asymmetric_route(netns):
    """40 strict uplinks, a default route each: 39 lose to the best metric.
    Each is evidence and each interface is in the fix."""
    names = [f"rpf-uplink-{i:02d}" for i in range(40)]
    sysctl(netns, "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=1")
    many_nics(netns, names, lambda i: f"10.66.{i}.1/24",
              lambda i, n: [f"default via 10.66.{i}.2 dev {n} metric {100 + i}"])
    findings, summary, rc = doctor(netns.name, ["--only", "rp-filter-asymmetric"])
    f = only(findings, "rp-filter-asymmetric")
    assert f["values"]["asymmetric_routes"] == 39
    ev = values(f)
    for i, n in enumerate(names[1:], 1):
        assert (f"{n}: route default via 10.66.{i}.2 dev {n} metric {100 + i} loses to default via "
                f"10.66.0.2 dev rpf-uplink-00 metric 100, so packets from there arriving on {n} "
                "fail the check") in ev
    assert ("sysctl -w " + " ".join(f"net.ipv4.conf.{n}.rp_filter=2" for n in names[1:])
            + " (max(all, IF)") in f["fix"]


def test_different_subnets_or_one_nic_no_arp_flux(netns, netns_factory):
    p, q = netns_factory(), netns_factory()
    link(netns, p, "nic0", "10.62.1.1/24", "10.62.1.11/24")
    link(netns, q, "nic1", "10.62.2.1/24", "10.62.2.12/24")
    netns.exec(["ip", "addr", "add", "10.62.1.5/24", "dev", "nic0"])  # a second one on nic0
    findings, _, _ = doctor(netns.name)
    assert "arp-flux" not in [f["id"] for f in findings]


# ---- no-policy-routing ----

def test_second_nic_without_policy_routing(netns, netns_factory):
    w, l = netns_factory(), netns_factory()
    link(netns, w, "wan0", "10.63.1.1/24", "10.63.1.2/24")
    link(netns, l, "lan1", "10.63.2.1/24", "10.63.2.2/24")
    netns.exec(["ip", "route", "add", "default", "via", "10.63.1.2", "dev", "wan0"])
    findings, summary, rc = doctor(netns.name)
    f = only(findings, "no-policy-routing")
    assert f["severity"] == "info" and rc == 0
    assert f["summary"] == ("replies from 10.63.2.1 (on lan1) to hosts outside 10.63.2.1/24 leave "
                            "through the default route, not lan1: no policy routing")
    ev = values(f)
    assert "default route (main table): default via 10.63.1.2 dev wan0" in ev
    assert "only the built-in rules (local, main, default)" in ev
    assert "ip rule add from 10.63.2.1 table" in f["fix"] and "dev lan1" in f["fix"]

    # lan1 has an uplink of its own that the main table never uses: warning
    netns.exec(["ip", "route", "add", "default", "via", "10.63.2.2", "dev", "lan1", "metric", "200"])
    findings, _, rc = doctor(netns.name)
    f = only(findings, "no-policy-routing")
    assert f["severity"] == "warning" and rc == 1
    assert "lan1's own default route is not used: default via 10.63.2.2 dev lan1 metric 200" in values(f)
    assert "ip route add default via 10.63.2.2 dev lan1 table" in f["fix"]

    # the fix the finding gives silences it
    netns.exec(["ip", "route", "add", "default", "via", "10.63.2.2", "dev", "lan1", "table", "102"])
    netns.exec(["ip", "rule", "add", "from", "10.63.2.1", "table", "102"])
    assert "no-policy-routing" not in [f["id"] for f in doctor(netns.name)[0]]


def test_address_in_the_default_routes_subnet_is_fine(netns, netns_factory):
    w, l = netns_factory(), netns_factory()
    link(netns, w, "wan0", "10.63.1.1/24", "10.63.1.2/24")
    link(netns, l, "lan1", "10.63.3.1/24", "10.63.3.2/24")
    netns.exec(["ip", "addr", "add", "10.63.1.9/24", "dev", "lan1"])  # default route's subnet
    netns.exec(["ip", "route", "add", "default", "via", "10.63.1.2", "dev", "wan0"])
    f = only(doctor(netns.name)[0], "no-policy-routing")
    assert "10.63.3.1" in f["summary"]  # 10.63.1.9 on lan1 is not reported


@pytest.mark.sanitize
def test_clean_namespace_no_multinic_findings(netns, netns_factory):
    findings, summary, rc = doctor(netns.name, ["--only", "multi-nic"])
    assert findings == [] and rc == 0 and summary["checked"] == 3 and summary["skipped"] == []
    # one NIC with a default route: still nothing
    link(netns, netns_factory(), "eth0", "10.65.0.1/24", "10.65.0.2/24")
    netns.exec(["ip", "route", "add", "default", "via", "10.65.0.2"])
    findings, summary, rc = doctor(netns.name, ["--only", "multi-nic"])
    assert findings == [] and rc == 0
