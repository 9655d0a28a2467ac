/* qdisclat: time packets spend in their queueing discipline, enqueue to
 * dequeue, as log2 histograms per device and root qdisc, with the queue
 * each packet found; aggregated in the kernel. */
#include "bpf/qdisclat.h"
#include "bpf/qdisclat.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/qdisclat.h"
#include "tracers/skbtime_util.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(qdisclat)

static const struct trace_hook hooks[] = {
	{ "qdisc_enqueue", { "qdisclat_enqueue_btf", "qdisclat_enqueue_raw" } },
	{ "qdisc_dequeue", { "qdisclat_dequeue_btf", "qdisclat_dequeue_raw" } },
	{ "kfree_skb", { "qdisclat_drop_btf", "qdisclat_drop_raw" } },
};

static const struct opt_group opts[] = { SKBTIME_OPT_GROUPS };

struct row {
	struct qdisclat_key k;
	struct qdisclat_hist v;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->v.netns != y->v.netns)
		return x->v.netns < y->v.netns ? -1 : 1;
	if (x->v.ifindex != y->v.ifindex)
		return x->v.ifindex < y->v.ifindex ? -1 : 1;
	return x->k.handle < y->k.handle ? -1 : x->k.handle > y->k.handle;
}

/* A handle as tc writes it, major:minor in hex ("8001:0"); the root's
 * parent as "root". */
static const char *handle_str(char *buf, size_t cap, uint32_t h)
{
	if (h == 0xffffffffU)
		snprintf(buf, cap, "root");
	else
		snprintf(buf, cap, "%x:%x", h >> 16, h & 0xffff);
	return buf;
}

static void name_copy(char *dst, const char *src)
{
	memcpy(dst, src, QDISCLAT_NAMSIZ);
	dst[QDISCLAT_NAMSIZ] = '\0';
}

static void hist_fields(struct table *t, const void *arg)
{
	const struct row *r = arg;
	char ifname[QDISCLAT_NAMSIZ + 1], kind[QDISCLAT_NAMSIZ + 1], hb[24];
	uint64_t n = skbtime_hist_count(&r->v.h);

	name_copy(ifname, r->v.ifname);
	name_copy(kind, r->v.kind);
	out_field_str(t, "ifname", NULL, ifname);
	out_field_u64(t, "ifindex", NULL, r->v.ifindex);
	out_field_u64(t, "netns", NULL, r->v.netns);
	out_field_str(t, "kind", NULL, kind);
	out_field_str(t, "handle", NULL, handle_str(hb, sizeof(hb), r->k.handle));
	out_field_str(t, "parent", NULL, handle_str(hb, sizeof(hb), r->v.parent));
	out_field_u64(t, "packets", NULL, n);
	out_field_u64(t, "mean_ns", NULL, n ? r->v.h.sum_ns / n : 0);
	out_field_double(t, "qlen_avg", NULL, n ? (double)r->v.qlen_sum / (double)n : 0, 1);
	out_field_u64(t, "qlen_max", NULL, r->v.qlen_max);
	out_field_double(t, "backlog_avg", NULL, n ? (double)r->v.backlog_sum / (double)n : 0, 1);
	out_field_u64(t, "backlog_max", NULL, r->v.backlog_max);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct qdisclat_bpf *)skel)->maps.hists, rows, cmp_rows);

	(void)final;
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Time in qdisc\n  (no samples)\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char ifname[QDISCLAT_NAMSIZ + 1], kind[QDISCLAT_NAMSIZ + 1], title[128], hb[24];
		char pb[24], m1[32], m2[32];
		uint64_t slots[SKBTIME_SLOTS], c = skbtime_hist_count(&r->v.h);

		name_copy(ifname, r->v.ifname);
		name_copy(kind, r->v.kind);
		handle_str(pb, sizeof(pb), r->v.parent);
		snprintf(title, sizeof(title), "Time in qdisc, dev %s (netns %u), %s %s parent %s",
			 ifname, r->v.netns, kind, handle_str(hb, sizeof(hb), r->k.handle), pb);
		memcpy(slots, r->v.h.slots, sizeof(slots));
		trace_hist_print_log2_with(title, "usecs", slots, SKBTIME_SLOTS, hist_fields, r);
		if (out_is_json() || !c)
			continue;
		printf("%24s : %llu packets, mean %.1f usecs; queue at enqueue: %s packets avg, "
		       "%u max; %s bytes avg, %u max\n",
		       "", (unsigned long long)c, (double)r->v.h.sum_ns / (double)c / 1000.0,
		       skbtime_mean_str(m1, sizeof(m1), r->v.qlen_sum, c), r->v.qlen_max,
		       skbtime_mean_str(m2, sizeof(m2), r->v.backlog_sum, c), r->v.backlog_max);
	}
	free(rows);
	skbtime_print_untimed(tc, "enqueue and dequeue", QDISCLAT_WALK);
}

SKBTIME_CONFIGURE(qdisclat)

TRACE_TRACER(qdisclat, "time in queueing disciplines", TRACE_HOOKS(hooks), .opts = opts,
	     .configure = qdisclat_configure, .summary = summary, .table_limit = skbtime_table_limit,
	     .tick = skbtime_tick, .fini = skbtime_fini);

const struct tracer *qdisclat_tracer(void) { return &qdisclat; }

TRACE_COMMAND(qdisclat, opts,
		.summary = "histograms of the time packets spend in their qdisc, per device and qdisc",
		.about = "Times every packet from its enqueue into a device's root queueing\n"
			 "discipline (qdisc:qdisc_enqueue) to its dequeue for the driver\n"
			 "(qdisc:qdisc_dequeue): log2 histograms kept in the kernel, one per device\n"
			 "and root qdisc (kind and handle as tc names them), with the queue length\n"
			 "and backlog each packet found at enqueue (itself included), printed on\n"
			 "exit or every -i SECS (then cleared). Any qdisc kind; noqueue devices\n"
			 "(veth and lo by default) have none, and a packet that finds an empty\n"
			 "pfifo_fast, pfifo or bfifo bypasses it unseen. Packets the qdisc drops\n"
			 "are counted apart (skb:kfree_skb).\n");
