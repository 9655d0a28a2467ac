"""Reads, edits and writes netlens snapshot files (src/sources/snapshot.h),
so tests can build host-wide conditions a namespace cannot hold (tcp_mem
pressure, softnet drops, NIC errors, conntrack) on top of a real recording.

    s = Snapshot.load(path)
    s.set_file("/proc/net/protocols", text, sample=1)
    s.edit_file("/proc/net/netstat", lambda t: t.replace(...), sample=1)
    s.save(path2)
"""
import struct

MAGIC = b"NLSNAP\r\n"
FILE, NLDUMP, META, END = 1, 2, 3, 0x454E4421
M64 = (1 << 64) - 1


def _mix(h, v):
    h ^= (v * 0x9E3779B97F4A7C15) & M64
    h = ((((h << 27) | (h >> 37)) & M64) * 0xFF51AFD7ED558CCD) & M64
    return h ^ (h >> 29)


def fingerprint(data):
    """base/fingerprint.h, in Python."""
    h = 0x6E65746C656E73
    n8 = len(data) // 8 * 8
    for (v,) in struct.iter_unpack("<Q", data[:n8]):
        h = _mix(h, v)
    for b in data[n8:]:
        h = _mix(h, b)
    return _mix(h, len(data))


class Snapshot:
    def __init__(self, created, records):
        self.created = created
        self.records = records  # [kind, sample, key(bytes), data(bytes)]

    @classmethod
    def load(cls, path):
        b = open(path, "rb").read()
        assert b[:8] == MAGIC, "not a snapshot"
        version, hlen, created = struct.unpack_from("<IIQ", b, 8)
        assert version == 1 and hlen == 24
        off, recs = 24, []
        while True:
            kind, sample, klen, dlen = struct.unpack_from("<IIII", b, off)
            key = b[off + 16:off + 16 + klen]
            data = b[off + 16 + klen:off + 16 + klen + dlen]
            if kind == END:
                break
            recs.append([kind, sample, key, data])
            off += 16 + (klen + dlen + 7) // 8 * 8
        return cls(created, recs)

    def get_file(self, path, sample=0):
        for k, s, key, data in self.records:
            if k == FILE and s == sample and key == path.encode():
                return data.decode()
        return None

    def set_file(self, path, text, sample=None):
        """Replaces (or adds) a file in one sample, or in every sample."""
        samples = [sample] if sample is not None else sorted({r[1] for r in self.records})
        for s in samples:
            for r in self.records:
                if r[0] == FILE and r[1] == s and r[2] == path.encode():
                    r[3] = text.encode()
                    break
            else:
                self.records.append([FILE, s, path.encode(), text.encode()])

    def del_files(self, prefix):
        """Removes every recorded file whose path starts with prefix."""
        self.records = [r for r in self.records if not (r[0] == FILE and r[2].startswith(prefix.encode()))]

    def edit_file(self, path, fn, sample=None):
        samples = [sample] if sample is not None else sorted({r[1] for r in self.records})
        for s in samples:
            self.set_file(path, fn(self.get_file(path, s)), s)

    def save(self, path):
        out = bytearray(MAGIC + struct.pack("<IIQ", 1, 24, self.created))
        for kind, sample, key, data in self.records:
            out += struct.pack("<IIII", kind, sample, len(key), len(data)) + key + data
            out += b"\0" * ((-(len(key) + len(data))) % 8)
        fp = fingerprint(bytes(out))
        out += struct.pack("<IIII", END, 0, 0, 8) + struct.pack("<Q", fp)
        open(path, "wb").write(bytes(out))


def set_counter(text, name, value):
    """In a /proc/net/{snmp,netstat} text: sets counter NAME (e.g.
    'TcpExtTCPMemoryPressures') to value."""
    lines = text.splitlines()
    for i in range(0, len(lines) - 1, 2):
        prefix = lines[i].split(":")[0]
        heads = lines[i].split()[1:]
        vals = lines[i + 1].split()[1:]
        for j, h in enumerate(heads):
            if prefix + h == name:
                vals[j] = str(value)
                lines[i + 1] = prefix + ": " + " ".join(vals)
                return "\n".join(lines) + "\n"
    raise KeyError(name)
