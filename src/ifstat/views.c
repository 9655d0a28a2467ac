/* ifstat's link counter views: totals as `ip -s link` shows them, rates and
 * utilisation as nicstat shows them, and the error breakdown of
 * `sar -n EDEV`. Totals print each counter; with an interval, text shows
 * per-second rates and JSON carries both the counter's increase (same key as
 * the total) and its rate (key + "_per_s"), with the measured interval and
 * "time", the sample's wall clock in Unix seconds (text: the Time column). */
#include "ifstat/ifstat.h"
#include "base/output.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define S(f) offsetof(struct rtnl_link_stats64, f)

struct ctr {
	const char *title, *rate_title, *key;
	size_t off;
};

static const struct ctr totals[] = {
	{ "RX bytes", NULL, "rx_bytes", S(rx_bytes) },
	{ "RX pkts", NULL, "rx_packets", S(rx_packets) },
	{ "RX errs", NULL, "rx_errors", S(rx_errors) },
	{ "RX drop", NULL, "rx_dropped", S(rx_dropped) },
	{ "RX fifo", NULL, "rx_fifo_errors", S(rx_fifo_errors) },
	{ "RX missed", NULL, "rx_missed_errors", S(rx_missed_errors) },
	{ "RX mcast", NULL, "multicast", S(multicast) },
	{ "TX bytes", NULL, "tx_bytes", S(tx_bytes) },
	{ "TX pkts", NULL, "tx_packets", S(tx_packets) },
	{ "TX errs", NULL, "tx_errors", S(tx_errors) },
	{ "TX drop", NULL, "tx_dropped", S(tx_dropped) },
	{ "TX fifo", NULL, "tx_fifo_errors", S(tx_fifo_errors) },
	{ "TX carrier", NULL, "tx_carrier_errors", S(tx_carrier_errors) },
	{ "TX colls", NULL, "collisions", S(collisions) },
};

/* sar -n EDEV's columns, then the receive details ip -s -s link shows */
static const struct ctr edev[] = {
	{ "rxerr", "rxerr/s", "rx_errors", S(rx_errors) },
	{ "txerr", "txerr/s", "tx_errors", S(tx_errors) },
	{ "coll", "coll/s", "collisions", S(collisions) },
	{ "rxdrop", "rxdrop/s", "rx_dropped", S(rx_dropped) },
	{ "txdrop", "txdrop/s", "tx_dropped", S(tx_dropped) },
	{ "txcarr", "txcarr/s", "tx_carrier_errors", S(tx_carrier_errors) },
	{ "rxfram", "rxfram/s", "rx_frame_errors", S(rx_frame_errors) },
	{ "rxfifo", "rxfifo/s", "rx_fifo_errors", S(rx_fifo_errors) },
	{ "txfifo", "txfifo/s", "tx_fifo_errors", S(tx_fifo_errors) },
	{ "missed", "missed/s", "rx_missed_errors", S(rx_missed_errors) },
	{ "crc", "crc/s", "rx_crc_errors", S(rx_crc_errors) },
	{ "length", "length/s", "rx_length_errors", S(rx_length_errors) },
	{ "over", "over/s", "rx_over_errors", S(rx_over_errors) },
	{ "nohandler", "nohandler/s", "rx_nohandler", S(rx_nohandler) },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
enum { MAXC = 24 };

static uint64_t get(const struct rtnl_link *l, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)&l->stats + off, sizeof(v));
	return v;
}

/* Counters go down when a driver resets them: show 0, not 2^64 - x. */
static uint64_t delta(const struct rtnl_link *a, const struct rtnl_link *b, size_t off)
{
	uint64_t x = get(a, off), y = get(b, off);
	return y >= x ? y - x : 0;
}

const char *ifs_clock(double wall, char *buf, size_t len)
{
	time_t t = (time_t)wall;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	return buf;
}

const struct rtnl_link *ifs_prev_link(const struct ifs_sample *prev, const struct rtnl_link *l)
{
	const struct rtnl_link *p = rtnl_link_by_index(&prev->links, l->ifindex);
	return p && strcmp(p->name, l->name) == 0 ? p : NULL;
}

/* Leading columns: Time (intervals only, text) and Iface. */
static int lead_cols(struct out_col *cols, bool interval)
{
	int n = 0;
	if (interval)
		cols[n++] = (struct out_col){ "Time", NULL, 0, 0 };
	cols[n++] = (struct out_col){ "Iface", "ifname", 0, 0 };
	return n;
}

static void lead_cells(struct table *t, const struct ifs_sample *prev,
		       const struct ifs_sample *cur, const struct rtnl_link *l)
{
	char clk[16];
	int c = 0;

	if (prev)
		out_cell_str(t, c++, ifs_clock(cur->wall, clk, sizeof(clk)));
	out_cell_str(t, c, l->name);
	out_field_i64(t, "ifindex", NULL, l->ifindex);
	if (prev) {
		out_field_double(t, "time", NULL, cur->wall, 6);
		out_field_double(t, "interval_s", NULL, cur->mono - prev->mono, 6);
	}
}

