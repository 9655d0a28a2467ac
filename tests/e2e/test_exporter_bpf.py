"""netlens exporter's BPF collectors (tcp, drops): connects, failures,
resets and drops made in a test namespace are counted exactly, since the
collectors count only the namespace served (-N); histograms are valid
Prometheus histograms; a missing capability turns a BPF collector off
with one line naming it while the others serve."""
import os

import pytest

from conftest import PY, wait_for
from test_exporter import exporter_factory, promtool_check, samples, value  # noqa: F401

# n connects to a listener that accepts them, then all closed; m connects
# to a port nobody listens on (each refused by a reset)
WORKLOAD = r"""
import socket, sys
fam, host, n, m = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
l = socket.socket(af); l.bind((host, 0)); l.listen(128)
cs = [socket.create_connection((host, l.getsockname()[1])) for _ in range(n)]
ss = [l.accept()[0] for _ in range(n)]
for s in cs + ss:
    s.close()
closed = socket.socket(af); closed.bind((host, 0)); port = closed.getsockname()[1]; closed.close()
for _ in range(m):
    c = socket.socket(af)
    try:
        c.connect((host, port))
    except ConnectionRefusedError:
        pass
    c.close()
"""


def hist(s, name, **labels):
    """(buckets [(le, cumulative)], sum, count) of one histogram series."""
    b = sorted(((float(dict(k[1])["le"]), v) for k, v in s.items()
                if k[0] == name + "_bucket" and
                all(dict(k[1]).get(a) == x for a, x in labels.items())))
    return b, value(s, name + "_sum", **labels), value(s, name + "_count", **labels)


def check_hist(buckets, total, count):
    cums = [c for _, c in buckets]
    assert cums == sorted(cums), buckets  # cumulative
    assert buckets[-1][0] == float("inf") and buckets[-1][1] == count
    assert len(buckets) == 32
    assert (total > 0) == (count > 0)


@pytest.mark.threads
def test_tcp_collector_counts_the_namespace_exactly(netns, exporter_factory):
    e = exporter_factory(netns)
    netns.exec([PY, "-c", WORKLOAD, "4", "127.0.0.1", "7", "3"])
    netns.exec([PY, "-c", WORKLOAD, "6", "::1", "2", "1"])

    def settled():
        s = samples(e.metrics())
        return s if value(s, "netlens_tcp_smoothed_rtt_seconds_count", family="ipv6") >= 4 \
            else None
    s = wait_for(settled, timeout=20, what="the closes counted")
    # connect latency: one observation per connect that reached ESTABLISHED
    b4, sum4, n4 = hist(s, "netlens_tcp_connect_duration_seconds", family="ipv4")
    check_hist(b4, sum4, n4)
    assert n4 == 7
    assert 0 < sum4 < 7 * 1.0  # loopback handshakes, well under a second each
    assert hist(s, "netlens_tcp_connect_duration_seconds", family="ipv6")[2] == 2
    # smoothed RTT: both ends of every connection that was ESTABLISHED
    b, total, n = hist(s, "netlens_tcp_smoothed_rtt_seconds", family="ipv4")
    check_hist(b, total, n)
    assert n == 14
    assert value(s, "netlens_tcp_smoothed_rtt_seconds_count", family="ipv6") == 4
    # refused connects: failed, a reset sent for no socket, received in SYN_SENT
    assert value(s, "netlens_tcp_connect_failures_total", family="ipv4") == 3
    assert value(s, "netlens_tcp_connect_failures_total", family="ipv6") == 1
    assert value(s, "netlens_tcp_resets_sent_total", reason="NO_SOCKET") == 4
    assert value(s, "netlens_tcp_resets_received_total", state="SYN_SENT") == 4
    assert value(s, "netlens_tcp_retransmits_total", state="ESTABLISHED") == 0
    assert value(s, "netlens_bpf_runs_missed_total", collector="tcp") == 0
    assert value(s, "netlens_bpf_dropped_keys_total", collector="tcp") == 0
    promtool_check(e.metrics())


def test_drops_collector_counts_reasons(netns, exporter_factory):
    e = exporter_factory(netns)
    s0 = samples(e.metrics())
    assert value(s0, "netlens_scrape_collector_success", collector="drops") == 1
    # UDP to a closed port: each datagram dropped as NO_SOCKET
    netns.exec([PY, "-c", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "for _ in range(23): s.sendto(b'x' * 10, ('127.0.0.1', 9))"])

    def counted():
        s = samples(e.metrics())
        k = ("netlens_packet_drops_total", frozenset({("reason", "NO_SOCKET")}))
        return s if s.get(k, 0) >= 23 else None
    s = wait_for(counted, timeout=20, what="the drops counted")
    assert value(s, "netlens_packet_drops_total", reason="NO_SOCKET") == 23
    # skb->len at the drop: the UDP header and payload (the IP header pulled)
    assert value(s, "netlens_packet_drops_bytes_total", reason="NO_SOCKET") == 23 * 18
    assert value(s, "netlens_bpf_runs_missed_total", collector="drops") == 0


