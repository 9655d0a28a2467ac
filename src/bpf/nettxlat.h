/* nettxlat: device transmit latency per stage (net:net_dev_queue ->
 * net:net_dev_start_xmit -> net:net_dev_xmit), histograms per device kept
 * in the kernel. */
#ifndef NETLENS_BPF_NETTXLAT_H
#define NETLENS_BPF_NETTXLAT_H

#include "bpf/skbtime.h"

#define NETTXLAT_IFNAMSIZ 16

enum {
	NETTXLAT_QUEUE, /* net_dev_queue -> net_dev_start_xmit: qdisc, checks, GSO */
	NETTXLAT_XMIT,  /* net_dev_start_xmit -> net_dev_xmit: the driver's ndo_start_xmit */
	NETTXLAT_TOTAL, /* net_dev_queue -> net_dev_xmit */
	NETTXLAT_NSTAGES,
};

/* skb -> its times; every stage is added at net_dev_xmit, so a packet
 * costs one histogram lookup */
struct nettxlat_start {
	__u64 ts_ns;       /* the latest of the times below (expiry) */
	__u64 queued_ns;   /* net_dev_queue; 0: not seen (a segment of a GSO
			    * packet, a packet queued before tracing began) */
	__u64 started_ns;  /* the first net_dev_start_xmit (end of queue) */
	__u64 xmit_ns;     /* the latest net_dev_start_xmit (after BUSY: again) */
};

/* A device's histograms are kept per CPU, so that each has one writer
 * at a time (net_dev_xmit runs on many CPUs at once for a multi-queue
 * or lockless device) and is added to without atomics; user space sums
 * a device's CPUs. */
struct nettxlat_key {
	__u64 dev; /* the net_device's address */
	__u32 cpu;
	__u32 _pad;
};

struct nettxlat_dev {
	struct skbtime_hist h[NETTXLAT_NSTAGES];
	__u64 errors; /* the driver returned neither NETDEV_TX_OK nor BUSY */
	__u32 ifindex;
	__u32 netns;
	char ifname[NETTXLAT_IFNAMSIZ];
};

#endif
