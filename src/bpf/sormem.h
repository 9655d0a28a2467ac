/* sormem: socket receive-buffer use at each receive, and the events of a
 * full receive queue or a refused memory charge, counted in the kernel. */
#ifndef NETLENS_BPF_SORMEM_H
#define NETLENS_BPF_SORMEM_H

#include "bpf/socketio.h"

#define SORMEM_SLOTS     32 /* log2 of bytes: up to 2^32 */
#define SORMEM_PCT_STEP  10 /* percent of sk_rcvbuf per linear slot */
#define SORMEM_PCT_SLOTS 11 /* 0-9% ... 90-99%, 100% and up */

/* Per process, protocol and local port (struct sockio_key with rport 0 and
 * dir SOCKIO_RECV): what sk_rmem_alloc was when a receive returned, in
 * bytes (log2) and in percent of sk_rcvbuf (linear). */
struct sormem_hist {
	__u64 slots[SORMEM_SLOTS];
	__u64 pct[SORMEM_PCT_SLOTS];
	__u64 reads;
	__u64 rmem_sum;  /* bytes: the mean is rmem_sum / reads */
	__u32 rmem_max;
	__u32 rcvbuf;    /* sk_rcvbuf at the last receive */
};

enum {
	SORMEM_QFULL,      /* sock:sock_rcvqueue_full */
	SORMEM_LIMIT_RECV, /* sock:sock_exceed_buf_limit, kind SK_MEM_RECV */
	SORMEM_LIMIT_SEND, /* sock:sock_exceed_buf_limit, kind SK_MEM_SEND */
};

/* One socket's events of one kind (softirq: no process). */
struct sormem_drop_key {
	struct tr_tuple t;
	__u16 protocol;  /* sk_protocol */
	__u16 type;      /* sk_type */
	__u8 kind;       /* SORMEM_* */
	__u8 _pad[3];
};

struct sormem_drop {
	__u64 events;
	__u64 bytes;     /* QFULL: truesize of the packets dropped */
	__s64 allocated; /* LIMIT_*: the protocol's pages in use, last event */
	__u32 rmem;      /* sk_rmem_alloc at the last event */
	__u32 rcvbuf;    /* sk_rcvbuf at the last event */
};

#endif
