/* tcptop: the busiest TCP connections by bytes sent and received per
 * interval, with process and namespace; redrawn in place on a terminal. */
#include "bpf/tcptop.h"
#include "bpf/tcptop.skel.h"
#include "base/stamp.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/sockio_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TRACE_SKEL_GLUE(tcptop)

static const struct trace_hook hooks[] = {
	SOCKIO_HOOKS(tcptop),
};

enum { OPT_SORT = OPT_LONG };
enum { SORT_TOTAL, SORT_TX, SORT_RX };

static const struct opt opt_rows[] = {
	{ OPT_SORT, "sort", "tx|rx|total", "order of the rows (default total)" },
	{ 'r', "rows", "N", "rows per interval (default 20 in text, all in JSON; 0: all)" },
	OPT_END,
};

/* -n is the common --count (intervals): rows are -r, as bcc's top tools
 * (biotop, filetop: -r MAXROWS) name them. */
static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_RUN_GROUP,
	TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static struct {
	int sort;
	long rows; /* -1: default */
	/* the previous snapshot, sorted by key */
	struct flow *prev;
	size_t nprev;
	uint64_t last_ns;
} st = { .rows = -1 };

struct flow {
	struct tcptop_key k;
	struct tcptop_val v;
	uint64_t dtx, drx;
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	unsigned long v;

	(void)tc;
	if (c == 'r') {
		if (opts_ulong(p, 0, 1000000, &v))
			return EXIT_USAGE;
		st.rows = (long)v;
		return 0;
	}
	if (strcmp(p->arg, "total") == 0)
		st.sort = SORT_TOTAL;
	else if (strcmp(p->arg, "tx") == 0)
		st.sort = SORT_TX;
	else if (strcmp(p->arg, "rx") == 0)
		st.sort = SORT_RX;
	else
		return opts_fail(p, "expected tx, rx or total, got '%s'", p->arg);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct flow *)a)->k, &((const struct flow *)b)->k,
		      sizeof(struct tcptop_key));
}

static uint64_t metric(const struct flow *f)
{
	return st.sort == SORT_TX ? f->dtx : st.sort == SORT_RX ? f->drx : f->dtx + f->drx;
}

/* Rows with equal counts in a stable order: what the row shows, then the
 * key (a socket address, which differs between runs). */
static int cmp_busy(const void *a, const void *b)
{
	const struct flow *f = a, *g = b;
	uint64_t x = metric(f), y = metric(g);
	int c;

	if (x != y)
		return x > y ? -1 : 1;
	if ((c = memcmp(&f->v.t, &g->v.t, sizeof(f->v.t))) != 0)
		return c;
	if (f->v.netns != g->v.netns)
		return f->v.netns < g->v.netns ? -1 : 1;
	if (f->k.pid != g->k.pid)
		return f->k.pid < g->k.pid ? -1 : 1;
	return cmp_key(a, b);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

enum { C_PID, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_TX, C_RX, C_NETNS };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	TRACE_TUPLE_COLS,
	{ "TX_KB", NULL, OUT_RIGHT, 8 },
	{ "RX_KB", NULL, OUT_RIGHT, 8 },
	{ "NETNS", "netns", OUT_RIGHT, 10 },
};

static void print_rows(struct flow *rows, size_t n, double secs)
{
	bool json = out_is_json();
	bool tty = !json && isatty(STDOUT_FILENO);
	uint64_t ttx = 0, trx = 0;
	size_t limit = st.rows >= 0 ? (size_t)st.rows : json ? 0 : 20;
	struct interval_stamp now;

	if (trace_stamp())
		now = *trace_stamp();
	else
		interval_stamp_now(&now);
	for (size_t i = 0; i < n; i++) {
		ttx += rows[i].dtx;
		trx += rows[i].drx;
	}
	if (!json) {
		if (tty)
			out_term_clear();
		else if (st.prev)
			out_blank();
		out_line("%s  %zu connection%s  TX %.1f KB/s  RX %.1f KB/s  (sorted by %s)", now.clock,
			 n, n == 1 ? "" : "s", secs > 0 ? (double)ttx / 1024 / secs : 0,
			 secs > 0 ? (double)trx / 1024 / secs : 0,
			 st.sort == SORT_TX ? "tx" : st.sort == SORT_RX ? "rx" : "total");
	}
	if (!n)
		return;
	struct table *t = out_table_begin(cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		const struct flow *f = &rows[i];
		out_row_begin(t);
		out_field_double(t, "time", NULL, now.epoch, 6);
		out_field_double(t, "interval_s", NULL, secs, 3);
		trace_cells_task(t, C_PID, f->k.pid, f->v.comm);
		trace_cells_tuple(t, C_LADDR, &f->v.t);
		out_cell_fmt(t, C_TX, "%.1f", (double)f->dtx / 1024);
		out_cell_fmt(t, C_RX, "%.1f", (double)f->drx / 1024);
		out_field_u64(t, "tx_bytes", NULL, f->dtx);
		out_field_u64(t, "rx_bytes", NULL, f->drx);
		out_cell_u64(t, C_NETNS, f->v.netns);
		out_row_end(t);
	}
	out_table_end(t);
}

