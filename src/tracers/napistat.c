/* napistat: NAPI polls per device and CPU, and the NET_RX/NET_TX softirqs
 * per CPU with the softnet time squeeze beside them, per interval. */
#include "bpf/napistat.h"
#include "bpf/napistat.skel.h"
#include "command.h"
#include "sources/host.h"
#include "sources/softnet.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(napistat)

static const struct trace_hook hooks[] = {
	{ "napi_poll", { "napistat_poll_btf", "napistat_poll_raw" } },
	{ "softirq_entry", { "napistat_sirq_entry_btf", "napistat_sirq_entry_raw" } },
	{ "softirq_exit", { "napistat_sirq_exit_btf", "napistat_sirq_exit_raw" } },
};

/* One table, two kinds of rows: a CPU's ("DEV" *: its NAPI totals, its
 * softirqs and time squeeze), then one per NAPI device polled on it. */
enum { C_CPU = TRACE_COL0, C_DEV, C_POLLS, C_WORK, C_PERPOLL, C_BUDGET, C_FULL, C_POLLUS,
       C_RX, C_RXUS, C_TX, C_TXUS, C_SQUEEZE, C_END };

static const struct out_col cols[] = {
	{ "CPU", "cpu", OUT_RIGHT, 3 },
	{ "DEV", "dev", 0, 10 },
	{ "POLLS", "polls", OUT_RIGHT, 7 },
	{ "WORK", "work", OUT_RIGHT, 8 },
	{ "PERPOLL", NULL, OUT_RIGHT, 7 }, /* JSON: work_per_poll, a field */
	{ "BUDGET", "budget", OUT_RIGHT, 6 },
	{ "FULL", "full_budget", OUT_RIGHT, 6 },
	{ "POLL_US", "poll_us", OUT_RIGHT, 8 },
	{ "NET_RX", "net_rx", OUT_RIGHT, 7 },
	{ "RX_US", "net_rx_us", OUT_RIGHT, 8 },
	{ "NET_TX", "net_tx", OUT_RIGHT, 7 },
	{ "TX_US", "net_tx_us", OUT_RIGHT, 8 },
	{ "SQUEEZE", "time_squeeze", OUT_RIGHT, 7 },
};

static const struct opt_group opts[] = {
	TRACE_DEVNS_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

/* A NAPI's counters on one CPU at the last row. */
struct seen {
	__u64 napi;
	int cpu;
	struct napistat_napi v;
};

/* A row's NAPI counters for the interval (one device's NAPIs on a CPU
 * summed: a multi-queue device polls several on one CPU). */
struct nrow {
	int cpu;
	__u32 ifindex;
	char ifname[NAPISTAT_IFNAMSIZ + 1];
	__u64 polls, work, full, timed, poll_ns;
	__u32 budget;
};

static struct {
	struct table *t;
	int ncpu;
	struct seen *seen;
	size_t nseen, capseen;
	struct napistat_cpu *prev_cpu; /* [ncpu] */
	uint32_t *prev_squeeze;        /* [ncpu], from /proc/net/softnet_stat */
	bool have_squeeze;
	struct host *host;
} st;

static struct seen *seen_of(__u64 napi, int cpu)
{
	for (size_t i = 0; i < st.nseen; i++)
		if (st.seen[i].napi == napi && st.seen[i].cpu == cpu)
			return &st.seen[i];
	if (st.nseen == st.capseen) {
		st.capseen = st.capseen ? st.capseen * 2 : 64;
		st.seen = realloc(st.seen, st.capseen * sizeof(*st.seen));
		if (!st.seen)
			abort();
	}
	memset(&st.seen[st.nseen], 0, sizeof(*st.seen));
	st.seen[st.nseen].napi = napi;
	st.seen[st.nseen].cpu = cpu;
	return &st.seen[st.nseen++];
}

static struct nrow *nrow_of(struct nrow **rows, size_t *n, int cpu, const struct napistat_napi *v)
{
	for (size_t i = 0; i < *n; i++)
		if ((*rows)[i].cpu == cpu && (*rows)[i].ifindex == v->ifindex &&
		    strncmp((*rows)[i].ifname, v->ifname, NAPISTAT_IFNAMSIZ) == 0)
			return &(*rows)[i];
	*rows = realloc(*rows, (*n + 1) * sizeof(**rows));
	if (!*rows)
		abort();
	struct nrow *r = &(*rows)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->cpu = cpu;
	r->ifindex = v->ifindex;
	memcpy(r->ifname, v->ifname, NAPISTAT_IFNAMSIZ);
	return r;
}

/* What a NAPI's counters on CPU cpu gained since the last row, added to
 * the row of its CPU and device. */
static void add_napi(struct nrow **rows, size_t *n, __u64 napi, int cpu,
		     const struct napistat_napi *v)
{
	struct seen *s;
	struct nrow *r;

	if (!v->polls)
		return;
	s = seen_of(napi, cpu);
	if (v->polls == s->v.polls)
		return;
	r = nrow_of(rows, n, cpu, v);
	r->polls += v->polls - s->v.polls;
	r->work += v->work - s->v.work;
	r->full += v->full - s->v.full;
	r->timed += v->timed - s->v.timed;
	r->poll_ns += v->poll_ns - s->v.poll_ns;
	if (v->budget > r->budget)
		r->budget = v->budget;
	s->v = *v;
}

/* The NAPI counters gained since the last row, one row per CPU and device:
 * the slots (sv[i * ncpu + c], named by cv[c].slot_napi[i]; read before
 * cv, so a slot claimed in between is read as not yet polled) and the
 * hash. */
static size_t napi_rows(struct napistat_bpf *skel, const struct napistat_napi *sv,
			const struct napistat_cpu *cv, struct nrow **rows)
{
	int fd = bpf_map__fd(skel->maps.napis);
	struct napistat_napi *v = calloc((size_t)st.ncpu, sizeof(*v));
	__u64 key, *prev = NULL;
	size_t n = 0;

	if (!v)
		abort();
	*rows = NULL;
	for (int i = 0; i < NAPISTAT_SLOTS; i++)
		for (int c = 0; c < st.ncpu; c++)
			if (cv[c].slot_napi[i])
				add_napi(rows, &n, cv[c].slot_napi[i], c, &sv[i * st.ncpu + c]);
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v) != 0)
			continue;
		for (int c = 0; c < st.ncpu; c++)
			add_napi(rows, &n, key, c, &v[c]);
	}
	free(v);
	return n;
}

