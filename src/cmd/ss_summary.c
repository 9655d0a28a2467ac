/* netlens ss -s: the summary tables, as ss prints them: totals from
 * /proc/net/sockstat{,6} and Tcp CurrEstab (read by ss.c before any socket
 * of netlens's own was opened), then per-kind and per-TCP-state counts from
 * the dump ss.c ran, which counted sockets instead of printing them. */
#include "base/output.h"
#include "cmd/ss_run.h"
#include "sources/sockdiag.h"
#include "sources/sockstat.h"

#include <stdio.h>

static unsigned long count(struct ss_run *r, enum sock_kind k, int fam, int state)
{
	unsigned long n = 0;
	for (int s = 0; s < SS_STATE_MAX; s++)
		if (state < 0 || s == state)
			n += r->counts[k][fam][s];
	return n;
}

void ss_print_summary(struct ss_run *r)
{
	const struct sockstat st = r->sockstat;
	static const struct out_col head_cols[] = {
		{ "Total", "sockets_used", 0, 0 }, { "TCP", "tcp_total", 0, 0 },
		{ "estab", "tcp_estab", 0, 0 },      { "closed", "tcp_closed", 0, 0 },
		{ "orphaned", "tcp_orphaned", 0, 0 }, { "timewait", "tcp_timewait", 0, 0 },
		{ "tcp_mem_pages", "tcp_mem_pages", 0, 0 }, { NULL, "tcp_alloc", 0, 0 },
	};
	static const struct out_col tr_cols[] = {
		{ "Transport", "transport", 0, 0 }, { "Total", "total", 0, 0 },
		{ "IP", "ipv4", 0, 0 },             { "IPv6", "ipv6", 0, 0 },
	};
	static const struct out_col state_cols[] = {
		{ "TCP state", "tcp_state", 0, 0 }, { "IPv4", "ipv4", 0, 0 }, { "IPv6", "ipv6", 0, 0 },
	};
	long long tcp4 = sockstat_get(&st, "TCP", "inuse"), tcp6 = sockstat_get(&st, "TCP6", "inuse");
	long long tw = sockstat_get(&st, "TCP", "tw"), alloc = sockstat_get(&st, "TCP", "alloc");
	/* estab as ss: the MIB's CurrEstab (ESTABLISHED and CLOSE-WAIT); from
	 * the dump when the snapshot or /proc lacks it */
	long long estab = r->curr_estab >= 0 ? r->curr_estab
			  : (long long)(count(r, SK_TCP, 0, SS_ESTABLISHED) +
					count(r, SK_TCP, 1, SS_ESTABLISHED));

	struct table *t = out_table_begin(head_cols, 8);
	out_row_begin(t);
	out_cell_i64(t, 0, sockstat_get(&st, "sockets", "used"));
	out_cell_i64(t, 1, alloc + tw); /* as ss: TIME-WAIT sockets are not allocated ones */
	out_cell_i64(t, 2, estab);
	out_cell_i64(t, 3, alloc - (tcp4 + tcp6 - tw));
	out_cell_i64(t, 4, sockstat_get(&st, "TCP", "orphan"));
	out_cell_i64(t, 5, tw);
	out_cell_i64(t, 6, sockstat_get(&st, "TCP", "mem"));
	out_cell_i64(t, 7, alloc);
	out_row_end(t);
	out_table_end(t);
	if (!out_is_json())
		putchar('\n');

	t = out_table_begin(tr_cols, 4);
	struct { const char *name, *v4, *v6; } rows[] = {
		{ "RAW", "RAW", "RAW6" }, { "UDP", "UDP", "UDP6" }, { "TCP", "TCP", "TCP6" },
		{ "FRAG", "FRAG", "FRAG6" },
	};
	long long inet4 = 0, inet6 = 0;
	for (size_t i = 0; i < 4; i++) {
		long long a = sockstat_get(&st, rows[i].v4, "inuse");
		long long b = sockstat_get(&st, rows[i].v6, "inuse");
		/* TCP: hashed sockets (sockstat's inuse, which has no TIME-WAIT), as ss */
		if (i < 3) {
			inet4 += a;
			inet6 += b;
		}
		if (i == 3) {
			out_row_begin(t);
			out_cell_str(t, 0, "INET");
			out_cell_i64(t, 1, inet4 + inet6);
			out_cell_i64(t, 2, inet4);
			out_cell_i64(t, 3, inet6);
			out_row_end(t);
		}
		out_row_begin(t);
		out_cell_str(t, 0, rows[i].name);
		out_cell_i64(t, 1, a + b);
		out_cell_i64(t, 2, a);
		out_cell_i64(t, 3, b);
		out_row_end(t);
	}
	for (enum sock_kind k = SK_UNIX; k <= SK_PACKET; k++) {
		if (!(r->o.kinds & KIND(k)))
			continue;
		out_row_begin(t);
		out_cell_str(t, 0, kind_name(k));
		out_cell_u64(t, 1, count(r, k, 2, -1));
		out_cell_u64(t, 2, 0);
		out_cell_u64(t, 3, 0);
		out_row_end(t);
	}
	out_table_end(t);

	if (!(r->o.kinds & KIND(SK_TCP)))
		return;
	if (!out_is_json())
		putchar('\n');
	t = out_table_begin(state_cols, 3);
	for (int s = 1; s < SS_STATE_MAX; s++) {
		unsigned long a = count(r, SK_TCP, 0, s), b = count(r, SK_TCP, 1, s);
		if (!a && !b)
			continue;
		out_row_begin(t);
		out_cell_str(t, 0, s == SS_CLOSE ? "CLOSE" : sock_state_name((unsigned)s));
		out_cell_u64(t, 1, a);
		out_cell_u64(t, 2, b);
		out_row_end(t);
	}
	out_table_end(t);
}