/* A flow that moved nothing since the last read leaves the kernel table,
 * so the table holds the flows of the last interval or two and closed
 * ones do not fill it (it is a plain hash: a new flow that finds it full
 * is counted, not evicting a live one). Lookup-and-delete hands back what
 * the flow moved since it was read; a send that had already looked the
 * entry up when it went is lost, a window of microseconds on a flow idle
 * for a whole interval. True when f left the table. */
static bool retire_idle(int fd, struct flow *f, const struct flow *prev)
{
	struct tcptop_val v;

	if (!prev || f->v.tx_bytes != prev->v.tx_bytes || f->v.rx_bytes != prev->v.rx_bytes)
		return false;
	if (bpf_map_lookup_and_delete_elem(fd, &f->k, &v) != 0)
		return false;
	f->v = v;
	return true;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct tcptop_bpf *s = skel;
	struct {
		struct tcptop_key k;
		struct tcptop_val v;
	} *recs;
	size_t n = trace_map_read(s->maps.flows, (void **)&recs, false), nrows = 0, nkept = 0;
	int fd = bpf_map__fd(s->maps.flows);
	struct flow *cur = calloc(n ? n : 1, sizeof(*cur)), *rows;
	uint64_t now = mono_ns();
	double secs;

	_Static_assert(sizeof(struct tcptop_key) % 8 == 0, "trace_map_read layout");
	(void)final;
	if (!cur)
		abort();
	for (size_t i = 0; i < n; i++) {
		cur[i].k = recs[i].k;
		cur[i].v = recs[i].v;
	}
	free(recs);
	if (n)
		qsort(cur, n, sizeof(*cur), cmp_key);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct flow *p = st.nprev ? bsearch(&cur[i], st.prev, st.nprev, sizeof(*cur), cmp_key)
					  : NULL;
		uint64_t ptx = p ? p->v.tx_bytes : 0, prx = p ? p->v.rx_bytes : 0;
		bool retired = retire_idle(fd, &cur[i], p);
		cur[i].dtx = cur[i].v.tx_bytes - ptx;
		cur[i].drx = cur[i].v.rx_bytes - prx;
		if (cur[i].dtx || cur[i].drx)
			rows[nrows++] = cur[i];
		if (!retired)
			cur[nkept++] = cur[i]; /* still sorted by key */
	}
	qsort(rows, nrows, sizeof(*rows), cmp_busy);
	secs = (double)(now - (st.last_ns ? st.last_ns : tc->mono_start)) / 1e9;
	print_rows(rows, nrows, secs);
	free(rows);
	free(st.prev);
	st.prev = cur;
	st.nprev = nkept;
	st.last_ns = now;
	if (final) {
		free(st.prev);
		st.prev = NULL;
		st.nprev = 0;
	}
}

TRACE_TRACER(tcptop, "TCP bytes per connection and process", TRACE_HOOKS(hooks), .opts = opts,
	     .opt = opt, .summary = summary, .default_interval = 1);

TRACE_COMMAND(tcptop, opts,
		.summary = "busiest TCP connections by bytes sent and received, like top",
		.about = "Bytes each process sent and received on each TCP connection in each\n"
			 "interval (-i SECS, default 1; -n N stops after N), counted in the kernel\n"
			 "when send/recv/read/write return (sock:sock_send_length,\n"
			 "sock:sock_recv_length): each byte once, recv(MSG_PEEK) not counted.\n"
			 "Redrawn in place when stdout is a terminal, rolling output otherwise;\n"
			 "JSON: one record per connection and interval. sendfile()/splice()\n"
			 "traffic is not seen.\n");
