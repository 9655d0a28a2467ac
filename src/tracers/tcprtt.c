/* tcprtt: smoothed RTT of established TCP flows as log2 histograms, one in
 * all or one per remote address or port, aggregated in the kernel. */
#include "bpf/tcprtt.h"
#include "bpf/tcprtt.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

TRACE_SKEL_GLUE(tcprtt)

static const struct trace_hook hooks[] = {
	{ "tcp_probe", { "tcprtt_probe_btf", "tcprtt_probe_raw" } },
};

enum { OPT_BY = OPT_LONG };

static const struct opt opt_rows[] = {
	{ OPT_BY, "by", "raddr|rport", "one histogram per remote address or remote port" },
	OPT_END,
};

/* No owner filters: tcp_probe runs in softirq, where the process is unknown. */
static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_FILTER_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP,
	TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static int by = TCPRTT_BY_NONE;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)tc;
	(void)c;
	if (strcmp(p->arg, "raddr") == 0)
		by = TCPRTT_BY_RADDR;
	else if (strcmp(p->arg, "rport") == 0)
		by = TCPRTT_BY_RPORT;
	else if (strcmp(p->arg, "none") == 0 || strcmp(p->arg, "all") == 0)
		by = TCPRTT_BY_NONE;
	else
		return opts_fail(p, "expected raddr or rport, got '%s'", p->arg);
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	(void)tc;
	((struct tcprtt_bpf *)skel)->rodata->by = (__u8)by;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct tr_endpoint *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int r = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (r)
		return r;
	return x->port < y->port ? -1 : x->port > y->port;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row {
		struct tr_endpoint k;
		struct tcprtt_hist h;
	} *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct tcprtt_bpf *)skel)->maps.hist, rows, cmp_key);

	(void)final;
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Smoothed RTT\n  (no samples)\n");
	for (size_t i = 0; i < n; i++) {
		const struct tr_endpoint *k = &rows[i].k;
		const struct tcprtt_hist *h = &rows[i].h;
		uint64_t slots[TCPRTT_SLOTS];
		char title[128], a[64];

		memcpy(slots, h->slots, sizeof(slots));
		if (by == TCPRTT_BY_RADDR)
			snprintf(title, sizeof(title), "Smoothed RTT, raddr %s",
				 trace_addr_str(a, k->family, k->addr));
		else if (by == TCPRTT_BY_RPORT)
			snprintf(title, sizeof(title), "Smoothed RTT, rport %u", k->port);
		else
			snprintf(title, sizeof(title), "Smoothed RTT");
		trace_hist_print_log2(title, "usecs", slots, TCPRTT_SLOTS);
		if (!out_is_json() && h->count)
			printf("%24s : %llu samples, mean %llu usecs\n", "", (unsigned long long)h->count,
			       (unsigned long long)(h->sum_us / h->count));
	}
	free(rows);
}

TRACE_TRACER(tcprtt, "TCP smoothed RTT", TRACE_HOOKS(hooks), .opts = opts, .opt = opt,
	     .configure = configure, .summary = summary);

TRACE_COMMAND(tcprtt, opts,
		.summary = "histogram of TCP smoothed RTT, overall or per remote address/port",
		.about = "Samples the smoothed RTT (srtt, microseconds) of established TCP sockets at\n"
			 "every segment they receive (tcp:tcp_probe) into log2 histograms kept in\n"
			 "the kernel, printed as bars on exit or every -i SECS (then cleared).\n"
			 "Busy flows weigh more: one sample per incoming segment. The process is\n"
			 "not known in softirq, so there are no -p and --comm.\n");
