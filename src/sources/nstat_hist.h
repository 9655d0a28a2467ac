/* The nstat history file: counter values at the last run, so the next run
 * can print increments.
 *
 * One file per user holds one section per network namespace (keyed by the
 * namespace's nsfs device and inode) and records the boot it belongs to
 * (/proc/sys/kernel/random/boot_id); a file from another boot is treated as
 * empty. Format (text, versioned):
 *     netlens-nstat-history 1
 *     boot <boot_id>
 *     ns <dev> <ino> <unix time written>
 *     <Counter> <value>        (one per line)
 *     end
 *     ns ...                   (up to NSTAT_HIST_MAX_NS sections, newest first)
 *
 * Safety: nstat_hist_open() never follows a symlink (O_NOFOLLOW), creates a
 * missing file only with O_CREAT|O_EXCL and mode 0600, and refuses a file
 * that is not a regular file (-EINVAL), not owned by the effective user
 * (-EPERM), hard-linked elsewhere (-EMLINK) or writable by group or others
 * (-EACCES). The file stays locked (flock) until closed, so concurrent runs
 * serialise. A file that does not parse is treated as empty (*corrupt set).
 *
 * Memory: struct nstat_hist owns the file text and the loaded counters;
 * nstat_hist_free() releases them. Library code: 0 or -errno, never prints.
 */
#ifndef NETLENS_NSTAT_HIST_H
#define NETLENS_NSTAT_HIST_H

#include "sources/counters.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum { NSTAT_HIST_MAX_NS = 32 };

struct nstat_hist_id {
	char boot_id[64];
	uint64_t ns_dev, ns_ino;
};

struct nstat_hist {
	char *text; /* the whole file */
	size_t len;
	bool corrupt;     /* the file existed but did not parse */
	bool other_boot;  /* written during another boot: ignored */
	bool found;       /* a section for this namespace was there */
	time_t saved_at;  /* when that section was written */
	struct counter_set prev;
	/* the other namespaces' sections, kept verbatim: [off, off+len) */
	size_t nother;
	struct { size_t off, len; } other[NSTAT_HIST_MAX_NS];
};

/* Where the history lives: $NETLENS_NSTAT_HISTORY when set; else the file
 * "nstat" in a directory "netlens" that only the effective user can write,
 * created 0700 when missing, under $XDG_RUNTIME_DIR when that is an
 * absolute path to a directory of the user's own with mode 0700; else
 * /run/netlens for root, /run/user/UID/netlens for others (when
 * /run/user/UID is theirs, 0700). The "netlens" directory must be a real
 * directory (not a symlink) owned by the user with no access for group or
 * others, or it is refused: a file another user can plant or replace
 * (/tmp/.netlens-nstat.u0) could otherwise make root's nstat fail. Returns
 * 0 with the path in buf, or -errno with *why saying in a few words what
 * is wrong with the place in buf (empty when there is no place at all). */
int nstat_hist_default_path(char *buf, size_t size, const char **why);

/* Opens (writable: creating it if missing) path safely and locks it:
 * exclusive for writers, shared for readers. -ENOENT when missing and not
 * writable. When the file is refused, *why (if non-NULL) says why in a few
 * words ("is a symbolic link", "is owned by uid 1000", ...). */
int nstat_hist_open(const char *path, bool writable, int *fd, const char **why);

/* Reads the file and the section for id. */
int nstat_hist_load(int fd, const struct nstat_hist_id *id, struct nstat_hist *h);
/* Parses text already in memory (used by load; exposed for tests and fuzzing).
 * Takes ownership of text (malloc'ed, NUL-terminated at len). */
void nstat_hist_parse(char *text, size_t len, const struct nstat_hist_id *id,
		      struct nstat_hist *h);

/* Rewrites the file: this namespace's section holds cur (none when cur is
 * NULL, i.e. reset without saving), the other namespaces' sections of the
 * same boot are kept. */
int nstat_hist_save(int fd, const struct nstat_hist_id *id, const struct nstat_hist *h,
		    const struct counter_set *cur);

void nstat_hist_free(struct nstat_hist *h);

#endif
