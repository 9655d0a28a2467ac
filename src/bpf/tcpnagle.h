/* tcpnagle: TCP sends held back by Nagle's algorithm or TCP_CORK, one event
 * per hold (from the send that left data unsent to the segment that carried
 * it), or -c: per process and flow in the kernel, with a histogram. */
#ifndef NETLENS_BPF_TCPNAGLE_H
#define NETLENS_BPF_TCPNAGLE_H

#include "bpf/netlens.h"

#define TCPNAGLE_NAGLE 1 /* Nagle: a small segment in flight, not acked */
#define TCPNAGLE_CORK  2 /* TCP_CORK set on the socket */

#define TCPNAGLE_SLOTS 32 /* log2 of microseconds */

struct tcpnagle_event {
	struct tr_hdr h;      /* the process whose send was held */
	struct tr_tuple t;
	__u64 hold_ns;        /* from the end of the first held send to the segment leaving */
	__u32 bytes;          /* bytes waiting after the last held send */
	__u32 sends;          /* sends that added to the hold */
	__u8 reason;          /* TCPNAGLE_NAGLE or TCPNAGLE_CORK */
	__u8 _pad[7];
};

/* -c: key per process, flow and reason */
struct tcpnagle_key {
	struct tr_tuple t;
	__u32 pid;
	__u8 reason;
	__u8 _pad[3];
	char comm[TR_COMM_LEN];
};

struct tcpnagle_count {
	__u64 holds;
	__u64 sends;
	__u64 bytes;
	__u64 total_ns;
	__u64 max_ns;
};

#endif
