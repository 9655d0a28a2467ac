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

/* -c: accept() calls counted by command, result and the local address
 * (the listener's; a UNIX socket's name) as a struct sockaddr. */
struct soaccept_key {
	char comm[TR_COMM_LEN];
	__s32 ret;           /* 0 (ok) or -errno */
	__u16 salen;
	__u16 _pad;
	__u8 sa[112];        /* sockaddr_in, _in6 (port in network order) or _un */
};

struct soaccept_val {
	__u64 count;
	__u64 lat_ns;        /* sum */
};

#endif
