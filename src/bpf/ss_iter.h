/* ss fast path: one binary record per TCP socket from a BPF iterator
 * (iter/tcp), shared by src/bpf/ss_iter.bpf.c and src/sources/sockiter.c. */
#ifndef NETLENS_SS_ITER_H
#define NETLENS_SS_ITER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct ss_iter_rec {
	__u8 family;
	__u8 state;
	__u8 timer;       /* as inet_diag: 0 none, 1 retransmit, 2 keepalive, 3 time-wait, 4 probe */
	__u8 shutdown;    /* full sockets: sk_shutdown (RCV 1, SEND 2) */
	__u16 sport;      /* host order */
	__u16 dport;      /* host order */
	__u8 src[16];
	__u8 dst[16];
	__u32 ifindex;
	__u32 uid;
	__u32 rqueue;
	__u32 wqueue;
	__u32 mark;
	__u32 _pad;
	__u64 inode;
	__u64 cookie;
};

#endif
