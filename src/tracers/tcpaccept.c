/* tcpaccept: passive TCP opens as accept() returns them; -c counts. */
#include "bpf/tcpaccept.h"
#include "bpf/tcpaccept.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

TRACE_SKEL_GLUE(tcpaccept)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
};

static const struct trace_hook hooks[] = {
	TRACE_ACCEPT_HOOKS(tcpaccept),
};

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count accepts per remote address and local port in the kernel" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpaccept_event *e = data;

	trace_row_sock(tc, &e->h, C_PID, &e->t);
	trace_row_end(tc, &e->h);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	trace_print_counts(tc, ((struct tcpaccept_bpf *)skel)->maps.counts, "RADDR", "raddr",
			   "LPORT", "lport", false);
}

TRACE_TRACER(tcpaccept, "TCP accepts", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = trace_opt_summary, TRACE_EVENTS(event, struct tcpaccept_event),
	     .summary = summary);

TRACE_COMMAND(tcpaccept, opts,
		.summary = "trace passive TCP opens as accept() returns them",
		.about = "One line per TCP connection returned by accept()/accept4(): the accepting\n"
			 "process (caught at syscall exit, so never the softirq's bystander), local\n"
			 "and remote address and port. -c counts in the kernel instead and prints\n"
			 "the counts on exit, or every -i SECS.\n");
