/* soaccept: accept()/accept4() calls with the peer, result and latency. */
#include "bpf/soaccept.h"
#include "bpf/soaccept.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_util.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

TRACE_SKEL_GLUE(soaccept)

enum { C_PID = TRACE_COL0, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_FD, C_NEWFD, C_LAT,
       C_RESULT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "FD", "fd", OUT_RIGHT, 3 },
	{ "NEWFD", NULL, OUT_RIGHT, 5 },
	{ "LAT(ms)", NULL, OUT_RIGHT, 8 },
	{ "RESULT", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "sys_enter_accept4", { "soaccept_enter4" } },
	{ "sys_exit_accept4", { "soaccept_exit4" } },
	{ "sys_enter_accept", { "soaccept_enter" } },
	{ "sys_exit_accept", { "soaccept_exit" } },
};

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count accepts by command, local address and result in the kernel" },
	SO_UNIX_ROW,
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	return c == 'U' ? so_opt_unix(tc, p, c) : trace_opt_summary(tc, p, c);
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct soaccept_event *e = data;
	const char *fam = so_family_name(e->t.family);
	struct table *t;
	char peer[256];

	if (e->t.family == AF_UNIX) {
		t = trace_row_begin(tc, &e->h);
		trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
		so_cells_unix_name(t, C_LADDR, e->sa, e->salen < sizeof(e->sa) ? e->salen : sizeof(e->sa));
		out_cell_fmt(t, C_LPORT, "-"); /* text only: the JSON has "path" */
		out_cell_fmt(t, C_RADDR, "%s", so_sockaddr_str(peer, sizeof(peer), e->peer_sa,
								sizeof(e->peer_sa), e->peer_salen));
		out_cell_fmt(t, C_RPORT, "-");
		if (e->peer_salen > offsetof(struct sockaddr_un, sun_path))
			out_field_str(t, "peer_path", NULL, peer);
	} else {
		t = trace_row_sock(tc, &e->h, C_PID, &e->t);
	}
	if (fam)
		out_field_str(t, "family", NULL, fam);
	out_cell_i64(t, C_FD, e->fd);
	if (e->ret >= 0) {
		out_cell_i64(t, C_NEWFD, e->ret);
		out_field_i64(t, "new_fd", NULL, e->ret);
	} else {
		out_cell_fmt(t, C_NEWFD, "-");
	}
	out_cell_fixed(t, C_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	so_cells_result(t, C_RESULT, e->ret >= 0 ? 0 : e->ret);
	trace_row_end(tc, &e->h);
}

struct count_row {
	struct soaccept_key k;
	struct soaccept_val v;
};

static int cmp_count(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return so_count_cmp(x->v.count, x->k.comm, y->v.count, y->k.comm);
}

/* The local address of a count row: the text cell, and JSON family with
 * laddr and lport, or path. */
static void cells_local(struct table *t, int col, const struct soaccept_key *k)
{
	size_t n = k->salen < sizeof(k->sa) ? k->salen : sizeof(k->sa);
	uint16_t family = 0, port;
	char buf[256], a[64];

	if (n >= sizeof(family))
		memcpy(&family, k->sa, sizeof(family));
	memcpy(&port, k->sa + 2, sizeof(port));
	if (so_family_name(family))
		out_field_str(t, "family", NULL, so_family_name(family));
	if (family == AF_UNIX) {
		so_cells_unix_name(t, col, k->sa, n);
		return;
	}
	out_cell_fmt(t, col, "%s", so_sockaddr_str(buf, sizeof(buf), k->sa, sizeof(k->sa), n));
	if (family == AF_INET || family == AF_INET6) {
		out_field_str(t, "laddr", NULL,
			      trace_addr_str(a, family, k->sa + (family == AF_INET ? 4 : 8)));
		out_field_u64(t, "lport", NULL, ntohs(port));
	}
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	static const struct out_col count_cols[] = {
		SO_COUNT_COLS, { "LOCAL", NULL, OUT_LAST, 0 } };
	struct count_row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, ((struct soaccept_bpf *)skel)->maps.counts, rows,
				      cmp_count);
	struct table *t = trace_summary_begin(count_cols, 5);

	(void)final;
	for (size_t i = 0; i < n; i++) {
		const struct count_row *r = &rows[i];

		trace_summary_row(t);
		so_count_cells(t, r->v.count, r->k.comm, r->k.ret, r->v.lat_ns);
		cells_local(t, TRACE_COL0 + 4, &r->k);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

TRACE_TRACER(soaccept, "accept() calls", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = opt, TRACE_EVENTS(event, struct soaccept_event), .summary = summary);

TRACE_COMMAND(soaccept, opts,
		.summary = "trace accept() calls: peer, local port, result, latency",
		.about = "One line per accept()/accept4() system call when it returns: the\n"
			 "process, the accepted connection's local and remote address and port,\n"
			 "the listener's descriptor and the new one, how long the call took (the\n"
			 "wait for a connection included) and its result (ok, EAGAIN, EINTR,\n"
			 "EMFILE, ...). UNIX listeners show their path or @abstract name and the\n"
			 "peer's bound name. -c counts in the kernel by command, local address\n"
			 "and result instead, and prints the counts on exit, or every -i SECS.\n");
