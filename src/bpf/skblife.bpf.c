/* skblife: how long socket buffers live, from allocation to free.
 *
 * Birth: kmem:kmem_cache_alloc, which fires for every slab allocation of
 * the host, so its filter comes first and is two compares of the cache
 * pointer against the two skbuff caches (skbuff_head_cache and the
 * skbuff_fclone_cache, which SLUB may have merged into a cache of another
 * name). The kernel does not export those pointers to BPF (no BTF
 * variable, no data symbol in kallsyms), so they are learned: an
 * allocation made from __alloc_skb (its text range comes from kallsyms, in
 * rodata) from a cache not yet known is one of the two, unless it is the
 * small-head cache of the data (skbuff_small_head, told apart by name).
 * Until both are known, allocations of other caches cost two more compares
 * (the call site).
 *
 * End: skb:consume_skb, and skb:kfree_skb with its reason (SKB_CONSUMED
 * counts as consumed). Both fire where the last reference goes. An skb
 * freed with neither (__kfree_skb()) ends at kmem:kmem_cache_free, the
 * object going back to its slab ("freed"). The births table (skb address ->
 * time) loses the entry at the end; an address allocated again while it
 * still has an entry (its end went unseen: an skb parked in the per-CPU
 * NAPI cache) is counted and restarted.
 *
 * Hooks: tp_btf, else raw_tp, each.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/core_fixes.bpf.h"
#include "bpf/log2.bpf.h"
#include "bpf/skblife.h"

const volatile __u64 alloc_skb_lo = 0; /* [lo, hi): __alloc_skb's text */
const volatile __u64 alloc_skb_hi = 0;
const volatile __u32 consumed_reason = 0xfffffffe; /* SKB_CONSUMED from BTF */
const volatile __u8 by = SKBLIFE_BY_END;

/* The two skbuff caches, as learned (0: not yet). */
__u64 skb_caches[2];

/* Births: a direct-mapped table of SKBLIFE_BIRTH_SLOTS entries indexed by
 * the skb's address, not a hash map: an element is found without a helper
 * call or a bucket lock, and the objects of one slab page share a few
 * cache lines of it. An allocation whose slot holds another address takes
 * it over (counted: "evicted"; if that skb was still live its end goes
 * unmatched): skbs live at once are few, the slots many. The allocating
 * process (--by pid) has a table of its own, touched only then. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SKBLIFE_BIRTH_SLOTS);
	__type(key, __u32);
	__type(value, struct skblife_birth);
} births SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SKBLIFE_BIRTH_SLOTS); /* user space: 1 without --by pid */
	__type(key, __u32);
	__type(value, struct skblife_owner);
} owners SEC(".maps");

/* skbuff objects are 256 or 512 bytes: the address without its low 8 bits */
static __always_inline __u32 birth_index(__u64 p)
{
	return (__u32)(p >> 8) & (SKBLIFE_BIRTH_SLOTS - 1);
}

/* The skb's address as a number (tr_addr()), in a tp_btf program; it was
 * read back from the context with bpf_probe_read_kernel(): 37 ns of
 * consume_skb's 167 ns run on a UDP flood. One slot per program
 * (ADDR_CONSUME, ADDR_KFREE): kfree_skb may run in a softirq between
 * consume's store and load. */
enum { ADDR_CONSUME, ADDR_KFREE };

TR_ADDR_SLOTS(addr_slots, 2);

static __always_inline __u64 skb_addr(const struct sk_buff *skb, __u32 slot, bool btf)
{
	return btf ? tr_addr(&addr_slots, slot, skb) : (__u64)skb;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct skblife_key);
	__type(value, struct skblife_hist);
} lifetimes SEC(".maps");

/* --by end without filters (bpf/skblife.h; sized by user space to the
 * kernel's drop reasons): a CPU's histograms have one writer each, and
 * the lookup is inlined by the verifier */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBLIFE_END_SLOTS);
	__type(key, __u32);
	__type(value, struct skblife_hist);
} by_end SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBLIFE_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &i);

	if (c)
		*c += 1; /* per CPU: no atomic needed */
}

