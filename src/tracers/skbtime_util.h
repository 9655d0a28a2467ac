/* User side of the tracers that time packets by skb address (qdisclat,
 * nettxlat; bpf/skbtime.bpf.h): expiring starts whose packet was freed
 * out of sight, and reporting the packets that started and were never
 * timed. */
#ifndef NETLENS_TRACERS_SKBTIME_UTIL_H
#define NETLENS_TRACERS_SKBTIME_UTIL_H

#include "bpf/skbtime.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/libbpf.h>

#include <stdint.h>

/* The option table of both: --netns (the framework's, applied to the
 * device) and --dev; packets are timed per device, not parsed, and have
 * no owner, so no socket or process filters. */
extern const struct opt skbtime_opt_rows[];
#define SKBTIME_OPT_GROUPS                                                             \
	{ NULL, skbtime_opt_rows }, TRACE_DEV_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, \
		TRACE_TABLE_GROUP, OPT_GROUPS_END

/* Sizes the slot array "starts" of obj (--max-keys rounded up to a power
 * of two) and sets mask, its rodata skbtime_mask. */
void skbtime_configure(struct trace_ctx *tc, struct bpf_object *obj, volatile uint32_t *mask);
/* The configure() of tracer name (skeleton struct name_bpf): name_configure. */
#define SKBTIME_CONFIGURE(name)                                                        \
	static int name##_configure(struct trace_ctx *tc, void *skel)                  \
	{                                                                              \
		struct name##_bpf *o = skel;                                           \
		skbtime_configure(tc, o->obj, &o->rodata->skbtime_mask);               \
		return 0;                                                              \
	}
/* The tracer's table_limit(): the slots of "starts", the table a start
 * finds full (its histograms are per device: they do not fill first). */
uint32_t skbtime_table_limit(struct trace_ctx *tc, void *skel);
/* The tracer's tick(): at most once a second, frees the slots of its
 * array "starts" (bpf/skbtime.bpf.h) whose start is older than
 * SKBTIME_MAX_AGE_NS, counted as expired; the array is mapped into our
 * memory at the first sweep, until fini. */
void skbtime_tick(struct trace_ctx *tc, void *skel);
/* The tracer's fini() (the exporter's stop too): unmaps the array and
 * forgets the counts of the run. */
void skbtime_fini(struct trace_ctx *tc);

/* The untimed packets since the last print with -i (else since the
 * start): text, one line after the histograms ("where" names the two
 * hooks' span, e.g. "enqueue and dequeue"); JSON, the record
 * {"untimed": {"dropped": N, "expired": N[, "unwalked": N]}}; walk_bound:
 * the most skbs of a bulk dequeue timed (0: none, no "unwalked"). */
void skbtime_print_untimed(const struct trace_ctx *tc, const char *where, int walk_bound);

/* The samples of a histogram: the sum of its slots. */
uint64_t skbtime_hist_count(const struct skbtime_hist *h);

/* The mean of sum / n with one decimal, as text into buf ("-" when n is 0). */
const char *skbtime_mean_str(char *buf, size_t cap, uint64_t sum, uint64_t n);

#endif
