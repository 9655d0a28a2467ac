"""netlens routes against iproute2 on state built in fresh namespaces: two
namespaces joined by a veth pair, a second table (100) reached by a policy
rule `from 10.77.0.7 lookup 100`, a multipath route, unreachable, blackhole
and prohibit routes, IPv6 routes and rules, neighbours added PERMANENT and
STALE and one learned by pinging the peer. Every view is compared entry for
entry with `ip -j`, lookups with `ip -j route get`, and a snapshot with the
live output."""
import json
import subprocess

import pytest

from conftest import Netns, run, run_json, veth_pair, wait_for

POLICY_SRC = "10.77.0.7"


def build(a, b):
    veth_pair(a, b, "10.77.0.1/24", "10.77.0.2/24")
    for cmd in (["ip", "link", "add", "dum0", "type", "veth", "peer", "name", "dum1"],
                ["ip", "link", "set", "dum0", "up"], ["ip", "link", "set", "dum1", "up"],
                ["ip", "addr", "add", "10.88.0.1/24", "dev", "dum0"],
                ["ip", "addr", "add", f"{POLICY_SRC}/32", "dev", "lo"],
                ["ip", "route", "add", "default", "via", "10.77.0.2", "metric", "10"],
                ["ip", "route", "add", "default", "via", "10.88.0.2", "table", "100"],
                ["ip", "route", "add", "192.168.50.0/24", "via", "10.88.0.2", "table", "100"],
                ["ip", "route", "add", "172.20.0.0/16", "nexthop", "via", "10.77.0.2", "weight", "3",
                 "nexthop", "via", "10.88.0.2"],
                ["ip", "route", "add", "unreachable", "10.50.0.0/16"],
                ["ip", "route", "add", "blackhole", "10.60.0.0/16"],
                ["ip", "route", "add", "prohibit", "10.61.0.0/16"],
                ["ip", "rule", "add", "from", POLICY_SRC, "lookup", "100"],
                ["ip", "rule", "add", "fwmark", "0x5/0xff", "iif", "veth0", "lookup", "100", "pref", "200"],
                ["ip", "rule", "add", "to", "10.99.0.0/16", "prohibit", "pref", "300"],
                ["ip", "-6", "addr", "add", "2001:db8:77::1/64", "dev", "veth0", "nodad"],
                ["ip", "-6", "route", "add", "2001:db8:99::/48", "via", "2001:db8:77::2", "table", "100"],
                ["ip", "-6", "rule", "add", "from", "2001:db8:77::1", "lookup", "100"],
                ["ip", "neigh", "add", "10.77.0.99", "lladdr", "02:00:00:00:00:99", "dev", "veth0", "nud",
                 "permanent"],
                ["ip", "neigh", "add", "10.77.0.98", "lladdr", "02:00:00:00:00:98", "dev", "veth0", "nud",
                 "stale"]):
        a.exec(cmd)
    # IPv6 link-local addresses (and their local routes) come when DAD ends:
    # wait for them, or the route set changes under the comparisons
    def settled():
        addrs = ip_json(a, "-6", "addr", "show")
        ll = {i["ifname"] for i in addrs for x in i.get("addr_info", [])
              if x.get("scope") == "link" and not x.get("tentative")}
        return not a.exec(["ip", "-6", "addr", "show", "tentative"]).stdout.strip() and \
            {"veth0", "dum0", "dum1"} <= ll
    wait_for(settled, timeout=15, what="IPv6 link-local addresses past DAD")
    # a learned neighbour: the peer answers ARP
    a.exec(["ping", "-c", "1", "-W", "2", "10.77.0.2"])
    wait_for(lambda: "10.77.0.2" in a.exec(["ip", "neigh"]).stdout, what="a learned neighbour")


