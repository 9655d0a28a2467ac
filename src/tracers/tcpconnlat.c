/* tcpconnlat: connect latency per connection, or as a histogram. */
#include "bpf/tcpconnlat.h"
#include "bpf/tcpconnlat.skel.h"
#include "command.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>

TRACE_SKEL_GLUE(tcpconnlat)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_LAT };

static const struct out_col cols[] = {
	{ "PID", "pid", OUT_RIGHT, 7 },
	{ "COMM", "comm", 0, 15 },
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RADDR", "raddr", 0, 15 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
	{ "LAT(ms)", NULL, OUT_RIGHT, 8 },
};

static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(tcpconnlat),
	TRACE_STATE_NEST_HOOK(tcpconnlat),
};

enum { OPT_HIST = 512, OPT_LINEAR, OPT_MIN };

static const struct option longopts[] = {
	{ "hist", no_argument, NULL, OPT_HIST },
	{ "linear", required_argument, NULL, OPT_LINEAR },
	{ "min", required_argument, NULL, OPT_MIN },
	{ NULL, 0, NULL, 0 },
};

static struct {
	unsigned long min_us;
	unsigned long step_us;
} cfg;

static int opt(struct trace_ctx *tc, int c, const char *arg)
{
	switch (c) {
	case OPT_HIST:
		tc->summary_mode = true;
		return 0;
	case OPT_LINEAR:
		tc->summary_mode = true;
		if (trace_parse_ulong("--linear", arg, 1UL << 30, &cfg.step_us) || !cfg.step_us) {
			fprintf(stderr, "netlens: error: --linear: bucket width in microseconds > 0\n");
			return EXIT_USAGE;
		}
		return 0;
	case OPT_MIN:
		return trace_parse_ulong("--min", arg, 1UL << 40, &cfg.min_us);
	}
	return EXIT_USAGE;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	struct tcpconnlat_bpf *s = skel;

	s->rodata->min_ns = (__u64)cfg.min_us * 1000;
	s->rodata->hist_mode = tc->summary_mode;
	s->rodata->hist_step_us = cfg.step_us;
	return 0;
}

static void event(struct trace_ctx *tc, const void *data, size_t len)
{
	const struct tcpconnlat_event *e = data;
	struct table *t;

	if (len < sizeof(*e))
		return;
	t = trace_row_begin(tc, &e->h);
	trace_cells_task(t, C_PID, C_COMM, e->h.pid, e->h.comm);
	trace_cells_tuple(t, C_LADDR, C_LPORT, C_RADDR, C_RPORT, &e->t);
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

static const struct tracer tcpconnlat = {
	.name = "tcpconnlat",
	.doing = "TCP connect latency",
	TRACE_HOOKS(hooks),
	TRACE_COLS(cols),
	.longopts = longopts,
	.opt = opt,
	TRACE_SKEL(tcpconnlat),
	.configure = configure,
	.event = event,
	.summary = summary,
};

TRACE_COMMAND(tcpconnlat, .name = "tcpconnlat",
		.summary = "trace TCP connect latency, per connection or as a histogram",
		.usage = "usage: netlens tcpconnlat [options]\n\n"
			 "Time from SYN sent to ESTABLISHED for each successful connect().\n\n"
			 "      --min USECS    only connects slower than USECS (dropped in the kernel)\n"
			 "      --hist         log2 histogram in microseconds, kept in the kernel;\n"
			 "                     printed on exit, or every -i SECS for -c N rounds\n"
			 "      --linear USECS linear histogram with buckets USECS wide\n\n"
			 TRACE_COMMON_USAGE);