static int cmp_nrow(const void *a, const void *b)
{
	const struct nrow *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->work < y->work ? 1 : x->work > y->work ? -1 : 0;
}

/* /proc/net/softnet_stat's time_squeeze per CPU into sq[ncpu]; false when
 * it cannot be read. */
static bool read_squeeze(uint32_t *sq)
{
	struct softnet sn;

	if (!st.host || softnet_read(st.host, &sn) != 0)
		return false;
	memset(sq, 0, sizeof(*sq) * (size_t)st.ncpu);
	for (size_t i = 0; i < sn.n; i++)
		if (sn.cpu[i].cpu < (unsigned)st.ncpu)
			sq[sn.cpu[i].cpu] = sn.cpu[i].time_squeeze;
	softnet_free(&sn);
	return true;
}

static void cell_us(struct table *t, int col, const char *key, __u64 ns)
{
	out_cell_u64(t, col, ns / 1000);
	out_field_u64(t, key, NULL, ns);
}

static void napi_cells(struct table *t, const struct nrow *r)
{
	out_cell_u64(t, C_POLLS, r->polls);
	out_cell_u64(t, C_WORK, r->work);
	double per = r->polls ? (double)r->work / (double)r->polls : 0;

	out_cell_fixed(t, C_PERPOLL, per, 1);
	out_field_double(t, "work_per_poll", NULL, per, 2);
	out_cell_u64(t, C_FULL, r->full);
	cell_us(t, C_POLLUS, "poll_ns", r->poll_ns);
	out_field_u64(t, "timed_polls", NULL, r->timed);
}

