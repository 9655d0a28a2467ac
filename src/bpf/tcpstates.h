/* tcpstates: one event per TCP state change. */
#ifndef NETLENS_BPF_TCPSTATES_H
#define NETLENS_BPF_TCPSTATES_H

#include "bpf/netlens.h"

struct tcpstates_event {
	struct tr_hdr h;
	struct tr_tuple t;
	__u64 skaddr;      /* identifies the socket across events */
	__u64 delta_ns;    /* time spent in oldstate; 0 if not seen entering it */
	__u32 oldstate;
	__u32 newstate;
};

#endif
