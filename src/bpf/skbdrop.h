/* skbdrop / tcpdrop: packets freed as dropped (skb:kfree_skb), with the
 * reason, the packet's tuple when it has one, the device and optionally the
 * kernel stack; summary modes count in the kernel. */
#ifndef NETLENS_BPF_SKBDROP_H
#define NETLENS_BPF_SKBDROP_H

#include "bpf/netlens.h"

#define SKBDROP_IFNAMSIZ 16
#define SKBDROP_STACK_DEPTH 32

/* Summary keys: which fields of struct skbdrop_key are filled. */
#define SKBDROP_BY_EVENT    0  /* event mode: no summary */
#define SKBDROP_BY_REASON   1
#define SKBDROP_BY_LOCATION 2
#define SKBDROP_BY_FLOW     3

/* The packet as found in the skb: s = its source, d = its destination. */
struct skbdrop_pkt {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;     /* 0: no IPv4/IPv6 header found */
	__u8 proto;       /* IPPROTO_* (TCP/UDP: ports are valid) */
	__u8 tcp_flags;
};

struct skbdrop_event {
	struct tr_hdr h;            /* pid/comm: unused (softirq) */
	struct skbdrop_pkt p;
	__u64 location;             /* kernel address of the kfree_skb caller */
	__u32 reason;               /* enum skb_drop_reason (named from BTF) */
	__u32 ifindex;
	__u32 len;                  /* skb->len */
	__s32 stack_id;             /* -1: none */
	__u8 state;                 /* TCP state of the skb's socket, 0 if none */
	__u8 _pad[7];
	char ifname[SKBDROP_IFNAMSIZ];
};

struct skbdrop_key {
	__u64 location;
	struct skbdrop_pkt p;
	__u32 reason;
	__u32 _pad;
};

struct skbdrop_val {
	__u64 packets;
	__u64 bytes;
};

#endif
