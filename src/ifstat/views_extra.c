/* ifstat's other views: per-CPU softnet counters (with what to raise when
 * they grow fast, over an interval), qdisc statistics as `tc -s qdisc` gives them, ethtool ring
 * sizes and driver statistics. Interval mode follows views.c: text shows
 * per-second rates, JSON the increase (total's key) and rate (key_per_s). */
#include "base/output.h"
#include "ifstat/ifstat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Time squeezes per second on one CPU worth advice (doctor's
 * softnet-time-squeeze info_per_s): a few since boot are normal. */
#define SQUEEZE_ADVICE_PER_S 1.0

/* The interval record's wall-clock time: text in the Time column, JSON
 * "time" (Unix seconds with fraction, as the tracers' records). */
static void stamp_cells(struct table *t, const struct ifs_sample *cur, double dt)
{
	char clk[16];

	out_cell_str(t, 0, ifs_clock(cur->wall, clk, sizeof(clk)));
	out_field_double(t, "time", NULL, cur->wall, 6);
	out_field_double(t, "interval_s", NULL, dt, 6);
}

/* What to raise, only from rates over an interval: a total since boot says
 * nothing about now. */
static void softnet_advice(struct table *t, const struct ifs_ctx *c, uint32_t drop, uint32_t sq,
			   double dt)
{
	if (dt <= 0)
		return;
	if (drop && c->netdev_max_backlog >= 0)
		out_field_text(t, "dropped %.1f/s: the input queue was full; raise "
				  "net.core.netdev_max_backlog (now %ld)", drop / dt, c->netdev_max_backlog);
	if (sq / dt >= SQUEEZE_ADVICE_PER_S && c->netdev_budget >= 0)
		out_field_text(t, "squeezed %.1f/s: NET_RX ran out of budget; raise "
				  "net.core.netdev_budget (now %ld) or netdev_budget_usecs (now %ld)",
			       sq / dt, c->netdev_budget, c->netdev_budget_usecs);
}

/* A counter cell: total, or (interval) rate in text + increase and rate in JSON. */
static void ctr(struct table *t, int col, const char *key, uint64_t now, uint64_t before,
		double dt, bool interval)
{
	char k[64];

	if (!interval) {
		out_cell_u64(t, col, now);
		return;
	}
	uint64_t d = now >= before ? now - before : 0;
	double rate = dt > 0 ? (double)d / dt : 0;
	out_cell_fmt(t, col, "%.2f", rate);
	out_field_u64(t, key, NULL, d);
	snprintf(k, sizeof(k), "%s_per_s", key);
	out_field_double(t, k, NULL, rate, 6);
}

/* Titles become rates with an interval; keys move from cells to fields. */
static int make_cols(struct out_col *cols, const struct out_col *base, size_t n, bool interval,
		     size_t first_counter, size_t ncounters)
{
	int k = 0;

	if (interval)
		cols[k++] = (struct out_col){ "Time", NULL, 0, 0 };
	for (size_t i = 0; i < n; i++) {
		cols[k] = base[i];
		if (interval && i >= first_counter && i < first_counter + ncounters)
			cols[k].key = NULL;
		k++;
	}
	return k;
}

/* ---- softnet ---- */

static const struct softnet_cpu *prev_cpu(const struct ifs_sample *prev, unsigned cpu)
{
	for (size_t i = 0; prev && i < prev->sn.n; i++)
		if (prev->sn.cpu[i].cpu == cpu)
			return &prev->sn.cpu[i];
	return NULL;
}

