/* ipecn: ECN codepoints on received (and, with --tx, sent) IPv4/IPv6
 * packets, counted in the kernel per flow, device and direction; one row
 * per flow that had CE marks (--all: any packet) every interval. */
#include "bpf/ipecn.h"
#include "bpf/ipecn.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

TRACE_SKEL_GLUE(ipecn)

static const struct trace_hook hooks[] = {
	{ "netif_receive_skb", { "ipecn_rx_btf", "ipecn_rx_raw" } },
	{ "net_dev_queue", { "ipecn_tx_btf", "ipecn_tx_raw" } },
};

enum { OPT_TX = OPT_LONG, OPT_ALL };

static const struct opt opt_rows[] = {
	{ OPT_TX, "tx", NULL, "count sent packets too (net_dev_queue)" },
	{ OPT_ALL, "all", NULL,
	  "count every packet: ECT(0), ECT(1) and Not-ECT beside CE (a map update per packet)" },
	{ 'P', "port", "P[,P..]", "only TCP/UDP packets with port P at either end" },
	{ '4', "ipv4", NULL, "IPv4 only" },
	{ '6', "ipv6", NULL, "IPv6 only" },
	{ OPT_TR_NETNS, "netns", "NS",
	  "only packets through devices of network namespace NS (name, path or inode)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_DEV_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP,
	TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

struct row {
	struct ipecn_key k;
	struct ipecn_val v;
};

static struct {
	bool tx, all;
	struct table *t;   /* one table for every interval: its header once */
	struct row *prev;  /* the kernel's totals at the last interval, by key */
	size_t nprev;
} st;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)tc;
	(void)p;
	if (c == OPT_TX)
		st.tx = true;
	else
		st.all = true;
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	((struct ipecn_bpf *)skel)->rodata->count_all = st.all;
	if (!st.tx)
		trace_hook_off(tc, "net_dev_queue");
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	uint64_t nx = x->v.n[IPECN_CE], ny = y->v.n[IPECN_CE];

	if (nx != ny)
		return nx < ny ? 1 : -1;
	for (int i = IPECN_NOT_ECT; i < IPECN_CE; i++) {
		nx += x->v.n[i];
		ny += y->v.n[i];
	}
	return nx < ny ? 1 : nx > ny ? -1 : 0;
}

enum { C_IF = TRACE_COL0, C_DIR, C_PROTO, C_SADDR, C_SPORT, C_DADDR, C_DPORT, C_CE, C_ECT0,
       C_ECT1, C_NOT, C_END };

static int cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct row *)a)->k, &((const struct row *)b)->k,
		      sizeof(struct ipecn_key));
}

/* The counts of this interval, sorted for printing: the kernel's totals
 * less those at the last interval. The kernel's entries are not deleted
 * as they are read (a packet counted between the read and the delete
 * would be lost), only once a flow stayed idle a whole interval. */
