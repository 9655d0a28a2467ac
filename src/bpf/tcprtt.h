/* tcprtt: smoothed-RTT histograms from tcp:tcp_probe, in the kernel. */
#ifndef NETLENS_BPF_TCPRTT_H
#define NETLENS_BPF_TCPRTT_H

#include "bpf/netlens.h"

#define TCPRTT_SLOTS 32 /* log2 of microseconds: up to 2^32 us */

enum { TCPRTT_BY_NONE, TCPRTT_BY_RADDR, TCPRTT_BY_RPORT };

/* value of the hist map, keyed by struct tr_endpoint (all zero: no key) */
struct tcprtt_hist {
	__u64 slots[TCPRTT_SLOTS];
	__u64 sum_us;
	__u64 count;
};

#endif
