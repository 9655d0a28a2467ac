/* The net.* settings that matter for the state views, read through the host.
 *
 * Names are dotted as sysctl(8) writes them; a '.' inside an interface name
 * is written '/' (net.ipv4.conf.eth0/100.rp_filter), so converting to a path
 * under /proc/sys swaps '.' and '/'. The list of settings and their meanings
 * is sysctl_defs (explain_sysctl.c): one table, so `netlens sysctl`, the
 * explanations and later readers (doctor) cannot disagree.
 *
 * Values are normalised: runs of blanks become one space, the trailing
 * newline goes ("4096 131072 6291456").
 * Memory: callers pass buffers; nothing is allocated that outlives a call.
 * Library code: 0 or -errno, never prints.
 */
#ifndef NETLENS_SYSCTL_H
#define NETLENS_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

enum sysctl_flags {
	SYSCTL_CONF   = 1 << 0, /* net.ipv4.conf.{all,default}.X, listed under "all" */
	SYSCTL_PER_IF = 1 << 1, /* also listed for every interface */
};

struct sysctl_def {
	const char *name; /* for SYSCTL_CONF: net.ipv4.conf.all.X */
	const char *meaning;
	const char *tune; /* when and how to change it; may be NULL */
	unsigned flags;
};

extern const struct sysctl_def sysctl_defs[]; /* ends with name == NULL */

/* Definition for a dotted name, per-interface names included; NULL if none. */
const struct sysctl_def *sysctl_def_find(const char *name);

/* Reads one setting by dotted name into val. -ENOENT when this kernel (or
 * this namespace) does not have it. */
int sysctl_read(struct host *h, const char *name, char *val, size_t size);
/* A single integer setting; -1 when unreadable or not a number. */
long long sysctl_read_ll(struct host *h, const char *name);
/* Reads up to max integers of a vector setting (tcp_mem); *n set. */
int sysctl_read_u64s(struct host *h, const char *name, uint64_t *v, size_t max, size_t *n);

/* The value parsers behind the readers above (pure, for tests and
 * fuzzers). sysctl_normalize: len bytes of a /proc/sys file -> val as
 * sysctl_read() gives it (always NUL-terminated when size > 0). */
void sysctl_normalize(const char *raw, size_t len, char *val, size_t size);
long long sysctl_parse_ll(const char *val); /* -1 when not a number */
int sysctl_parse_u64s(const char *val, uint64_t *v, size_t max, size_t *n);

/* Interface names from /proc/net/dev, in its order. */
enum { SYSCTL_IFNAME = 16, SYSCTL_MAX_IFS = 1024 };
int sysctl_interfaces(struct host *h, char (*names)[SYSCTL_IFNAME], size_t max, size_t *n);

/* Every setting worth showing, in order: the table, with each SYSCTL_CONF
 * entry expanded to all, default and (SYSCTL_PER_IF) each interface.
 * fn gets the dotted name and its definition; a non-zero return stops. */
int sysctl_each(struct host *h, int (*fn)(const char *name, const struct sysctl_def *d, void *arg),
		void *arg);

/* Dotted name -> path under /proc/sys ("net/ipv4/conf/eth0.100/rp_filter"). */
int sysctl_path(const char *name, char *path, size_t size);

#endif
