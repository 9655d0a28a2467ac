/* tcpconnect: one event per active open, successful or failed. */
#ifndef NETLENS_BPF_TCPCONNECT_H
#define NETLENS_BPF_TCPCONNECT_H

#include "bpf/netlens.h"

struct tcpconnect_event {
	struct tr_hdr h;
	struct tr_tuple t;
	__u64 lat_ns;   /* SYN_SENT to ESTABLISHED or to failure */
	__s32 err;      /* 0, or the errno the connect failed with */
	__u32 _pad;
};

#endif
