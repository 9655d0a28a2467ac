/* socketio and socksize: socket I/O counted in the kernel at sendmsg/recvmsg
 * return (sock:sock_{send,recv}_length). The key is shared: socksize keeps
 * only the process and direction of it (the rest zero). */
#ifndef NETLENS_BPF_SOCKETIO_H
#define NETLENS_BPF_SOCKETIO_H

#include "bpf/netlens.h"

enum { SOCKIO_SEND, SOCKIO_RECV };

/* One process's I/O in one direction on one kind of socket and port pair.
 * Ports are 0 outside IPv4/IPv6, and rport is 0 on an unconnected socket
 * (a UDP sendto(): the destination is in the call, not the socket). */
struct sockio_key {
	char comm[TR_COMM_LEN];
	__u32 pid;
	__u16 family;   /* AF_* of the socket */
	__u16 type;     /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol; /* sk_protocol: IPPROTO_TCP, IPPROTO_UDP, ... (0 for UNIX) */
	__u16 lport;
	__u16 rport;
	__u8 dir;       /* SOCKIO_SEND or SOCKIO_RECV */
	__u8 _pad;
};

/* socketio's counts: calls that returned >= 0 (bytes is their sum), calls
 * that failed (-errno: EAGAIN, EPIPE, ...). */
struct socketio_val {
	__u64 calls;
	__u64 bytes;
	__u64 errors;
};

#endif
