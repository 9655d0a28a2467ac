"""Edits the RTM_GETLINK dump inside a netlens snapshot (snapedit.Snapshot),
so tests can give a real recording NIC errors a namespace cannot make:

    s = Snapshot.load(path)
    patch_link_stats(s, "veth0", {"rx_missed_errors": 500}, sample=1)   # adds
    set_link_u32(s, "veth0", IFLA_CARRIER_DOWN_COUNT, 40)
    s.save(path)

It walks the nlmsghdr messages of the recorded dump, finds the RTM_NEWLINK
whose IFLA_IFNAME is the name, and rewrites fields of its IFLA_STATS64
(struct rtnl_link_stats64, u64 each) and, in step, of the 32-bit IFLA_STATS
(struct rtnl_link_stats, same order), in place: lengths never change.
"""
import struct

from snapedit import NLDUMP

NETLINK_ROUTE, RTM_NEWLINK, RTM_GETLINK = 0, 16, 18
NLMSG_DONE = 3
IFLA_IFNAME, IFLA_STATS, IFLA_STATS64 = 3, 7, 23
IFLA_CARRIER_CHANGES, IFLA_CARRIER_UP_COUNT, IFLA_CARRIER_DOWN_COUNT = 35, 47, 48
IFINFOMSG_LEN = 16

# struct rtnl_link_stats64 (linux/if_link.h), in order
STATS_FIELDS = [
    "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
    "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
    "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
    "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
    "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
    "rx_nohandler", "rx_otherhost_dropped",
]


def link_key():
    """snap_dump_key() of the link dump: u32 protocol, u16 type, u8 family, u8 sub."""
    return struct.pack("<IHBB", NETLINK_ROUTE, RTM_GETLINK, 0, 0)


def _align4(n):
    return (n + 3) & ~3


def link_attrs(data, name):
    """{type: (offset, payload_len)} of the top-level attributes of link NAME
    in the dump bytes; KeyError when no such link."""
    off = 0
    while off + 16 <= len(data):
        mlen, mtype = struct.unpack_from("<IH", data, off)
        if mlen < 16 or off + mlen > len(data):
            raise ValueError(f"bad nlmsghdr at {off}")
        if mtype == RTM_NEWLINK:
            attrs, a = {}, off + 16 + IFINFOMSG_LEN
            while a + 4 <= off + mlen:
                alen, atype = struct.unpack_from("<HH", data, a)
                if alen < 4 or a + alen > off + mlen:
                    raise ValueError(f"bad attribute at {a}")
                attrs[atype & 0x3FFF] = (a + 4, alen - 4)
                a += _align4(alen)
            o, n = attrs.get(IFLA_IFNAME, (0, 0))
            if n and data[o:o + n].split(b"\0")[0].decode() == name:
                return attrs
        elif mtype == NLMSG_DONE:
            break
        off += _align4(mlen)
    raise KeyError(name)


def _dump_records(snap, sample):
    recs = [r for r in snap.records if r[0] == NLDUMP and r[2] == link_key()
            and (sample is None or r[1] == sample)]
    assert recs, "no RTM_GETLINK dump in the snapshot"
    return recs


def get_link_stats(snap, name, sample=0):
    """The IFLA_STATS64 of link NAME as a dict."""
    data = _dump_records(snap, sample)[0][3]
    o, n = link_attrs(data, name)[IFLA_STATS64]
    k = min(n // 8, len(STATS_FIELDS))
    return dict(zip(STATS_FIELDS, struct.unpack_from(f"<{k}Q", data, o)))


def patch_link_stats(snap, name, add=None, set=None, sample=1):
    """Adds add[field] to (or sets set[field] as) counters of link NAME in the
    given sample (None: every sample)."""
    add, set = add or {}, set or {}
    for rec in _dump_records(snap, sample):
        data = bytearray(rec[3])
        attrs = link_attrs(bytes(data), name)
        for attr, fmt, size in ((IFLA_STATS64, "<Q", 8), (IFLA_STATS, "<I", 4)):
            if attr not in attrs:
                continue
            o, n = attrs[attr]
            for field in list(add) + list(set):
                i = STATS_FIELDS.index(field)
                if (i + 1) * size > n:
                    continue
                (v,) = struct.unpack_from(fmt, data, o + i * size)
                v = set[field] if field in set else v + add[field]
                struct.pack_into(fmt, data, o + i * size, v & ((1 << (8 * size)) - 1))
        rec[3] = bytes(data)


def set_link_u32(snap, name, attr, value, sample=None):
    """Sets a u32 attribute (IFLA_CARRIER_DOWN_COUNT, ...) of link NAME."""
    for rec in _dump_records(snap, sample):
        data = bytearray(rec[3])
        o, n = link_attrs(bytes(data), name)[attr]
        assert n >= 4
        struct.pack_into("<I", data, o, value)
        rec[3] = bytes(data)
