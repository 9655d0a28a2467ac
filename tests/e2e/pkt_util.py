"""Helpers for the packet tracers' tests (superping, ipecn): two namespaces
joined by veth with IPv4 and IPv6 addresses and permanent neighbour entries,
so no packet waits for address resolution and leaves later from a softirq
(where its sender is unknown)."""
import re

from conftest import veth_pair


def _mac(ns):
    out = ns.exec(["cat", "/sys/class/net/veth0/address"]).stdout.strip()
    assert re.fullmatch(r"[0-9a-f:]{17}", out), out
    return out


def linked_pair(netns_factory, a4, b4, a6, b6):
    """Namespaces a and b, veth0 in each: a4/24 and a6/64 on a's, b4 and b6
    on b's (IPv6 without duplicate address detection)."""
    a, b = netns_factory(), netns_factory()
    veth_pair(a, b, f"{a4}/24", f"{b4}/24")
    a.exec(["ip", "addr", "add", f"{a6}/64", "dev", "veth0", "nodad"])
    b.exec(["ip", "addr", "add", f"{b6}/64", "dev", "veth0", "nodad"])
    ma, mb = _mac(a), _mac(b)
    for ns, peer4, peer6, mac in ((a, b4, b6, mb), (b, a4, a6, ma)):
        for addr in (peer4, peer6):
            ns.exec(["ip", "neigh", "replace", addr, "lladdr", mac, "dev", "veth0",
                     "nud", "permanent"])
    return a, b
