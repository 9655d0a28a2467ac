"""netlens ifstat -d/-k/--bql, the fq_codel/fq extended statistics of
--qdisc, and the TSQ/default_qdisc settings of sysctl, each against the
reference tool (ethtool, sysfs, tc, sysctl) on the same state in fresh
namespaces, and the same views from a snapshot."""
import json
import os
import subprocess

import pytest

from conftest import run, run_json, veth_pair, wait_for

DRVINFO_KEYS = {
    "driver": "driver", "version": "version", "firmware-version": "firmware_version",
    "expansion-rom-version": "expansion_rom_version", "bus-info": "bus_info",
}
SUPPORTS = {
    "supports-statistics": "supports_statistics", "supports-test": "supports_test",
    "supports-eeprom-access": "supports_eeprom_access",
    "supports-register-dump": "supports_register_dump",
    "supports-priv-flags": "supports_priv_flags",
}
BQL_FILES = ("limit", "limit_min", "limit_max", "inflight", "hold_time",
             "stall_thrs", "stall_max", "stall_cnt")


def ethtool(ns, *args, check=True):
    return ns.exec(["ethtool", *args], check=check)


def offloads(ns, dev, env=None, extra=()):
    rows = run_json(["ifstat", "-k", *extra, dev], ns=ns.name, env=env)
    assert rows and all(r["ifname"] == dev for r in rows)
    return rows


def as_ethtool_text(rows):
    """netlens -j ifstat -k rows written as `ethtool -k` writes its lines."""
    out = []
    for r in rows:
        mark = ""
        if "kernel_name" in r:
            if r["fixed"]:
                mark = " [fixed]"
            elif r["active"] != r["requested"]:
                mark = " [requested on]" if r["requested"] else " [requested off]"
        out.append(("\t" if "group" in r else "") + f"{r['feature']}: "
                   + ("on" if r["active"] else "off") + mark)
    return out


def check_offloads_equal_ethtool(ns, dev, rows):
    text = ethtool(ns, "-k", dev).stdout.splitlines()
    assert text[0] == f"Features for {dev}:"
    assert as_ethtool_text(rows) == text[1:]
    ref = json.loads(ethtool(ns, "--json", "-k", dev).stdout)[0]
    mine = {r["feature"]: r for r in rows}
    assert set(mine) == set(ref) - {"ifname"}
    for name, want in ref.items():
        if name == "ifname":
            continue
        got = mine[name]
        assert got["active"] == want["active"], name
        if want["fixed"] is None:        # a legacy flag standing for several
            assert "fixed" not in got and "kernel_name" not in got, name
        else:
            assert (got["fixed"], got["requested"]) == (want["fixed"], want["requested"]), name


@pytest.fixture
def pair(netns_factory):
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b)
    return a, b


@pytest.mark.sanitize
def test_driver_info_equals_ethtool_i(pair):
    a, _ = pair
    rows = run_json(["ifstat", "-d"], ns=a.name)
    by = {r["ifname"]: r for r in rows}
    assert set(by) == {"lo", "veth0"}
    ref = {}
    for line in ethtool(a, "-i", "veth0").stdout.splitlines():
        k, _, v = line.partition(":")
        ref[k] = v.strip()
    v = by["veth0"]
    assert v["supported"] is True
    for k, key in DRVINFO_KEYS.items():
        assert v[key] == ref[k], k
    for k, key in SUPPORTS.items():
        assert v[key] == (ref[k] == "yes"), k
    assert v["driver"] == "veth"
    # loopback has no driver information: ethtool says so, and so does netlens
    lo = ethtool(a, "-i", "lo", check=False)
    assert lo.returncode != 0 and "not supported" in lo.stderr
    assert by["lo"]["supported"] is False and "driver" not in by["lo"]
    text = run(["ifstat", "-d", "lo"], ns=a.name).stdout
    assert "no driver information" in text


