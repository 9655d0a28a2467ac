/* solisten: one event per listen() system call. */
#ifndef NETLENS_BPF_SOLISTEN_H
#define NETLENS_BPF_SOLISTEN_H

#include "bpf/netlens.h"

struct solisten_event {
	struct tr_hdr h;
	__u8 addr[16];       /* local address; IPv4 in the first 4 bytes */
	__s32 ret;           /* 0 or -errno */
	__s32 fd;
	__s32 backlog;       /* as asked */
	__u32 applied;       /* sk_max_ack_backlog after the call */
	__u16 family;        /* the socket's; 0: fd not a socket */
	__u16 port;          /* local port, host order */
	__u16 protocol;
	__u8 sotype;
	__u8 _pad;
	__u16 salen;         /* UNIX: length of the bound name in sa; 0: none */
	__u16 _pad2[3];
	__u8 sa[112];        /* UNIX: the bound struct sockaddr_un */
};

#endif
