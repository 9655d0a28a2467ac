/* skblife: socket buffer lifetimes, allocation to free, as log2 histograms
 * kept in the kernel, one per way the skb ended: consumed, or dropped with
 * the kernel's drop reason (named from BTF); optionally per device or per
 * allocating process. */
#include "bpf/skblife.h"
#include "bpf/skblife.skel.h"
#include "base/json.h"
#include "command.h"
#include "trace/ksyms.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/btfenum_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(skblife)

struct priv {
	struct btfenum_names reasons; /* enum skb_drop_reason, SKB_DROP_REASON_ stripped */
	int by;                       /* SKBLIFE_BY_* */
	uint64_t shown[SKBLIFE_NCOUNTERS]; /* counters at the last summary (-i: deltas) */
	struct skblife_hist *end_shown;    /* by_end's totals at the last summary (-i) */
};

static struct priv priv;

/* ---- options ---- */

enum { OPT_BY = OPT_LONG };

static const struct opt opt_rows[] = {
	{ OPT_BY, "by", "KEY",
	  "histograms by end (consumed, or dropped with the reason: the default), dev (and the "
	  "device at the free) or pid (and the process current at the allocation)" },
	{ OPT_TR_NETNS, "netns", "NS",
	  "only skbs freed on a device (else with a socket) of network namespace NS (name, "
	  "path or inode)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_DEV_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP,
	TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)c;
	tc->priv = &priv;
	if (strcmp(p->arg, "end") == 0)
		priv.by = SKBLIFE_BY_END;
	else if (strcmp(p->arg, "dev") == 0)
		priv.by = SKBLIFE_BY_DEV;
	else if (strcmp(p->arg, "pid") == 0)
		priv.by = SKBLIFE_BY_PID;
	else
		return opts_fail(p, "expected end, dev or pid, got '%s'", p->arg);
	return 0;
}

/* [lo, hi) of __alloc_skb's text, from kallsyms: where an allocation from
 * a cache not known yet teaches the BPF side the skbuff caches. */
static int alloc_skb_range(uint64_t *lo, uint64_t *hi)
{
	struct ksyms ks = { 0 };
	int err = ksyms_load(&ks, NULL);

	*lo = *hi = 0;
	for (size_t i = 0; !err && i < ks.n; i++) {
		if (strcmp(ks.v[i].name, "__alloc_skb") != 0)
			continue;
		*lo = ks.v[i].addr;
		for (size_t j = i + 1; j < ks.n && !*hi; j++)
			if (ks.v[j].addr > *lo)
				*hi = ks.v[j].addr;
		break;
	}
	ksyms_free(&ks);
	if (err)
		return err;
	return *lo && *hi ? 0 : -ENOENT;
}

static int configure(struct trace_ctx *tc, void *skel_)
{
	struct skblife_bpf *skel = skel_;
	uint64_t lo, hi;
	long long v;
	int err;

	tc->priv = &priv;
	err = btfenum_drop_reasons(tc->tr->name, &priv.reasons);
	if (err)
		return err;
	if (btfenum_value(&priv.reasons, "SKB_CONSUMED", &v))
		skel->rodata->consumed_reason = (__u32)v;
	if (btfenum_value(&priv.reasons, "MAX", &v) && v > 0 && v <= SKBLIFE_END_SLOTS - SKBLIFE_END_DROPS)
		bpf_map__set_max_entries(skel->maps.by_end, (__u32)v + SKBLIFE_END_DROPS);
	err = alloc_skb_range(&lo, &hi);
	if (err)
		return out_error("%s: cannot find __alloc_skb in /proc/kallsyms (%s): it is where "
				 "the skbuff caches are recognized",
				 tc->tr->name, err == -ENOENT ? "not listed" : strerror(-err));
	skel->rodata->alloc_skb_lo = lo;
	skel->rodata->alloc_skb_hi = hi;
	skel->rodata->by = (__u8)priv.by;
	if (priv.by != SKBLIFE_BY_PID)
		bpf_map__set_max_entries(skel->maps.owners, 1);
	tc->summary_mode = true;
	return 0;
}

/* ---- summaries ---- */

struct row {
	struct skblife_key k;
	struct skblife_hist h;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	/* consumed, freed, then drops by reason; then device / process */
	if (x->k.reason != y->k.reason)
		return x->k.reason > y->k.reason ? -1 : 1;
	if (x->k.netns != y->k.netns)
		return x->k.netns < y->k.netns ? -1 : 1;
	if (x->k.ifindex != y->k.ifindex)
		return x->k.ifindex < y->k.ifindex ? -1 : 1;
	if (x->k.pid != y->k.pid)
		return x->k.pid < y->k.pid ? -1 : 1;
	c = memcmp(x->k.name, y->k.name, sizeof(x->k.name));
	return c;
}

