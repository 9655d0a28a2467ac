/* tcpsynbl: accept backlog per TCP listener against its limit, as log2
 * histograms sampled in the kernel when each handshake completes. */
#include "bpf/tcpsynbl.h"
#include "bpf/tcpsynbl.skel.h"
#include "base/stamp.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

TRACE_SKEL_GLUE(tcpsynbl)

static const struct trace_hook hooks[] = {
	{ "sk_data_ready", { "tcpsynbl_ready_btf", "tcpsynbl_ready_raw" } },
};

/* No owner filters: handshakes complete in softirq, where the listener's
 * process is unknown. */
static const struct opt_group opts[] = {
	TRACE_FILTER_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static int cmp_key(const void *a, const void *b)
{
	const struct tcpsynbl_key *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int r = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (r)
		return r;
	return x->port < y->port ? -1 : x->port > y->port;
}

static void print_listener(const struct tcpsynbl_key *k, const struct tcpsynbl_val *v)
{
	static const struct out_col none[] = { { NULL, NULL, 0, 0 } };
	char a[64], title[160];
	uint64_t slots[TCPSYNBL_SLOTS];

	trace_addr_str(a, k->family, k->addr);
	snprintf(title, sizeof(title), "Accept backlog, listener %s%s%s:%u (netns %u), limit %u",
		 k->family == 10 ? "[" : "", a, k->family == 10 ? "]" : "", k->port, k->netns,
		 v->limit);
	memcpy(slots, v->slots, sizeof(slots));
	trace_hist_print_log2(title, "backlog", slots, TCPSYNBL_SLOTS);
	if (!out_is_json()) {
		printf("%24s : %llu connections, longest accept queue %u of %u%s, SYN queue up to "
		       "%u\n",
		       "", (unsigned long long)v->count, v->max_backlog, v->limit,
		       v->full ? " (FULL: further handshakes are dropped)" : "", v->max_synq);
		return;
	}
	struct table *t = out_table_begin(none, 1);
	out_row_begin(t);
	if (trace_stamp())
		out_field_double(t, "time", NULL, trace_stamp()->epoch, 6);
	out_obj_begin(t, "listener", NULL);
	out_field_u64(t, "ip", NULL, k->family == 10 ? 6 : 4);
	out_field_str(t, "laddr", NULL, a);
	out_field_u64(t, "lport", NULL, k->port);
	out_field_u64(t, "netns", NULL, k->netns);
	out_field_u64(t, "limit", NULL, v->limit);
	out_field_u64(t, "max_backlog", NULL, v->max_backlog);
	out_field_u64(t, "max_syn_queue", NULL, v->max_synq);
	out_field_u64(t, "samples", NULL, v->count);
	out_field_u64(t, "full_samples", NULL, v->full);
	out_obj_end(t);
	out_row_end(t);
	out_table_end(t);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row {
		struct tcpsynbl_key k;
		struct tcpsynbl_val v;
	} *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct tcpsynbl_bpf *)skel)->maps.hist, rows, cmp_key);

	(void)final;
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Accept backlog\n  (no connections completed)\n");
	for (size_t i = 0; i < n; i++)
		print_listener(&rows[i].k, &rows[i].v);
	free(rows);
}

TRACE_TRACER(tcpsynbl, "TCP accept backlog at each new connection", TRACE_HOOKS(hooks),
	     .opts = opts, .summary = summary);

TRACE_COMMAND(tcpsynbl, opts,
		.summary = "histogram of TCP listeners' accept backlog against its limit",
		.about = "Each time a handshake completes on a TCP listener (the kernel wakes the\n"
			 "listener: sock:sk_data_ready), records its accept queue length, counting\n"
			 "the new connection, into a log2 histogram per listener, kept in the\n"
			 "kernel; also the limit (listen() backlog, capped by somaxconn), the\n"
			 "longest queue and the longest SYN queue seen. A queue holds limit + 1\n"
			 "connections; once it does, new handshakes are dropped (nstat\n"
			 "ListenOverflows) and not seen here. Printed on exit or every -i SECS.\n"
			 "This is an event-driven sample, not a periodic poll. There are no -p and\n"
			 "--comm (softirq: the process is unknown).\n");
