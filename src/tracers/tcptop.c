/* tcptop: the busiest TCP connections by bytes sent and received per
 * interval, with process and namespace; redrawn in place on a terminal. */
#include "bpf/tcptop.h"
#include "bpf/tcptop.skel.h"
#include "command.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TRACE_SKEL_GLUE(tcptop)

static const struct trace_hook hooks[] = {
	{ "sock_send_length", { "tcptop_send_btf", "tcptop_send_raw" } },
	{ "sock_recv_length", { "tcptop_recv_btf", "tcptop_recv_raw" } },
};

enum { OPT_SORT = 512 };
enum { SORT_TOTAL, SORT_TX, SORT_RX };

static const struct option longopts[] = {
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "rows", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
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

static int opt(struct trace_ctx *tc, int c, const char *arg)
{
	unsigned long v;

	(void)tc;
	if (c == 'n') {
		if (trace_parse_ulong("--rows", arg, 1000000, &v))
			return EXIT_USAGE;
		st.rows = (long)v;
		return 0;
	}
	if (c != OPT_SORT)
		return EXIT_USAGE;
	if (strcmp(arg, "total") == 0)
		st.sort = SORT_TOTAL;
	else if (strcmp(arg, "tx") == 0)
		st.sort = SORT_TX;
	else if (strcmp(arg, "rx") == 0)
		st.sort = SORT_RX;
	else {
		fprintf(stderr, "netlens: error: --sort: expected tx, rx or total, got '%s'\n", arg);
		return EXIT_USAGE;
	}
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	(void)skel;
	tc->summary_mode = true;
	if (!(tc->o.interval > 0))
		tc->o.interval = 1;
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
	{ "PID", "pid", OUT_RIGHT, 7 },
	{ "COMM", "comm", 0, 15 },
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RADDR", "raddr", 0, 15 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
	{ "TX_KB", NULL, OUT_RIGHT, 8 },
	{ "RX_KB", NULL, OUT_RIGHT, 8 },
	{ "NETNS", "netns", OUT_RIGHT, 10 },
};

static void print_rows(struct trace_ctx *tc, struct flow *rows, size_t n, double secs)
{
	bool json = out_is_json();
	bool tty = !json && isatty(STDOUT_FILENO);
	uint64_t ttx = 0, trx = 0;
	size_t limit = st.rows >= 0 ? (size_t)st.rows : json ? 0 : 20;
	char tm_s[32];
	time_t now = time(NULL);
	struct tm tm;

	for (size_t i = 0; i < n; i++) {
		ttx += rows[i].dtx;
		trx += rows[i].drx;
	}
	if (!json) {
		localtime_r(&now, &tm);
		strftime(tm_s, sizeof(tm_s), "%H:%M:%S", &tm);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (st.prev)
			putchar('\n');
		printf("%s  %zu connection%s  TX %.1f KB/s  RX %.1f KB/s  (sorted by %s)\n", tm_s, n,
		       n == 1 ? "" : "s", secs > 0 ? (double)ttx / 1024 / secs : 0,
		       secs > 0 ? (double)trx / 1024 / secs : 0,
		       st.sort == SORT_TX ? "tx" : st.sort == SORT_RX ? "rx" : "total");
	}
	if (!n)
		return;
	struct table *t = out_table_begin(cols, sizeof(cols) / sizeof(cols[0]));
	double wall = (double)((int64_t)mono_ns() + tc->wall_offset) / 1e9;
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		const struct flow *f = &rows[i];
		out_row_begin(t);
		out_field_double(t, "time", NULL, wall, 6);
		out_field_double(t, "interval_s", NULL, secs, 3);
		trace_cells_task(t, C_PID, C_COMM, f->k.pid, f->v.comm);
		trace_cells_tuple(t, C_LADDR, C_LPORT, C_RADDR, C_RPORT, &f->v.t);
		out_cell_fmt(t, C_TX, "%.1f", (double)f->dtx / 1024);
		out_cell_fmt(t, C_RX, "%.1f", (double)f->drx / 1024);
		out_field_u64(t, "tx_bytes", NULL, f->dtx);
		out_field_u64(t, "rx_bytes", NULL, f->drx);
		out_cell_u64(t, C_NETNS, f->v.netns);
		out_row_end(t);
	}
	out_table_end(t);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct tcptop_bpf *s = skel;
	int fd = bpf_map__fd(s->maps.flows);
	struct flow *cur = NULL, *rows;
	struct tcptop_key k, *prevk = NULL;
	size_t n = 0, cap = 0, nrows = 0;
	uint64_t now = mono_ns();
	double secs;

	(void)final;
	while (bpf_map_get_next_key(fd, prevk, &k) == 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			cur = realloc(cur, cap * sizeof(*cur));
			if (!cur)
				abort();
		}
		cur[n].k = k;
		prevk = &cur[n].k;
		if (bpf_map_lookup_elem(fd, &k, &cur[n].v) == 0)
			n++;
	}
	if (n)
		qsort(cur, n, sizeof(*cur), cmp_key);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct flow *p = st.nprev ? bsearch(&cur[i], st.prev, st.nprev, sizeof(*cur), cmp_key)
					  : NULL;
		uint64_t ptx = p ? p->v.tx_bytes : 0, prx = p ? p->v.rx_bytes : 0;
		cur[i].dtx = cur[i].v.tx_bytes - ptx;
		cur[i].drx = cur[i].v.rx_bytes - prx;
		/* an LRU eviction and re-creation restarts the counters */
		if (cur[i].v.tx_bytes < ptx || cur[i].v.rx_bytes < prx) {
			cur[i].dtx = cur[i].v.tx_bytes;
			cur[i].drx = cur[i].v.rx_bytes;
		}
		if (cur[i].dtx || cur[i].drx)
			rows[nrows++] = cur[i];
	}
	qsort(rows, nrows, sizeof(*rows), cmp_busy);
	secs = (double)(now - (st.last_ns ? st.last_ns : tc->mono_start)) / 1e9;
	print_rows(tc, rows, nrows, secs);
	free(rows);
	free(st.prev);
	st.prev = cur ? cur : calloc(1, sizeof(*cur));
	st.nprev = n;
	st.last_ns = now;
	if (final) {
		free(st.prev);
		st.prev = NULL;
		st.nprev = 0;
	}
}

static const struct tracer tcptop = {
	.name = "tcptop",
	.doing = "TCP bytes per connection and process",
	TRACE_HOOKS(hooks),
	.shortopts = "n:",
	.longopts = longopts,
	.opt = opt,
	TRACE_SKEL(tcptop),
	.configure = configure,
	.summary = summary,
};

TRACE_COMMAND(tcptop, .name = "tcptop",
		.summary = "busiest TCP connections by bytes sent and received, like top",
		.usage = "usage: netlens tcptop [options]\n\n"
			 "Bytes each process sent and received on each TCP connection in each\n"
			 "interval (-i SECS, default 1), counted in the kernel when send/recv/read/\n"
			 "write return (sock:sock_send_length, sock:sock_recv_length): each byte\n"
			 "once, recv(MSG_PEEK) not counted. Redrawn in place when stdout is a\n"
			 "terminal, rolling output otherwise; JSON: one record per connection and\n"
			 "interval. sendfile()/splice() traffic is not seen.\n\n"
			 "      --sort tx|rx|total   order of the rows (default total)\n"
			 "  -n, --rows N             rows per interval (default 20 on text, all in\n"
			 "                           JSON; 0: all)\n\n"
			 TRACE_COMMON_USAGE);