@pytest.fixture(scope="module")
def world():
    """One world for the module's tests (it takes ~2 s to build): they
    only read it, and a test that changes a setting puts it back."""
    a = b = None
    try:
        a, b = Netns(), Netns()
        build(a, b)
        yield a
    finally:
        for ns in (b, a):
            if ns:
                ns.close()


def ip_json(ns, *args):
    out = ns.exec(["ip", "-j"] + list(args)).stdout
    return json.loads(out) if out.strip() else []


# ---- routes [show] ----

def ip_route_key(r, family):
    """One ip -j route entry, defaults filled, as a comparable tuple."""
    hops = tuple((h.get("gateway"), h.get("dev"), h.get("weight")) for h in r.get("nexthops", []))
    return (family, r.get("table", "main"), r.get("type", "unicast"), r["dst"], r.get("gateway"), r.get("dev"),
            r.get("protocol", "boot"), r.get("scope", "global"), r.get("prefsrc"), r.get("metric"),
            tuple(r.get("flags", [])), hops, r.get("pref"))


def our_route_key(r):
    hops = tuple((h.get("gateway"), h.get("dev"), h.get("weight")) for h in r.get("nexthops", []))
    return (r["family"], r["table"], r["type"], r["dst"], r.get("gateway"), r.get("dev"), r["protocol"],
            r["scope"], r.get("prefsrc"), r.get("metric"), tuple(r["flags"]), hops, r.get("pref"))


def ip_routes(ns, *filt):
    return sorted([ip_route_key(r, "inet") for r in ip_json(ns, "-4", "route", "show", "table", "all", *filt)] +
                  [ip_route_key(r, "inet6") for r in ip_json(ns, "-6", "route", "show", "table", "all", *filt)],
                  key=repr)


@pytest.mark.sanitize
def test_routes_match_ip_route_show_table_all(world):
    ours = sorted((our_route_key(r) for r in run_json(["routes"], ns=world.name)), key=repr)
    assert ours == ip_routes(world)
    keys = {(k[1], k[2], k[3]) for k in ours}
    # what the state holds: both tables, local and broadcast, IPv6, the special types
    for want in (("100", "unicast", "default"), ("100", "unicast", "192.168.50.0/24"),
                 ("local", "local", "10.77.0.1"), ("local", "broadcast", "10.77.0.255"),
                 ("main", "unreachable", "10.50.0.0/16"), ("main", "blackhole", "10.60.0.0/16"),
                 ("main", "prohibit", "10.61.0.0/16"), ("100", "unicast", "2001:db8:99::/48")):
        assert want in keys, want
    mp = [k for k in ours if k[3] == "172.20.0.0/16"][0]
    assert mp[11] == (("10.77.0.2", "veth0", 3), ("10.88.0.2", "dum0", 1))


