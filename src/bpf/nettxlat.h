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

/* skb -> when its current stage began, and when it was queued (0: its
 * net_dev_queue was not seen: a segment of a GSO packet, or a packet
 * queued before tracing began) */
struct nettxlat_start {
	__u64 ts_ns;
	__u64 queued_ns;
};

struct nettxlat_key {
	__u64 dev;   /* the net_device's address */
	__u32 stage; /* NETTXLAT_* */
	__u32 _pad;
};

struct nettxlat_hist {
	struct skbtime_hist h;
	__u64 errors; /* xmit: the driver returned neither NETDEV_TX_OK nor BUSY */
	__u32 ifindex;
	__u32 netns;
	char ifname[NETTXLAT_IFNAMSIZ];
};

#endif