static const char *reason_str(uint32_t r, char *buf, size_t cap)
{
	const char *n = btfenum_name(&priv.reasons, r);

	if (n)
		return n;
	snprintf(buf, cap, "%u", r);
	return buf;
}

static const char *end_name(uint32_t reason)
{
	return reason == SKBLIFE_CONSUMED ? "consumed" : reason == SKBLIFE_FREED ? "freed" : "dropped";
}

struct hist_arg {
	const struct row *r;
	const char *reason;
	const char *name;
};

static void hist_fields(struct table *t, const void *arg_)
{
	const struct hist_arg *a = arg_;
	const struct skblife_key *k = &a->r->k;

	out_field_str(t, "end", NULL, end_name(k->reason));
	if (k->reason != SKBLIFE_CONSUMED && k->reason != SKBLIFE_FREED) {
		out_field_str(t, "reason", NULL, a->reason);
		out_field_u64(t, "reason_code", NULL, k->reason);
	}
	if (priv.by == SKBLIFE_BY_DEV) {
		out_field_str(t, "ifname", NULL, a->name);
		out_field_u64(t, "ifindex", NULL, k->ifindex);
		out_field_u64(t, "netns", NULL, k->netns);
	} else if (priv.by == SKBLIFE_BY_PID) {
		out_field_u64(t, "pid", NULL, k->pid);
		out_field_str(t, "comm", NULL, a->name);
	}
	out_field_u64(t, "count", NULL, a->r->h.count);
	out_field_u64(t, "total_ns", NULL, a->r->h.total_ns);
}

/* The per-CPU counters summed. */
static void read_counters(struct bpf_map *m, uint64_t *tot)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*v));

	if (!v)
		abort();
	for (__u32 i = 0; i < SKBLIFE_NCOUNTERS; i++) {
		tot[i] = 0;
		if (ncpu <= 0 ||
		    bpf_map__lookup_elem(m, &i, sizeof(i), v, sizeof(*v) * (size_t)ncpu, 0) != 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			tot[i] += v[c];
	}
	free(v);
}

/* What was not timed, host-wide (filters cannot apply to an allocation). */
static void print_counters(struct trace_ctx *tc, struct skblife_bpf *skel)
{
	static const char *const keys[SKBLIFE_NCOUNTERS] = { "births", "replaced", "unborn",
							     "ends", "foreign", "evicted" };
	uint64_t now[SKBLIFE_NCOUNTERS], d[SKBLIFE_NCOUNTERS];
	int caches = (skel->bss->skb_caches[0] != 0) + (skel->bss->skb_caches[1] != 0);

	read_counters(skel->maps.counters, now);
	for (int i = 0; i < SKBLIFE_NCOUNTERS; i++) {
		d[i] = now[i] - (tc->o.interval > 0 ? priv.shown[i] : 0);
		priv.shown[i] = now[i];
	}
	if (out_is_json()) {
		struct json *w = out_record_begin();
		json_key(w, "skbs");
		json_obj_begin(w);
		for (int i = 0; i < SKBLIFE_NCOUNTERS; i++)
			json_field_u64(w, keys[i], d[i]);
		json_field_u64(w, "caches_known", (uint64_t)caches);
		json_obj_end(w);
		out_record_end(w);
		return;
	}
	printf("skbs (all namespaces): %llu allocations recorded, %llu ends timed; %llu ends "
	       "without a recorded allocation, %llu allocations whose end was not seen, %llu "
	       "evicted from the births table, %llu objects of a merged cache; %d of 2 skbuff "
	       "caches known\n",
	       (unsigned long long)d[SKBLIFE_C_BIRTHS], (unsigned long long)d[SKBLIFE_C_ENDS],
	       (unsigned long long)d[SKBLIFE_C_UNBORN], (unsigned long long)d[SKBLIFE_C_REPLACED],
	       (unsigned long long)d[SKBLIFE_C_EVICTED], (unsigned long long)d[SKBLIFE_C_FOREIGN],
	       caches);
}

/* Adds a CPU's row of a key to another's (trace_rows_merge()). */
static void add_row(void *to_, const void *from_)
{
	struct row *to = to_;
	const struct row *from = from_;

	for (int j = 0; j < SKBLIFE_SLOTS; j++)
		to->h.slots[j] += from->h.slots[j];
	to->h.count += from->h.count;
	to->h.total_ns += from->h.total_ns;
}

/* The histograms of the per-CPU array by_end (--by end without filters,
 * bpf/skblife.h), appended to the n rows of *rows: each end's CPUs summed,
 * less what the last summary showed when there is one every -i. Returns
 * the rows in all. */
