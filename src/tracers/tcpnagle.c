/* tcpnagle: TCP sends held back by Nagle's algorithm or TCP_CORK; one event
 * per hold, or -c: per process and flow, with a histogram of hold times. */
#include "base/json.h"
#include "bpf/tcpnagle.h"
#include "bpf/tcpnagle.skel.h"
#include "command.h"
#include "trace/format.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/sockio_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>

TRACE_SKEL_GLUE(tcpnagle)

enum {
	C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_REASON, C_HOLD,
	C_BYTES, C_SENDS
};

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "REASON", "reason", 0, 6 },
	{ "HOLD(ms)", NULL, OUT_RIGHT, 9 },
	{ "BYTES", "bytes", OUT_RIGHT, 6 },
	{ "SENDS", "sends", OUT_LAST | OUT_RIGHT, 5 },
};

/* the ends first: a hold started before they attach would stay */
static const struct trace_hook hooks[] = {
	{ "tcp_destroy_sock", { "tcpnagle_destroy_btf", "tcpnagle_destroy_raw" } },
	{ "net_dev_queue", { "tcpnagle_xmit_btf", "tcpnagle_xmit_raw" } },
	SOCKIO_SEND_HOOK(tcpnagle_send),
};

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL,
	  "count holds per process and flow in the kernel, with a histogram of hold times" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)p;
	(void)c;
	tc->summary_mode = true;
	return 0;
}

static const char *reason_name(__u8 r)
{
	return r == TCPNAGLE_CORK ? "cork" : "nagle";
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpnagle_event *e = data;
	struct table *t;

	t = trace_row_sock(tc, &e->h, C_PID, &e->t);
	out_cell_str(t, C_REASON, reason_name(e->reason));
	out_cell_fixed(t, C_HOLD, (double)e->hold_ns / 1e6, 3);
	out_field_double(t, "hold_ms", NULL, (double)e->hold_ns / 1e6, 3);
	out_cell_u64(t, C_BYTES, e->bytes);
	out_cell_u64(t, C_SENDS, e->sends);
	trace_row_end(tc, &e->h);
}

struct count_row {
	struct tcpnagle_key k;
	struct tcpnagle_count v;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return x->v.total_ns < y->v.total_ns ? 1 : x->v.total_ns > y->v.total_ns ? -1 : 0;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	static const struct out_col ccols[] = {
		TRACE_TASK_COLS,
		TRACE_TUPLE_COLS,
		{ "REASON", "reason", 0, 6 },
		{ "HOLDS", "holds", OUT_RIGHT, 6 },
		{ "SENDS", "sends", OUT_RIGHT, 6 },
		{ "TOTAL(ms)", NULL, OUT_RIGHT, 10 },
		{ "MAX(ms)", NULL, OUT_RIGHT, 9 },
		{ "AVG(ms)", NULL, OUT_RIGHT, 9 },
	};
	enum { S_PID = TRACE_COL0, S_COMM, S_LADDR, S_LPORT, S_RADDR, S_RPORT, S_REASON, S_HOLDS,
	       S_SENDS, S_TOTAL, S_MAX, S_AVG };
	struct tcpnagle_bpf *s = skel;
	struct count_row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, s->maps.counts, rows, cmp_rows);
	uint64_t slots[TCPNAGLE_SLOTS] = { 0 };
	struct table *t;

	(void)final;
	t = trace_summary_begin(ccols, (int)(sizeof(ccols) / sizeof(ccols[0])));
	for (size_t i = 0; i < n; i++) {
		const struct count_row *r = &rows[i];
		double total = (double)r->v.total_ns / 1e6;

		trace_summary_row(t);
		trace_cells_task(t, S_PID, r->k.pid, r->k.comm);
		trace_cells_tuple(t, S_LADDR, &r->k.t);
		out_cell_str(t, S_REASON, reason_name(r->k.reason));
		out_cell_u64(t, S_HOLDS, r->v.holds);
		out_cell_u64(t, S_SENDS, r->v.sends);
		out_cell_fixed(t, S_TOTAL, total, 3);
		out_field_double(t, "total_ms", NULL, total, 3);
		out_cell_fixed(t, S_MAX, (double)r->v.max_ns / 1e6, 3);
		out_field_double(t, "max_ms", NULL, (double)r->v.max_ns / 1e6, 3);
		out_cell_fixed(t, S_AVG, r->v.holds ? total / (double)r->v.holds : 0, 3);
		out_field_double(t, "avg_ms", NULL, r->v.holds ? total / (double)r->v.holds : 0, 3);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
	/* an interval table, like counts: slots read and cleared whole */
	struct slot_row {
		__u32 k, _pad;
		__u64 v;
	} *srows;
	size_t ns = TRACE_SUMMARY_ROWS(tc, s->maps.hist, srows, NULL);
	for (size_t i = 0; i < ns; i++)
		if (srows[i].k < TCPNAGLE_SLOTS)
			slots[srows[i].k] += srows[i].v;
	free(srows);
	trace_hist_print_log2("hold time", "usecs", slots, TCPNAGLE_SLOTS);
}

/* Holds found stale (their segment left unseen), in both modes. */
static void closing(struct trace_ctx *tc, void *skel)
{
	struct tcpnagle_bpf *s = skel;

	if (out_is_json()) {
		struct json *w = out_record_begin();
		json_field_u64(w, "missed_holds", s->bss->missed);
		out_record_end(w);
	} else if (s->bss->missed) {
		out_warn("%llu holds whose segment was not seen were not %s",
			 (unsigned long long)s->bss->missed, tc->summary_mode ? "counted" : "reported");
	}
}

TRACE_TRACER(tcpnagle, "TCP sends held back by Nagle or TCP_CORK", TRACE_HOOKS(hooks),
	     TRACE_COLS(cols), .opts = opts, .opt = opt,
	     TRACE_EVENTS(event, struct tcpnagle_event), .summary = summary, .closing = closing);

TRACE_COMMAND(tcpnagle, opts,
		.summary = "trace TCP sends held back by Nagle's algorithm or TCP_CORK",
		.about = "One line per hold: a send() that left less than an MSS unsent on a TCP\n"
			 "socket because TCP_CORK was set (cork) or because Nagle's algorithm waits\n"
			 "for the ACK of a small segment in flight (nagle), until the segment that\n"
			 "carries the held data leaves for the device: the sender, the flow, the\n"
			 "hold time, the bytes waiting after the last held send and how many sends\n"
			 "added to it. -c counts holds per process, flow and reason in the kernel\n"
			 "instead (count, total, max and average hold) with a histogram of hold\n"
			 "times, printed on exit or every -i SECS.\n");