def test_other_namespaces_are_not_counted(netns_factory, exporter_factory):
    served, other = netns_factory(), netns_factory()
    e = exporter_factory(served)
    other.exec([PY, "-c", WORKLOAD, "4", "127.0.0.1", "5", "2"])
    served.exec([PY, "-c", WORKLOAD, "4", "127.0.0.1", "1", "0"])
    s = wait_for(lambda: (lambda s: s if value(s, "netlens_tcp_smoothed_rtt_seconds_count",
                                               family="ipv4") >= 2 else None)(
        samples(e.metrics())), timeout=20, what="the served namespace's connection")
    assert value(s, "netlens_tcp_connect_duration_seconds_count", family="ipv4") == 1
    assert value(s, "netlens_tcp_connect_failures_total", family="ipv4") == 0
    # --bpf.all-netns: the other namespace's connects count too
    e2 = exporter_factory(served, ["--bpf.all-netns"])
    other.exec([PY, "-c", WORKLOAD, "4", "127.0.0.1", "3", "0"])
    wait_for(lambda: value(samples(e2.metrics()), "netlens_tcp_connect_duration_seconds_count",
                           family="ipv4") >= 3, timeout=20, what="every namespace counted")


def test_missing_capability_turns_bpf_collectors_off(exporter_factory):
    # no CAP_SYS_ADMIN, CAP_BPF or CAP_PERFMON: the BPF collectors say so
    # and stay off; the state collectors serve
    # (root's capabilities after exec are its bounding set)
    e = exporter_factory(None, wrap=["setpriv", "--bounding-set=-sys_admin,-bpf,-perfmon"])
    s = samples(e.metrics())
    ok = {dict(k[1])["collector"]: v for k, v in s.items()
          if k[0] == "netlens_scrape_collector_success"}
    assert "tcp" not in ok and "drops" not in ok
    assert ok["sockets"] == 1 and ok["netdev"] == 1
    assert not any(k[0].startswith("netlens_tcp_") or k[0].startswith("netlens_bpf_")
                   for k in s)
    assert "tcp (off: could not start" in e.get("/")[2]
    rc, err = e.stop()
    assert rc == 0
    for c in ("tcp", "drops"):
        assert f"netlens: warning: collector {c} disabled: needs CAP_BPF to load BPF programs" \
            in err, err


def test_bpf_collectors_off_by_flag_load_nothing(netns, exporter_factory):
    e = exporter_factory(netns, ["--no-collector.tcp", "--no-collector.drops"])
    text = e.metrics()
    assert "netlens_tcp_" not in text and "netlens_bpf_" not in text
    links = fd_links(e.p.pid)
    assert not [x for x in links if "bpf-prog" in x or "bpf-link" in x], links
    # and with them on, their programs are loaded
    assert [x for x in fd_links(exporter_factory(netns).p.pid) if "bpf-prog" in x]