def test_routes_filters_match_ip(world):
    t100 = sorted((our_route_key(r) for r in run_json(["routes", "--table", "100"], ns=world.name)), key=repr)
    # ip leaves "table" out when it was asked for one: the key fills it in
    assert t100 == sorted([ip_route_key(dict(r, table="100"), "inet")
                           for r in ip_json(world, "-4", "route", "show", "table", "100")] +
                          [ip_route_key(dict(r, table="100"), "inet6")
                           for r in ip_json(world, "-6", "route", "show", "table", "100")], key=repr)
    assert all(k[1] == "100" for k in t100) and len(t100) == 3
    loc4 = [our_route_key(r) for r in run_json(["routes", "-4", "--table", "local"], ns=world.name)]
    assert sorted(loc4, key=repr) == sorted(
        (ip_route_key(dict(r, table="local"), "inet") for r in ip_json(world, "-4", "route", "show", "table", "local")),
        key=repr)
    dev = run_json(["routes", "--dev", "dum0"], ns=world.name)
    assert dev and all(r.get("dev") == "dum0" or any(h["dev"] == "dum0" for h in r.get("nexthops", []))
                       for r in dev)
    assert {r["dst"] for r in dev} >= {"10.88.0.0/24", "default", "192.168.50.0/24", "172.20.0.0/16"}
    # entry for entry as ip's "show table all dev DEV" (ip leaves "dev" out
    # of a route whose device it was asked for), plus the multipath routes
    # with a hop through DEV, which ip's filter (on the route's own device)
    # cannot see
    for name in ("dum0", "veth0"):
        rows = run_json(["routes", "--dev", name], ns=world.name)
        ours = sorted((our_route_key(r) for r in rows), key=repr)
        multi = [our_route_key(r) for r in rows if "dev" not in r]
        theirs = sorted([ip_route_key(dict({"dev": name}, **r), fam)
                         for fam, v in (("inet", "-4"), ("inet6", "-6"))
                         for r in ip_json(world, v, "route", "show", "table", "all", "dev", name)] +
                        multi, key=repr)
        assert ours == theirs, name
        assert [k[3] for k in multi] == ["172.20.0.0/16"]
    inside = run_json(["routes", "--to", "10.0.0.0/8"], ns=world.name)
    ip_inside = ip_json(world, "-4", "route", "show", "table", "all", "root", "10.0.0.0/8")
    assert sorted(r["dst"] for r in inside) == sorted(r["dst"] for r in ip_inside)
    assert all(r["family"] == "inet6" for r in run_json(["routes", "-6"], ns=world.name))


def test_main_table_matches_netstat_r(world):
    """netstat -rn (net-tools, /proc/net/route): the IPv4 main table, one
    line per route with its first hop; an unreachable or prohibit route
    with neither gateway nor device ("-", flag "!", RTF_REJECT), a
    blackhole on no device ("*")."""
    import ipaddress
    lines = world.exec(["netstat", "-rn"]).stdout.splitlines()
    assert lines[1].split()[:4] == ["Destination", "Gateway", "Genmask", "Flags"], lines
    theirs = sorted((f[0], f[1], f[2], f[7], "!" in f[3], "G" in f[3]) for f in map(str.split, lines[2:]))
    ours = []
    for r in run_json(["routes", "-4", "--table", "main"], ns=world.name):
        net = ipaddress.ip_network("0.0.0.0/0" if r["dst"] == "default" else r["dst"])
        hop = (r.get("nexthops") or [r])[0]
        reject = r["type"] in ("unreachable", "prohibit")
        dev = "-" if reject else "*" if r["type"] == "blackhole" else hop["dev"]
        ours.append((str(net.network_address), "-" if reject else hop.get("gateway", "0.0.0.0"),
                     str(net.netmask), dev, reject, "gateway" in hop))
    assert sorted(ours) == theirs
    assert len(theirs) >= 5 and any(t[4] for t in theirs) and any(t[5] for t in theirs)


def test_routes_text_is_an_aligned_table(world):
    out = run(["routes", "-4"], ns=world.name).stdout.splitlines()
    head = out[0]
    assert head.split() == ["Table", "Type", "Destination", "Gateway", "Dev", "Proto", "Scope", "Src", "Metric"]
    rows = [l for l in out[1:] if not l.startswith("\t")]
    col = head.index("Destination")
    assert all(l[col - 1] == " " and l[col] != " " for l in rows)
    assert any("nexthop via 10.77.0.2 dev veth0 weight 3" in l for l in out)


# ---- rules ----

def ip_rule_key(u, family):
    return (family, u["priority"], u.get("src"), u.get("srclen"), u.get("dst"), u.get("dstlen"), u.get("iif"),
            u.get("oif"), u.get("fwmark"), u.get("fwmask"), u.get("table"),
            u.get("action", "lookup") if "table" not in u else "lookup")


def our_rule_key(u):
    return (u["family"], u["priority"], u.get("src"), u.get("srclen"), u.get("dst"), u.get("dstlen"), u.get("iif"),
            u.get("oif"), u.get("fwmark"), u.get("fwmask"), u.get("table"), u["action"])


