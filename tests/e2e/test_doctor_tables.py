"""netlens doctor, area tables: the conntrack table against nf_conntrack_max
and its drop counters, and the neighbour tables against gc_thresh3.

Both limits are host-wide (a namespace cannot lower them: nf_conntrack_max
is read-only outside the initial namespace, and the neighbour tables and
their gc_thresh* are not even visible there), so the conditions are built on
snapshots of a real namespace, edited with snapedit.py."""
import json
import os
import subprocess

import pytest

from conftest import NETLENS, run, veth_pair
from snapedit import Snapshot

CT_STAT = "/proc/net/stat/nf_conntrack"
CT_HEAD = ("entries  clashres found new invalid ignore delete chainlength insert insert_failed drop "
           "early_drop icmp_error  expect_new expect_create expect_delete search_restart\n")
ARP_STAT = "/proc/net/stat/arp_cache"
ARP_HEAD = ("entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast "
            "rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls\n")


def doctor(args=(), ns=None):
    p = run(["-j", "doctor", "-i", "0"] + list(args), ns=ns, check=False)
    assert p.returncode in (0, 1, 2), p.stderr
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    return [r for r in rows if "id" in r], rows[-1]["summary"], p.returncode


def only(findings, id):
    got = [f for f in findings if f["id"] == id]
    assert len(got) == 1, f"want one {id} in {[f['id'] for f in findings]}"
    return got[0]


def ids(findings):
    return [f["id"] for f in findings]


def values(f):
    return {e["value"]: e["source"] for e in f["evidence"]}


def stat_table(head, rows):
    """A /proc/net/stat table: rows of {column: value} per CPU."""
    names = head.split()
    return head + "".join(" ".join("%08x" % r.get(n, 0) for n in names) + "\n" for r in rows)


def snapshot(ns, path):
    """A two-sample snapshot of namespace ns."""
    run(["snapshot", "-o", path, "-i", "0.2"], ns=ns.name)
    return Snapshot.load(path)


# ---- conntrack-full ----

needs_conntrack = pytest.mark.skipif(not os.path.exists("/proc/sys/net/netfilter/nf_conntrack_max"),
                                     reason="nf_conntrack is not loaded")


@needs_conntrack
@pytest.mark.sanitize
def test_conntrack_near_max_and_dropping(netns, tmp_path):
    base = str(tmp_path / "base.nlsnap")
    s = snapshot(netns, base)
    assert s.get_file(CT_STAT, 0).startswith("entries")  # recorded by snapshot
    s.set_file("/proc/sys/net/netfilter/nf_conntrack_max", "65536\n")
    s.set_file("/proc/sys/net/netfilter/nf_conntrack_buckets", "65536\n")
    s.set_file("/proc/sys/net/netfilter/nf_conntrack_count", "64000\n", sample=1)
    s.set_file(CT_STAT, stat_table(CT_HEAD, [{"entries": 60000, "drop": 7, "early_drop": 100},
                                             {"entries": 60000, "drop": 1}]), sample=0)
    s.set_file(CT_STAT, stat_table(CT_HEAD, [{"entries": 64000, "drop": 17, "early_drop": 400,
                                              "insert_failed": 2},
                                             {"entries": 64000, "drop": 12}]), sample=1)
    snap = str(tmp_path / "full.nlsnap")
    s.save(snap)
    findings, summary, rc = doctor(["--from", snap])
    f = only(findings, "conntrack-full")
    assert f["severity"] == "critical" and f["area"] == "tables" and rc == 2
    assert f["summary"].startswith("the conntrack table is full: 21 new connections dropped in 0.2 s "
                                   "(64000 of 65536 entries)")
    ev = values(f)
    assert ev["net.netfilter.nf_conntrack_count = 64000"] == "/proc/sys/net/netfilter/nf_conntrack_count"
    assert "net.netfilter.nf_conntrack_max = 65536 (97.7% used)" in ev
    assert any(v.startswith("drop +21, early_drop +300, insert_failed +2 in 0.2 s") and src == CT_STAT
               for v, src in ev.items())
    assert f["values"]["drops"] == 21 and f["values"]["early_drops"] == 300
    assert "net.netfilter.nf_conntrack_max=131072" in f["fix"]
    assert "nf_conntrack_tcp_timeout_established" in f["fix"]


