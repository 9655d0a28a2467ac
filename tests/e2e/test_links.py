"""netlens links against `ip -d -j link` over interfaces built in a fresh
namespace: a bridge with a veth and a tap as ports, a macvlan and a vxlan on
it, a veth pair, a tun device, and a veth whose peer lives in another
namespace. Kinds this kernel cannot create (bond, team, vlan, ipvlan, dummy,
wireguard) are covered by tests/unit/test_rtnl.c."""
import json
import os
import subprocess

import pytest

from conftest import run, run_json, veth_pair, wait_for


def build(ns):
    for cmd in (["ip", "link", "add", "br0", "type", "bridge"],
                ["ip", "link", "add", "va", "type", "veth", "peer", "name", "vb"],
                ["ip", "link", "set", "va", "master", "br0"],
                ["ip", "link", "add", "link", "br0", "name", "mv0", "type", "macvlan", "mode", "private"],
                ["ip", "link", "add", "vx0", "type", "vxlan", "id", "4242", "dstport", "4789",
                 "local", "10.0.0.1", "remote", "10.0.0.2", "dev", "br0", "ttl", "9"],
                ["ip", "tuntap", "add", "tap0", "mode", "tap"],
                ["ip", "tuntap", "add", "tun0", "mode", "tun"],
                ["ip", "link", "set", "tap0", "master", "br0"],
                ["ip", "link", "set", "vb", "mtu", "1400"],
                ["ip", "link", "set", "vb", "txqueuelen", "77"],
                ["ip", "addr", "add", "10.1.1.1/24", "dev", "br0"],
                ["ip", "addr", "add", "2001:db8::1/64", "dev", "br0", "nodad"],
                ["ip", "link", "set", "br0", "up"],
                ["ip", "link", "set", "va", "up"],
                ["ip", "link", "set", "vb", "up"]):
        ns.exec(cmd)


def ip_links(ns):
    return {l["ifname"]: l for l in json.loads(ns.exec(["ip", "-d", "-j", "link", "show"]).stdout)}


@pytest.fixture
def world(netns):
    build(netns)
    return netns


@pytest.mark.sanitize
def test_kinds_and_basics_match_ip(world):
    ours = {r["ifname"]: r for r in run_json(["links"], ns=world.name)}
    ip = ip_links(world)
    assert set(ours) == set(ip)
    for name, l in ip.items():
        r = ours[name]
        kind = (l.get("linkinfo") or {}).get("info_kind") or ("loopback" if name == "lo" else "device")
        assert r["kind"] == kind, name
        assert (r["mtu"], r["operstate"], r["txqlen"], r["qdisc"]) == \
            (l["mtu"], l["operstate"], l["txqlen"], l["qdisc"]), name
        assert r.get("master") == l.get("master"), name
        assert r["ifindex"] == l["ifindex"]
        if l.get("address") and len(l["address"]) == 17:
            assert r["mac"] == l["address"]
    assert (ours["vb"]["mtu"], ours["vb"]["txqlen"]) == (1400, 77)


def test_details_match_ip(world):
    ours = {r["ifname"]: r for r in run_json(["links"], ns=world.name)}
    ip = ip_links(world)
    vx, ipvx = ours["vx0"]["info"], ip["vx0"]["linkinfo"]["info_data"]
    for k in ("id", "remote", "local", "link", "port", "ttl"):
        assert vx[k] == ipvx[k], k
    assert ours["vx0"]["lower"] == "br0"
    assert ours["mv0"]["info"]["mode"] == ip["mv0"]["linkinfo"]["info_data"]["mode"] == "private"
    assert ours["mv0"]["lower"] == ip["mv0"]["link"] == "br0"
    for t in ("tap0", "tun0"):
        assert ours[t]["info"]["type"] == ip[t]["linkinfo"]["info_data"]["type"] == t[:3]
        assert ours[t]["info"]["persist"] == int(ip[t]["linkinfo"]["info_data"]["persist"])
    for port in ("va", "tap0"):
        sd = ip[port]["linkinfo"]["info_slave_data"]
        assert ours[port]["slave_kind"] == "bridge"
        for k in ("state", "priority", "cost"):
            assert ours[port]["slave_info"][k] == sd[k], (port, k)
        assert ours[port]["slave_info"]["learning"] == int(sd["learning"])
    br, ipbr = ours["br0"]["info"], ip["br0"]["linkinfo"]["info_data"]
    for k in ("stp_state", "priority", "vlan_filtering", "forward_delay", "ageing_time"):
        assert br[k] == ipbr[k], k
    assert sorted(ours["br0"]["ports"]) == sorted(n for n, l in ip.items() if l.get("master") == "br0")
    # the veth pair names each other, as ip's "link" does
    assert ours["va"]["peer"] == ip["va"]["link"] == "vb"
    assert ours["vb"]["peer"] == "va"
    assert ours["vb"]["peer_ifindex"] == ip["va"]["ifindex"]
    # addresses with prefixes, v4 and v6
    addrs = json.loads(world.exec(["ip", "-j", "addr", "show", "br0"]).stdout)[0]["addr_info"]
    assert sorted(ours["br0"]["addresses"]) == sorted(f'{a["local"]}/{a["prefixlen"]}' for a in addrs)
    assert "10.1.1.1/24" in ours["br0"]["addresses"] and "2001:db8::1/64" in ours["br0"]["addresses"]