def fd_links(pid):
    """What each of a process's descriptors is (one closed meanwhile is skipped)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            pass
    return out


def test_systemd_units_capabilities_are_enough(exporter_factory):
    # deploy/netlens-exporter.service runs as a dynamic user with
    # AmbientCapabilities=...: the same user-less process (nobody) with
    # exactly those capabilities serves every collector, BPF ones included
    unit = os.path.join(os.path.dirname(__file__), "..", "..", "deploy",
                        "netlens-exporter.service")
    with open(unit) as f:
        caps = [line.split("=", 1)[1].split() for line in f
                if line.startswith("AmbientCapabilities=")][0]
    assert {"CAP_BPF", "CAP_PERFMON"} <= set(caps)
    spec = ",".join("+" + c[4:].lower() for c in caps)
    e = exporter_factory(None, wrap=["setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups", f"--inh-caps={spec}",
                                     f"--ambient-caps={spec}"])
    s = samples(e.metrics())
    ok = {dict(k[1])["collector"]: v for k, v in s.items()
          if k[0] == "netlens_scrape_collector_success"}
    assert ok == {c: 1 for c in ("sockets", "listeners", "netstat", "netdev", "softnet", "qdisc",
                                 "sockmem", "tables", "doctor", "tcp", "drops")}
    rc, err = e.stop()
    assert rc == 0 and "warning" not in err, err


@pytest.mark.threads
def test_qdisclat_collector_times_each_packet(netns_factory, exporter_factory):
    # off by default (it runs for every packet); on, an htb on the sender's
    # veth times each datagram sent across the quiet pair exactly once
    from txq_util import quiet_pair, send_udp
    a, b = quiet_pair(netns_factory)
    a.exec(["tc", "qdisc", "add", "dev", "veth0", "root", "handle", "2:", "htb", "default", "1"])
    a.exec(["tc", "class", "add", "dev", "veth0", "parent", "2:", "classid", "2:1", "htb", "rate",
            "1gbit"])
    assert "netlens_qdisc_latency" not in exporter_factory(a).metrics()
    e = exporter_factory(a, ["--collector.qdisclat"])
    send_udp(a, 40, rx=b)
    labels = dict(device="veth0", kind="htb", handle="2:0")
    s = wait_for(lambda: (lambda s: s if s.get(("netlens_qdisc_latency_seconds_count",
                                                 frozenset(labels.items())), 0) >= 40 else None)(
        samples(e.metrics())), timeout=20, what="40 packets timed")
    buckets, total, count = hist(s, "netlens_qdisc_latency_seconds", **labels)
    check_hist(buckets, total, count)
    assert count == 40
    # an idle veth hands each packet on at once: microseconds, not milliseconds
    assert total / count < 0.001
    assert value(s, "netlens_bpf_dropped_keys_total", collector="qdisclat") == 0
    promtool_check(e.metrics())


CONNECT_TO = r"""
import socket, sys
l = socket.socket(); l.bind(("0.0.0.0", 0)); l.listen(128); port = l.getsockname()[1]
closed = socket.socket(); closed.bind(("0.0.0.0", 0)); cport = closed.getsockname()[1]; closed.close()
for spec in sys.argv[1:]:
    host, n, bad = spec.split(":")
    for _ in range(int(n)):
        socket.create_connection((host, port)).close()
    for _ in range(int(bad)):
        try:
            socket.create_connection((host, cport))
        except ConnectionRefusedError:
            pass
"""


def test_per_remote_series_are_bounded_and_only_grow(netns, exporter_factory):
    e = exporter_factory(netns, ["--tcp.per-remote", "2"])
    assert "netlens_tcp_remote_" in e.metrics()  # the families, "other" only
    netns.exec([PY, "-c", CONNECT_TO, "127.0.0.2:3:1", "127.0.0.3:2:0", "127.0.0.4:1:0"])

    def remotes(fam):
        return {dict(k[1])["remote"]: v for k, v in samples(e.metrics()).items()
                if k[0] == fam}
    # the two busiest join; the rest is "other"
    assert remotes("netlens_tcp_remote_connects_total") == \
        {"127.0.0.2": 3, "127.0.0.3": 2, "other": 1}
    assert remotes("netlens_tcp_remote_connect_failures_total") == \
        {"127.0.0.2": 1, "127.0.0.3": 0, "other": 0}
    dur = remotes("netlens_tcp_remote_connect_duration_seconds_total")
    assert 0 < dur["127.0.0.2"] < 3 and 0 < dur["other"] < 1, dur
    # a busier newcomer does not displace a member: it is "other", which grows
    netns.exec([PY, "-c", CONNECT_TO, "127.0.0.5:5:0", "127.0.0.3:1:0"])
    assert remotes("netlens_tcp_remote_connects_total") == \
        {"127.0.0.2": 3, "127.0.0.3": 3, "other": 6}
    s = samples(e.metrics())
    assert value(s, "netlens_bpf_dropped_keys_total", collector="tcp") == 0
    promtool_check(e.metrics())
    # off by default
    assert "netlens_tcp_remote_" not in exporter_factory(netns).metrics()


def test_every_hook_loads_its_first_choice(netns, exporter_factory):
    # on this kernel every program is tp_btf (BPF_PROG_TYPE_TRACING, 26): a
    # program the verifier refuses falls back to raw_tp silently, which this
    # catches (tcp_send_reset's skb, NULL-able, once was)
    e = exporter_factory(netns, ["--collector.qdisclat"])
    types = []
    for fd in os.listdir(f"/proc/{e.p.pid}/fd"):
        try:
            if "bpf-prog" not in os.readlink(f"/proc/{e.p.pid}/fd/{fd}"):
                continue
            with open(f"/proc/{e.p.pid}/fdinfo/{fd}") as f:
                types += [int(line.split()[1]) for line in f if line.startswith("prog_type:")]
        except FileNotFoundError:
            pass
    assert len(types) >= 9 and set(types) == {26}, types
