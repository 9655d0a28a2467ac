/* Expiring skb starts and reporting untimed packets: see skbtime_util.h. */
#include "tracers/skbtime_util.h"

#include "base/json.h"
#include "base/stamp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One tracer runs per process. */
static struct skbtime_state {
	uint64_t expired;       /* starts deleted by skbtime_tick(), in all */
	uint64_t last_sweep_ns; /* CLOCK_MONOTONIC of the last sweep */
	uint64_t shown[SKBTIME_NCOUNTERS + 1]; /* totals at the last print (-i) */
} state;

const struct opt skbtime_opt_rows[] = {
	{ OPT_TR_NETNS, "netns", "NS", "only devices of network namespace NS (name, path or inode)" },
	OPT_END,
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void skbtime_fini(struct trace_ctx *tc)
{
	(void)tc;
	memset(&state, 0, sizeof(state));
}

void skbtime_tick(struct trace_ctx *tc, void *skel)
{
	struct bpf_map *starts = bpf_object__find_map_by_name(tc->tr->skel_obj(skel), "starts");
	struct skbtime_state *st = &state;
	uint64_t now = mono_ns(), key, next, limit;
	size_t vsz = starts ? bpf_map__value_size(starts) : 0;
	int fd = starts ? bpf_map__fd(starts) : -1;
	unsigned char val[64];
	bool first = true;

	if (now - st->last_sweep_ns < 1000000000ULL || vsz > sizeof(val) || fd < 0)
		return;
	st->last_sweep_ns = now;
	/* the kernel inserts and deletes meanwhile: a walk that lost its key
	 * starts over, so bound it */
	limit = 2ULL * bpf_map__max_entries(starts);
	while (limit-- && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		uint64_t ts;
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, val) != 0)
			continue;
		memcpy(&ts, val, sizeof(ts));
		if (ts < now && now - ts > SKBTIME_MAX_AGE_NS && bpf_map_delete_elem(fd, &key) == 0)
			st->expired++;
	}
}

static void untimed_totals(const struct trace_ctx *tc, const struct skbtime_state *st,
			   uint64_t *tot)
{
	struct bpf_map *m = bpf_object__find_map_by_name(tc->tr->skel_obj(tc->skel),
							 "skbtime_untimed");
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*v)) : NULL;

	memset(tot, 0, sizeof(*tot) * (SKBTIME_NCOUNTERS + 1));
	for (__u32 k = 0; v && m && k < SKBTIME_NCOUNTERS; k++) {
		if (bpf_map__lookup_elem(m, &k, sizeof(k), v, sizeof(*v) * (size_t)ncpu, 0) != 0)
			continue;
		for (int i = 0; i < ncpu; i++)
			tot[k] += v[i];
	}
	free(v);
	tot[SKBTIME_NCOUNTERS] = st->expired;
}

void skbtime_print_untimed(const struct trace_ctx *tc, const char *where, int walk_bound)
{
	struct skbtime_state *st = &state;
	uint64_t tot[SKBTIME_NCOUNTERS + 1], d[SKBTIME_NCOUNTERS + 1];

	untimed_totals(tc, st, tot);
	for (int i = 0; i <= SKBTIME_NCOUNTERS; i++)
		d[i] = tot[i] - st->shown[i];
	if (tc->o.interval > 0)
		memcpy(st->shown, tot, sizeof(tot));
	if (out_is_json()) {
		struct json *w = out_record_begin();
		if (trace_stamp())
			json_field_fixed(w, "time", trace_stamp()->epoch, 6);
		json_key(w, "untimed");
		json_obj_begin(w);
		json_field_u64(w, "dropped", d[SKBTIME_DROPPED]);
		json_field_u64(w, "expired", d[SKBTIME_NCOUNTERS]);
		if (walk_bound)
			json_field_u64(w, "unwalked", d[SKBTIME_UNWALKED]);
		json_obj_end(w);
		out_record_end(w);
		return;
	}
	printf("Untimed: %llu dropped between %s, %llu expired (not seen freed in %llu s)",
	       (unsigned long long)d[SKBTIME_DROPPED], where,
	       (unsigned long long)d[SKBTIME_NCOUNTERS],
	       (unsigned long long)(SKBTIME_MAX_AGE_NS / 1000000000ULL));
	if (walk_bound)
		printf(", %llu past a bulk dequeue's first %d", (unsigned long long)d[SKBTIME_UNWALKED],
		       walk_bound);
	printf("\n");
}

const char *skbtime_mean_str(char *buf, size_t cap, uint64_t sum, uint64_t n)
{
	if (!n)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.1f", (double)sum / (double)n);
	return buf;
}

uint64_t skbtime_hist_count(const struct skbtime_hist *h)
{
	uint64_t n = 0;

	for (int i = 0; i < SKBTIME_SLOTS; i++)
		n += h->slots[i];
	return n;
}
