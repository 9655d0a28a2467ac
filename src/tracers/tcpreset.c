/* tcpreset: TCP resets sent and received, with tuple, state and reason. */
#include "bpf/tcpreset.h"
#include "bpf/tcpreset.skel.h"
#include "command.h"
#include "trace/trace.h"
#include "tracers/btfenum_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

TRACE_SKEL_GLUE(tcpreset)

enum { C_DIR = TRACE_COL0, C_PID, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_STATE, C_REASON };

static const struct out_col cols[] = {
	{ "DIR", "direction", 0, 8 },
	{ "PID", "pid", OUT_RIGHT, 7 },
	{ "COMM", "comm", 0, 15 },
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RADDR", "raddr", 0, 15 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
	{ "STATE", "state", 0, 11 },
	{ "REASON", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "tcp_send_reset", { "tcpreset_send_btf", "tcpreset_send_raw" } },
	{ "tcp_receive_reset", { "tcpreset_recv_btf", "tcpreset_recv_raw" } },
	{ "inet_sock_set_state (owners)", { "tcpreset_state_btf", "tcpreset_state_raw" } },
	TRACE_ACCEPT_HOOKS(tcpreset),
};

static const struct option longopts[] = {
	{ "sent", no_argument, NULL, 'S' },
	{ "received", no_argument, NULL, 'R' },
	{ "counts", no_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

struct priv {
	struct btfenum_names reasons; /* enum sk_rst_reason, empty if absent */
	bool sent_only, received_only;
};

static struct priv priv;

static int opt(struct trace_ctx *tc, int c, const char *arg)
{
	(void)arg;
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
	((struct tcpreset_bpf *)skel)->rodata->count_mode = tc->summary_mode;
	/* -c shows no owners: their hooks (every state change and accept())
	 * are left out unless -p/--comm filter on them */
	if (tc->summary_mode && !tc->o.filter.pid && !tc->o.filter.comm_set) {
		trace_hook_off(tc, "inet_sock_set_state (owners)");
		trace_hook_off(tc, TRACE_ACCEPT4_HOOK);
		trace_hook_off(tc, TRACE_ACCEPT_HOOK);
	}
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

static void event(struct trace_ctx *tc, const void *data, size_t len)
{
	const struct tcpreset_event *e = data;
	struct table *t;

	if (len < sizeof(*e))
		return;
	t = trace_row_begin(tc, &e->h);
	out_cell_str(t, C_DIR, e->dir == TCPRESET_SENT ? "sent" : "received");
	trace_cells_task(t, C_PID, C_COMM, e->h.pid, e->h.comm);
	trace_cells_tuple(t, C_LADDR, C_LPORT, C_RADDR, C_RPORT, &e->t);
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
		{ "LADDR", "laddr", 0, 15 },
		{ "LPORT", "lport", OUT_RIGHT, 5 },
		{ "RADDR", "raddr", 0, 15 },
		{ "RPORT", "rport", OUT_RIGHT, 5 },
		{ "STATE", "state", 0, 11 },
		{ "REASON", NULL, 0, 14 },
		{ "COUNT", "count", OUT_RIGHT, 6 },
	};
	struct count_row *rows;
	size_t n = trace_map_read(((struct tcpreset_bpf *)skel)->maps.counts, (void **)&rows,
				  tc->o.interval > 0);
	struct table *t;

	_Static_assert(sizeof(struct tcpreset_key) % 8 == 0, "trace_map_read layout");
	(void)final;
	qsort(rows, n, sizeof(*rows), cmp_rows);
	t = out_table_begin(ccols, sizeof(ccols) / sizeof(ccols[0]));
	for (size_t i = 0; i < n; i++) {
		const struct tcpreset_key *k = &rows[i].k;

		out_row_begin(t);
		out_cell_str(t, 0, k->dir == TCPRESET_SENT ? "sent" : "received");
		trace_cells_tuple(t, 1, 2, 3, 4, &k->t);
		out_cell_str(t, 5, k->has_sk ? tcp_state_name(k->state) : "-");
		out_field_bool(t, "socket", NULL, k->has_sk);
		reason_cells(t, 6, k->dir, k->reason);
		out_cell_u64(t, 7, rows[i].n);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

static const struct tracer tcpreset = {
	.name = "tcpreset",
	.doing = "TCP resets",
	TRACE_HOOKS(hooks),
	TRACE_COLS(cols),
	.shortopts = "SRc",
	.longopts = longopts,
	.opt = opt,
	TRACE_SKEL(tcpreset),
	.configure = configure,
	.event = event,
	.summary = summary,
};

static int run(int argc, char **argv)
{
	int r = trace_main(&tcpreset, argc, argv);
	btfenum_free(&priv.reasons);
	return r;
}

NETLENS_COMMAND(tcpreset, .name = "tcpreset", .run = run,
		.flags = CMD_NEEDS_BPF | CMD_NEEDS_BTF | CMD_ALIAS,
		.summary = "trace TCP resets sent and received, with tuple, state and reason",
		.usage = "usage: netlens tcpreset [options]\n\n"
			 "One line per TCP reset this host sends (tcp:tcp_send_reset) or receives\n"
			 "(tcp:tcp_receive_reset): direction, owner where known, tuple from this\n"
			 "host's side, the socket's TCP state (\"-\": no socket, e.g. a closed port)\n"
			 "and, for sent resets, the kernel's reason (enum sk_rst_reason, named from\n"
			 "the running kernel's BTF).\n\n"
			 "  -S, --sent         only resets sent\n"
			 "  -R, --received     only resets received\n"
			 "  -c, --counts       count resets per flow, direction, state and reason in\n"
			 "                     the kernel; print on exit, or every -i SECS for\n"
			 "                     --rounds N; no owners (their hooks, which run for\n"
			 "                     every TCP connection, are not attached)\n\n"
			 TRACE_COMMON_USAGE);
