/* Timing packets between two hooks by the address of their skb, for
 * qdisclat and nettxlat (include after bpf/netlens.bpf.h).
 *
 * The start hook puts skb -> a start record (whose first field is the
 * bpf_ktime_get_ns() time) into a hash map made with SKBTIME_MAP(); the end
 * hook takes it out (skbtime_take: copied, then deleted). A packet that
 * never reaches the end hook would leave its entry behind:
 *   - freed as dropped in between (a qdisc's drop, a full queue's tail
 *     drop after enqueue, a device gone): skb:kfree_skb fires for it, and
 *     SKBTIME_DROP_PROGRAMS deletes its entry and counts it (dropped);
 *   - freed without a drop (consume_skb: a GSO packet replaced by its
 *     segments; the rare start hook that runs after the end hook on
 *     another CPU) or freed while the kfree_skb program nested in itself:
 *     no cheap hook sees it (consume_skb fires for every packet freed on
 *     the host), so user space deletes entries older than
 *     SKBTIME_MAX_AGE_NS (tracers/skbtime_util.h) and counts them
 *     (expired). Until then, a new skb at the same address overwrites it.
 */
#ifndef NETLENS_SKBTIME_BPF_H
#define NETLENS_SKBTIME_BPF_H

#include "bpf/skbtime.h"

/* A plain hash: an LRU one would evict starts in silence. */
#define SKBTIME_MAP(name, value_type)                                                  \
	struct {                                                                       \
		__uint(type, BPF_MAP_TYPE_HASH);                                       \
		__uint(max_entries, SKBTIME_ENTRIES);                                  \
		__type(key, __u64);                                                    \
		__type(value, value_type);                                             \
	} name SEC(".maps")

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBTIME_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} skbtime_untimed SEC(".maps");

static __always_inline void skbtime_count(__u32 what, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&skbtime_untimed, &what);

	if (c)
		*c += n;
}

/* tr_want_dev(dev_expr), with dev_expr (a read of the device through the
 * skb or qdisc: helper calls) evaluated only when --dev or --netns is
 * given. */
#define SKBTIME_WANT_DEV(dev_expr)                                                     \
	(!(tr_filter.ifindex || tr_filter.netns) || tr_want_dev(dev_expr))

/* skb's start record (a full table: counted in tr_dropped_keys). */
static __always_inline void skbtime_start(void *map, const void *skb, const void *start)
{
	__u64 k = (__u64)skb;

	tr_map_update(map, &k, start, BPF_ANY);
}

/* Copies skb's start record into out (size bytes) and deletes it; false
 * when it has none. */
static __always_inline bool skbtime_take(void *map, const void *skb, void *out, __u32 size)
{
	__u64 k = (__u64)skb;
	void *v = bpf_map_lookup_elem(map, &k);

	if (!v)
		return false;
	__builtin_memcpy(out, v, size);
	bpf_map_delete_elem(map, &k);
	return true;
}

/* Adds v nanoseconds to a histogram (slots of microseconds). */
static __always_inline void skbtime_hist_add(struct skbtime_hist *h, __u64 v)
{
	__u32 slot = tr_log2(v / 1000);

	if (slot >= SKBTIME_SLOTS)
		slot = SKBTIME_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum_ns, v);
}

/* NAME_drop_btf / NAME_drop_raw on skb:kfree_skb: forget a timed packet
 * freed as dropped. Runs for every drop on the host: one delete of a key
 * mostly absent. */
#define SKBTIME_DROP_PROGRAMS(name, map)                                               \
	static __always_inline int name##_forget(const struct sk_buff *skb)            \
	{                                                                              \
		__u64 k = (__u64)skb;                                                  \
		if (bpf_map_delete_elem(&(map), &k) == 0)                              \
			skbtime_count(SKBTIME_DROPPED, 1);                             \
		return 0;                                                              \
	}                                                                              \
	TR_PROGRAM_PAIR(name##_drop, kfree_skb,                                        \
			(struct sk_buff *skb, void *location, int reason), name##_forget(skb))

#endif