@pytest.mark.sanitize
def test_offloads_equal_ethtool_k_and_follow_changes(pair):
    a, _ = pair
    for dev in ("veth0", "lo"):
        rows = offloads(a, dev)
        assert {r["via"] for r in rows} == {"netlink"}
        check_offloads_equal_ethtool(a, dev, rows)
    # flip changeable features and compare again
    before = {r["feature"]: r["active"] for r in offloads(a, "veth0")}
    gro = "on" if not before["generic-receive-offload"] else "off"
    ethtool(a, "-K", "veth0", "gro", gro, "tso", "off")
    rows = wait_for(lambda: (r := offloads(a, "veth0")) and
                    {x["feature"]: x for x in r}["generic-receive-offload"]["active"] == (gro == "on") and r,
                    what="gro to change")
    by = {r["feature"]: r for r in rows}
    assert by["generic-receive-offload"]["requested"] == (gro == "on")
    assert by["tcp-segmentation-offload"]["active"] is False
    check_offloads_equal_ethtool(a, "veth0", rows)


def test_offloads_ioctl_fallback_equals_netlink(pair):
    a, _ = pair
    ethtool(a, "-K", "veth0", "tx-checksum-sctp", "off")
    env = dict(os.environ, NETLENS_ETHTOOL_IOCTL="1")
    for dev in ("veth0", "lo"):
        nl = offloads(a, dev)
        io = offloads(a, dev, env=env)
        assert {r["via"] for r in io} == {"ioctl"}
        strip = lambda rows: [{k: v for k, v in r.items() if k != "via"} for r in rows]
        assert strip(io) == strip(nl)
        check_offloads_equal_ethtool(a, dev, io)


def sysfs_bql(ns, dev, q):
    d = f"/sys/class/net/{dev}/queues/tx-{q}/byte_queue_limits"
    out = ns.exec(["sh", "-c", f"cd {d} && for f in *; do echo $f $(cat $f); done"]).stdout
    return {k: int(v) for k, v in (l.split() for l in out.splitlines())}


@pytest.mark.sanitize
def test_bql_equals_sysfs_and_absent_on_veth_and_lo(pair):
    a, _ = pair
    # ifb accounts bytes per queue (veth and loopback are LLTX: no BQL)
    a.exec(["ip", "link", "add", "ifbq", "numtxqueues", "3", "type", "ifb"])
    a.exec(["ip", "link", "set", "ifbq", "up"])
    d = "/sys/class/net/ifbq/queues/tx-1/byte_queue_limits"
    a.exec(["sh", "-c", f"echo 3000 > {d}/limit_min && echo 500000 > {d}/limit_max "
                        f"&& echo 250 > {d}/hold_time"])
    rows = run_json(["ifstat", "--bql"], ns=a.name)
    by = {}
    for r in rows:
        by.setdefault(r["ifname"], []).append(r)
    assert [r["bql"] for r in by["lo"]] == [False]
    assert [r["bql"] for r in by["veth0"]] == [False]
    assert not a.exec(["test", "-d", "/sys/class/net/veth0/queues/tx-0/byte_queue_limits"],
                      check=False).returncode == 0
    q = by["ifbq"]
    assert [r["queue"] for r in q] == [0, 1, 2]
    for r in q:
        ref = sysfs_bql(a, "ifbq", r["queue"])
        assert set(ref) <= set(BQL_FILES)
        assert {k: r[k] for k in ref} == ref
    # hold_time is kept in jiffies: the file, not the value written, is the reference
    assert (q[1]["limit_min"], q[1]["limit_max"]) == (3000, 500000)
    assert q[1]["hold_time"] == sysfs_bql(a, "ifbq", 1)["hold_time"] != q[0]["hold_time"]
    text = run(["ifstat", "--bql", "veth0"], ns=a.name).stdout
    assert "no byte queue limits" in text