static void summary(struct trace_ctx *tc, void *skel_, bool final)
{
	struct napistat_bpf *skel = skel_;
	struct napistat_cpu *cv = calloc((size_t)st.ncpu, sizeof(*cv));
	uint32_t *sq = calloc((size_t)st.ncpu, sizeof(*sq));
	struct napistat_napi *sv = calloc((size_t)st.ncpu * NAPISTAT_SLOTS, sizeof(*sv));
	bool have_sq = read_squeeze(sq);
	struct nrow *rows;
	size_t n, k = 0;
	__u32 zero = 0;

	(void)tc;
	if (!cv || !sq || !sv)
		abort();
	for (__u32 i = 0; i < NAPISTAT_SLOTS; i++)
		bpf_map__lookup_elem(skel->maps.slots, &i, sizeof(i), &sv[i * (size_t)st.ncpu],
				     sizeof(*sv) * (size_t)st.ncpu, 0);
	bpf_map__lookup_elem(skel->maps.cpus, &zero, sizeof(zero), cv, sizeof(*cv) * (size_t)st.ncpu,
			     0);
	n = napi_rows(skel, sv, cv, &rows);
	if (!st.t) {
		st.t = trace_summary_begin(cols, C_END - TRACE_COL0);
		out_table_stream(st.t);
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_nrow);
	for (int c = 0; c < st.ncpu; c++) {
		const struct napistat_cpu *p = &st.prev_cpu[c], *v = &cv[c];
		struct nrow tot = { .cpu = c };
		uint32_t dsq = have_sq && st.have_squeeze ? sq[c] - st.prev_squeeze[c] : 0;
		size_t first = k;

		for (; k < n && rows[k].cpu == c; k++) {
			tot.polls += rows[k].polls;
			tot.work += rows[k].work;
			tot.full += rows[k].full;
			tot.timed += rows[k].timed;
			tot.poll_ns += rows[k].poll_ns;
		}
		if (first == k && v->rx == p->rx && v->tx == p->tx && !dsq)
			continue;
		trace_summary_row(st.t);
		out_field_str(st.t, "kind", NULL, "cpu");
		out_cell_u64(st.t, C_CPU, (uint64_t)c);
		out_cell_str(st.t, C_DEV, "*");
		napi_cells(st.t, &tot);
		out_cell_u64(st.t, C_RX, v->rx - p->rx);
		cell_us(st.t, C_RXUS, "net_rx_ns", v->rx_ns - p->rx_ns);
		out_cell_u64(st.t, C_TX, v->tx - p->tx);
		cell_us(st.t, C_TXUS, "net_tx_ns", v->tx_ns - p->tx_ns);
		if (have_sq) {
			out_cell_u64(st.t, C_SQUEEZE, dsq);
			out_field_u64(st.t, "time_squeeze_total", NULL, sq[c]);
		}
		out_row_end(st.t);
		for (size_t i = first; i < k; i++) {
			trace_summary_row(st.t);
			out_field_str(st.t, "kind", NULL, "napi");
			out_cell_u64(st.t, C_CPU, (uint64_t)c);
			out_cell_str(st.t, C_DEV, rows[i].ifindex ? rows[i].ifname : "backlog");
			out_field_u64(st.t, "ifindex", NULL, rows[i].ifindex);
			napi_cells(st.t, &rows[i]);
			out_cell_u64(st.t, C_BUDGET, rows[i].budget);
			out_row_end(st.t);
		}
	}
	memcpy(st.prev_cpu, cv, sizeof(*cv) * (size_t)st.ncpu);
	if (have_sq) {
		memcpy(st.prev_squeeze, sq, sizeof(*sq) * (size_t)st.ncpu);
		st.have_squeeze = true;
	}
	free(rows);
	free(cv);
	free(sq);
	free(sv);
	if (final) {
		out_table_end(st.t);
		st.t = NULL;
	}
}

/* The squeeze counters at the start, so the first row shows what the
 * interval added. */
static int configure(struct trace_ctx *tc, void *skel)
{
	(void)skel;
	if (st.ncpu)
		return 0; /* a retry after a hook fell back */
	st.ncpu = libbpf_num_possible_cpus();
	if (st.ncpu <= 0)
		return out_error("%s: cannot count the CPUs: %s", tc->tr->name, strerror(-st.ncpu));
	st.prev_cpu = calloc((size_t)st.ncpu, sizeof(*st.prev_cpu));
	st.prev_squeeze = calloc((size_t)st.ncpu, sizeof(*st.prev_squeeze));
	st.host = host_live(NULL);
	if (!st.prev_cpu || !st.prev_squeeze || !st.host)
		abort();
	st.have_squeeze = read_squeeze(st.prev_squeeze);
	if (!st.have_squeeze)
		out_warn("%s: /proc/net/softnet_stat unreadable: no SQUEEZE column", tc->tr->name);
	return 0;
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	out_table_end(st.t);
	free(st.seen);
	free(st.prev_cpu);
	free(st.prev_squeeze);
	if (st.host)
		host_close(st.host);
	memset(&st, 0, sizeof(st));
}

TRACE_TRACER(napistat, "NAPI polls and network softirqs", TRACE_HOOKS(hooks), .opts = opts,
	     .configure = configure, .summary = summary, .fini = fini, .default_interval = 1);

TRACE_COMMAND(napistat, opts,
		.summary = "NAPI polls per device and CPU, network softirq time per CPU",
		.about = "One row per CPU and interval (-i SECS, default 1; -n N stops after N),\n"
			 "DEV *, followed by one row per NAPI device polled on that CPU:\n"
			 "polls (napi:napi_poll), packets handled (WORK), WORK per poll, the\n"
			 "budget (a NAPI's weight), polls that used all of it (FULL: more was\n"
			 "waiting), and the time in polls inside NET_RX softirqs (POLL_US). The\n"
			 "CPU row adds the NET_RX and NET_TX softirq runs and their time\n"
			 "(irq:softirq_entry/exit) and the time squeeze of /proc/net/softnet_stat\n"
			 "(net_rx_action out of budget with work left). The backlog NAPI of\n"
			 "netif_rx() and veth without GRO/XDP has no device: DEV backlog.\n"
			 "--dev/--netns select the polled device (and leave out backlog); the\n"
			 "softirq columns are the CPU's, never filtered. Only CPUs and devices\n"
			 "with activity in the interval are printed.\n");
