/* tcplife: one line per closed TCP session: owner, tuple, bytes, duration. */
#include "bpf/tcplife.h"
#include "bpf/tcplife.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

TRACE_SKEL_GLUE(tcplife)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_TX, C_RX, C_MS };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "TX_KB", NULL, OUT_RIGHT, 8 },
	{ "RX_KB", NULL, OUT_RIGHT, 8 },
	{ "MS", NULL, OUT_RIGHT, 8 },
};

/* No accept() hook: owners of passive sessions are the processes that
 * close them (see tcplife.bpf.c). */
static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(tcplife),
	/* sessions whose owner is known only when the socket is freed, and
	 * closes the state program missed (the "recovered" count) */
	{ "tcp_destroy_sock", { "tcplife_destroy_btf", "tcplife_destroy_raw" }, .backup = true },
};

static const struct opt opt_rows[] = {
	{ 'L', "localport", "P[,P..]", "local port filter (same as --lport)" },
	{ 'D', "remoteport", "P[,P..]", "remote port filter (same as --rport)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	struct tr_filter *f = &tc->o.filter;

	if (c == 'L')
		return trace_opt_ports(p, f->lports, &f->nlports);
	return trace_opt_ports(p, f->rports, &f->nrports);
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcplife_event *e = data;
	struct table *t;

	t = trace_row_sock(tc, &e->h, C_PID, &e->t);
	out_cell_fixed(t, C_TX, (double)e->tx_bytes / 1024, 2);
	out_cell_fixed(t, C_RX, (double)e->rx_bytes / 1024, 2);
	out_cell_fixed(t, C_MS, (double)e->dur_ns / 1e6, 2);
	out_field_u64(t, "tx_bytes", NULL, e->tx_bytes);
	out_field_u64(t, "rx_bytes", NULL, e->rx_bytes);
	out_field_double(t, "duration_ms", NULL, (double)e->dur_ns / 1e6, 3);
	out_field_str(t, "side", NULL, e->active ? "connect" : "accept");
	trace_row_end(tc, &e->h);
}

TRACE_TRACER(tcplife, "TCP sessions", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = opt, TRACE_EVENTS(event, struct tcplife_event));

TRACE_COMMAND(tcplife, opts,
		.summary = "trace TCP sessions: owner, addresses, bytes, duration",
		.about = "One line per TCP session when it closes: the owning process (the one that\n"
			 "connected, or for accepted sessions the one that closed the socket; right\n"
			 "even when the close runs in softirq), local and remote address and port,\n"
			 "kilobytes sent (acked) and received (JSON: exact bytes), and the time from\n"
			 "the first SYN to the close. Sessions already open when tracing starts are\n"
			 "not shown.\n");
