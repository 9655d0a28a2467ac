/* /proc/net/stat/ tables: nf_conntrack, arp_cache, ndisc_cache, rt_cache.
 *
 * A header line of column names, then one line per possible CPU of
 * hexadecimal 32-bit counters. Some columns are not per-CPU: "entries" is
 * the table's whole count, repeated on every line (procstat_first() reads
 * it); the rest are per-CPU and sum to the total (procstat_sum()). Columns
 * are found by name, so kernels that add or rename columns still parse.
 *
 * Memory: struct procstat owns its rows; procstat_free() releases them (a
 * zeroed struct is fine). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_PROCSTAT_H
#define NETLENS_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct host;

#define PROCSTAT_MAX_COLS 32

struct procstat {
	char names[PROCSTAT_MAX_COLS][32];
	unsigned ncols;
	uint32_t *v; /* nrows * ncols */
	size_t nrows;
};

/* -EBADMSG when there is no header, a value is not hexadecimal, or a row
 * has a different number of columns than the header. */
int procstat_parse(const char *text, size_t len, struct procstat *out);
int procstat_read(struct host *h, const char *path, struct procstat *out);
void procstat_free(struct procstat *ps);
/* Column index by name; -1 when absent. */
int procstat_col(const struct procstat *ps, const char *name);
/* The first row's value; -1 when absent. */
long long procstat_first(const struct procstat *ps, const char *name);
/* The sum over rows; -1 when absent. */
long long procstat_sum(const struct procstat *ps, const char *name);
/* Increase of a per-CPU column from a to b (row by row, 32-bit wrap taken
 * into account); -1 when absent in either or their rows differ in number. */
long long procstat_delta(const struct procstat *a, const struct procstat *b, const char *name);

/* The tables doctor follows between samples, summed over CPUs, added to a
 * counter set as "TABLE:COLUMN" ("nf_conntrack:drop",
 * "arp_cache:table_fulls", "ndisc_cache:table_fulls", ...); the "entries"
 * column, a level and not a count, is left out. Missing files are skipped
 * (no conntrack module, IPv6 off, a namespace without neighbour stats).
 * Returns how many tables were added. */
struct counter_set;
int procstat_counters(struct host *h, struct counter_set *s);

#endif