static size_t read_by_end(const struct trace_ctx *tc, struct skblife_bpf *skel, struct row **rows,
			  size_t n)
{
	const size_t words = sizeof(struct skblife_hist) / sizeof(uint64_t);
	uint32_t ends = bpf_map__max_entries(skel->maps.by_end);
	struct skblife_hist *tot = calloc(ends, sizeof(*tot));

	if (!priv.end_shown) /* the array's size is fixed for the run */
		priv.end_shown = calloc(ends, sizeof(*priv.end_shown));
	if (!tot || !priv.end_shown)
		abort();
	if (trace_percpu_array_sum(skel->maps.by_end, ends, (uint64_t *)tot, words)) {
		free(tot);
		return n; /* unreadable: the hash's rows */
	}
	for (uint32_t e = 0; e < ends; e++) {
		struct skblife_hist *was = &priv.end_shown[e];
		struct row *r;
		if (tot[e].count == was->count)
			continue;
		if (!(*rows = realloc(*rows, (n + 1) * sizeof(**rows))))
			abort();
		r = &(*rows)[n++];
		memset(r, 0, sizeof(*r));
		r->k.reason = e == SKBLIFE_END_CONSUMED ? SKBLIFE_CONSUMED :
			      e == SKBLIFE_END_FREED    ? SKBLIFE_FREED :
							  e - SKBLIFE_END_DROPS;
		for (int j = 0; j < SKBLIFE_SLOTS; j++)
			r->h.slots[j] = tot[e].slots[j] - was->slots[j];
		r->h.count = tot[e].count - was->count;
		r->h.total_ns = tot[e].total_ns - was->total_ns;
		if (tc->o.interval > 0)
			*was = tot[e];
	}
	free(tot);
	return n;
}

static void summary(struct trace_ctx *tc, void *skel_, bool final)
{
	struct skblife_bpf *skel = skel_;
	struct row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, skel->maps.lifetimes, rows, cmp_rows);

	(void)final;
	n = read_by_end(tc, skel, &rows, n);
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_rows);
	n = trace_rows_merge(rows, n, sizeof(*rows), cmp_rows, add_row); /* the CPUs */
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("skb lifetimes\n  (no samples)\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char title[160], rb[32], name[SKBLIFE_NAMSIZ + 1], who[64] = "";
		uint64_t slots[SKBLIFE_SLOTS];
		struct hist_arg a = { r, reason_str(r->k.reason, rb, sizeof(rb)), name };

		snprintf(name, sizeof(name), "%.*s", SKBLIFE_NAMSIZ, r->k.name);
		if (priv.by == SKBLIFE_BY_DEV)
			snprintf(who, sizeof(who), ", %s (ifindex %u, netns %u)",
				 r->k.ifindex ? name : "no device", r->k.ifindex, r->k.netns);
		else if (priv.by == SKBLIFE_BY_PID)
			snprintf(who, sizeof(who), ", pid %u %s", r->k.pid, name);
		if (r->k.reason == SKBLIFE_CONSUMED || r->k.reason == SKBLIFE_FREED)
			snprintf(title, sizeof(title), "%s%s", end_name(r->k.reason), who);
		else
			snprintf(title, sizeof(title), "dropped: %s%s", a.reason, who);
		memcpy(slots, r->h.slots, sizeof(slots));
		trace_hist_print_log2_with(title, "nsecs", slots, SKBLIFE_SLOTS, hist_fields, &a);
		if (!out_is_json() && r->h.count)
			printf("%24s : %llu skbs, mean %llu ns\n", "", (unsigned long long)r->h.count,
			       (unsigned long long)(r->h.total_ns / r->h.count));
	}
	free(rows);
	print_counters(tc, skel);
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	btfenum_free(&priv.reasons);
	free(priv.end_shown);
	memset(&priv, 0, sizeof(priv));
}

static const struct trace_hook hooks[] = {
	{ "kmem_cache_alloc", { "skblife_alloc_btf", "skblife_alloc_raw" } },
	{ "consume_skb", { "skblife_consume_btf", "skblife_consume_raw" } },
	{ "kfree_skb", { "skblife_kfree_btf", "skblife_kfree_raw" } },
	{ "kmem_cache_free", { "skblife_free_btf", "skblife_free_raw" } },
};

TRACE_TRACER(skblife, "socket buffer lifetimes", TRACE_HOOKS(hooks), .opts = opts, .opt = opt,
	     .configure = configure, .summary = summary, .fini = fini);

TRACE_COMMAND(skblife, opts,
		.summary = "histograms of socket buffer lifetimes, allocation to free",
		.about = "How long each struct sk_buff lives, from its allocation from the skbuff\n"
			 "caches (kmem:kmem_cache_alloc) to its free: consumed (skb:consume_skb) or\n"
			 "dropped (skb:kfree_skb, with the drop reason named from the kernel's BTF).\n"
			 "Log2 histograms kept in the kernel, printed on exit or every -i SECS (then\n"
			 "cleared). skbs taken from the per-CPU NAPI cache, and frees without a\n"
			 "tracepoint, are not seen: a line of counters says how many ends and\n"
			 "allocations could not be paired.\n");
