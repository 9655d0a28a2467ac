/* netsize: log2 histograms of the sizes of packets received and transmitted,
 * per device and direction, kept in the kernel: skb->len, and for GSO/GRO
 * super-packets the number of wire segments they stand for. */
#ifndef NETLENS_BPF_NETSIZE_H
#define NETLENS_BPF_NETSIZE_H

#include "bpf/netlens.h"

#define NETSIZE_SLOTS     32 /* log2 of skb->len: up to 2^32 */
#define NETSIZE_SEG_SLOTS 17 /* log2 of gso_segs (a u16) */
#define NETSIZE_IFNAMSIZ  16

#define NETSIZE_RX 0 /* net:netif_receive_skb */
#define NETSIZE_TX 1 /* net:net_dev_start_xmit */

struct netsize_key {
	__u32 netns;   /* the device's network namespace inode */
	__u32 ifindex;
	__u8 dir;      /* NETSIZE_RX / NETSIZE_TX */
	__u8 _pad[3];
	/* the CPU that counted: an entry of one CPU has one writer (a
	 * program never runs nested in itself on a CPU, and each direction
	 * has one), so it takes plain adds; user space sums the CPUs */
	__u32 cpu;
};

struct netsize_val {
	__u64 len[NETSIZE_SLOTS];     /* every packet, by skb->len */
	__u64 segs[NETSIZE_SEG_SLOTS]; /* GSO/GRO packets only, by gso_segs */
	__u64 packets;
	__u64 bytes;
	__u64 gso_packets;            /* packets with gso_size set */
	__u64 wire_segs;              /* segments of all packets (1 for a plain one) */
	char ifname[NETSIZE_IFNAMSIZ]; /* read when the entry is made */
};

#endif