def test_tree(world):
    rows = run_json(["links"], ns=world.name)
    depth = {r["ifname"]: r["depth"] for r in rows}
    assert depth["br0"] == 0 and depth["lo"] == 0 and depth["vb"] == 0 and depth["tun0"] == 0
    for child in ("va", "tap0", "mv0", "vx0"):
        assert depth[child] == 1, child
    order = [r["ifname"] for r in rows]
    kids = order[order.index("br0") + 1: order.index("br0") + 5]
    assert sorted(kids) == ["mv0", "tap0", "va", "vx0"]
    text = run(["links"], ns=world.name).stdout.splitlines()
    names = [l.split()[0] + (" " + l.split()[1] if l.split()[0] in ("|-", "`-") else "")
             for l in text[1:] if not l.startswith("\t")]
    i = names.index("br0")
    assert names[i + 1:i + 5] == ["|- " + k for k in kids[:3]] + ["`- " + kids[3]]
    assert text[0].split()[:3] == ["Interface", "Idx", "Kind"]


def ip_text(ns, dev):
    return ns.exec(["ip", "-d", "link", "show", "dev", dev]).stdout


def test_veth_peer_in_another_namespace(netns_factory):
    """The peer is named by the `ip netns` name ip shows (link-netns NAME)."""
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b)
    r = [x for x in run_json(["links", "veth0"], ns=a.name)]
    assert len(r) == 1
    ipa = ip_links(a)["veth0"]
    peer = ip_links(b)["veth0"]["ifindex"]
    assert f"link-netns {b.name} " in ip_text(a, "veth0")
    assert r[0]["peer_ifindex"] == peer
    assert r[0]["peer_netnsid"] == ipa["link_netnsid"]
    assert r[0]["peer_netns"] == b.name
    assert r[0]["peer"] == f"{peer}@{b.name}"
    assert "lower" not in r[0]
    assert f"peer {peer}@{b.name} " in run(["links", "veth0"], ns=a.name).stdout
    # through -N too: the ids are the entered namespace's
    assert run_json(["links", "-N", a.name, "veth0"])[0]["peer"] == f"{peer}@{b.name}"


@pytest.fixture
def unnamed_netns():
    """A namespace no `ip netns` name points at: a process's own."""
    p = subprocess.Popen(["unshare", "--net", "--", "sleep", "300"])
    try:
        mine = os.readlink("/proc/self/ns/net")
        wait_for(lambda: os.readlink(f"/proc/{p.pid}/ns/net") != mine, what="unshare to make its namespace")
        yield p.pid
    finally:
        p.kill()
        p.wait(timeout=10)


def test_veth_peer_in_an_unnamed_namespace(netns, unnamed_netns):
    """No name matches the netnsid: the id, as ip shows link-netnsid N."""
    netns.exec(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "far0"])
    netns.exec(["ip", "link", "set", "far0", "netns", str(unnamed_netns)])
    ipa = ip_links(netns)["veth0"]
    nsid = ipa["link_netnsid"]
    assert f"link-netnsid {nsid} " in ip_text(netns, "veth0")
    r = run_json(["links", "veth0"], ns=netns.name)[0]
    assert r["peer_netnsid"] == nsid and "peer_netns" not in r
    assert r["peer"] == f'{r["peer_ifindex"]}@{nsid}'