def test_rules_match_ip_rule_both_families(world):
    ours = [our_rule_key(u) for u in run_json(["routes", "rules"], ns=world.name)]
    ip = [ip_rule_key(u, "inet") for u in ip_json(world, "rule")] + \
         [ip_rule_key(u, "inet6") for u in ip_json(world, "-6", "rule")]
    assert sorted(ours, key=repr) == sorted(ip, key=repr)
    assert ("inet", 32765, POLICY_SRC, None, None, None, None, None, None, None, "100", "lookup") in ours
    assert ("inet", 200, "all", None, None, None, "veth0", None, "0x5", "0xff", "100", "lookup") in ours
    assert ("inet", 300, "all", None, "10.99.0.0", 16, None, None, None, None, None, "prohibit") in ours
    t = run_json(["routes", "rules", "--table", "100"], ns=world.name)
    assert {(u["family"], u["priority"]) for u in t} == {("inet", 32765), ("inet", 200), ("inet6", 32765)}
    text = run(["routes", "rules", "-4"], ns=world.name).stdout
    assert any(l.split()[:1] == ["32765"] and l.rstrip().endswith("lookup 100") for l in text.splitlines())
    # --dev: the rules with iif or oif DEV, as ip's "rule show iif DEV" and
    # "oif DEV" together
    for name in ("veth0", "dum0"):
        ours = sorted((our_rule_key(u) for u in run_json(["routes", "rules", "--dev", name],
                                                         ns=world.name)), key=repr)
        ip = {ip_rule_key(u, fam) for fam, v in (("inet", "-4"), ("inet6", "-6"))
              for sel in ("iif", "oif") for u in ip_json(world, v, "rule", "show", sel, name)}
        assert ours == sorted(ip, key=repr) and (ours or name != "veth0"), name


# ---- neighbours ----

@pytest.mark.sanitize
def test_neigh_matches_ip_neigh_with_counts(world):
    rows = run_json(["routes", "neigh"], ns=world.name)
    ours = sorted((r["dst"], r["dev"], r.get("lladdr"), tuple(r["state"]))
                  for r in rows if r.get("record") != "summary")
    ip = sorted((n["dst"], n["dev"], n.get("lladdr"), tuple(n["state"])) for n in ip_json(world, "neigh"))
    assert ours == ip
    states = {r[0]: r[3] for r in ours}
    assert states["10.77.0.99"] == ("PERMANENT",) and states["10.77.0.98"] == ("STALE",)
    assert states["10.77.0.2"][0] in ("REACHABLE", "STALE", "DELAY", "PROBE")
    summ = {r["family"]: r for r in rows if r.get("record") == "summary"}
    v4 = summ["inet"]
    every = ip_json(world, "-4", "neigh", "show", "nud", "all")
    assert v4["entries"] == len(every)
    assert v4["gc_counted"] == len([n for n in every if "PERMANENT" not in n["state"]])
    assert v4["states"]["permanent"] == 1 and v4["states"]["stale"] >= 1
    # -a shows what `nud all` shows
    allrows = [r for r in run_json(["routes", "neigh", "-a"], ns=world.name) if r.get("record") != "summary"]
    assert len(allrows) == len(ip_json(world, "neigh", "show", "nud", "all"))
    dev = [r for r in run_json(["routes", "neigh", "--to", "10.77.0.98/32"], ns=world.name)
           if r.get("record") != "summary"]
    assert [r["dst"] for r in dev] == ["10.77.0.98"]
    # --dev: ip's "neigh show dev DEV" (which leaves "dev" out)
    for name in ("veth0", "dum0"):
        ours = sorted((r["dst"], r["dev"], r.get("lladdr"), tuple(r["state"]))
                      for r in run_json(["routes", "neigh", "--dev", name], ns=world.name)
                      if r.get("record") != "summary")
        ip = sorted((n["dst"], name, n.get("lladdr"), tuple(n["state"]))
                    for n in ip_json(world, "neigh", "show", "dev", name))
        assert ours == ip and (ours or name != "veth0"), name


