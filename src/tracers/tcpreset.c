/* tcpreset: TCP resets sent and received, with tuple, state and reason. */
#include "bpf/tcpreset.h"
#include "bpf/tcpreset.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/btfenum_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

TRACE_SKEL_GLUE(tcpreset)

enum { C_DIR = TRACE_COL0, C_PID, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_STATE, C_REASON };

static const struct out_col cols[] = {
	{ "DIR", "direction", 0, 8 },
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "STATE", "state", 0, 12 },
	{ "REASON", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "tcp_send_reset", { "tcpreset_send_btf", "tcpreset_send_raw" } },
	{ "tcp_receive_reset", { "tcpreset_recv_btf", "tcpreset_recv_raw" } },
	{ TRACE_OWNER_STATE_HOOK, { "tcpreset_state_btf", "tcpreset_state_raw" } },
	TRACE_ACCEPT_HOOKS(tcpreset),
};

static const struct opt opt_rows[] = {
	{ 'S', "sent", NULL, "only resets sent" },
	{ 'R', "received", NULL, "only resets received" },
	{ 'c', "counts", NULL,
	  "count resets per flow, direction, state and reason in the kernel; no owners" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

struct priv {
	struct btfenum_names reasons; /* enum sk_rst_reason, empty if absent */
	bool sent_only, received_only;
};

static struct priv priv;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)p;
	tc->priv = &priv;
	if (c == 'S')
		priv.sent_only = true;
	else if (c == 'R')
		priv.received_only = true;
	else
		tc->summary_mode = true;
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	(void)skel;
	/* -c shows no owners: their hooks (every state change and accept())
	 * are left out unless -p/--comm filter on them */
	if (tc->summary_mode && !tc->o.filter.pid && !tc->o.filter.comm_set)
		trace_owner_hooks_off(tc);
	tc->priv = &priv;
	if (priv.sent_only && priv.received_only)
		priv.sent_only = priv.received_only = false;
	if (priv.sent_only)
		trace_hook_off(tc, "tcp_receive_reset");
	if (priv.received_only)
		trace_hook_off(tc, "tcp_send_reset");
	if (!priv.reasons.n)
		btfenum_load("sk_rst_reason", "SK_RST_REASON_", &priv.reasons);
	return 0;
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	btfenum_free(&priv.reasons);
	memset(&priv, 0, sizeof(priv));
}

/* The reason cell and JSON fields of a sent reset; "-" for received ones. */
static void reason_cells(struct table *t, int col, __u8 dir, __u32 reason)
{
	if (dir == TCPRESET_SENT) {
		const char *r = btfenum_name(&priv.reasons, reason);
		if (r)
			out_cell_str(t, col, r);
		else
			out_cell_fmt(t, col, "%u", reason);
		out_field_str(t, "reason", NULL, r ? r : "");
		out_field_u64(t, "reason_code", NULL, reason);
	} else {
		out_cell_str(t, col, "-");
	}
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpreset_event *e = data;
	struct table *t;

	t = trace_row_begin(tc, &e->h);
	out_cell_str(t, C_DIR, e->dir == TCPRESET_SENT ? "sent" : "received");
	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	trace_cells_tuple(t, C_LADDR, &e->t);
	out_cell_str(t, C_STATE, e->has_sk ? tcp_state_name(e->state) : "-");
	out_field_bool(t, "socket", NULL, e->has_sk);
	reason_cells(t, C_REASON, e->dir, e->reason);
	trace_row_end(tc, &e->h);
}

struct count_row {
	struct tcpreset_key k;
	__u64 n;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/* -c: one row per flow, direction, state and reason, busiest first. */
static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	static const struct out_col ccols[] = {
		{ "DIR", "direction", 0, 8 },
		TRACE_TUPLE_COLS,
		{ "STATE", "state", 0, 12 },
		{ "REASON", NULL, 0, 14 },
		{ "COUNT", "count", OUT_RIGHT, 6 },
	};
	struct count_row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, ((struct tcpreset_bpf *)skel)->maps.counts, rows, cmp_rows);
	struct table *t;

	(void)final;
	t = trace_summary_begin(ccols, sizeof(ccols) / sizeof(ccols[0]));
	for (size_t i = 0; i < n; i++) {
		const struct tcpreset_key *k = &rows[i].k;
		enum { S_DIR = TRACE_COL0, S_LADDR, S_LPORT, S_RADDR, S_RPORT, S_STATE, S_REASON,
		       S_COUNT };

		trace_summary_row(t);
		out_cell_str(t, S_DIR, k->dir == TCPRESET_SENT ? "sent" : "received");
		trace_cells_tuple(t, S_LADDR, &k->t);
		out_cell_str(t, S_STATE, k->has_sk ? tcp_state_name(k->state) : "-");
		out_field_bool(t, "socket", NULL, k->has_sk);
		reason_cells(t, S_REASON, k->dir, k->reason);
		out_cell_u64(t, S_COUNT, rows[i].n);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

TRACE_TRACER(tcpreset, "TCP resets", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = opt, .configure = configure, TRACE_EVENTS(event, struct tcpreset_event),
	     .summary = summary, .fini = fini);

TRACE_COMMAND(tcpreset, opts,
		.summary = "trace TCP resets sent and received, with tuple, state and reason",
		.about = "One line per TCP reset this host sends (tcp:tcp_send_reset) or receives\n"
			 "(tcp:tcp_receive_reset): direction, owner where known, tuple from this\n"
			 "host's side, the socket's TCP state (\"-\": no socket, e.g. a closed port)\n"
			 "and, for sent resets, the kernel's reason (enum sk_rst_reason, named from\n"
			 "the running kernel's BTF). -c counts in the kernel instead, printed on\n"
			 "exit or every -i SECS, without owners (their hooks, which run for every\n"
			 "TCP connection, are not attached unless -p/--comm need them).\n");
