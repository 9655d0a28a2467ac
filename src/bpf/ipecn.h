/* ipecn: ECN codepoints of IPv4/IPv6 packets, counted in the kernel per
 * flow, device and direction. */
#ifndef NETLENS_BPF_IPECN_H
#define NETLENS_BPF_IPECN_H

#include "bpf/netlens.h"

#define IPECN_IFNAMSIZ 16

/* The ECN field's codepoints (RFC 3168), indices of ipecn_val.n. */
enum { IPECN_NOT_ECT = 0, IPECN_ECT1 = 1, IPECN_ECT0 = 2, IPECN_CE = 3 };

enum { IPECN_RX = 0, IPECN_TX = 1 };

/* A flow as the packet shows it: s = its source, d = its destination;
 * ports in host order, 0 without TCP/UDP. */
struct ipecn_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 ifindex;
	__u32 netns;    /* the device's */
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 proto;
	__u8 dir;       /* IPECN_RX, IPECN_TX */
};

struct ipecn_val {
	__u64 n[4];     /* packets per codepoint */
	char ifname[IPECN_IFNAMSIZ];
};

#endif