# ---- route get ----

GETS = [["10.77.0.5"], ["192.168.50.1"], ["192.168.50.1", "from", POLICY_SRC], ["8.8.8.8"],
        ["8.8.8.8", "from", POLICY_SRC], ["8.8.8.8", "oif", "dum0"], ["8.8.8.8", "mark", "5"],
        ["10.77.0.1"], ["172.20.1.1"], ["2001:db8:77::5"], ["2001:db8:99::1", "from", "2001:db8:77::1"]]


@pytest.mark.parametrize("q", GETS, ids=lambda q: " ".join(q))
def test_get_matches_ip_route_get(world, q):
    ip = ip_json(world, "route", "get", *q)[0]
    ours = run_json(["routes", "get"] + q, ns=world.name)
    assert len(ours) == 1
    o = ours[0]
    assert o["dst"] == ip["dst"] and o.get("gateway") == ip.get("gateway") and o["dev"] == ip["dev"]
    assert o.get("prefsrc") == ip.get("prefsrc")
    assert o["type"] == ip.get("type", "unicast")
    if o["family"] == "inet" and "table" in o:
        assert o["table"] == ip.get("table", "main")
    elif o["family"] == "inet":  # oif: the kernel answers without a table (0), ip prints none
        assert "table" not in ip and "oif" in q


def test_get_policy_source_leaves_by_the_other_nic(world):
    """The multi-NIC question: replies from the policy-routed address leave
    by dum0 (table 100), other replies by veth0 (main)."""
    text = run(["routes", "get", "8.8.8.8", "from", POLICY_SRC], ns=world.name).stdout
    assert f"replies to 8.8.8.8 leave by dum0 via 10.88.0.2 from {POLICY_SRC} (table 100)" in text
    assert "leave by veth0 via 10.77.0.2" in run(["routes", "get", "8.8.8.8"], ns=world.name).stdout


@pytest.mark.parametrize("mark,dev,table", [(None, "veth0", "main"), ("5", "dum0", "100")])
def test_get_input_path_with_iif(world, mark, dev, table):
    """A packet arriving on veth0: main sends it back out of veth0; with
    mark 5 the rule `fwmark 0x5/0xff iif veth0 lookup 100` sends it to dum0."""
    world.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    q = ["192.168.50.1", "from", "10.77.0.2", "iif", "veth0"] + (["mark", mark] if mark else [])
    try:
        ip = ip_json(world, "route", "get", *q)[0]
        o = run_json(["routes", "get"] + q, ns=world.name)[0]
        text = run(["routes", "get"] + q, ns=world.name).stdout
    finally:
        world.exec(["sysctl", "-qw", "net.ipv4.ip_forward=0"])
    assert (o["dev"], o.get("gateway"), o["table"], o["iif"]) == \
        (ip["dev"], ip.get("gateway"), ip.get("table", "main"), ip["iif"])
    assert (o["dev"], o["table"]) == (dev, table)
    assert f"arriving on veth0 for 192.168.50.1 are forwarded by {dev} via" in text


@pytest.mark.parametrize("q,errno_words,cause", [
    (["10.50.1.1"], "No route to host", "an unreachable route covers it"),
    (["10.61.0.1"], "Permission denied", "a prohibit route covers 10.61.0.1"),
    (["10.60.0.1"], "Invalid argument", "a blackhole route covers 10.60.0.1"),
    (["8.8.8.8", "from", "1.2.3.4"], "Network is unreachable", "1.2.3.4 is not an address of this host"),
    (["2001:db9::1"], "Network is unreachable", "network unreachable: no table the rules chose"),
    (["192.168.50.1", "from", "10.77.0.2", "iif", "veth0"], "No route to host", "forwarding is off"),
], ids=["unreachable", "prohibit", "blackhole", "foreign-src", "no-route6", "no-forwarding"])
def test_get_errors_are_ip_s_with_the_cause(world, q, errno_words, cause):
    ipr = world.exec(["ip", "route", "get"] + q, check=False)
    assert ipr.returncode != 0 and errno_words in ipr.stderr
    p = run(["routes", "get"] + q, ns=world.name, check=False)
    assert p.returncode == 1 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and cause in p.stderr
    j = run(["-j", "routes", "get"] + q, ns=world.name, check=False)
    assert j.returncode == 1 and cause in json.loads(j.stdout)["error"]