@needs_conntrack
def test_conntrack_levels(netns, tmp_path):
    base = str(tmp_path / "base.nlsnap")
    s = snapshot(netns, base)
    max_ = int(s.get_file("/proc/sys/net/netfilter/nf_conntrack_max", 1))
    path = str(tmp_path / "x.nlsnap")

    def at(count, warn=None):
        s.set_file("/proc/sys/net/netfilter/nf_conntrack_count", f"{count}\n", sample=1)
        s.save(path)
        return doctor(["--from", path] + (["--set", f"conntrack-full.warning_pct={warn}"] if warn else []))

    # 85%: warning; 96%: critical; 50%: nothing, unless the threshold says so
    f = only(at(max_ * 85 // 100)[0], "conntrack-full")
    assert f["severity"] == "warning" and f["summary"].startswith("the conntrack table is 85% full")
    assert only(at(max_ * 96 // 100)[0], "conntrack-full")["severity"] == "critical"
    assert "conntrack-full" not in ids(at(max_ // 2)[0])
    assert only(at(max_ // 2, warn=40)[0], "conntrack-full")["severity"] == "warning"

    # insert_failed alone: clashes, a warning with its own advice
    s.set_file("/proc/sys/net/netfilter/nf_conntrack_count", "10\n", sample=1)
    s.set_file(CT_STAT, stat_table(CT_HEAD, [{"entries": 10}]), sample=0)
    s.set_file(CT_STAT, stat_table(CT_HEAD, [{"entries": 10, "insert_failed": 5}]), sample=1)
    s.save(path)
    f = only(doctor(["--from", path])[0], "conntrack-full")
    assert f["severity"] == "warning" and f["summary"].startswith("conntrack insertions failed 5 times")
    assert "single-request-reopen" in f["fix"]


@needs_conntrack
def test_conntrack_module_absent_is_silent(netns, tmp_path):
    s = snapshot(netns, str(tmp_path / "base.nlsnap"))
    s.records = [r for r in s.records if not r[2].startswith(b"/proc/sys/net/netfilter/")
                 and r[2] != CT_STAT.encode()]
    path = str(tmp_path / "noct.nlsnap")
    s.save(path)
    findings, summary, rc = doctor(["--from", path, "--only", "conntrack-full"])
    assert findings == [] and rc == 0 and summary["skipped"] == []


# ---- neigh-table-full ----

def neighbours(ns, n, permanent=1):
    """n entries the kernel counts (stale, with a MAC), and some permanent ones."""
    for i in range(n):
        ns.exec(["ip", "neigh", "add", f"10.199.0.{20 + i}", "lladdr", f"02:00:00:00:01:{i:02x}",
                 "dev", "veth0", "nud", "stale"])
    for i in range(permanent):
        ns.exec(["ip", "neigh", "add", f"10.199.0.{200 + i}", "lladdr", f"02:00:00:00:02:{i:02x}",
                 "dev", "veth0", "nud", "permanent"])


def with_thresholds(s, t1, t2, t3):
    for i, t in enumerate((t1, t2, t3), 1):
        s.set_file(f"/proc/sys/net/ipv4/neigh/default/gc_thresh{i}", f"{t}\n")


def test_neigh_tables_not_visible_in_a_namespace(netns):
    # gc_thresh* belong to the initial namespace only: the rule says why it skips
    assert netns.exec(["test", "-e", "/proc/sys/net/ipv4/neigh/default/gc_thresh3"],
                      check=False).returncode != 0
    findings, summary, rc = doctor(["--only", "neigh-table-full"], ns=netns.name)
    assert findings == [] and rc == 0
    assert [s["id"] for s in summary["skipped"]] == ["neigh-table-full"]
    assert "initial network namespace" in summary["skipped"][0]["why"]


@pytest.mark.sanitize
def test_neigh_table_near_gc_thresh3(netns, netns_factory, tmp_path):
    veth_pair(netns, netns_factory())
    neighbours(netns, 10, permanent=2)
    s = snapshot(netns, str(tmp_path / "base.nlsnap"))
    path = str(tmp_path / "n.nlsnap")

    # 10 counted entries (the 2 permanent ones are exempt) against 12: 83%, a warning
    with_thresholds(s, 4, 6, 12)
    s.save(path)
    findings, summary, rc = doctor(["--from", path])
    f = only(findings, "neigh-table-full")
    assert f["severity"] == "warning" and rc == 1 and f["area"] == "tables"
    assert f["summary"] == "the ARP neighbour table is 83% full: 10 entries against gc_thresh3 12"
    ev = values(f)
    assert any(v.startswith("ipv4: 10 entries counted against the limit (12 in all: 2 permanent, ")
               and src == "RTM_GETNEIGH" for v, src in ev.items())
    assert ev["net.ipv4.neigh.default.gc_thresh3 = 12"] == "/proc/sys/net/ipv4/neigh/default/gc_thresh3"
    assert "net.ipv4.neigh.default.gc_thresh3=48" in f["fix"]
    assert f["values"]["entries"] == 10 and f["values"]["gc_thresh3"] == 12

    # at the limit (8): critical
    with_thresholds(s, 2, 4, 8)
    s.save(path)
    f = only(doctor(["--from", path])[0], "neigh-table-full")
    assert f["severity"] == "critical" and "125% full" in f["summary"]

    # a roomy limit, but the kernel counted table overflows between the samples
    with_thresholds(s, 128, 512, 1024)
    s.set_file(ARP_STAT, stat_table(ARP_HEAD, [{"entries": 40, "table_fulls": 1}, {"entries": 40}]), sample=0)
    s.set_file(ARP_STAT, stat_table(ARP_HEAD, [{"entries": 41, "table_fulls": 3},
                                               {"entries": 41, "table_fulls": 2}]), sample=1)
    s.save(path)
    findings, _, rc = doctor(["--from", path])
    f = only(findings, "neigh-table-full")
    assert f["severity"] == "critical" and rc == 2
    assert f["summary"].startswith("the ARP neighbour table overflowed 4 times in 0.2 s")
    assert values(f)["entries 41 (every namespace, permanent included), table_fulls +4 in 0.2 s"] == ARP_STAT

    # and without overflows, 10 of 1024 is nothing
    s.set_file(ARP_STAT, stat_table(ARP_HEAD, [{"entries": 41}, {"entries": 41}]))
    s.save(path)
    assert "neigh-table-full" not in ids(doctor(["--from", path])[0])


@pytest.mark.sanitize
def test_clean_namespace_no_table_findings(netns):
    findings, summary, rc = doctor(["--only", "tables"], ns=netns.name)
    assert findings == [] and rc == 0