static void print_counters(const struct ifs_sample *prev, const struct ifs_sample *cur,
			   const struct ctr *ctr, size_t nctr)
{
	struct out_col cols[MAXC];
	int lead = lead_cols(cols, prev != NULL);
	double dt = prev ? cur->mono - prev->mono : 0;

	for (size_t i = 0; i < nctr; i++)
		cols[lead + (int)i] = (struct out_col){
			prev ? (ctr[i].rate_title ? ctr[i].rate_title : ctr[i].title) : ctr[i].title,
			prev ? NULL : ctr[i].key, OUT_RIGHT, 0 };
	struct table *t = out_table_begin(cols, lead + (int)nctr);
	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k], *p = NULL;
		if (!cur->sel[k] || (prev && !(p = ifs_prev_link(prev, l))))
			continue;
		out_row_begin(t);
		lead_cells(t, prev, cur, l);
		for (size_t i = 0; i < nctr; i++) {
			int col = lead + (int)i;
			if (!prev) {
				out_cell_u64(t, col, get(l, ctr[i].off));
				continue;
			}
			uint64_t d = delta(p, l, ctr[i].off);
			char key[64];
			out_cell_fmt(t, col, "%.2f", dt > 0 ? (double)d / dt : 0.0);
			out_field_u64(t, ctr[i].key, NULL, d);
			snprintf(key, sizeof(key), "%s_per_s", ctr[i].key);
			out_field_double(t, key, NULL, dt > 0 ? (double)d / dt : 0.0, 6);
		}
		out_row_end(t);
	}
	out_table_end(t);
}

static const struct ifs_speed *speed_of(const struct ifs_ctx *c, int ifindex)
{
	for (size_t i = 0; i < c->nspeed; i++)
		if (c->speed[i].ifindex == ifindex)
			return &c->speed[i];
	return NULL;
}

/* nicstat's view: KiB/s, packets/s, average packet size, %Util and Sat. */
static void print_nicstat(struct ifs_ctx *c, const struct ifs_sample *prev,
			  const struct ifs_sample *cur)
{
	struct out_col cols[MAXC];
	int n = lead_cols(cols, true);
	static const char *const titles[] = { "rKB/s", "wKB/s", "rPk/s", "wPk/s", "rAvs", "wAvs",
					      "%Util", "Sat" };
	for (size_t i = 0; i < N(titles); i++)
		cols[n + (int)i] = (struct out_col){ titles[i], NULL, OUT_RIGHT, 0 };
	double dt = cur->mono - prev->mono;
	struct table *t = out_table_begin(cols, n + (int)N(titles));

	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k], *p;
		if (!cur->sel[k] || !(p = ifs_prev_link(prev, l)))
			continue;
		uint64_t rb = delta(p, l, S(rx_bytes)), wb = delta(p, l, S(tx_bytes));
		uint64_t rp = delta(p, l, S(rx_packets)), wp = delta(p, l, S(tx_packets));
		uint64_t sat = delta(p, l, S(rx_errors)) + delta(p, l, S(tx_errors)) +
			       delta(p, l, S(rx_dropped)) + delta(p, l, S(tx_dropped)) +
			       delta(p, l, S(rx_fifo_errors)) + delta(p, l, S(tx_fifo_errors)) +
			       delta(p, l, S(rx_over_errors)) + delta(p, l, S(rx_missed_errors));
		double r = dt > 0 ? 1.0 / dt : 0;
		double rbs = (double)rb * r, wbs = (double)wb * r;
		double ravs = rp ? (double)rb / (double)rp : 0, wavs = wp ? (double)wb / (double)wp : 0;

		out_row_begin(t);
		lead_cells(t, prev, cur, l);
		out_cell_fmt(t, n + 0, "%.2f", rbs / 1024);
		out_cell_fmt(t, n + 1, "%.2f", wbs / 1024);
		out_cell_fmt(t, n + 2, "%.2f", (double)rp * r);
		out_cell_fmt(t, n + 3, "%.2f", (double)wp * r);
		out_cell_fmt(t, n + 4, "%.1f", ravs);
		out_cell_fmt(t, n + 5, "%.1f", wavs);
		out_field_u64(t, "rx_bytes", NULL, rb);
		out_field_u64(t, "tx_bytes", NULL, wb);
		out_field_u64(t, "rx_packets", NULL, rp);
		out_field_u64(t, "tx_packets", NULL, wp);
		out_field_double(t, "rx_bytes_per_s", NULL, rbs, 6);
		out_field_double(t, "tx_bytes_per_s", NULL, wbs, 6);
		out_field_double(t, "rx_packets_per_s", NULL, (double)rp * r, 6);
		out_field_double(t, "tx_packets_per_s", NULL, (double)wp * r, 6);
		out_field_double(t, "rx_avg_bytes", NULL, ravs, 1);
		out_field_double(t, "tx_avg_bytes", NULL, wavs, 1);
		const struct ifs_speed *sp = speed_of(c, l->ifindex);
		if (sp && !sp->err && sp->link.speed_mbps > 0) {
			/* nicstat: full duplex uses the busier direction, half the sum */
			double bits = (sp->link.duplex == 0 ? rbs + wbs : (rbs > wbs ? rbs : wbs)) * 8;
			double util = bits / ((double)sp->link.speed_mbps * 1e6) * 100;
			out_cell_fmt(t, n + 6, "%.2f", util);
			out_field_u64(t, "speed_mbps", NULL, (uint64_t)sp->link.speed_mbps);
			out_field_double(t, "util_pct", NULL, util, 6);
		} else {
			out_cell_str(t, n + 6, "-");
		}
		out_cell_fmt(t, n + 7, "%.2f", (double)sat * r);
		out_field_u64(t, "sat", NULL, sat);
		out_field_double(t, "sat_per_s", NULL, (double)sat * r, 6);
		out_row_end(t);
	}
	out_table_end(t);
}

void ifs_print_link(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur)
{
	if (prev)
		print_nicstat(c, prev, cur);
	else
		print_counters(NULL, cur, totals, N(totals));
}

void ifs_print_edev(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur)
{
	(void)c;
	print_counters(prev, cur, edev, N(edev));
}
