"""Event-stream column widths: address columns are sized for IPv6 from the
first row when IPv6 peers are possible, so a long IPv6 address never shifts
a row out of its columns.

The tracer runs inside the test's namespace, so the namespace's addresses
decide; the event is the namespace's own connect to a closed port.
"""
import subprocess

from conftest import PY, wait_for, wrap_cmd
from trace_util import WORKLOAD

IPV6_ADDR_WIDTH = 39


def header_and_row(ns, *args):
    """The header and first event row of `tcpconnect -n 1 ARGS` run in ns."""
    p = ns.popen(wrap_cmd(["tcpconnect", "-n", "1", "--netns", f"/run/netns/{ns.name}"] + list(args)),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the banner is the tracer's first line on stderr, once attached
    wait_for(lambda: p.stderr.readline().startswith("Tracing") or p.poll() is not None,
             timeout=30, what="tcpconnect to attach")
    ns.exec([PY, WORKLOAD, "refuse", "--addr", "127.0.0.1", "--port", "9"], timeout=30)
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 0, out
    lines = out.splitlines()
    assert len(lines) == 2, out
    return lines


def column_width(header, title):
    """Width of column `title` in a header whose columns are separated by
    one space: from its first character to the next column's first."""
    start = header.index(title)
    nxt = start + len(title)
    while nxt < len(header) and header[nxt] == " ":
        nxt += 1
    return nxt - start - 1


def test_ipv4_only_namespace_keeps_narrow_columns(netns):
    header, row = header_and_row(netns)
    assert column_width(header, "RADDR") == 15
    assert row.split()[4] == "127.0.0.1"


def test_routable_ipv6_address_widens_from_the_first_row(netns):
    netns.exec(["ip", "link", "add", "nlv6a", "type", "veth", "peer", "name", "nlv6b"])
    netns.exec(["ip", "addr", "add", "2001:db8:ffff:ffff:ffff:ffff:ffff:1/64", "dev", "nlv6a", "nodad"])
    header, row = header_and_row(netns)
    assert column_width(header, "LADDR") == IPV6_ADDR_WIDTH
    assert column_width(header, "RADDR") == IPV6_ADDR_WIDTH
    # the row lines up with its header
    assert row.index("127.0.0.1") == header.index("LADDR")


def test_minus4_rules_ipv6_out(netns):
    netns.exec(["ip", "link", "add", "nlv6a", "type", "veth", "peer", "name", "nlv6b"])
    netns.exec(["ip", "addr", "add", "2001:db8::1/64", "dev", "nlv6a", "nodad"])
    header, _ = header_and_row(netns, "-4")
    assert column_width(header, "RADDR") == 15


def test_link_local_only_keeps_narrow_columns(netns):
    netns.exec(["ip", "link", "add", "nlv6a", "type", "veth", "peer", "name", "nlv6b"])
    netns.exec(["ip", "addr", "add", "fe80::1234/64", "dev", "nlv6a", "nodad"])
    header, _ = header_and_row(netns)
    assert column_width(header, "RADDR") == 15
