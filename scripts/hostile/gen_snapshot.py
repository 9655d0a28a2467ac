"""Category "snapshot": corrupted snapshots fed to every command that reads
--from (found in the commands' -h).

A valid snapshot recorded in the sweep's namespace is damaged in two ways.
Raw damage (bit flips, truncation, appended or duplicated bytes) breaks the
trailing fingerprint: every such file must be refused. Structured damage
rewrites records and then recomputes the fingerprint, so the bytes reach
the parsers behind it: length fields, kinds, samples, duplicated, dropped
and truncated records, netlink message and attribute lengths, numbers and
lines in recorded /proc text. A command may read such a file or refuse it,
but cleanly."""
import os
import struct
import sys

from sweep import Case

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import snapedit  # noqa: E402

READERS = {
    "ss": [["-a", "-e", "-i", "-m", "-o"], ["-s"], ["-a", "-p"], ["-t", "-a", "dport", "=", ":7001"]],
    "nstat": [["-a", "-z"], [], ["-w"]],
    "ifstat": [[], ["-e"], ["--softnet"], ["--qdisc"], ["-i", "1", "-n", "1"]],
    "links": [[]],
    "routes": [[], ["rules"], ["neigh", "-a"]],
    "sockmem": [["-a"]],
    "sysctl": [["-w"]],
    "doctor": [[]],
}


def pack(s, hdr=None, tail=True):
    """The bytes of snapshot s (snapedit's writer, with an optional header)."""
    out = bytearray(snapedit.MAGIC + (hdr or struct.pack("<IIQ", 1, 24, s.created)))
    for kind, sample, key, data in s.records:
        out += struct.pack("<IIII", kind, sample, len(key), len(data)) + key + data
        out += b"\0" * ((-(len(key) + len(data))) % 8)
    if tail:
        out += struct.pack("<IIII", snapedit.END, 0, 0, 8) + struct.pack("<Q", snapedit.fingerprint(bytes(out)))
    return bytes(out)


def refingerprint(b):
    """b with its trailing fingerprint recomputed (b ends with the END record)."""
    body = b[:-24]
    return body + struct.pack("<IIII", snapedit.END, 0, 0, 8) + struct.pack("<Q", snapedit.fingerprint(body))


def nl_offsets(data):
    """Offsets of the netlink messages in a recorded dump."""
    offs, off = [], 0
    while off + 16 <= len(data):
        n = struct.unpack_from("<I", data, off)[0]
        offs.append(off)
        if n < 16:
            break
        off += (n + 3) & ~3
    return offs