void ifs_print_softnet(struct ifs_ctx *c, const struct ifs_sample *prev,
		       const struct ifs_sample *cur)
{
	static const struct out_col base[] = {
		{ "CPU", "cpu", OUT_RIGHT, 0 },          { "processed", "processed", OUT_RIGHT, 0 },
		{ "dropped", "dropped", OUT_RIGHT, 0 },  { "squeezed", "time_squeeze", OUT_RIGHT, 0 },
		{ "rps", "received_rps", OUT_RIGHT, 0 }, { "flow_limit", "flow_limit", OUT_RIGHT, 0 },
		{ "backlog", "backlog", OUT_RIGHT, 0 },
	};
	struct out_col cols[N(base) + 1];
	bool iv = prev != NULL;
	int o = make_cols(cols, base, N(base), iv, 1, 5), lead = iv ? 1 : 0;
	double dt = iv ? cur->mono - prev->mono : 0;

	if (cur->sn.n && !cur->sn.cpu[0].has_rps)
		cols[lead + 4].title = NULL;
	if (cur->sn.n && !cur->sn.cpu[0].has_flow_limit)
		cols[lead + 5].title = NULL;
	if (cur->sn.n && !cur->sn.cpu[0].has_backlog)
		cols[lead + 6].title = NULL;
	struct table *t = out_table_begin(cols, o);
	for (size_t i = 0; i < cur->sn.n; i++) {
		const struct softnet_cpu *s = &cur->sn.cpu[i], *p = prev_cpu(prev, s->cpu);
		if (iv && !p)
			continue;
		out_row_begin(t);
		if (iv)
			stamp_cells(t, cur, dt);
		out_cell_u64(t, lead, s->cpu);
		/* 32-bit kernel counters: the uint32_t difference survives a wrap */
		uint32_t d_proc = iv ? s->processed - p->processed : s->processed;
		uint32_t d_drop = iv ? s->dropped - p->dropped : s->dropped;
		uint32_t d_sq = iv ? s->time_squeeze - p->time_squeeze : s->time_squeeze;
		ctr(t, lead + 1, "processed", d_proc, 0, dt, iv);
		ctr(t, lead + 2, "dropped", d_drop, 0, dt, iv);
		ctr(t, lead + 3, "time_squeeze", d_sq, 0, dt, iv);
		if (s->has_rps)
			ctr(t, lead + 4, "received_rps", iv ? s->received_rps - p->received_rps
							    : s->received_rps, 0, dt, iv);
		if (s->has_flow_limit)
			ctr(t, lead + 5, "flow_limit", iv ? s->flow_limit - p->flow_limit
							  : s->flow_limit, 0, dt, iv);
		if (s->has_backlog)
			out_cell_u64(t, lead + 6, s->backlog);
		if (iv)
			softnet_advice(t, c, d_drop, d_sq, dt);
		out_row_end(t);
	}
	out_table_end(t);
}

/* ---- qdiscs ---- */

static const struct rtnl_qdisc *prev_qdisc(const struct ifs_sample *prev, const struct rtnl_qdisc *q)
{
	for (size_t i = 0; prev && i < prev->qd.n; i++) {
		const struct rtnl_qdisc *p = &prev->qd.v[i];
		if (p->ifindex == q->ifindex && p->handle == q->handle && p->parent == q->parent &&
		    strcmp(p->kind, q->kind) == 0)
			return p;
	}
	return NULL;
}

void ifs_print_qdisc(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur)
{
	static const struct out_col base[] = {
		{ "Iface", "ifname", 0, 0 },          { "Kind", "kind", 0, 0 },
		{ "Handle", "handle", 0, 0 },         { "Parent", "parent", 0, 0 },
		{ "Bytes", "bytes", OUT_RIGHT, 0 },   { "Packets", "packets", OUT_RIGHT, 0 },
		{ "Drops", "drops", OUT_RIGHT, 0 },   { "Overlimits", "overlimits", OUT_RIGHT, 0 },
		{ "Requeues", "requeues", OUT_RIGHT, 0 }, { "Backlog", "backlog", OUT_RIGHT, 0 },
		{ "Qlen", "qlen", OUT_RIGHT, 0 },
	};
	struct out_col cols[N(base) + 1];
	bool iv = prev != NULL;
	int o = make_cols(cols, base, N(base), iv, 4, 5), lead = iv ? 1 : 0;
	double dt = iv ? cur->mono - prev->mono : 0;
	char hb[16];

	(void)c;
	if (iv) {
		static const char *const rt[] = { "Bytes/s", "Pkts/s", "Drops/s", "Overlim/s", "Requeue/s" };
		for (int i = 0; i < 5; i++)
			cols[lead + 4 + i].title = rt[i];
	}
	struct table *t = out_table_begin(cols, o);
	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k];
		if (!cur->sel[k])
			continue;
		for (size_t i = 0; i < cur->qd.n; i++) {
			const struct rtnl_qdisc *q = &cur->qd.v[i], *p = prev_qdisc(prev, q);
			if (q->ifindex != l->ifindex || (iv && !p))
				continue;
			out_row_begin(t);
			if (iv)
				stamp_cells(t, cur, dt);
			out_cell_str(t, lead, l->name);
			out_cell_str(t, lead + 1, q->kind);
			out_cell_str(t, lead + 2, rtnl_tc_handle(q->handle, hb, sizeof(hb)));
			out_cell_str(t, lead + 3, rtnl_tc_handle(q->parent, hb, sizeof(hb)));
			ctr(t, lead + 4, "bytes", q->bytes, iv ? p->bytes : 0, dt, iv);
			ctr(t, lead + 5, "packets", q->packets, iv ? p->packets : 0, dt, iv);
			ctr(t, lead + 6, "drops", q->drops, iv ? p->drops : 0, dt, iv);
			ctr(t, lead + 7, "overlimits", q->overlimits, iv ? p->overlimits : 0, dt, iv);
			ctr(t, lead + 8, "requeues", q->requeues, iv ? p->requeues : 0, dt, iv);
			out_cell_u64(t, lead + 9, q->backlog);
			out_cell_u64(t, lead + 10, q->qlen);
			/* fq_codel's and fq's own statistics as they stand (gauges
			 * and counters alike), under tc -s -j's names */
			for (unsigned x = 0; x < q->nxstats; x++)
				out_field_i64(t, q->xstats[x].key, q->xstats[x].key, q->xstats[x].v);
			out_row_end(t);
		}
	}
	out_table_end(t);
}

