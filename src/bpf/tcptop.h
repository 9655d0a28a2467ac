/* tcptop: bytes each process moved through each TCP connection, counted
 * in the kernel at sendmsg/recvmsg return (sock:sock_{send,recv}_length). */
#ifndef NETLENS_BPF_TCPTOP_H
#define NETLENS_BPF_TCPTOP_H

#include "bpf/netlens.h"

/* One socket as used by one process. ports (skc_portpair) tells a new
 * socket at a freed one's address from the old one. */
struct tcptop_key {
	__u64 sk;
	__u32 pid;
	__u32 ports;
};

/* Running totals since tracing began; user space prints differences. The
 * tuple, netns and command are read once, when the entry is made. */
struct tcptop_val {
	__u64 tx_bytes;
	__u64 rx_bytes;
	__u64 tx_calls;
	__u64 rx_calls;
	struct tr_tuple t;
	__u32 netns;
	__u32 _pad;
	char comm[TR_COMM_LEN];
};

#endif
