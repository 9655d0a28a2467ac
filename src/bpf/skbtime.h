/* Packets timed between two hooks by the address of their skb (qdisclat,
 * nettxlat): the start record both sides know, and the counters of
 * packets that started and never reached their end hook. */
#ifndef NETLENS_BPF_SKBTIME_H
#define NETLENS_BPF_SKBTIME_H

#include "bpf/netlens.h"

/* Slots of the skb -> start table (a power of two; --max-keys N makes
 * it N rounded up to one), the slots a packet may use, and the multiplier
 * of the address's hash (2^64 / the golden ratio). */
#define SKBTIME_ENTRIES 16384
#define SKBTIME_PROBES 4
#define SKBTIME_HASH_MUL 0x9E3779B97F4A7C15ULL
/* A start older than this is taken for a packet freed out of sight (see
 * skbtime.bpf.h) and deleted by user space, counted as expired. */
#define SKBTIME_MAX_AGE_NS (10ULL * 1000000000ULL)

/* Slots of the latency histograms: log2 of microseconds, up to 2^32 us. */
#define SKBTIME_SLOTS 32

/* Indexes of the per-CPU skbtime_untimed counters. */
enum {
	SKBTIME_DROPPED,  /* freed as dropped (skb:kfree_skb) before the end hook */
	SKBTIME_UNWALKED, /* qdisclat: past the bound of a bulk dequeue's chain */
	SKBTIME_NCOUNTERS,
};

/* One latency histogram: log2 us slots and the sum (ns). Each update is
 * an atomic add, the dearest part of a run: the count is the slots' sum
 * (skbtime_hist_count() in user space), not kept apart. */
struct skbtime_hist {
	__u64 slots[SKBTIME_SLOTS];
	__u64 sum_ns;
};

#endif
