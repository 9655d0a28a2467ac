/* tcpaccept: one event per accepted TCP connection. */
#ifndef NETLENS_BPF_TCPACCEPT_H
#define NETLENS_BPF_TCPACCEPT_H

#include "bpf/netlens.h"

struct tcpaccept_event {
	struct nl_hdr h;
	struct nl_tuple t;
};

#endif
