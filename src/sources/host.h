/* The host: where state readers get their raw bytes.
 *
 * Every state reader (procfs and sysfs files, netlink dumps) asks a struct
 * host for the raw bytes the kernel gives and parses those; it never opens
 * /proc or a netlink socket itself. A host is either the live system (the
 * network namespace the process is in) or, later, a recorded snapshot, so
 * live and recorded data go through the same parsers and tests can feed
 * recorded or hand-made bytes through the real code.
 *
 * Ownership: buffers returned through **buf are malloc'ed and belong to the
 * caller (free()). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_HOST_H
#define NETLENS_HOST_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;
struct host;

/* Largest file a host returns; longer files are -EFBIG (procfs files of
 * interest are far smaller; this bounds memory on hostile input). */
#define HOST_FILE_MAX (16u << 20)

struct snapshot;
struct snap_writer;

struct host_ops {
	int (*read_file)(struct host *h, const char *path, char **buf, size_t *len);
	int (*nl_dump)(struct host *h, int protocol, const struct nlmsghdr *req, char **buf,
		       size_t *len);
	void (*close)(struct host *h);
};

struct host {
	const struct host_ops *ops;
	const char *root;        /* live: prefix for paths (tests), "" normally; borrowed */
	unsigned sample;         /* which of a snapshot's two samples is read (0, 1) */
	struct snapshot *snap;   /* recorded host: the file read */
	struct snap_writer *rec; /* live host that also records what it reads */
};

/* The live system. root: prefix prepended to absolute paths ("" or NULL for
 * none), so tests can point readers at a fake /proc tree. */
struct host *host_live(const char *root);
/* A recorded snapshot (see snapshot.h); the host owns and closes it. */
struct host *host_recorded(struct snapshot *snap);
/* The live system, appending everything read to w under h->sample. */
struct host *host_recording(struct snap_writer *w);
void host_close(struct host *h);
/* What a command's --from means: a recorded host for a snapshot file, or
 * the live one when from is NULL (root from $NETLENS_PROC_ROOT, for tests).
 * On error, err holds one line naming the problem. */
int host_open(const char *from, struct host **out, char *err, size_t errlen);
/* A snapshot's metadata value ("interval_ms", "hostname", "kernel",
 * "samples") into buf; -ENOENT on a live host or when absent. */
int host_meta(struct host *h, const char *name, char *buf, size_t size);
/* Wall-clock seconds of the sample being read: now for a live host; for a
 * snapshot its start plus the sample's offset. */
double host_sample_time(struct host *h);
/* Seconds between a snapshot's two samples; 0 when it holds one (or live). */
double host_snapshot_interval(struct host *h);
static inline int host_is_live(const struct host *h) { return h->snap == NULL; }
/* A recording host keeps data under name (not a path: "ethtool:eth0:drvinfo"),
 * as if read from a file of that name, so a recorded host's
 * host_read_file(name) gives it back; for answers that are neither files
 * nor dumps (ioctls). Nothing on other hosts; -errno when the writer fails. */
int host_record_blob(struct host *h, const char *name, const void *data, size_t len);

/* The key a dump request is recorded under (protocol, type, family, and for
 * sock_diag the transport protocol): requests that differ only in options
 * such as states or extensions share a recording, which holds them all. */
size_t host_dump_key(unsigned char key[8], int protocol, const struct nlmsghdr *req);

/* Whole contents of a file such as "/proc/net/snmp", NUL-terminated (*len
 * excludes the NUL). -ENOENT when the file does not exist. */
int host_read_file(struct host *h, const char *path, char **buf, size_t *len);

/* A complete netlink dump for request req (NLM_F_DUMP set by the caller):
 * every reply message up to and including NLMSG_DONE, concatenated as the
 * kernel sent them. Parse with nl_parse_dump(). */
int host_nl_dump(struct host *h, int protocol, const struct nlmsghdr *req, char **buf,
		 size_t *len);

#endif