static __always_inline bool name_is(const char *name, const char *want, int n)
{
	for (int i = 0; i < n; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* A cache met in __alloc_skb that is not known yet: skbuff_head_cache
 * (slot 0), the small head's (not an skb: left out), else the fclone
 * cache (slot 1), whatever its name: SLUB may have merged it with other
 * caches of its size. */
static __attribute__((noinline)) int learn(struct kmem_cache *s)
{
	const char small[] = "skbuff_small_head", head[] = "skbuff_head_cache";
	char name[sizeof(small)] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(s, name));
	if (name_is(name, small, sizeof(small)))
		return 0;
	if (name_is(name, head, sizeof(head)))
		skb_caches[0] = (__u64)s;
	else if (!skb_caches[1] && (__u64)s != skb_caches[0])
		skb_caches[1] = (__u64)s;
	return 1;
}

static __always_inline int on_alloc(unsigned long call_site, const void *ptr,
				    struct kmem_cache *s, bool btf)
{
	__u64 c = (__u64)s, p = (__u64)ptr;
	struct skblife_birth *b;
	__u32 i;

	if (c != skb_caches[0] && c != skb_caches[1]) {
		if ((skb_caches[0] && skb_caches[1]) || call_site < alloc_skb_lo ||
		    call_site >= alloc_skb_hi)
			return 0;
		if (!learn(s))
			return 0;
	}
	if (!p)
		return 0;
	i = birth_index(p);
	b = bpf_map_lookup_elem(&births, &i);
	if (!b)
		return 0;
	if (b->skb)
		/* the same address again: its end went unseen; another: evicted */
		count(b->skb == p ? SKBLIFE_C_REPLACED : SKBLIFE_C_EVICTED);
	b->skb = p;
	b->ts_ns = bpf_ktime_get_ns();
	if (by == SKBLIFE_BY_PID) {
		struct skblife_owner *o = bpf_map_lookup_elem(&owners, &i);

		if (o) {
			o->pid = bpf_get_current_pid_tgid() >> 32;
			tr_current_comm(o->comm, btf);
		}
	}
	count(SKBLIFE_C_BIRTHS);
	return 0;
}

/* skb->dev, unless the field holds something else: UDP keeps its
 * dev_scratch there once a datagram is queued to a socket. */
static __always_inline struct net_device *skb_dev(const struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	return (__u64)dev >> 47 == 0x1ffff ? dev : NULL;
}

/* The end of the skb at p: a tracepoint's (consume_skb, kfree_skb), or the
 * slab free of one that had none (slab_free). */
static __always_inline int on_end(const struct sk_buff *skb, __u64 p, __u32 reason,
				  bool slab_free)
{
	__u64 now = bpf_ktime_get_ns(), ns;
	struct skblife_key k = {};
	struct skblife_birth *b;
	struct skblife_hist *h;
	struct net_device *dev = NULL;
	__u32 i = birth_index(p);

	b = bpf_map_lookup_elem(&births, &i);
	if (!b || b->skb != p) {
		if (!slab_free) /* a slab free after a traced end finds none: normal */
			count(SKBLIFE_C_UNBORN);
		return 0;
	}
	ns = now - b->ts_ns;
	b->skb = 0;
	if (by == SKBLIFE_BY_PID) {
		struct skblife_owner *o = bpf_map_lookup_elem(&owners, &i);

		if (o) {
			k.pid = o->pid;
			__builtin_memcpy(k.name, o->comm, sizeof(k.name));
		}
	}
	/* An object of the fclone cache freed: an skb only if it is the
	 * original of a pair (the cache may be shared with others). */
	if (slab_free && reason == SKBLIFE_FREED_FCLONE) {
		if (BPF_CORE_READ_BITFIELD_PROBED(skb, fclone) != SKB_FCLONE_ORIG) {
			count(SKBLIFE_C_FOREIGN);
			return 0;
		}
		reason = SKBLIFE_FREED;
	}
	count(SKBLIFE_C_ENDS);

	k.reason = reason == consumed_reason && !slab_free ? SKBLIFE_CONSUMED : reason;
	if (by == SKBLIFE_BY_END && !tr_filter.netns && !tr_filter.ifindex) {
		__u32 e = k.reason == SKBLIFE_CONSUMED ? SKBLIFE_END_CONSUMED :
			  k.reason == SKBLIFE_FREED    ? SKBLIFE_END_FREED :
							 SKBLIFE_END_DROPS + k.reason;
		/* NULL past the array (sized by user space): the hash */
		h = bpf_map_lookup_elem(&by_end, &e);
		if (h)
			goto add;
	}
	if (by == SKBLIFE_BY_DEV || tr_filter.netns || tr_filter.ifindex) {
		struct sock *sk;

		dev = skb_dev(skb);
		if (dev) {
			if (!tr_want_dev(dev))
				return 0;
			k.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
			k.ifindex = BPF_CORE_READ(dev, ifindex);
		} else {
			/* no device: the socket's namespace, for --netns */
			if (tr_filter.ifindex)
				return 0;
			sk = BPF_CORE_READ(skb, sk);
			if (sk)
				k.netns = tr_sk_netns(sk);
			if (tr_filter.netns && k.netns != tr_filter.netns)
				return 0;
		}
		if (by != SKBLIFE_BY_DEV)
			k.netns = k.ifindex = 0;
		else if (dev)
			bpf_probe_read_kernel_str(k.name, sizeof(k.name), dev->name);
	}
	/* consume_skb ends CONSUMED, kfree_skb drop reasons (never
	 * SKB_CONSUMED: the kernel fires consume_skb for it), the slab free
	 * FREED: one writer per key and CPU, plain adds (three atomic adds
	 * were a seventh of a run) */
	k.cpu = bpf_get_smp_processor_id();
	h = tr_map_lookup_or_zero(&lifetimes, &k);
	if (!h)
		return 0;
add:
	h->slots[tr_log2_slot(ns, SKBLIFE_SLOTS)]++;
	h->count++;
	h->total_ns += ns;
	return 0;
}

TR_PROGRAM_PAIR(skblife_alloc, kmem_cache_alloc,
		(unsigned long call_site, const void *ptr, struct kmem_cache *s),
		on_alloc(call_site, ptr, s, btf))
TR_PROGRAM_PAIR(skblife_consume, consume_skb, (struct sk_buff *skb, void *location),
		on_end(skb, skb_addr(skb, ADDR_CONSUME, btf), consumed_reason, false))
TR_PROGRAM_PAIR(skblife_kfree, kfree_skb, (struct sk_buff *skb, void *location, int reason),
		on_end(skb, skb_addr(skb, ADDR_KFREE, btf), (__u32)reason, false))

/* The slab free: the end of an skb freed with no tracepoint (__kfree_skb:
 * TCP's acknowledged and read skbs, among others). After a traced end
 * the entry is gone and this costs one lookup. */
static __always_inline int on_free(const void *ptr, const struct kmem_cache *s)
{
	__u64 c = (__u64)s;

	if (c != skb_caches[0] && c != skb_caches[1])
		return 0;
	return on_end((const struct sk_buff *)ptr, (__u64)ptr,
		      c == skb_caches[0] ? SKBLIFE_FREED : SKBLIFE_FREED_FCLONE, true);
}

TR_PROGRAM_PAIR(skblife_free, kmem_cache_free,
		(unsigned long call_site, const void *ptr, const struct kmem_cache *s),
		on_free(ptr, s))
