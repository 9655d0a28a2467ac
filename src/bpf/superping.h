/* superping: ICMP/ICMPv6 echo round trips timed in the kernel, from the
 * request's transmit to the reply's receive. */
#ifndef NETLENS_BPF_SUPERPING_H
#define NETLENS_BPF_SUPERPING_H

#include "bpf/netlens.h"

#define SUPERPING_IFNAMSIZ 16
#define SUPERPING_SLOTS    32 /* log2 of microseconds */

/* An echo request in flight: its namespace (the device's), the peer it
 * went to, and ICMP id and sequence (network order, as on the wire). */
struct superping_key {
	__u8 addr[16];
	__u32 netns;
	__u16 family;
	__u16 id;
	__u16 seq;
	__u16 _pad[3];
};

/* What the request's transmit saw. pid 0: not sent from a process. */
struct superping_req {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	char comm[TR_COMM_LEN];
	__u32 ifindex;
	__u32 _pad;
	char ifname[SUPERPING_IFNAMSIZ];
};

struct superping_event {
	struct tr_hdr h;      /* ts: the reply; pid/comm: the request's sender */
	__u8 addr[16];        /* the request's destination */
	__u64 rtt_ns;
	__u32 tx_ifindex;
	__u32 rx_ifindex;
	__u16 family;
	__u16 id;             /* host order */
	__u16 seq;            /* host order */
	__u16 _pad;
	char tx_ifname[SUPERPING_IFNAMSIZ];
	char rx_ifname[SUPERPING_IFNAMSIZ];
};

/* Summary: one histogram per destination and namespace. */
struct superping_dst {
	__u8 addr[16];
	__u32 netns;
	__u16 family;
	__u16 _pad;
};

struct superping_hist {
	__u64 slots[SUPERPING_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 min_ns;
	__u64 max_ns;
};

#endif
