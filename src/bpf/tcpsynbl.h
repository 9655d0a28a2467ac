/* tcpsynbl: accept and SYN queue lengths of TCP listeners, sampled in the
 * kernel each time a handshake completes on them. */
#ifndef NETLENS_BPF_TCPSYNBL_H
#define NETLENS_BPF_TCPSYNBL_H

#include "bpf/netlens.h"

#define TCPSYNBL_SLOTS 32

struct tcpsynbl_key {
	__u8 addr[16];
	__u16 port;
	__u16 family;
	__u32 netns;
};

struct tcpsynbl_val {
	__u64 slots[TCPSYNBL_SLOTS];  /* accept queue length, log2 */
	__u64 count;
	__u32 limit;                  /* sk_max_ack_backlog at the last sample */
	__u32 max_backlog;            /* longest accept queue seen */
	__u32 max_synq;               /* longest SYN queue (request socks) seen */
	__u32 full;                   /* samples with the queue over its limit */
};

#endif