def mutate(base, rng):
    """(bytes, kind, expect) for one damaged variant of base."""
    raw = pack(base)
    how = rng.randrange(12)
    s = snapedit.Snapshot(base.created, [list(r) for r in base.records])
    if how == 0:
        b = bytearray(raw)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), "bit flips", "reject"
    if how == 1:
        n = rng.choice([0, 1, 7, 8, 23, 24, 40, rng.randrange(len(raw)), len(raw) - 1, len(raw) - 8])
        return raw[:n], f"truncated to {n}", "reject"
    if how == 2:
        return rng.choice([(raw + raw, "doubled"), (raw + b"\0" * 8, "8 bytes appended"),
                           (raw[:-24] + raw[24:], "records repeated")]) + ("reject",)
    if how == 3:
        hdr = struct.pack("<IIQ", rng.choice([0, 2, 0xFFFFFFFF]), rng.choice([24, 0, 16, 32, 0xFFFFFFF0]),
                          rng.choice([0, 2**64 - 1, base.created]))
        return pack(s, hdr=hdr), "header fields", "any"
    i = rng.randrange(len(s.records))
    r = s.records[i]
    if how == 4:      # lengths in one record header, fingerprint fixed
        b = bytearray(pack(s))
        off = 24
        for j in range(i):
            kl, dl = len(s.records[j][2]), len(s.records[j][3])
            off += 16 + (kl + dl + 7) // 8 * 8
        field = rng.choice([8, 12])
        val = rng.choice([0, 1, 7, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000,
                          struct.unpack_from("<I", b, off + field)[0] + rng.choice([-1, 1, 8, 4096])]) & 0xFFFFFFFF
        struct.pack_into("<I", b, off + field, val)
        return refingerprint(bytes(b)), "record length", "any"
    if how == 5:
        r[0] = rng.choice([0, 4, 255, 0xFFFFFFFF, snapedit.NLDUMP if r[0] == snapedit.FILE else snapedit.FILE])
        return pack(s), "record kind", "any"
    if how == 6:
        r[1] = rng.choice([1 - r[1], 2, 7, 0xFFFFFFFF])
        return pack(s), "record sample", "any"
    if how == 7:
        op = rng.choice(["dup", "drop", "swap"])
        if op == "dup":
            s.records.insert(i, list(r))
        elif op == "drop":
            del s.records[i]
        else:
            j = rng.randrange(len(s.records))
            s.records[i], s.records[j] = s.records[j], s.records[i]
        return pack(s), f"record {op}", "any"
    if how == 8:
        r[3] = r[3][:rng.randrange(len(r[3]) + 1)]
        return pack(s), "record data truncated", "any"
    if how == 9 or how == 10:   # netlink lengths inside a dump
        dumps = [x for x in s.records if x[0] == snapedit.NLDUMP and len(x[3]) >= 16]
        if dumps:
            r = rng.choice(dumps)
            d = bytearray(r[3])
            offs = nl_offsets(bytes(d))
            off = rng.choice(offs) if offs else 0
            if how == 9:
                val = rng.choice([0, 1, 15, 16, 17, 0xFFFFFFFF, 0x80000010, len(d) - off + 4])
                struct.pack_into("<I", d, off, val & 0xFFFFFFFF)
                what = "nlmsg_len"
            else:
                k = rng.randrange(off + 16, min(len(d), off + 64)) if len(d) > off + 17 else off
                d[k:k + 2] = struct.pack("<H", rng.choice([0, 1, 3, 4, 0xFFFF, 5000]))[:len(d[k:k + 2])]
                what = "attribute length"
            r[3] = bytes(d)
            return pack(s), what, "any"
    # a recorded text file with damaged numbers or lines
    files = [x for x in s.records if x[0] == snapedit.FILE and x[3]]
    r = rng.choice(files)
    t = r[3].decode("latin-1")
    lines = t.split("\n")
    op = rng.randrange(6)
    k = rng.randrange(len(lines))
    if op == 0:
        lines[k] = " ".join(rng.choice(["-1", "18446744073709551616", "abc", "", "0x10", "nan", "1e99"])
                            for _ in lines[k].split())
    elif op == 1:
        del lines[k]
    elif op == 2:
        lines.insert(k, lines[k])
    elif op == 3:
        lines[k] = lines[k] + " 1" * 5000
    elif op == 4:
        lines = lines[:k]
    else:
        lines[k] = "\xff\x00" + lines[k]
    r[3] = "\n".join(lines).encode("latin-1")
    return pack(s), f"text {r[2].decode(errors='replace')[:40]}", "any"


def run(sw):
    base = snapedit.Snapshot.load(sw.fx.snapshot)
    readers = [(c.name, extra) for c in sw.cmds if c.opt("from") for extra in READERS.get(c.name, [[]])]
    n = sw.args.snapshots if sw.args.snapshots is not None else (40 if sw.args.quick else 2400)
    d = os.path.join(sw.fx.dir, "snaps")
    os.makedirs(d, exist_ok=True)
    cases = []
    for v in range(n):
        b, what, expect = mutate(base, sw.rng)
        path = os.path.join(d, f"v{v}.snap")
        with open(path, "wb") as f:
            f.write(b)
        # every command reads every variant in a full sweep (its option sets in turn), a rotating pair in a quick one
        if sw.args.quick:
            picks = [readers[v % len(readers)], readers[(v * 7 + 3) % len(readers)]]
        else:
            names = sorted({r[0] for r in readers})
            picks = [[r for r in readers if r[0] == nm][v % len([r for r in readers if r[0] == nm])] for nm in names]
        for k, (name, extra) in enumerate(picks):
            j = ["-j"] if (v + k) % 2 else []
            cases.append(Case("snapshot", j + [name] + extra + ["--from", path], expect, what,
                              succeed=(0, 1, 2) if name == "doctor" else (0,)))
    sw.run_all(cases)
