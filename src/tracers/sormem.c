/* sormem: receive-buffer fill (sk_rmem_alloc against sk_rcvbuf) at each
 * socket receive, as histograms per process, protocol and local port, and
 * the receive-queue-full / memory-limit events per socket, all counted in
 * the kernel. */
#include "bpf/sormem.h"
#include "bpf/sormem.skel.h"
#include "command.h"
#include "trace/format.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/sockio_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(sormem)

static const struct trace_hook hooks[] = {
	SOCKIO_RECV_HOOK(sormem_recv),
	{ "sock_rcvqueue_full", { "sormem_qfull_btf", "sormem_qfull_raw" } },
	{ "sock_exceed_buf_limit", { "sormem_limit_btf", "sormem_limit_raw" } },
};

enum { OPT_BYTES = OPT_LONG };

static const struct opt opt_rows[] = {
	{ OPT_BYTES, "bytes", NULL,
	  "histograms of bytes in the receive buffer (log2), not % of rcvbuf" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_RUN_GROUP,
	TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static bool in_bytes;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)tc;
	(void)p;
	(void)c;
	in_bytes = true;
	return 0;
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	in_bytes = false;
}

struct fill_row {
	struct sockio_key k;
	struct sormem_hist h;
};

struct drop_row {
	struct sormem_drop_key k;
	struct sormem_drop v;
};

static int cmp_fill(const void *a, const void *b)
{
	return sockio_cmp_key(&((const struct fill_row *)a)->k, &((const struct fill_row *)b)->k);
}

/* Most events first; equal ones by key. */
static int cmp_drops(const void *a, const void *b)
{
	const struct drop_row *x = a, *y = b;

	if (x->v.events != y->v.events)
		return x->v.events > y->v.events ? -1 : 1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

/* The histogram's key and totals in its JSON record. */
static void hist_fields(struct table *t, const void *arg)
{
	const struct fill_row *r = arg;
	char comm[TR_COMM_LEN + 1], buf[32];

	snprintf(comm, sizeof(comm), "%.*s", TR_COMM_LEN, r->k.comm);
	out_field_u64(t, "pid", NULL, r->k.pid);
	out_field_str(t, "comm", NULL, comm);
	out_field_str(t, "proto", NULL, sockio_proto_name(buf, sizeof(buf), &r->k));
	out_field_u64(t, "lport", NULL, r->k.lport);
	out_field_u64(t, "reads", NULL, r->h.reads);
	out_field_u64(t, "rmem_mean", NULL, r->h.reads ? r->h.rmem_sum / r->h.reads : 0);
	out_field_u64(t, "rmem_max", NULL, r->h.rmem_max);
	out_field_u64(t, "rcvbuf", NULL, r->h.rcvbuf);
}

static void print_fill(struct trace_ctx *tc, void *skel)
{
	struct fill_row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct sormem_bpf *)skel)->maps.fill, rows, cmp_fill);

	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Receive buffer at each receive\n  (no samples)\n");
	for (size_t i = 0; i < n; i++) {
		const struct fill_row *r = &rows[i];
		char title[128], comm[TR_COMM_LEN + 1], buf[32];
		uint64_t slots[SORMEM_SLOTS], pct[SORMEM_PCT_SLOTS];

		snprintf(comm, sizeof(comm), "%.*s", TR_COMM_LEN, r->k.comm);
		snprintf(title, sizeof(title), "receive buffer %s, pid %u %s, %s port %u",
			 in_bytes ? "bytes" : "% of rcvbuf", r->k.pid, comm,
			 sockio_proto_name(buf, sizeof(buf), &r->k), r->k.lport);
		if (in_bytes) {
			memcpy(slots, r->h.slots, sizeof(slots));
			trace_hist_print_log2_with(title, "bytes", slots, SORMEM_SLOTS, hist_fields, r);
		} else {
			memcpy(pct, r->h.pct, sizeof(pct));
			trace_hist_print_linear_with(title, "percent", pct, SORMEM_PCT_SLOTS,
						     SORMEM_PCT_STEP, hist_fields, r);
		}
		if (!out_is_json() && r->h.reads)
			printf("%24s : %llu reads, mean %llu bytes, max %u bytes, rcvbuf %u\n", "",
			       (unsigned long long)r->h.reads,
			       (unsigned long long)(r->h.rmem_sum / r->h.reads), r->h.rmem_max,
			       r->h.rcvbuf);
	}
	free(rows);
}

