/* User side of the tracers that time packets by skb address (qdisclat,
 * nettxlat; bpf/skbtime.bpf.h): expiring starts whose packet was freed
 * out of sight, and reporting the packets that started and were never
 * timed. */
#ifndef NETLENS_TRACERS_SKBTIME_UTIL_H
#define NETLENS_TRACERS_SKBTIME_UTIL_H

#include "bpf/skbtime.h"
#include "trace/trace.h"

#include <stdint.h>

struct bpf_map;

struct skbtime_state {
	uint64_t expired;       /* starts deleted by skbtime_tick(), in all */
	uint64_t last_sweep_ns; /* CLOCK_MONOTONIC of the last sweep */
	uint64_t shown[SKBTIME_NCOUNTERS + 1]; /* totals at the last print (-i) */
};

/* At most once a second: deletes the entries of starts (skb -> a record
 * starting with its bpf_ktime_get_ns() time) older than
 * SKBTIME_MAX_AGE_NS, counted as expired. */
void skbtime_tick(struct skbtime_state *st, struct bpf_map *starts);

/* The untimed packets since the last print with -i (else since the
 * start): text, one line after the histograms ("where" names the two
 * hooks' span, e.g. "enqueue and dequeue"); JSON, the record
 * {"untimed": {"dropped": N, "expired": N[, "unwalked": N]}}; walk_bound:
 * the most skbs of a bulk dequeue timed (0: none, no "unwalked"). */
void skbtime_print_untimed(const struct trace_ctx *tc, struct skbtime_state *st,
			   const char *where, int walk_bound);

/* The mean of sum / n with one decimal, as text into buf ("-" when n is 0). */
const char *skbtime_mean_str(char *buf, size_t cap, uint64_t sum, uint64_t n);

#endif
