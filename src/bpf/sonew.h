/* sofamily, soprotocol: new sockets, accepted and connected, counted per
 * process and kind of socket in the kernel. */
#ifndef NETLENS_BPF_SONEW_H
#define NETLENS_BPF_SONEW_H

#include "bpf/netlens.h"

/* The count key. sofamily fills family; soprotocol fills family (AF_INET
 * for AF_INET6 as well: TCP is TCP over either), type and protocol. */
struct sonew_key {
	__u32 pid;
	__u16 family;   /* the socket's: AF_INET, AF_INET6, AF_UNIX, ... */
	__u16 type;     /* SOCK_STREAM, SOCK_DGRAM, ...; 0 in sofamily */
	__u16 protocol; /* sk_protocol (IPPROTO_TCP, ...); 0 in sofamily */
	__u16 _pad[3];
	char comm[TR_COMM_LEN];
};

struct sonew_val {
	__u64 accept;  /* sockets accept()/accept4() returned */
	__u64 connect; /* connect() that returned 0 or EINPROGRESS */
};

#endif
