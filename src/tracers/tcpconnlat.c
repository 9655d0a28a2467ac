/* tcpconnlat: connect latency per connection, or as a histogram. */
#include "bpf/tcpconnlat.h"
#include "bpf/tcpconnlat.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>

TRACE_SKEL_GLUE(tcpconnlat)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_LAT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "LAT(ms)", NULL, OUT_RIGHT, 8 },
};

static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(tcpconnlat),
	TRACE_STATE_NEST_HOOK(tcpconnlat),
};

enum { OPT_HIST = OPT_LONG, OPT_LINEAR, OPT_MIN };

static const struct opt opt_rows[] = {
	{ OPT_MIN, "min", "USECS", "only connects slower than USECS (dropped in the kernel)" },
	{ OPT_HIST, "hist", NULL, "log2 histogram in microseconds, kept in the kernel" },
	{ OPT_LINEAR, "linear", "USECS", "linear histogram with buckets USECS wide" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static struct {
	unsigned long min_us;
	unsigned long step_us;
	bool log2;
} cfg;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	switch (c) {
	case OPT_HIST:
		tc->summary_mode = cfg.log2 = true;
		if (cfg.step_us)
			return opts_fail(p, "--hist and --linear are two kinds of histogram: give one");
		return 0;
	case OPT_LINEAR:
		tc->summary_mode = true;
		if (cfg.log2)
			return opts_fail(p, "--hist and --linear are two kinds of histogram: give one");
		return opts_ulong(p, 1, 1UL << 30, &cfg.step_us);
	default: /* OPT_MIN */
		return opts_ulong(p, 0, 1UL << 40, &cfg.min_us);
	}
}

static int configure(struct trace_ctx *tc, void *skel)
{
	struct tcpconnlat_bpf *s = skel;

	s->rodata->min_ns = (__u64)cfg.min_us * 1000;
	s->rodata->hist_mode = tc->summary_mode;
	s->rodata->hist_step_us = cfg.step_us;
	return 0;
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpconnlat_event *e = data;
	struct table *t;

	t = trace_row_sock(tc, &e->h, C_PID, &e->t);
	out_cell_fixed(t, C_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	out_field_u64(t, "latency_us", NULL, e->lat_ns / 1000);
	trace_row_end(tc, &e->h);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct tcpconnlat_bpf *s = skel;
	int fd = bpf_map__fd(s->maps.hist);
	uint64_t slots[TR_HIST_SLOTS] = { 0 }, zero = 0;

	(void)final;
	trace_interval_stamp(tc);
	for (__u32 i = 0; i < TR_HIST_SLOTS; i++) {
		bpf_map_lookup_elem(fd, &i, &slots[i]);
		if (tc->o.interval > 0)
			bpf_map_update_elem(fd, &i, &zero, BPF_ANY);
	}
	if (cfg.step_us)
		trace_hist_print_linear("TCP connect latency", "usecs", slots, TR_HIST_SLOTS,
					cfg.step_us);
	else
		trace_hist_print_log2("TCP connect latency", "usecs", slots, TR_HIST_SLOTS);
}

TRACE_TRACER(tcpconnlat, "TCP connect latency", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = opt, .configure = configure,
	     TRACE_EVENTS(event, struct tcpconnlat_event), .summary = summary);

TRACE_COMMAND(tcpconnlat, opts,
		.summary = "trace TCP connect latency, per connection or as a histogram",
		.about = "Time from SYN sent to ESTABLISHED for each successful connect(); with\n"
			 "--hist or --linear, a histogram kept in the kernel instead, printed on\n"
			 "exit or every -i SECS.\n");
