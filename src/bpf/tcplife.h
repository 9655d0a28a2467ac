/* tcplife: one event per closed TCP session. */
#ifndef NETLENS_BPF_TCPLIFE_H
#define NETLENS_BPF_TCPLIFE_H

#include "bpf/netlens.h"

struct tcplife_event {
	struct tr_hdr h;
	struct tr_tuple t;
	__u64 tx_bytes;   /* bytes acked by the peer */
	__u64 rx_bytes;   /* bytes received */
	__u64 dur_ns;     /* first SYN to close */
	__u8 active;      /* 1: we connected; 0: accepted */
	__u8 _pad[7];
};

#endif
