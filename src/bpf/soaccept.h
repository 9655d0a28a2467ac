/* soaccept: one event per accept()/accept4() system call. */
#ifndef NETLENS_BPF_SOACCEPT_H
#define NETLENS_BPF_SOACCEPT_H

#include "bpf/netlens.h"

struct soaccept_event {
	struct tr_hdr h;
	struct tr_tuple t;   /* the accepted socket's (family 0: none) */
	__u64 lat_ns;        /* entry to return: includes the wait for a peer */
	__s32 ret;           /* the new descriptor, or -errno */
	__s32 fd;            /* the listener's descriptor */
};

#endif
