/* tcpreset: one event per TCP reset sent or received. */
#ifndef NETLENS_BPF_TCPRESET_H
#define NETLENS_BPF_TCPRESET_H

#include "bpf/netlens.h"

#define TCPRESET_SENT     0
#define TCPRESET_RECEIVED 1

struct tcpreset_event {
	struct tr_hdr h;
	struct tr_tuple t;  /* s = this host's end, d = the peer */
	__u32 reason;       /* sent: enum sk_rst_reason (named from BTF) */
	__u8 dir;           /* TCPRESET_SENT or TCPRESET_RECEIVED */
	__u8 state;         /* TCP state of the socket; 0 when there is none */
	__u8 has_sk;        /* a socket was involved (else: no socket matched) */
	__u8 _pad[5];
};

/* -c: resets counted per flow, direction, reason and state (value: __u64). */
struct tcpreset_key {
	struct tr_tuple t;
	__u32 reason;
	__u8 dir;
	__u8 state;
	__u8 has_sk;
	__u8 _pad;
};

#endif
