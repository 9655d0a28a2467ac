/* tcpconnlat: connect latency (SYN sent to ESTABLISHED). */
#ifndef NETLENS_BPF_TCPCONNLAT_H
#define NETLENS_BPF_TCPCONNLAT_H

#include "bpf/netlens.h"

struct tcpconnlat_event {
	struct tr_hdr h;
	struct tr_tuple t;
	__u64 lat_ns;
};

#endif