def test_vxlan_ttl_words_as_ip(world):
    """ttl 0 is "ttl auto" and an inherited ttl "ttl inherit" in text, as
    `ip -d link` words them; JSON keeps ip -j's number (none when inherited)."""
    world.exec(["ip", "link", "add", "vx1", "type", "vxlan", "id", "11", "dstport", "4789",
                "local", "10.0.0.1"])
    world.exec(["ip", "link", "add", "vx2", "type", "vxlan", "id", "12", "dstport", "4789",
                "local", "10.0.0.1", "ttl", "inherit"])
    ip = ip_links(world)
    assert " ttl auto " in ip_text(world, "vx1") and " ttl inherit " in ip_text(world, "vx2")
    assert " ttl 9 " in ip_text(world, "vx0")
    ours = {r["ifname"]: r for r in run_json(["links", "vx?"], ns=world.name)}
    assert ours["vx1"]["info"]["ttl"] == ip["vx1"]["linkinfo"]["info_data"]["ttl"] == 0
    assert ours["vx0"]["info"]["ttl"] == 9
    assert "ttl" not in ip["vx2"]["linkinfo"]["info_data"] and "ttl" not in ours["vx2"]["info"]
    assert ours["vx2"]["info"]["ttl_inherit"] is True
    details = run(["links", "vx?"], ns=world.name).stdout.split("\n")
    line = {details[i].split()[0]: details[i + 1] for i in range(len(details) - 1)
            if details[i] and not details[i].startswith("\t")}
    assert " ttl auto " in line["vx1"] and " ttl 0" not in line["vx1"]
    assert " ttl inherit " in line["vx2"] and "ttl_inherit" not in line["vx2"]
    assert " ttl 9 " in line["vx0"]


def test_rp_filter_and_arp_filter(world):
    world.exec(["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2", "net.ipv4.conf.va.rp_filter=1",
                "net.ipv4.conf.vb.rp_filter=0", "net.ipv4.conf.va.arp_filter=1",
                "net.ipv4.conf.all.arp_filter=0"])
    ours = {r["ifname"]: r for r in run_json(["links", "v?"], ns=world.name)}
    assert set(ours) == {"va", "vb"}
    assert (ours["va"]["rp_filter"], ours["va"]["rp_filter_all"], ours["va"]["rp_filter_effective"]) == (1, 2, 2)
    assert (ours["vb"]["rp_filter"], ours["vb"]["rp_filter_effective"]) == (0, 2)
    assert (ours["va"]["arp_filter"], ours["va"]["arp_filter_effective"]) == (1, 1)
    assert (ours["vb"]["arp_filter"], ours["vb"]["arp_filter_effective"]) == (0, 0)
    text = run(["links", "va"], ns=world.name).stdout
    assert "rp_filter 1 effective 2" in text and "arp_filter 1 effective 1" in text


@pytest.mark.parametrize("args,code,msg", [
    (["links", "nosuch0"], 1, "no interface named 'nosuch0'"),
    (["links", "zz*"], 1, "no interface matches 'zz*'"),
    (["links", "-x"], 2, "-x: not an option of 'links': see 'netlens links -h'"),
    (["links", "--bogus"], 2, "--bogus: not an option of 'links'"),
    (["links", "-N"], 2, "-N: needs an argument (NAME): see 'netlens links -h'"),
    (["links", "--netns", "/nonexistent/ns"], 1, "cannot enter network namespace"),
])
def test_errors(netns, args, code, msg):
    """Every user error is one line on stderr (no usage dump), and under -j
    one JSON object on stdout, with the same status."""
    p = run(args, ns=netns.name, check=False)
    assert p.returncode == code and msg in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("netlens: error: "), p.stderr
    assert p.stdout == ""
    pj = run(["-j"] + args, ns=netns.name, check=False)
    assert pj.returncode == code
    lines = pj.stdout.strip().splitlines()
    assert len(lines) == 1, pj.stdout
    assert msg in json.loads(lines[0])["error"]


def test_help_from_the_option_table(netns):
    """-h lists what links accepts, from the same table it parses with."""
    p = run(["links", "-h"], ns=netns.name)
    assert p.stdout.startswith("netlens links: ") and "usage: netlens links [options] [IFACE|PATTERN]..." in p.stdout
    for opt in ("-j, --json", "-h, --help", "-N, --net NAME", "--netns PATH", "--from FILE"):
        assert opt in p.stdout, opt
    assert run(["links", "--net", netns.name, "lo"])
