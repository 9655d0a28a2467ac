/* tcpretrans: one event per retransmitted segment or SYN-ACK; -c counts per
 * flow in the kernel. */
#ifndef NETLENS_BPF_TCPRETRANS_H
#define NETLENS_BPF_TCPRETRANS_H

#include "bpf/netlens.h"

#define TCPRETRANS_SEG    0
#define TCPRETRANS_SYNACK 1

struct tcpretrans_event {
	struct tr_hdr h;
	struct tr_tuple t;
	__u32 seq;       /* first sequence number of the segment */
	__u32 len;       /* payload bytes (end_seq - seq, SYN/FIN included) */
	__s32 err;       /* 0, or why the retransmission failed (-EBUSY, ...) */
	__u16 segs;      /* segments (GSO pcount) counted by TcpRetransSegs */
	__u8 state;      /* TCP state of the socket */
	__u8 kind;       /* TCPRETRANS_SEG or TCPRETRANS_SYNACK */
	__u8 tcp_flags;  /* TCPHDR_* of the segment */
	__u8 _pad[7];
};

/* -c: per-flow counts (key: the flow's tuple, local side first). */
struct tcpretrans_count {
	__u64 segs;      /* retransmitted segments (err == 0) */
	__u64 events;    /* tracepoint hits, failed ones included */
	__u64 failed;
	__u64 synacks;
	__u32 pid;       /* owner, 0 when unknown */
	__u32 _pad;
	char comm[TR_COMM_LEN];
};

#endif