/* ---- ethtool ---- */

void ifs_print_ring(struct ifs_ctx *c, const struct ifs_sample *cur)
{
	static const struct out_col cols[] = {
		{ "Iface", "ifname", 0, 0 },         { "RX", "rx", OUT_RIGHT, 0 },
		{ "RX max", "rx_max", OUT_RIGHT, 0 }, { "TX", "tx", OUT_RIGHT, 0 },
		{ "TX max", "tx_max", OUT_RIGHT, 0 }, { "Note", NULL, OUT_LAST, 0 },
	};
	struct table *t = out_table_begin(cols, N(cols));

	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k];
		struct eth_ring r;
		if (!cur->sel[k])
			continue;
		int err = ethtool_ring(c->h, l->name, &r);
		out_row_begin(t);
		out_cell_str(t, 0, l->name);
		out_field_bool(t, "supported", NULL, err == 0);
		if (err) {
			for (int i = 1; i <= 4; i++)
				out_cell_str(t, i, "-");
			out_cell_str(t, 5, err == -EOPNOTSUPP ? "the driver reports no ring sizes"
							     : strerror(-err));
			out_row_end(t);
			continue;
		}
		out_cell_u64(t, 1, r.rx);
		out_cell_u64(t, 2, r.rx_max);
		out_cell_u64(t, 3, r.tx);
		out_cell_u64(t, 4, r.tx_max);
		out_field_u64(t, "rx_mini", NULL, r.rx_mini);
		out_field_u64(t, "rx_mini_max", NULL, r.rx_mini_max);
		out_field_u64(t, "rx_jumbo", NULL, r.rx_jumbo);
		out_field_u64(t, "rx_jumbo_max", NULL, r.rx_jumbo_max);
		if (r.rx_max && r.rx < r.rx_max)
			out_cell_fmt(t, 5, "RX ring below its maximum (ethtool -G %s rx %u)", l->name,
				     r.rx_max);
		out_row_end(t);
	}
	out_table_end(t);
}

void ifs_print_driver(struct ifs_ctx *c, const struct ifs_sample *prev,
		      const struct ifs_sample *cur)
{
	static const struct out_col base[] = {
		{ "Iface", "ifname", 0, 0 }, { "Statistic", "stat", 0, 0 }, { "Value", "value", OUT_RIGHT, 0 },
	};
	struct out_col cols[N(base) + 1];
	bool iv = prev != NULL;
	int o = make_cols(cols, base, N(base), iv, 2, 1), lead = iv ? 1 : 0;
	double dt = iv ? cur->mono - prev->mono : 0;

	(void)c;
	if (iv)
		cols[lead + 2].title = "Per second";
	struct table *t = out_table_begin(cols, o);
	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k];
		if (!cur->sel[k] || cur->drv_err[k])
			continue;
		const struct eth_stats *s = &cur->drv[k], *ps = NULL;
		if (iv) {
			const struct rtnl_link *pl = ifs_prev_link(prev, l);
			if (!pl)
				continue;
			size_t pk = (size_t)(pl - prev->links.v);
			if (prev->drv_err[pk])
				continue;
			ps = &prev->drv[pk];
		}
		for (size_t i = 0; i < s->n; i++) {
			uint64_t before = 0;
			if (ps) {
				if (i >= ps->n || strcmp(ps->name[i], s->name[i]) != 0)
					continue;
				before = ps->val[i];
			}
			out_row_begin(t);
			if (iv)
				stamp_cells(t, cur, dt);
			out_cell_str(t, lead, l->name);
			out_cell_str(t, lead + 1, s->name[i]);
			ctr(t, lead + 2, "value", s->val[i], before, dt, iv);
			out_row_end(t);
		}
	}
	out_table_end(t);
}
