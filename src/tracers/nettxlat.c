/* nettxlat: device transmit latency per device and stage (queue: from the
 * stack handing the packet over to the driver being called, qdisc
 * included; xmit: the driver's transmit call; total), log2 histograms
 * kept in the kernel. */
#include "bpf/nettxlat.h"
#include "bpf/nettxlat.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/skbtime_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(nettxlat)

static const struct trace_hook hooks[] = {
	{ "net_dev_queue", { "nettxlat_queue_btf", "nettxlat_queue_raw" } },
	{ "net_dev_start_xmit", { "nettxlat_start_xmit_btf", "nettxlat_start_xmit_raw" } },
	{ "net_dev_xmit", { "nettxlat_xmit_btf", "nettxlat_xmit_raw" } },
	{ "kfree_skb", { "nettxlat_drop_btf", "nettxlat_drop_raw" } },
};

static const struct opt_group opts[] = { SKBTIME_OPT_GROUPS };

static const char *const stage_names[NETTXLAT_NSTAGES] = { "queue", "xmit", "total" };
static const char *const stage_about[NETTXLAT_NSTAGES] = {
	"net_dev_queue -> net_dev_start_xmit (qdisc, checks)",
	"net_dev_start_xmit -> net_dev_xmit (driver)",
	"net_dev_queue -> net_dev_xmit",
};

struct row {
	struct nettxlat_key k;
	struct nettxlat_dev v;
};

/* one histogram of a row: hist_fields()'s argument */
struct stage_of {
	const struct row *r;
	unsigned stage;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->v.netns != y->v.netns)
		return x->v.netns < y->v.netns ? -1 : 1;
	if (x->v.ifindex != y->v.ifindex)
		return x->v.ifindex < y->v.ifindex ? -1 : 1;
	return x->k.dev < y->k.dev ? -1 : x->k.dev > y->k.dev;
}

static const char *ifname_of(char *buf, const struct row *r)
{
	memcpy(buf, r->v.ifname, NETTXLAT_IFNAMSIZ);
	buf[NETTXLAT_IFNAMSIZ] = '\0';
	return buf;
}

static void hist_fields(struct table *t, const void *arg)
{
	const struct stage_of *so = arg;
	const struct skbtime_hist *h = &so->r->v.h[so->stage];
	char ifname[NETTXLAT_IFNAMSIZ + 1];
	uint64_t n = skbtime_hist_count(h);

	out_field_str(t, "ifname", NULL, ifname_of(ifname, so->r));
	out_field_u64(t, "ifindex", NULL, so->r->v.ifindex);
	out_field_u64(t, "netns", NULL, so->r->v.netns);
	out_field_str(t, "stage", NULL, stage_names[so->stage]);
	out_field_u64(t, "packets", NULL, n);
	out_field_u64(t, "mean_ns", NULL, n ? h->sum_ns / n : 0);
	out_field_u64(t, "errors", NULL, so->r->v.errors);
}

/* Adds a CPU's row of a device to another's (trace_rows_merge()). */
static void add_row(void *to_, const void *from_)
{
	struct row *to = to_;
	const struct row *from = from_;

	for (unsigned s = 0; s < NETTXLAT_NSTAGES; s++) {
		for (int j = 0; j < SKBTIME_SLOTS; j++)
			to->v.h[s].slots[j] += from->v.h[s].slots[j];
		to->v.h[s].sum_ns += from->v.h[s].sum_ns;
	}
	to->v.errors += from->v.errors;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct nettxlat_bpf *)skel)->maps.hists, rows, cmp_rows);

	(void)final;
	n = trace_rows_merge(rows, n, sizeof(*rows), cmp_rows, add_row); /* the CPUs */
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Device transmit latency\n  (no samples)\n");
	for (size_t i = 0; i < n; i++) {
		for (unsigned s = 0; s < NETTXLAT_NSTAGES; s++) {
			const struct stage_of so = { &rows[i], s };
			const struct skbtime_hist *h = &rows[i].v.h[s];
			char ifname[NETTXLAT_IFNAMSIZ + 1], title[160];
			uint64_t slots[SKBTIME_SLOTS], c = skbtime_hist_count(h);

			snprintf(title, sizeof(title), "Device transmit, dev %s (netns %u), %s: %s",
				 ifname_of(ifname, &rows[i]), rows[i].v.netns, stage_names[s],
				 stage_about[s]);
			memcpy(slots, h->slots, sizeof(slots));
			trace_hist_print_log2_with(title, "usecs", slots, SKBTIME_SLOTS, hist_fields,
						   &so);
			if (out_is_json() || !c)
				continue;
			printf("%24s : %llu packets, mean %.1f usecs", "", (unsigned long long)c,
			       (double)h->sum_ns / (double)c / 1000.0);
			if (s == NETTXLAT_XMIT && rows[i].v.errors)
				printf(", %llu not accepted by the driver",
				       (unsigned long long)rows[i].v.errors);
			printf("\n");
		}
	}
	free(rows);
	skbtime_print_untimed(tc, "net_dev_queue and net_dev_xmit", 0);
}

SKBTIME_CONFIGURE(nettxlat)

TRACE_TRACER(nettxlat, "device transmit latency", TRACE_HOOKS(hooks), .opts = opts,
	     .configure = nettxlat_configure, .summary = summary, .table_limit = skbtime_table_limit,
	     .tick = skbtime_tick, .fini = skbtime_fini);

TRACE_COMMAND(nettxlat, opts,
		.summary = "histograms of device transmit latency per device and stage",
		.about = "Times every packet through the device layer's transmit path, in log2\n"
			 "histograms per device kept in the kernel, printed on exit or every -i SECS\n"
			 "(then cleared): queue, from net:net_dev_queue (the stack hands the packet\n"
			 "to the device) to net:net_dev_start_xmit (the driver is called; the qdisc\n"
			 "wait is in between); xmit, from there to net:net_dev_xmit (the driver\n"
			 "returned); total, both. The driver's return is the end for every device:\n"
			 "veth and lo hand the packet on to a receive path, and a NIC's transmit\n"
			 "completion is not tied to the device by any tracepoint.\n");
