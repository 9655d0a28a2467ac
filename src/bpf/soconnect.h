/* soconnect, udpconnect: one event per connect() system call, with the
 * destination as the caller passed it (struct sockaddr bytes, decoded in
 * user space), the socket's type and protocol, the latency and result. */
#ifndef NETLENS_BPF_SOCONNECT_H
#define NETLENS_BPF_SOCONNECT_H

#include "bpf/netlens.h"

/* sizeof(struct sockaddr_un) is 110, rounded up to 8 */
#define SO_SA_MAX 112

struct soconnect_event {
	struct tr_hdr h;
	__u64 lat_ns;       /* sys_enter_connect to sys_exit_connect */
	__s32 ret;          /* 0 or -errno */
	__s32 fd;
	__u16 addrlen;      /* as passed; sa holds min(addrlen, SO_SA_MAX) bytes */
	__u16 protocol;     /* sk_protocol: IPPROTO_TCP, IPPROTO_UDP, 0 (UNIX) */
	__u8 sotype;        /* SOCK_STREAM, SOCK_DGRAM, ...; 0: fd not a socket */
	__u8 _pad[3];
	__u8 sa[SO_SA_MAX]; /* struct sockaddr_{in,in6,un} */
};

/* -c: connects by command, destination and result. The destination is the
 * sockaddr with the bytes that do not name it (sin_zero, sin6_flowinfo)
 * zeroed. */
struct soconnect_key {
	char comm[TR_COMM_LEN];
	__u8 sa[SO_SA_MAX];
	__s32 ret;
	__u16 addrlen;
	__u16 _pad;
};

struct soconnect_val {
	__u64 count;
	__u64 lat_ns;       /* sum */
};

/* --stacks (soconnect, soconnlat): connect() calls by process and user
 * stack, counted at sys_enter_connect. */
#define SO_STACK_DEPTH 64

struct so_stack_key {
	__u32 pid;
	__s32 stack_id;     /* in the stacks map; < 0: -errno of bpf_get_stackid
	                     * (EEXIST: a hash collision in the full stack map,
	                     * EFAULT: no user stack could be read) */
	char comm[TR_COMM_LEN];
};

#endif
