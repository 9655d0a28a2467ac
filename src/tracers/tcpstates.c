/* tcpstates: every TCP state change, with the time spent in the old state. */
#include "bpf/tcpstates.h"
#include "bpf/tcpstates.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

TRACE_SKEL_GLUE(tcpstates)

enum { C_SKADDR = TRACE_COL0, C_PID, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_OLD, C_NEW, C_MS };

static const struct out_col cols[] = {
	{ "SKADDR", NULL, 0, 16 },
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "OLDSTATE", "oldstate", 0, 12 },
	{ "NEWSTATE", "newstate", 0, 12 },
	{ "MS", NULL, OUT_RIGHT, 9 },
};

static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(tcpstates),
	TRACE_ACCEPT_HOOKS(tcpstates),
	TRACE_STATE_NEST_HOOK(tcpstates),
};

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpstates_event *e = data;
	struct table *t;
	char sk[24];

	t = trace_row_begin(tc, &e->h);
	snprintf(sk, sizeof(sk), "%llx", (unsigned long long)e->skaddr);
	out_cell_str(t, C_SKADDR, sk);
	out_field_str(t, "skaddr", NULL, sk);
	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	trace_cells_tuple(t, C_LADDR, &e->t);
	out_cell_str(t, C_OLD, tcp_state_name((int)e->oldstate));
	out_cell_str(t, C_NEW, tcp_state_name((int)e->newstate));
	out_cell_fixed(t, C_MS, (double)e->delta_ns / 1e6, 3);
	out_field_double(t, "old_state_ms", NULL, (double)e->delta_ns / 1e6, 3);
	trace_row_end(tc, &e->h);
}

static const struct opt_group opts[] = {
	TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP, TRACE_RUN_GROUP, TRACE_TABLE_GROUP,
	OPT_GROUPS_END,
};

TRACE_TRACER(tcpstates, "TCP state changes", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, TRACE_EVENTS(event, struct tcpstates_event));

TRACE_COMMAND(tcpstates, opts,
		.summary = "trace TCP state changes and the time spent in each state",
		.about = "One line per TCP state change: socket, owner, tuple, old and new state,\n"
			 "and the milliseconds spent in the old state (0.000 when tracing began\n"
			 "after the socket entered it). Owners are known from connect(), listen()\n"
			 "and accept(); a passive socket's states before accept() show PID '-'.\n");
