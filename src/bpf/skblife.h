/* skblife: socket buffer lifetimes, from the allocation of the struct
 * sk_buff (kmem:kmem_cache_alloc from the skbuff caches) to its free
 * (skb:consume_skb, or skb:kfree_skb with a drop reason), as log2
 * histograms kept in the kernel, one per way it ended (and optionally per
 * device or allocating process). */
#ifndef NETLENS_BPF_SKBLIFE_H
#define NETLENS_BPF_SKBLIFE_H

#include "bpf/netlens.h"

#define SKBLIFE_SLOTS 40 /* log2 of nanoseconds: up to 2^40 (18 min) */
#define SKBLIFE_NAMSIZ 16

#define SKBLIFE_CONSUMED 0xffffffffu /* key.reason of a consumed skb */
#define SKBLIFE_FREED    0xfffffffeu /* freed with no tracepoint (at the slab free) */
#define SKBLIFE_FREED_FCLONE 0xfffffffdu /* BPF side only: freed, to be checked */

/* Summary keys: which fields of struct skblife_key are filled. */
#define SKBLIFE_BY_END 0 /* reason only */
#define SKBLIFE_BY_DEV 1 /* + the device at the free (netns, ifindex, ifname) */
#define SKBLIFE_BY_PID 2 /* + the process current at the allocation (pid, comm) */

/* Counters (a per-CPU array, summed by user space). */
#define SKBLIFE_C_BIRTHS   0 /* allocations from the skbuff caches recorded */
#define SKBLIFE_C_REPLACED 1 /* a recorded address allocated again: its end was not seen */
#define SKBLIFE_C_UNBORN   2 /* ends of skbs whose allocation was not seen */
#define SKBLIFE_C_ENDS     3 /* ends timed (filters applied after) */
#define SKBLIFE_C_FOREIGN  4 /* objects of a cache merged with the fclone cache */
#define SKBLIFE_C_EVICTED  5 /* births that took over the slot of another live one */
#define SKBLIFE_NCOUNTERS  6

#define SKBLIFE_BIRTH_SLOTS (1u << 16)

/* --by end without filters: the histograms are a per-CPU array indexed by
 * end, not the hash of struct skblife_key (a 40-byte key hashed on every
 * end): consumed, freed, then drop reason r at 2 + r. User space sizes it
 * to the kernel's reasons (SKB_DROP_REASON_MAX + 2; at most
 * SKBLIFE_END_SLOTS, which it also is when the kernel does not say): a
 * CPU's copy of each entry is 336 bytes. Drop reasons past the array (a
 * subsystem's, in the upper bits) take the hash. */
#define SKBLIFE_END_SLOTS 512
#define SKBLIFE_END_CONSUMED 0
#define SKBLIFE_END_FREED 1
#define SKBLIFE_END_DROPS 2

struct skblife_key {
	__u32 reason;  /* SKBLIFE_CONSUMED, SKBLIFE_FREED or enum skb_drop_reason */
	__u32 netns;   /* BY_DEV */
	__u32 ifindex; /* BY_DEV */
	__u32 pid;     /* BY_PID (tgid) */
	char name[SKBLIFE_NAMSIZ]; /* BY_DEV: ifname; BY_PID: comm */
	/* the CPU of the end: a histogram of one CPU has one writer (each
	 * reason is ended by one program, which never nests in itself),
	 * so it takes plain adds; user space sums the CPUs */
	__u32 cpu;
	__u32 _pad;
};

struct skblife_hist {
	__u64 slots[SKBLIFE_SLOTS];
	__u64 count;
	__u64 total_ns;
};

/* A slot of the births table (indexed by the skb's address) */
struct skblife_birth {
	__u64 skb;   /* 0: free */
	__u64 ts_ns;
};

/* The same slot's allocating process (--by pid) */
struct skblife_owner {
	__u32 pid;   /* tgid */
	char comm[SKBLIFE_NAMSIZ];
};

#endif
