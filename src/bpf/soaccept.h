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
	__u16 salen;         /* UNIX: length of sa, the accepted socket's name */
	__u16 peer_salen;    /* UNIX: length of peer_sa, its peer's (0: unnamed) */
	__u32 _pad;
	__u8 sa[112];        /* UNIX: struct sockaddr_un (the listener's name) */
	__u8 peer_sa[112];
};

#endif
