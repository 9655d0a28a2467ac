/* tcpaccept: passive TCP opens as accept() returns them; -c counts. */
#include "bpf/tcpaccept.h"
#include "bpf/tcpaccept.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

TRACE_SKEL_GLUE(tcpaccept)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT };

static const struct out_col cols[] = {
	{ "PID", "pid", OUT_RIGHT, 7 },
	{ "COMM", "comm", 0, 15 },
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RADDR", "raddr", 0, 15 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
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
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)p;
	(void)c;
	tc->summary_mode = true; /* -c */
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	((struct tcpaccept_bpf *)skel)->rodata->count_mode = tc->summary_mode;
	return 0;
}

static void event(struct trace_ctx *tc, const void *data, size_t len)
{
	const struct tcpaccept_event *e = data;
	struct table *t;

	if (len < sizeof(*e))
		return;
	t = trace_row_begin(tc, &e->h);
	trace_cells_task(t, C_PID, C_COMM, e->h.pid, e->h.comm);
	trace_cells_tuple(t, C_LADDR, C_LPORT, C_RADDR, C_RPORT, &e->t);
	trace_row_end(tc, &e->h);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	trace_print_counts(((struct tcpaccept_bpf *)skel)->maps.counts, "RADDR", "raddr", "LPORT",
			   "lport", false, tc->o.interval > 0);
}

static const struct tracer tcpaccept = {
	.name = "tcpaccept",
	.doing = "TCP accepts",
	TRACE_HOOKS(hooks),
	TRACE_COLS(cols),
	.opts = opts,
	.opt = opt,
	TRACE_SKEL(tcpaccept),
	.configure = configure,
	.event = event,
	.summary = summary,
};

TRACE_COMMAND(tcpaccept, opts, .name = "tcpaccept",
		.summary = "trace passive TCP opens as accept() returns them",
		.about = "One line per TCP connection returned by accept()/accept4(): the accepting\n"
			 "process (caught at syscall exit, so never the softirq's bystander), local\n"
			 "and remote address and port. -c counts in the kernel instead and prints\n"
			 "the counts on exit, or every -i SECS.\n");
