/* The exporter's tcp collector: what its BPF programs count (export_tcp.bpf.c). */
#ifndef NETLENS_BPF_EXPORT_TCP_H
#define NETLENS_BPF_EXPORT_TCP_H

#include "bpf/netlens.h"

/* log2 buckets of microseconds: slot i counts [2^i, 2^(i+1)) us, slot 0 0
 * and 1 us, the last slot everything above (2^31 us: 36 minutes) */
#define EXP_HIST_SLOTS 32

struct exp_hist {
	__u64 slots[EXP_HIST_SLOTS];
	__u64 sum_ns;
};

/* hists[kind * 2 + family], family 0 IPv4, 1 IPv6 */
enum { EXP_HIST_CONNECT, EXP_HIST_SRTT, EXP_HIST_KINDS };

#define EXP_TCP_STATES 16  /* TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12), room to spare */
#define EXP_RST_REASONS 64 /* enum sk_rst_reason; the last slot takes any higher value */

struct exp_tcp_counts {
	__u64 retrans[EXP_TCP_STATES];      /* segments retransmitted, by the socket's state */
	__u64 retrans_failed[EXP_TCP_STATES]; /* retransmits the stack could not send (err != 0) */
	__u64 rst_recv[EXP_TCP_STATES];     /* resets received, by state */
	__u64 rst_sent[EXP_RST_REASONS];    /* resets sent, by reason */
	__u64 connect_failed[2];            /* SYN_SENT -> CLOSE, by family */
};

/* --tcp.per-remote: connects and retransmits per remote address */
struct exp_remote_key {
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
	__u32 family;  /* AF_INET, AF_INET6 */
};

struct exp_remote_val {
	__u64 connects;       /* reached ESTABLISHED */
	__u64 connect_ns;     /* their SYN_SENT -> ESTABLISHED times, summed */
	__u64 failures;       /* SYN_SENT -> CLOSE */
	__u64 retransmits;
};

#endif