# ---- snapshot ----

@pytest.mark.sanitize
def test_from_snapshot_gives_the_live_output(world, tmp_path):
    snap = str(tmp_path / "snap")
    run(["snapshot", "-i", "0", "-o", snap], ns=world.name)
    for args in (["routes"], ["routes", "rules"], ["routes", "--table", "100"], ["routes", "--dev", "veth0"]):
        live = run(["-j"] + args, ns=world.name).stdout
        assert run(["-j"] + args + ["--from", snap]).stdout == live, args
        assert run(args + ["--from", snap]).stdout == run(args, ns=world.name).stdout, args
    # neighbours: the learned entry may age between the two reads; the rest is fixed
    rec = run_json(["routes", "neigh", "--from", snap])
    assert {r["dst"] for r in rec if r.get("record") != "summary"} >= {"10.77.0.99", "10.77.0.98", "10.77.0.2"}
    p = run(["routes", "get", "8.8.8.8", "--from", snap], check=False)
    assert p.returncode == 1 and "a snapshot cannot answer" in p.stderr and len(p.stderr.splitlines()) == 1


# ---- misuse ----

@pytest.mark.parametrize("args,words", [
    (["routes", "--table", "nosuch"], "no table named 'nosuch'"),
    (["routes", "--table", "12x"], "is not a table number"),
    (["routes", "--to", "10.0.0.300/8"], "is not a prefix"),
    (["routes", "get"], "give the destination"),
    (["routes", "get", "1.2.3"], "'1.2.3' is not an IPv4 or IPv6 address"),
    (["routes", "get", "1.2.3.4", "from"], "'from' needs a value"),
    (["routes", "get", "1.2.3.4", "mark", "x"], "mark 'x' is not a number"),
    (["routes", "get", "1.2.3.4", "from", "::1"], "different families"),
    (["routes", "get", "from", "1.2.3.4", "::1"], "different families"),
    (["routes", "frob"], "unknown subcommand 'frob'"),
    (["routes", "-4", "-6"], "contradict"),
    (["routes", "neigh", "--table", "main"], "--table selects routes and rules"),
])
def test_misuse_is_one_line_exit_2(netns, args, words):
    p = run(args, ns=netns.name, check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and words in p.stderr, p.stderr
    j = run(["-j"] + args, ns=netns.name, check=False)
    assert j.returncode == 2 and words in json.loads(j.stdout)["error"]


def test_unknown_device_is_named(netns):
    p = run(["routes", "--dev", "nosuch0"], ns=netns.name, check=False)
    assert p.returncode == 1 and "no interface named 'nosuch0'" in p.stderr
    p = run(["routes", "get", "127.0.0.1", "iif", "nosuch0"], ns=netns.name, check=False)
    assert p.returncode == 1 and "no interface named 'nosuch0'" in p.stderr


def test_table_names_from_rt_tables(world, tmp_path):
    (tmp_path / "rt_tables").write_text("# test\n100\tnlt_hundred\n")
    env = {"NETLENS_IPROUTE2_DIR": str(tmp_path), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    rows = run_json(["routes", "--table", "nlt_hundred"], ns=world.name, env=env)
    assert rows and all(r["table"] == "nlt_hundred" for r in rows)
    rules = run_json(["routes", "rules", "-4"], ns=world.name, env=env)
    assert any(u.get("table") == "nlt_hundred" for u in rules)
