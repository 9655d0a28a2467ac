/* /proc/net/softnet_stat: the per-CPU receive path counters.
 *
 * One line per online CPU, hexadecimal columns whose number grew with
 * kernels: 0 processed, 1 dropped (input queue over netdev_max_backlog),
 * 2 time_squeeze (net_rx_action ran out of netdev_budget or
 * netdev_budget_usecs with work left), 3-8 unused, 9 received_rps,
 * 10 flow_limit_count, 11 backlog length (5.10+), 12 the CPU number (5.10+),
 * 13 input_qlen and 14 process_qlen (6.x). Lines with fewer columns give
 * what they have (has_* says which); before 5.10 the CPU is the line's
 * position, which is wrong when CPUs are offline (cpu_from_file false).
 * Counters are 32 bits in the kernel and wrap: take differences in uint32_t.
 *
 * Memory: struct softnet owns its array; softnet_free() releases it (a
 * zeroed struct is fine). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_SOFTNET_H
#define NETLENS_SOFTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

struct softnet_cpu {
	unsigned cpu;
	uint32_t processed, dropped, time_squeeze, received_rps, flow_limit, backlog;
	bool has_rps, has_flow_limit, has_backlog;
};

struct softnet {
	struct softnet_cpu *cpu;
	size_t n;
	unsigned ncols;      /* columns on the first line */
	bool cpu_from_file;  /* CPU numbers come from column 12 */
};

/* text: the file's contents (need not be NUL-terminated). -EBADMSG when a
 * line has fewer than 3 columns or a column is not hexadecimal. */
int softnet_parse(const char *text, size_t len, struct softnet *out);
int softnet_read(struct host *h, struct softnet *out);
void softnet_free(struct softnet *s);

#endif
