/* tcpretrans: retransmitted TCP segments and SYN-ACKs; -c counts per flow. */
#include "bpf/tcpretrans.h"
#include "bpf/tcpretrans.skel.h"
#include "command.h"
#include "trace/format.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

TRACE_SKEL_GLUE(tcpretrans)

enum {
	C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_STATE, C_TYPE, C_SEQ,
	C_LEN, C_FLAGS
};

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "STATE", "state", 0, 12 },
	{ "TYPE", "type", 0, 6 },
	{ "SEQ", "seq", OUT_RIGHT, 10 },
	{ "LEN", "len", OUT_RIGHT, 5 },
	{ "FLAGS", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "tcp_retransmit_skb", { "tcpretrans_skb_btf", "tcpretrans_skb_raw" } },
	/* the runs the kernel skips when they nest in another (tcpretrans.bpf.c) */
	{ "tcp_retransmit_skb (nested runs)", { "tcpretrans_skb_btf_nest", "tcpretrans_skb_raw_nest" },
	  .optional = true, .backup = true },
	{ "tcp_retransmit_synack", { "tcpretrans_synack_btf", "tcpretrans_synack_raw" } },
	{ TRACE_OWNER_STATE_HOOK, { "tcpretrans_state_btf", "tcpretrans_state_raw" } },
	TRACE_ACCEPT_HOOKS(tcpretrans),
};

enum { OPT_OWNERS = OPT_LONG };

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count retransmitted segments per flow in the kernel; no PID/COMM" },
	{ OPT_OWNERS, "owners", NULL,
	  "with -c: track owners and show PID/COMM (~2 us per TCP connection made)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

/* Whether sockets' owners are tracked: always for events; with -c only
 * when asked (--owners) or needed (-p/--comm), as the owner hooks run for
 * every TCP state change and accept(), which costs more than counting the
 * rare retransmissions (about 2 us per short connection, see the doc). */
static bool owners_asked, owners;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)p;
	if (c == 'c')
		tc->summary_mode = true;
	else
		owners_asked = true;
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	(void)skel;
	owners = !tc->summary_mode || owners_asked || tc->o.filter.pid || tc->o.filter.comm_set;
	if (!owners)
		trace_owner_hooks_off(tc);
	return 0;
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct tcpretrans_event *e = data;
	struct table *t;
	char fl[64], en[32];

	t = trace_row_sock(tc, &e->h, C_PID, &e->t);
	out_cell_str(t, C_STATE, tcp_state_name(e->state));
	out_cell_str(t, C_TYPE, e->kind == TCPRETRANS_SYNACK ? "synack" : "seg");
	out_cell_u64(t, C_SEQ, e->seq);
	out_cell_u64(t, C_LEN, e->len);
	trace_tcp_flags_str(fl, e->tcp_flags);
	trace_xmit_err_name(en, sizeof(en), e->err);
	if (e->err && !out_is_json())
		out_cell_fmt(t, C_FLAGS, "%s failed:%s", fl, en);
	else
		out_cell_str(t, C_FLAGS, fl);
	out_field_str(t, "flags", NULL, fl);
	out_field_u64(t, "segs", NULL, e->segs);
	out_field_i64(t, "err", NULL, e->err);
	if (e->err)
		out_field_str(t, "err_name", NULL, en);
	trace_row_end(tc, &e->h);
}

struct count_row {
	struct tr_tuple k;
	struct tcpretrans_count v;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return x->v.segs < y->v.segs ? 1 : x->v.segs > y->v.segs ? -1 : 0;
}

/* Without owners the PID and COMM columns are hidden. */
static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	const struct out_col ccols[] = {
		{ owners ? "PID" : NULL, owners ? "pid" : NULL, OUT_RIGHT, 7 },
		{ owners ? "COMM" : NULL, owners ? "comm" : NULL, 0, 15 },
		TRACE_TUPLE_COLS,
		{ "RETRANS", "retrans_segs", OUT_RIGHT, 7 },
		{ "SYNACK", "synacks", OUT_RIGHT, 6 },
		{ "FAILED", "failed", OUT_RIGHT, 6 },
	};
	struct count_row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct tcpretrans_bpf *)skel)->maps.counts, rows,
				      cmp_rows);
	struct table *t;

	(void)final;
	t = trace_summary_begin(ccols, (int)(sizeof(ccols) / sizeof(ccols[0])));
	for (size_t i = 0; i < n; i++) {
		const struct count_row *r = &rows[i];
		enum { S_PID = TRACE_COL0, S_COMM, S_LADDR, S_LPORT, S_RADDR, S_RPORT, S_SEGS,
		       S_SYNACKS, S_FAILED };

		trace_summary_row(t);
		trace_cells_task(t, S_PID, r->v.pid, r->v.comm);
		trace_cells_tuple(t, S_LADDR, &r->k);
		out_cell_u64(t, S_SEGS, r->v.segs);
		out_cell_u64(t, S_SYNACKS, r->v.synacks);
		out_cell_u64(t, S_FAILED, r->v.failed);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

TRACE_TRACER(tcpretrans, "TCP retransmissions", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = opt, .configure = configure,
	     TRACE_EVENTS(event, struct tcpretrans_event), .summary = summary);

TRACE_COMMAND(tcpretrans, opts,
		.summary = "trace TCP retransmissions and SYN-ACK retransmits, per flow",
		.about = "One line per retransmitted TCP segment (tcp:tcp_retransmit_skb) and per\n"
			 "re-sent SYN-ACK (tcp:tcp_retransmit_synack): owner where known (sockets\n"
			 "connected, listening or accepted while tracing), tuple, TCP state, sequence\n"
			 "number, length and flags; a failed attempt shows why (failed:NET_XMIT_DROP\n"
			 "when a qdisc dropped it, failed:EBUSY ... for an errno).\n"
			 "JSON adds \"segs\" (what TcpRetransSegs counts), \"err\" and, when it is\n"
			 "not 0, \"err_name\". Tail loss probes that re-send the last segment count\n"
			 "in TcpRetransSegs but have no tracepoint, so they are not seen.\n"
			 "-c counts per flow in the kernel instead and prints on exit, or every\n"
			 "-i SECS.\n");
