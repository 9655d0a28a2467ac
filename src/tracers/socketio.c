/* socketio: socket I/O by process, direction, protocol and port pair: calls,
 * bytes and errors counted in the kernel, busiest first. */
#include "bpf/socketio.h"
#include "bpf/socketio.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/sockio_util.h"

#include <stdlib.h>

TRACE_SKEL_GLUE(socketio)

static const struct trace_hook hooks[] = { SOCKIO_HOOKS(socketio) };

static const struct opt opt_rows[] = {
	{ 'r', "rows", "N", "rows per summary, busiest first (default 20 in text, all in JSON; 0: all)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_RUN_GROUP,
	TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static long max_rows = -1; /* -1: the default */

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	unsigned long v;

	(void)tc;
	(void)c;
	if (opts_ulong(p, 0, 1000000, &v))
		return EXIT_USAGE;
	max_rows = (long)v;
	return 0;
}

enum { C_PID = TRACE_COL0, C_COMM, C_DIR, C_PROTO, C_LPORT, C_RPORT, C_CALLS, C_BYTES, C_ERRORS };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "DIR", "dir", 0, 4 },
	{ "PROTO", NULL, 0, 5 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
	{ "CALLS", "calls", OUT_RIGHT, 6 },
	{ "BYTES", "bytes", OUT_RIGHT, 8 },
	{ "ERRORS", "errors", OUT_RIGHT, 6 },
};

struct row {
	struct sockio_key k;
	struct socketio_val v;
};

/* Busiest first (bytes, then calls, then errors); equal rows by key. */
static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->v.bytes != y->v.bytes)
		return x->v.bytes > y->v.bytes ? -1 : 1;
	if (x->v.calls != y->v.calls)
		return x->v.calls > y->v.calls ? -1 : 1;
	if (x->v.errors != y->v.errors)
		return x->v.errors > y->v.errors ? -1 : 1;
	return sockio_cmp_key(&x->k, &y->k);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, ((struct socketio_bpf *)skel)->maps.io, rows, cmp_rows);
	size_t limit = max_rows >= 0 ? (size_t)max_rows : out_is_json() ? 0 : 20;
	struct table *t = trace_summary_begin(cols, (int)(sizeof(cols) / sizeof(cols[0])));

	(void)final;
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		const struct row *r = &rows[i];
		trace_summary_row(t);
		trace_cells_task(t, C_PID, r->k.pid, r->k.comm);
		out_cell_str(t, C_DIR, sockio_dir_name(r->k.dir));
		sockio_cells_proto(t, C_PROTO, &r->k);
		out_cell_u64(t, C_LPORT, r->k.lport);
		out_cell_u64(t, C_RPORT, r->k.rport);
		out_cell_u64(t, C_CALLS, r->v.calls);
		out_cell_u64(t, C_BYTES, r->v.bytes);
		out_cell_u64(t, C_ERRORS, r->v.errors);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

TRACE_TRACER(socketio, "socket I/O by process, protocol and port", TRACE_HOOKS(hooks),
	     .opts = opts, .opt = opt, .summary = summary);

TRACE_COMMAND(socketio, opts,
		.summary = "socket I/O calls and bytes by process, direction, protocol and port",
		.about = "Counts in the kernel every socket send and receive that returns\n"
			 "(sock:sock_send_length, sock:sock_recv_length: send, recv, read,\n"
			 "write, sendmsg, ... on any socket family) by process, direction,\n"
			 "protocol and local/remote port: calls, bytes, and calls that failed\n"
			 "(ERRORS, e.g. EAGAIN). Printed busiest first on exit, or every -i SECS\n"
			 "(each row then starts with the time). Ports are 0 outside IPv4/IPv6,\n"
			 "RPORT is 0 on unconnected sockets (UDP sendto/recvfrom); recv(MSG_PEEK)\n"
			 "is not counted; sendfile()/splice() are not seen. Before kernel 6.3\n"
			 "the send/recv system calls stand in for the two tracepoints.\n");