def test_bql_interval_rows_carry_time(pair):
    a, _ = pair
    a.exec(["ip", "link", "add", "ifbq", "type", "ifb"])
    rows = run_json(["ifstat", "--bql", "-i", "0.1", "-n", "2", "ifbq"], ns=a.name)
    assert len(rows) == 2 and all("time" in r and r["queue"] == 0 for r in rows)


def test_settings_views_refuse_interval(pair):
    a, _ = pair
    for opt in ("-d", "-k"):
        p = run(["ifstat", opt, "-i", "1"], ns=a.name, check=False)
        assert p.returncode == 2 and "drop -i" in p.stderr and len(p.stderr.splitlines()) == 1


def test_sysctl_tsq_and_default_qdisc(pair):
    a, _ = pair
    tsq = "net.ipv4.tcp_limit_output_bytes"
    a.exec(["sysctl", "-qw", f"{tsq}=262144"])
    row = run_json(["sysctl", tsq], ns=a.name)
    assert len(row) == 1 and row[0]["value"] == "262144" == a.exec(["sysctl", "-n", tsq]).stdout.strip()
    assert row[0]["meaning"].startswith("TCP small queues")
    # default_qdisc exists in the initial namespace only
    dq = "net.core.default_qdisc"
    row = run_json(["sysctl", dq])
    ref = subprocess.run(["sysctl", "-n", dq], capture_output=True, text=True, check=True).stdout.strip()
    assert len(row) == 1 and row[0]["value"] == ref and row[0]["meaning"]


def qdisc_or_skip(ns, kind):
    p = ns.exec(["tc", "qdisc", "replace", "dev", "veth0", "root", kind], check=False)
    if p.returncode != 0:
        pytest.skip(f"this kernel has no {kind} qdisc ({p.stderr.strip()}); "
                    "the parser is covered by tests/unit/test_ethnl.c")


@pytest.mark.parametrize("kind,keys", [
    ("fq_codel", ("maxpacket", "drop_overlimit", "new_flow_count", "ecn_mark",
                  "new_flows_len", "old_flows_len")),
    ("fq", ("flows", "inactive", "gc", "highprio", "flows_plimit")),
])
def test_qdisc_xstats_equal_tc(pair, kind, keys):
    a, _ = pair
    qdisc_or_skip(a, kind)
    a.exec(["ping", "-c", "20", "-i", "0.01", "-q", "10.199.0.2"], check=False)
    tc = [q for q in json.loads(a.exec(["tc", "-s", "-j", "qdisc", "show", "dev", "veth0"]).stdout)
          if q["kind"] == kind][0]
    mine = [r for r in run_json(["ifstat", "--qdisc", "veth0"], ns=a.name) if r["kind"] == kind][0]
    assert mine["packets"] == tc["packets"]
    for k in keys:
        if k in tc:
            assert mine[k] == tc[k], k


@pytest.mark.sanitize
def test_snapshot_equals_live(pair, tmp_path):
    a, _ = pair
    a.exec(["ip", "link", "add", "ifbq", "numtxqueues", "2", "type", "ifb"])
    ethtool(a, "-K", "veth0", "tso", "off")
    snap = str(tmp_path / "s.snap")
    run(["snapshot", "-o", snap], ns=a.name)
    for view in (["-k"], ["--bql"], ["-d"]):
        live = run_json(["ifstat", *view], ns=a.name)
        rec = run_json(["ifstat", *view, "--from", snap])
        assert rec == live, view
    # -d: veth's driver from the snapshot, lo's "none" too (text as live)
    assert run(["ifstat", "-d", "--from", snap]).stdout == \
        run(["ifstat", "-d"], ns=a.name).stdout
    # ring sizes and driver statistics are still not recorded: one line
    p = run(["ifstat", "--ring", "--from", snap], check=False)
    assert p.returncode == 1 and "not record" in p.stderr and len(p.stderr.splitlines()) == 1
    pj = run(["-j", "ifstat", "--ring", "--from", snap], check=False)
    assert pj.returncode == 1 and "error" in json.loads(pj.stdout)
