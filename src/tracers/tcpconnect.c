/* tcpconnect: active TCP opens, failed ones with their error; -c counts. */
#include "bpf/tcpconnect.h"
#include "bpf/tcpconnect.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <string.h>

TRACE_SKEL_GLUE(tcpconnect)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_LAT, C_RESULT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "LAT(ms)", NULL, OUT_RIGHT, 8 },
	{ "RESULT", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(tcpconnect),
	TRACE_STATE_NEST_HOOK(tcpconnect),
};

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count connects per destination in the kernel" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpconnect_event *e = data;
	struct table *t;

	t = trace_row_sock(tc, &e->h, C_PID, &e->t);
	out_cell_fixed(t, C_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	out_field_bool(t, "ok", NULL, e->err == 0);
	if (e->err) {
		const char *name = e->err > 0 ? strerrorname_np(e->err) : NULL;
		out_cell_str(t, C_RESULT, name ? name : "aborted");
		out_field_str(t, "error", NULL, name ? name : "aborted");
		if (e->err > 0)
			out_field_i64(t, "errno", NULL, e->err);
	} else {
		out_cell_str(t, C_RESULT, "ok");
	}
	trace_row_end(tc, &e->h);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	trace_print_counts(tc, ((struct tcpconnect_bpf *)skel)->maps.counts, "RADDR", "raddr",
			   "RPORT", "rport", true);
}

TRACE_TRACER(tcpconnect, "TCP connects", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = trace_opt_summary, TRACE_EVENTS(event, struct tcpconnect_event),
	     .summary = summary);

TRACE_COMMAND(tcpconnect, opts,
		.summary = "trace active TCP connects, with failures and their error",
		.about = "One line per connect() that sent a SYN, when it completes: owner, tuple,\n"
			 "time to ESTABLISHED (or to failure) and the result (ok, ECONNREFUSED,\n"
			 "ETIMEDOUT, ...). Connects refused before a SYN (no route) are not seen.\n"
			 "-c counts in the kernel instead and prints the counts on exit, or every\n"
			 "-i SECS.\n");
