/* Expiring skb starts and reporting untimed packets: see skbtime_util.h. */
#include "tracers/skbtime_util.h"

#include "base/json.h"
#include "base/stamp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <time.h>

/* One tracer runs per process. */
static struct skbtime_state {
	uint64_t expired;       /* starts deleted by skbtime_tick(), in all */
	uint64_t last_sweep_ns; /* CLOCK_MONOTONIC of the last sweep */
	uint64_t shown[SKBTIME_NCOUNTERS + 1]; /* totals at the last print (-i) */
	unsigned char *slots;   /* the array "starts" in our memory, or NULL */
	size_t size, stride;    /* of the mapping; between two slots */
	uint32_t nslots;
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
	if (state.slots)
		munmap(state.slots, state.size);
	memset(&state, 0, sizeof(state));
}

static struct bpf_map *starts_of(struct trace_ctx *tc, void *skel)
{
	return bpf_object__find_map_by_name(tc->tr->skel_obj(skel), "starts");
}

void skbtime_configure(struct trace_ctx *tc, struct bpf_object *obj, volatile uint32_t *mask)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "starts");
	uint32_t n = SKBTIME_ENTRIES;

	if (tc->o.max_keys) /* at most 2^24 (opts.c) */
		for (n = 1; n < tc->o.max_keys; n <<= 1)
			;
	if (m)
		bpf_map__set_max_entries(m, n);
	*mask = n - 1;
}

uint32_t skbtime_table_limit(struct trace_ctx *tc, void *skel)
{
	struct bpf_map *m = starts_of(tc, skel);

	return m ? bpf_map__max_entries(m) : 0;
}

/* Maps the loaded array "starts" into our memory once (state.slots); false
 * when it cannot be. */
static bool map_slots(struct bpf_map *starts)
{
	struct skbtime_state *st = &state;
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (st->slots)
		return true;
	if (bpf_map__fd(starts) < 0 || page <= 0)
		return false;
	/* an array's values are 8-byte aligned: { skb, record { ts, ... } } */
	st->stride = (bpf_map__value_size(starts) + 7) / 8 * 8;
	st->nslots = bpf_map__max_entries(starts);
	st->size = (st->stride * st->nslots + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, st->size, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(starts), 0);
	if (p == MAP_FAILED)
		return false;
	st->slots = p;
	return true;
}

void skbtime_tick(struct trace_ctx *tc, void *skel)
{
	struct bpf_map *starts = starts_of(tc, skel);
	struct skbtime_state *st = &state;
	uint64_t now = mono_ns();

	if (!starts || now - st->last_sweep_ns < 1000000000ULL)
		return;
	st->last_sweep_ns = now;
	if (!map_slots(starts))
		return;
	for (uint32_t i = 0; i < st->nslots; i++) {
		uint64_t *slot = (uint64_t *)(st->slots + (size_t)i * st->stride);
		uint64_t skb = __atomic_load_n(&slot[0], __ATOMIC_ACQUIRE);
		uint64_t ts = __atomic_load_n(&slot[1], __ATOMIC_RELAXED);
		/* free, or busy (bit 0): left alone */
		if (!skb || (skb & 1) || ts >= now || now - ts <= SKBTIME_MAX_AGE_NS)
			continue;
		/* the kernel's compare-and-swap of the slot, from user space */
		if (__atomic_compare_exchange_n(&slot[0], &skb, 0, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
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
