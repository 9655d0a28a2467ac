/* tcpaccept: one event per accepted TCP connection. */
#ifndef NETLENS_BPF_TCPACCEPT_H
#define NETLENS_BPF_TCPACCEPT_H

#include "bpf/netlens.h"

struct tcpaccept_event {
	struct tr_hdr h;
	struct tr_tuple t;
};

#endif