static const char *kind_name(unsigned kind)
{
	return kind == SORMEM_QFULL ? "rcvqueue_full" : kind == SORMEM_LIMIT_RECV ? "limit_recv"
										: "limit_send";
}

static void print_drops(struct trace_ctx *tc, void *skel)
{
	enum { D_PROTO = TRACE_COL0, D_LADDR, D_LPORT, D_RADDR, D_RPORT, D_EVENT, D_COUNT,
	       D_BYTES, D_RMEM, D_RCVBUF };
	static const struct out_col dcols[] = {
		{ "PROTO", NULL, 0, 5 },
		TRACE_TUPLE_COLS,
		{ "EVENT", "event", 0, 13 },
		{ "COUNT", "count", OUT_RIGHT, 6 },
		{ "BYTES", "bytes", OUT_RIGHT, 8 },
		{ "RMEM", "rmem", OUT_RIGHT, 8 },
		{ "RCVBUF", "rcvbuf", OUT_RIGHT, 8 },
	};
	struct drop_row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct sormem_bpf *)skel)->maps.drops, rows, cmp_drops);
	struct table *t;

	if (!out_is_json())
		printf("\nReceive queue full / memory limit events, per socket\n");
	t = trace_summary_begin(dcols, (int)(sizeof(dcols) / sizeof(dcols[0])));
	for (size_t i = 0; i < n; i++) {
		const struct drop_row *r = &rows[i];
		struct sockio_key k = { .family = r->k.t.family, .type = r->k.type,
					.protocol = r->k.protocol };

		trace_summary_row(t);
		sockio_cells_proto(t, D_PROTO, &k);
		trace_cells_tuple(t, D_LADDR, &r->k.t);
		out_cell_str(t, D_EVENT, kind_name(r->k.kind));
		out_cell_u64(t, D_COUNT, r->v.events);
		out_cell_u64(t, D_BYTES, r->v.bytes);
		out_cell_u64(t, D_RMEM, r->v.rmem);
		out_cell_u64(t, D_RCVBUF, r->v.rcvbuf);
		if (r->k.kind != SORMEM_QFULL)
			out_field_i64(t, "allocated_pages", NULL, r->v.allocated);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	print_fill(tc, skel);
	print_drops(tc, skel);
}

TRACE_TRACER(sormem, "socket receive-buffer use", TRACE_HOOKS(hooks), .opts = opts, .opt = opt,
	     .summary = summary, .fini = fini);

TRACE_COMMAND(sormem, opts,
		.summary = "receive-buffer fill at each socket receive, and receive-queue drops",
		.about = "At every socket receive that returns (sock:sock_recv_length), how much\n"
			 "memory is still charged to the socket's receive queue (sk_rmem_alloc,\n"
			 "read after recvmsg took its data: what the reader leaves behind) against\n"
			 "its limit (sk_rcvbuf): histograms kept in the kernel per process,\n"
			 "protocol and local port, in percent of sk_rcvbuf (--bytes: log2 of\n"
			 "bytes). Then, per socket (tuple and protocol: these run in softirq,\n"
			 "where the process is unknown), the packets dropped for a full queue\n"
			 "(sock:sock_rcvqueue_full: raw and ping sockets; UDP and TCP overflow\n"
			 "without it) and the memory charges refused over tcp_mem/udp_mem or the\n"
			 "memory cgroup (sock:sock_exceed_buf_limit). -p/--comm apply to the\n"
			 "receives only. Printed on exit, or every -i SECS (then cleared).\n"
			 "Before kernel 6.3 the receive system calls stand in for\n"
			 "sock:sock_recv_length.\n");
