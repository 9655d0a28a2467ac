/* tcptop: bytes each process moved through each TCP connection, counted
 * in the kernel at sendmsg/recvmsg return (sock:sock_{send,recv}_length). */
#ifndef NETLENS_BPF_TCPTOP_H
#define NETLENS_BPF_TCPTOP_H

#include "bpf/netlens.h"

struct tcptop_key {
	struct nl_tuple t;
	__u32 netns;
	__u32 pid;
};

/* Running totals since tracing began; user space prints differences. */
struct tcptop_val {
	__u64 tx_bytes;
	__u64 rx_bytes;
	__u64 tx_calls;
	__u64 rx_calls;
	char comm[NL_COMM_LEN];
};

#endif