static size_t deltas(const struct trace_ctx *tc, struct bpf_map *map, struct row **out)
{
	void *buf;
	size_t n = trace_map_read(map, &buf, false), m = 0, kept = 0;
	struct row *cur = buf, *d = calloc(n ? n : 1, sizeof(*d));

	if (!d)
		abort();
	(void)tc;
	qsort(cur, n, sizeof(*cur), cmp_key);
	for (size_t i = 0; i < n; i++) {
		const struct row *p = st.prev ? bsearch(&cur[i], st.prev, st.nprev, sizeof(*cur),
						       cmp_key) : NULL;
		uint64_t sum = 0;

		d[m] = cur[i];
		for (int c = 0; c < 4; c++) {
			d[m].v.n[c] -= p && p->v.n[c] <= cur[i].v.n[c] ? p->v.n[c] : 0;
			sum += d[m].v.n[c];
		}
		if (sum) {
			m++;
			cur[kept++] = cur[i];
		} else if (p) {
			bpf_map__delete_elem(map, &cur[i].k, sizeof(cur[i].k), 0); /* idle */
		} else {
			cur[kept++] = cur[i];
		}
	}
	free(st.prev);
	st.prev = cur;
	st.nprev = kept;
	qsort(d, m, sizeof(*d), cmp_row);
	*out = d;
	return m;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	const struct out_col cols[] = {
		{ "IF", "ifname", 0, 8 },
		{ "DIR", "dir", 0, 3 },
		{ "PROTO", "proto", 0, 5 },
		{ "SADDR", "saddr", 0, 15 },
		{ "SPORT", "sport", OUT_RIGHT, 5 },
		{ "DADDR", "daddr", 0, 15 },
		{ "DPORT", "dport", OUT_RIGHT, 5 },
		{ "CE", "ce", OUT_RIGHT, 8 },
		{ st.all ? "ECT0" : NULL, st.all ? "ect0" : NULL, OUT_RIGHT, 8 },
		{ st.all ? "ECT1" : NULL, st.all ? "ect1" : NULL, OUT_RIGHT, 8 },
		{ st.all ? "NOTECT" : NULL, st.all ? "not_ect" : NULL, OUT_RIGHT, 8 },
	};
	struct bpf_map *map = ((struct ipecn_bpf *)skel)->maps.counts;
	struct row *rows;
	size_t n = deltas(tc, map, &rows);
	struct table *t;

	t = st.t;
	if (!t) {
		t = st.t = trace_summary_begin(cols, C_END - TRACE_COL0);
		out_table_stream(t);
	}
	for (size_t i = 0; i < n; i++) {
		const struct ipecn_key *k = &rows[i].k;
		const struct ipecn_val *v = &rows[i].v;
		char a[64], pr[16], ifn[IPECN_IFNAMSIZ + 1];
		bool ports = k->proto == 6 || k->proto == 17;

		memcpy(ifn, v->ifname, IPECN_IFNAMSIZ);
		ifn[IPECN_IFNAMSIZ] = '\0';
		trace_summary_row(t);
		out_cell_str(t, C_IF, ifn[0] ? ifn : "-");
		out_field_u64(t, "ifindex", NULL, k->ifindex);
		out_field_u64(t, "netns", NULL, k->netns);
		out_cell_str(t, C_DIR, k->dir == IPECN_TX ? "tx" : "rx");
		out_cell_str(t, C_PROTO, trace_ip_proto_str(pr, sizeof(pr), k->family, k->proto));
		out_field_u64(t, "ip", NULL, k->family == AF_INET6 ? 6 : 4);
		out_cell_str(t, C_SADDR, trace_addr_str(a, k->family, k->saddr));
		out_cell_str(t, C_DADDR, trace_addr_str(a, k->family, k->daddr));
		if (ports) {
			out_cell_u64(t, C_SPORT, k->sport);
			out_cell_u64(t, C_DPORT, k->dport);
		} else {
			out_cell_str(t, C_SPORT, "-");
			out_cell_str(t, C_DPORT, "-");
		}
		out_cell_u64(t, C_CE, v->n[IPECN_CE]);
		if (st.all) {
			out_cell_u64(t, C_ECT0, v->n[IPECN_ECT0]);
			out_cell_u64(t, C_ECT1, v->n[IPECN_ECT1]);
			out_cell_u64(t, C_NOT, v->n[IPECN_NOT_ECT]);
		}
		out_row_end(t);
	}
	fflush(stdout);
	if (final) {
		out_table_end(t);
		st.t = NULL;
	}
	free(rows);
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	out_table_end(st.t);
	free(st.prev);
	memset(&st, 0, sizeof(st));
}

TRACE_TRACER(ipecn, "ECN codepoints of IP packets", TRACE_HOOKS(hooks), .opts = opts,
	     .opt = opt, .configure = configure, .summary = summary, .fini = fini,
	     .default_interval = 1);

TRACE_COMMAND(ipecn, opts,
		.summary = "ECN marks (CE) on IPv4/IPv6 packets per flow and device, per interval",
		.about = "Counts the ECN codepoint of every IPv4 and IPv6 packet received\n"
			 "(net:netif_receive_skb) and, with --tx, sent (net:net_dev_queue), in the\n"
			 "kernel, per flow (addresses, protocol, TCP/UDP ports), device and\n"
			 "direction: one row per flow with CE marks every interval (-i SECS, default\n"
			 "1; -n N stops after N). CE marks are an AQM (fq_codel, CoDel) managing a\n"
			 "queue on the path. --all counts ECT(0), ECT(1) and Not-ECT packets too.\n");
