/* netsize: log2 histograms of packet sizes (skb->len) and, for GSO/GRO
 * super-packets, of their wire segments, per device and direction, kept in
 * the kernel. */
#include "bpf/netsize.h"
#include "bpf/netsize.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(netsize)

static const struct trace_hook hooks[] = {
	{ "netif_receive_skb", { "netsize_rx_cast", "netsize_rx_btf", "netsize_rx_raw" } },
	{ "net_dev_start_xmit", { "netsize_tx_cast", "netsize_tx_btf", "netsize_tx_raw" } },
};

/* Packets have no owner, socket or ports here: the namespace and device
 * filters only. */
static const struct opt netns_rows[] = {
	{ OPT_TR_NETNS, "netns", "NS", "only devices of network namespace NS (name, path or inode)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ "Filters", netns_rows }, TRACE_DEV_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP,
	TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

struct row {
	struct netsize_key k;
	struct netsize_val v;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct netsize_key *x = &((const struct row *)a)->k, *y = &((const struct row *)b)->k;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return (int)x->dir - (int)y->dir;
}

static const char *dir_name(__u8 dir)
{
	return dir == NETSIZE_TX ? "tx" : "rx";
}

struct hist_arg {
	const struct row *r;
	const char *ifname;
};

/* The histogram's key and totals in its JSON record. */
static void hist_fields(struct table *t, const void *arg_)
{
	const struct hist_arg *a = arg_;
	const struct netsize_val *v = &a->r->v;

	out_field_str(t, "ifname", NULL, a->ifname);
	out_field_u64(t, "ifindex", NULL, a->r->k.ifindex);
	out_field_u64(t, "netns", NULL, a->r->k.netns);
	out_field_str(t, "dir", NULL, dir_name(a->r->k.dir));
	out_field_u64(t, "packets", NULL, v->packets);
	out_field_u64(t, "bytes", NULL, v->bytes);
	out_field_u64(t, "gso_packets", NULL, v->gso_packets);
	out_field_u64(t, "wire_segs", NULL, v->wire_segs);
}

/* Adds a CPU's row of a device and direction to another's
 * (trace_rows_merge()). */
static void add_row(void *to_, const void *from_)
{
	struct netsize_val *to = &((struct row *)to_)->v;
	const struct netsize_val *from = &((const struct row *)from_)->v;

	for (int j = 0; j < NETSIZE_SLOTS; j++)
		to->len[j] += from->len[j];
	for (int j = 0; j < NETSIZE_SEG_SLOTS; j++)
		to->segs[j] += from->segs[j];
	to->packets += from->packets;
	to->bytes += from->bytes;
	to->gso_packets += from->gso_packets;
	to->wire_segs += from->wire_segs;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct netsize_bpf *)skel)->maps.sizes, rows, cmp_rows);

	(void)final;
	n = trace_rows_merge(rows, n, sizeof(*rows), cmp_rows, add_row); /* the CPUs */
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Packet sizes\n  (no packets)\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char title[96], ifname[NETSIZE_IFNAMSIZ + 1];
		uint64_t slots[NETSIZE_SLOTS];
		struct hist_arg a = { r, ifname };

		snprintf(ifname, sizeof(ifname), "%.*s", NETSIZE_IFNAMSIZ, r->v.ifname);
		snprintf(title, sizeof(title), "%s %s bytes (ifindex %u, netns %u)", ifname,
			 dir_name(r->k.dir), r->k.ifindex, r->k.netns);
		memcpy(slots, r->v.len, sizeof(r->v.len));
		trace_hist_print_log2_with(title, "bytes", slots, NETSIZE_SLOTS, hist_fields, &a);
		if (!out_is_json() && r->v.packets)
			printf("%24s : %llu packets, %llu bytes, mean %llu bytes\n", "",
			       (unsigned long long)r->v.packets, (unsigned long long)r->v.bytes,
			       (unsigned long long)(r->v.bytes / r->v.packets));
		if (!r->v.gso_packets)
			continue;
		snprintf(title, sizeof(title), "%s %s segments per GSO packet (ifindex %u, netns %u)",
			 ifname, dir_name(r->k.dir), r->k.ifindex, r->k.netns);
		memset(slots, 0, sizeof(slots));
		memcpy(slots, r->v.segs, sizeof(r->v.segs));
		trace_hist_print_log2_with(title, "segments", slots, NETSIZE_SEG_SLOTS, hist_fields,
					   &a);
	}
	free(rows);
}

TRACE_TRACER(netsize, "packet sizes", TRACE_HOOKS(hooks), .opts = opts, .summary = summary);

TRACE_COMMAND(netsize, opts,
		.summary = "histograms of packet sizes and GSO segments per device",
		.about = "The size (skb->len) of every packet received (net:netif_receive_skb) and\n"
			 "handed to a driver to transmit (net:net_dev_start_xmit), in log2 histograms\n"
			 "kept in the kernel per device and direction; for GSO/GRO super-packets a\n"
			 "second histogram of the wire segments each stands for (gso_segs). Printed\n"
			 "as bars on exit or every -i SECS (then cleared). Received sizes start at\n"
			 "the network header (the link header is pulled), transmitted ones include it.\n");
