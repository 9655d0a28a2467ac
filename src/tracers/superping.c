/* superping: ICMP and ICMPv6 echo round trips timed in the kernel, one line
 * per reply (sender, device, destination, id, sequence, RTT), or -c log2
 * histograms per destination kept in the kernel.
 *
 * Requests never answered stay in the kernel's `reqs` table: tick() deletes
 * the ones older than --timeout, so the table holds only requests in
 * flight and a late reply is not matched. */
#include "bpf/superping.h"
#include "bpf/superping.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

TRACE_SKEL_GLUE(superping)

enum { C_PID = TRACE_COL0, C_COMM, C_IF, C_DADDR, C_ID, C_SEQ, C_RTT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "IF", "ifname", 0, 8 },
	{ "DADDR", "daddr", 0, 15 },
	{ "ID", "id", OUT_RIGHT, 5 },
	{ "SEQ", "seq", OUT_RIGHT, 5 },
	{ "RTT(us)", NULL, OUT_RIGHT, 10 },
};

static const struct trace_hook hooks[] = {
	{ "net_dev_queue", { "superping_tx_btf", "superping_tx_raw" } },
	{ "netif_receive_skb", { "superping_rx_btf", "superping_rx_raw" } },
};

enum { OPT_TIMEOUT = OPT_LONG };

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "RTT histograms per destination, kept in the kernel" },
	{ OPT_TIMEOUT, "timeout", "SECS",
	  "forget a request unanswered after SECS (default 10): a later reply is not timed" },
	{ '4', "ipv4", NULL, "ICMP (IPv4) only" },
	{ '6', "ipv6", NULL, "ICMPv6 only" },
	{ OPT_TR_NETNS, "netns", "NS",
	  "only pings through devices of network namespace NS (name, path or inode)" },
	OPT_END,
};

/* -p/--comm: the process that sent the request (in the kernel, at its
 * transmit); requests the kernel sends from a softirq have none. */
static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_DEV_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static struct {
	uint64_t timeout_ns;
	uint64_t next_scan;
} st;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	double secs;

	if (c == 'c')
		return trace_opt_summary(tc, p, c);
	if (opts_secs_range(p, 0.001, 3600, &secs))
		return EXIT_USAGE;
	st.timeout_ns = (uint64_t)(secs * 1e9);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Deletes the requests older than --timeout, every quarter of it (at
 * least every second, at most every 100 ms): two system calls per request
 * in flight. */
static void tick(struct trace_ctx *tc, void *skel)
{
	int fd = bpf_map__fd(((struct superping_bpf *)skel)->maps.reqs);
	struct superping_key k, next, stale[64];
	struct superping_req r;
	uint64_t now = mono_ns(), timeout = st.timeout_ns ? st.timeout_ns : 10000000000ULL;
	int nstale = 0;
	void *prev = NULL;

	(void)tc;
	if (now < st.next_scan)
		return;
	st.next_scan = now + (timeout / 4 < 100000000ULL   ? 100000000ULL
			      : timeout / 4 > 1000000000ULL ? 1000000000ULL
							    : timeout / 4);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &r) != 0 || r.ts_ns + timeout > now)
			continue;
		stale[nstale++] = k;
		if (nstale == (int)(sizeof(stale) / sizeof(stale[0]))) {
			for (int i = 0; i < nstale; i++)
				bpf_map_delete_elem(fd, &stale[i]);
			nstale = 0;
		}
	}
	for (int i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct superping_event *e = data;
	char a[64], ifn[SUPERPING_IFNAMSIZ + 1], rxn[SUPERPING_IFNAMSIZ + 1];
	struct table *t;

	memcpy(ifn, e->tx_ifname, SUPERPING_IFNAMSIZ);
	ifn[SUPERPING_IFNAMSIZ] = '\0';
	memcpy(rxn, e->rx_ifname, SUPERPING_IFNAMSIZ);
	rxn[SUPERPING_IFNAMSIZ] = '\0';
	t = trace_row_begin(tc, &e->h);
	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	out_cell_str(t, C_IF, ifn[0] ? ifn : "-");
	out_field_u64(t, "ifindex", NULL, e->tx_ifindex);
	out_field_str(t, "rx_ifname", NULL, rxn);
	out_field_u64(t, "rx_ifindex", NULL, e->rx_ifindex);
	out_cell_str(t, C_DADDR, trace_addr_str(a, e->family, e->addr));
	out_field_u64(t, "ip", NULL, e->family == AF_INET6 ? 6 : 4);
	out_cell_u64(t, C_ID, e->id);
	out_cell_u64(t, C_SEQ, e->seq);
	out_cell_fixed(t, C_RTT, (double)e->rtt_ns / 1e3, 3);
	out_field_double(t, "rtt_us", NULL, (double)e->rtt_ns / 1e3, 3);
	trace_row_end(tc, &e->h);
}

