"""netlens sysctl in a namespace: values as the kernel has them, patterns,
per-interface rp_filter/arp_filter with the value that applies."""
import pytest

from conftest import run, run_json


def rows(args, ns):
    return {r["name"]: r for r in run_json(["sysctl"] + args, ns=ns.name)}


@pytest.mark.sanitize
def test_values_and_per_interface(netns):
    netns.exec(["ip", "link", "add", "va", "type", "veth", "peer", "name", "v.1"])
    netns.exec(["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2"])
    netns.exec(["sysctl", "-qw", "net.ipv4.conf.va.rp_filter=1"])
    netns.exec(["sysctl", "-qw", "net.ipv4.conf.va.arp_filter=1"])
    netns.exec(["sysctl", "-qw", "net.core.somaxconn=777"])
    r = rows([], netns)
    for name in ("net.core.somaxconn", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog",
                 "net.ipv4.ip_local_port_range", "net.ipv4.tcp_congestion_control",
                 "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.arp_filter"):
        want = " ".join(netns.exec(["sysctl", "-n", name]).stdout.split())
        assert r[name]["value"] == want, name
        assert r[name]["meaning"]
    assert r["net.core.somaxconn"]["value"] == "777"
    assert r["net.ipv4.conf.va.rp_filter"]["value"] == "1"
    assert r["net.ipv4.conf.va.rp_filter"]["effective"] == 2  # max(all=2, va=1)
    assert r["net.ipv4.conf.va.arp_filter"]["effective"] == 1
    assert r["net.ipv4.conf.lo.arp_filter"]["effective"] == 0
    # a dot in an interface name is '/' in dotted notation, as sysctl(8) writes it
    assert r["net.ipv4.conf.v/1.rp_filter"]["effective"] == 2


def test_patterns(netns):
    r = rows(["*.rp_filter"], netns)
    assert set(r) >= {"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter",
                      "net.ipv4.conf.lo.rp_filter"}
    assert all(n.endswith(".rp_filter") for n in r)
    r = rows(["net.core.*", "net.ipv4.tcp_syncookies"], netns)
    assert "net.ipv4.tcp_syncookies" in r and "net.core.somaxconn" in r
    assert all(n.startswith("net.core.") or n == "net.ipv4.tcp_syncookies" for n in r)
    # host-wide settings (tcp_mem) exist only in the initial namespace
    assert "net.ipv4.tcp_mem" not in rows([], netns)
    assert "net.ipv4.tcp_mem" in {r["name"] for r in run_json(["sysctl", "net.ipv4.tcp_mem"])}
    text = run(["sysctl", "-w", "net.core.somaxconn"], ns=netns.name).stdout
    assert "TUNE" in text and "ListenOverflows" in text


def test_errors(netns):
    p = run(["sysctl", "net.nothing.*"], ns=netns.name, check=False)
    assert p.returncode == 1 and p.stdout == "" and len(p.stderr.strip().splitlines()) == 1
    assert run(["sysctl", "--bogus"], check=False).returncode == 2
