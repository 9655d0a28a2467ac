/* Snapshot files: the raw bytes state readers got from a host, recorded so
 * the same readers can run on them later (`netlens snapshot -o FILE` on a
 * broken server, `netlens doctor --from FILE` on a laptop).
 *
 * Format, version 1 (all integers little-endian):
 *
 *   header   "NLSNAP\r\n" (8 bytes), u32 version (1), u32 header_len (24),
 *            u64 created (Unix ns)
 *   record*  u32 kind, u32 sample, u32 key_len, u32 data_len, key, data,
 *            zero padding to a multiple of 8
 *   trailer  a record of kind SNAP_END whose 8-byte data is the fingerprint
 *            (base/fingerprint.h mix) of every byte before it
 *
 * kind SNAP_FILE: key is an absolute path ("/proc/net/snmp"), data the file.
 *   Secrets are never recorded (host.c, recorded_stand_in()): a /proc/sys
 *   file not readable by others holds "redacted\n", and
 *   /proc/sys/net/ipv4/tcp_fastopen_key "set\n" or "unset\n".
 * kind SNAP_NLDUMP: key is u32 netlink protocol + u16 nlmsg_type + u8
 *   family + u8 sub (sock_diag: protocol; else 0) — see snap_dump_key();
 *   data is the complete dump as the kernel sent it, up to NLMSG_DONE.
 * kind SNAP_META: key is a name ("hostname", "kernel", "interval_ms"), data
 *   its value.
 * sample is 0 or 1: state is read twice an interval apart so rates survive.
 *
 * Limits: a key is at most 4 KiB, a record's data at most 256 MiB, a file at
 * most 1 GiB. snap_open() checks the magic, version, every length against
 * the file size and the trailer fingerprint before anything is used, and
 * says which check failed. Memory: the whole file is read once; lookups
 * return pointers into it, valid until snap_close().
 */
#ifndef NETLENS_SNAPSHOT_H
#define NETLENS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/fingerprint.h"

#define SNAP_MAGIC "NLSNAP\r\n"
#define SNAP_VERSION 1

enum snap_kind { SNAP_FILE = 1, SNAP_NLDUMP = 2, SNAP_META = 3, SNAP_END = 0x454e4421 };

enum { SNAP_KEY_MAX = 4096 };
#define SNAP_DATA_MAX (256u << 20)
#define SNAP_FILE_MAX (1u << 30)

struct snap_rec {
	uint32_t kind, sample;
	const void *key;
	uint32_t key_len;
	const void *data;
	uint32_t data_len;
};

struct snapshot {
	unsigned char *buf;
	size_t len;
	uint64_t created_ns;
	struct snap_rec *recs;
	size_t nrecs;
};

/* Key of a netlink dump: what identifies "the same question". */
size_t snap_dump_key(unsigned char key[8], int protocol, uint16_t type, uint8_t family,
		     uint8_t sub);

/* Reading. On error, err (if not NULL) gets one line saying what is wrong. */
int snap_open(struct snapshot *s, const char *path, char *err, size_t errlen);
int snap_parse(struct snapshot *s, unsigned char *buf, size_t len, char *err, size_t errlen);
const struct snap_rec *snap_find(const struct snapshot *s, uint32_t kind, uint32_t sample,
				 const void *key, size_t key_len);
void snap_close(struct snapshot *s);

/* Writing: records appended to a FILE, trailer written by snap_finish(). */
struct snap_writer {
	FILE *f;
	struct fp_state fp; /* of every byte written so far */
	int err;            /* first write error, sticky */
};

int snap_begin(struct snap_writer *w, FILE *f, uint64_t created_ns);
int snap_add(struct snap_writer *w, uint32_t kind, uint32_t sample, const void *key,
	     size_t key_len, const void *data, size_t data_len);
int snap_finish(struct snap_writer *w);
int snap_add_meta(struct snap_writer *w, const char *name, const char *value);
/* The metadata every snapshot starts with: netlens version, hostname,
 * kernel, interval_ms and samples (1, or 2 taken interval_ms apart). */
int snap_add_host_meta(struct snap_writer *w, long interval_ms, unsigned samples);

/* A snapshot file written safely: the bytes go to a new file in the target's
 * directory (created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, under a
 * hidden temporary name) that is renamed over the target only once complete,
 * so the target never holds half a snapshot, even after a crash. A target
 * that is a symlink, not a regular file, or owned by another user is
 * refused: recording as root into a shared directory must not write through
 * a link someone planted. While the file is pending, SIGTERM, SIGINT and
 * SIGHUP (when at their default action) remove it before the process dies
 * of them. A write error is kept with its errno (ENOSPC, EDQUOT) in
 * snap_writer.err. */
struct snap_out {
	FILE *f;      /* the temporary file, for snap_begin() */
	char *target; /* where it goes */
	char *tmp;    /* its temporary name until snap_out_commit() */
};

/* On error, err holds one line naming the file and the cause. */
int snap_out_open(struct snap_out *o, const char *target, char *err, size_t errlen);
/* Reads back what was written so far (after snap_finish()) and parses it
 * into s, which then owns the bytes: what the file holds, checked. */
int snap_out_load(struct snap_out *o, struct snapshot *s, char *err, size_t errlen);
/* Flushes to disk and renames into place. Closes o either way. */
int snap_out_commit(struct snap_out *o, char *err, size_t errlen);
/* Removes the temporary file; the target is left as it was. */
void snap_out_abort(struct snap_out *o);

#endif