/* ---- -c ---- */

struct hrow {
	struct superping_dst k;
	struct superping_hist h;
};

static int cmp_hrow(const void *a, const void *b)
{
	const struct hrow *x = a, *y = b;

	if (x->k.netns != y->k.netns)
		return x->k.netns < y->k.netns ? -1 : 1;
	if (x->k.family != y->k.family)
		return x->k.family < y->k.family ? -1 : 1;
	return memcmp(x->k.addr, y->k.addr, sizeof(x->k.addr));
}

static void hist_fields(struct table *t, const void *arg)
{
	const struct hrow *r = arg;
	char a[64];

	out_field_str(t, "daddr", NULL, trace_addr_str(a, r->k.family, r->k.addr));
	out_field_u64(t, "netns", NULL, r->k.netns);
	out_field_u64(t, "replies", NULL, r->h.count);
	out_field_double(t, "min_us", NULL, (double)r->h.min_ns / 1e3, 3);
	out_field_double(t, "avg_us", NULL,
			 r->h.count ? (double)r->h.sum_ns / 1e3 / (double)r->h.count : 0, 3);
	out_field_double(t, "max_us", NULL, (double)r->h.max_ns / 1e3, 3);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct hrow *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct superping_bpf *)skel)->maps.hist, rows,
				      cmp_hrow);

	(void)final;
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Echo RTT\n  (no replies)\n");
	for (size_t i = 0; i < n; i++) {
		const struct hrow *r = &rows[i];
		uint64_t slots[SUPERPING_SLOTS];
		char title[160], a[64];

		memcpy(slots, r->h.slots, sizeof(slots));
		snprintf(title, sizeof(title), "Echo RTT to %s (netns %u)",
			 trace_addr_str(a, r->k.family, r->k.addr), r->k.netns);
		trace_hist_print_log2_with(title, "usecs", slots, SUPERPING_SLOTS, hist_fields, r);
		if (!out_is_json() && r->h.count)
			printf("%24s : %llu replies, min/avg/max %.3f/%.3f/%.3f usecs\n", "",
			       (unsigned long long)r->h.count, (double)r->h.min_ns / 1e3,
			       (double)r->h.sum_ns / 1e3 / (double)r->h.count,
			       (double)r->h.max_ns / 1e3);
	}
	free(rows);
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	memset(&st, 0, sizeof(st));
}

TRACE_TRACER(superping, "ICMP echo round trips", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = opt, TRACE_EVENTS(event, struct superping_event),
	     .summary = summary, .tick = tick, .fini = fini);

TRACE_COMMAND(superping, opts,
		.summary = "ICMP/ICMPv6 echo round trips timed in the kernel",
		.about = "One line per echo reply: the round trip from the echo request leaving a\n"
			 "device (net:net_dev_queue) to its reply arriving on one\n"
			 "(net:netif_receive_skb), matched by namespace, peer address, ICMP id and\n"
			 "sequence: ping's RTT without the scheduling of the pinging process, for\n"
			 "any process's pings. PID/COMM: the sender, when the request left in its\n"
			 "context. -c keeps log2 histograms per destination in the kernel.\n");
