/* Timing packets between two hooks by the address of their skb, for
 * qdisclat and nettxlat (include after bpf/netlens.bpf.h; the object is
 * built for BPF CPU v3, kernel 5.12+, for the atomic compare-and-swap).
 *
 * The start hook puts a start record (whose first field is the
 * bpf_ktime_get_ns() time) into a slot of an array made with
 * SKBTIME_MAP(); the end hook takes it out (skbtime_take: copied, then the
 * slot freed). A hash map did the same at twice the cost a packet: its
 * update and delete take a bucket lock and the allocator's free list.
 *
 * The slots: an open-addressed table of skbtime_mask + 1 slots (a power
 * of two), each { skb address, record }. A packet's slots are the
 * SKBTIME_PROBES slots from a hash of its address. Their first word:
 *   0          free;
 *   skb | 1    busy: a start being written;
 *   skb        holds skb's start.
 * A start claims the first free slot (or one holding a stale start of the
 * same address) with a compare-and-swap to skb | 1, writes the record and
 * publishes it with an exchange to skb. Taking, forgetting a dropped
 * packet and user space's expiry free a slot with a compare-and-swap from
 * skb to 0: whoever wins it owns the record, so two never both count it.
 * A start finding all its slots taken is counted in tr_dropped_keys, as a
 * full hash was. The addresses are slab objects, 256-byte aligned or more,
 * so bit 0 is free for the mark.
 *
 * A packet that never reaches the end hook would leave its start behind:
 *   - freed as dropped in between (a qdisc's drop, a full queue's tail
 *     drop after enqueue, a device gone): skb:kfree_skb fires for it, and
 *     SKBTIME_DROP_PROGRAMS frees its slot and counts it (dropped);
 *   - freed without a drop (consume_skb: a GSO packet replaced by its
 *     segments; the rare start hook that runs after the end hook on
 *     another CPU, as a lockless qdisc allows) or freed while the
 *     kfree_skb program nested in itself: no cheap hook sees it
 *     (consume_skb fires for every packet freed on the host), so user
 *     space frees starts older than SKBTIME_MAX_AGE_NS
 *     (tracers/skbtime_util.c, through the array mapped in its memory)
 *     and counts them (expired). Until then, a new start at the same
 *     address takes the slot over.
 */
#ifndef NETLENS_SKBTIME_BPF_H
#define NETLENS_SKBTIME_BPF_H

#include "bpf/log2.bpf.h"
#include "bpf/skbtime.h"

/* slots - 1; user space sets it with the array's size (--max-keys) */
const volatile __u32 skbtime_mask = SKBTIME_ENTRIES - 1;

/* The slot array of a tracer whose start record is record_type. */
#define SKBTIME_MAP(name, record_type)                                                 \
	struct name##_slot {                                                           \
		__u64 skb;                                                             \
		record_type rec;                                                       \
	};                                                                             \
	struct {                                                                       \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                      \
		__uint(map_flags, BPF_F_MMAPABLE);                                     \
		__uint(max_entries, SKBTIME_ENTRIES);                                  \
		__type(key, __u32);                                                    \
		__type(value, struct name##_slot);                                     \
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

/* The skb's address as a number (tr_addr()), through a slot per program:
 * the start hook's, the end hook's, nettxlat's net_dev_start_xmit
 * between them, kfree_skb's. The transmit path runs with bottom halves
 * off, but netpoll (netconsole) transmits from any context, and
 * kfree_skb runs anywhere. */
enum { SKBTIME_ADDR_START, SKBTIME_ADDR_END, SKBTIME_ADDR_MID, SKBTIME_ADDR_DROP, SKBTIME_NADDR };

TR_ADDR_SLOTS(skbtime_addrs, SKBTIME_NADDR);

static __always_inline __u64 skbtime_addr(const void *skb, __u32 who)
{
	return tr_addr(&skbtime_addrs, who, skb);
}

/* The i-th slot (of SKBTIME_PROBES) of the address skb: its first word. */
static __always_inline __u64 *skbtime_slot(void *map, __u64 skb, __u32 i)
{
	__u32 idx = ((__u32)((skb * SKBTIME_HASH_MUL) >> 32) + i) & skbtime_mask;

	return bpf_map_lookup_elem(map, &idx);
}

/* The slot holding skb's start, or NULL. */
static __always_inline __u64 *skbtime_find(void *map, __u64 skb)
{
#pragma unroll
	for (__u32 i = 0; i < SKBTIME_PROBES; i++) {
		__u64 *s = skbtime_slot(map, skb, i);
		if (s && *(volatile __u64 *)s == skb)
			return s;
	}
	return NULL;
}

/* Stores the start record (size bytes) of the skb whose address is k
 * (skbtime_addr()); a table without a slot for it: counted in
 * tr_dropped_keys. */
static __always_inline void skbtime_start(void *map, __u64 k, const void *rec, __u32 size)
{
#pragma unroll
	for (__u32 i = 0; i < SKBTIME_PROBES; i++) {
		__u64 *s = skbtime_slot(map, k, i), old;
		if (!s)
			return;
		old = __sync_val_compare_and_swap(s, 0, k | 1);
		if (old == k) /* a start of the same address left behind */
			old = __sync_val_compare_and_swap(s, k, k | 1) == k ? 0 : 1;
		if (old == 0) {
			__builtin_memcpy(s + 1, rec, size);
			__sync_lock_test_and_set(s, k);
			return;
		}
	}
	tr_count_dropped_key();
}

/* Frees skb's slot s (from skbtime_find()): false when another got it first. */
static __always_inline bool skbtime_free(__u64 *s, __u64 skb)
{
	return __sync_val_compare_and_swap(s, skb, 0) == skb;
}

/* Copies skb's start record into out (size bytes) and frees its slot;
 * false when it has none. */
static __always_inline bool skbtime_take(void *map, const void *skb, void *out, __u32 size)
{
	__u64 k = skbtime_addr(skb, SKBTIME_ADDR_END), *s = skbtime_find(map, k);

	if (!s)
		return false;
	__builtin_memcpy(out, s + 1, size);
	return skbtime_free(s, k);
}

/* Adds v nanoseconds to a histogram (slots of microseconds) with plain
 * adds: each histogram must have one writer at a time (qdisclat: one per
 * qdisc, which one CPU runs at a time; nettxlat: one per device and CPU).
 * nettxlat's six atomic adds were a fifth of net_dev_xmit's run. */
static __always_inline void skbtime_hist_add(struct skbtime_hist *h, __u64 v)
{
	h->slots[tr_log2_us_slot(v, SKBTIME_SLOTS)]++;
	h->sum_ns += v;
}

/* NAME_drop_btf / NAME_drop_raw on skb:kfree_skb: forget a timed packet
 * freed as dropped. Runs for every drop on the host: SKBTIME_PROBES
 * compares of a key mostly absent. */
#define SKBTIME_DROP_PROGRAMS(name, map)                                               \
	static __always_inline int name##_forget(const struct sk_buff *skb)            \
	{                                                                              \
		__u64 k = skbtime_addr(skb, SKBTIME_ADDR_DROP);                        \
		__u64 *s = skbtime_find(&(map), k);                                    \
		if (s && skbtime_free(s, k))                                           \
			skbtime_count(SKBTIME_DROPPED, 1);                             \
		return 0;                                                              \
	}                                                                              \
	TR_PROGRAM_PAIR(name##_drop, kfree_skb,                                        \
			(struct sk_buff *skb, void *location, int reason), name##_forget(skb))

#endif
