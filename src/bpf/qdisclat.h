/* qdisclat: time from qdisc:qdisc_enqueue to qdisc:qdisc_dequeue per
 * packet, as histograms per qdisc kept in the kernel. */
#ifndef NETLENS_BPF_QDISCLAT_H
#define NETLENS_BPF_QDISCLAT_H

#include "bpf/skbtime.h"

#define QDISCLAT_NAMSIZ 16
/* skbs of one bulk dequeue (a chain through skb->next) timed at most */
#define QDISCLAT_WALK 32

/* skb -> its enqueue: time and the queue it joined (this packet included) */
struct qdisclat_start {
	__u64 ts_ns;
	__u32 qlen;    /* qdisc->q.qlen */
	__u32 backlog; /* qdisc->qstats.backlog, bytes */
};

/* A histogram's key: the root qdisc the packet was queued in. */
struct qdisclat_key {
	__u64 qdisc;   /* its address */
	__u32 handle;  /* with it: a qdisc freed and another made at its address */
	__u32 _pad;
};

struct qdisclat_hist {
	struct skbtime_hist h;
	__u64 qlen_sum;
	__u64 backlog_sum;
	__u32 qlen_max;
	__u32 backlog_max;
	__u32 parent;
	__u32 ifindex;
	__u32 netns;
	__u32 _pad;
	char kind[QDISCLAT_NAMSIZ];   /* qdisc->ops->id */
	char ifname[QDISCLAT_NAMSIZ];
};

#endif
