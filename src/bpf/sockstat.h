/* sockstat: socket system calls and socket sends/receives, counted per CPU
 * in the kernel; user space sums the CPUs and prints what each counter
 * gained in each interval. */
#ifndef NETLENS_BPF_SOCKSTAT_H
#define NETLENS_BPF_SOCKSTAT_H

#include "bpf/netlens.h"

/* Indices of the counters array: one per hook, in the order of the
 * tracer's hook array (src/tracers/sockstat.c). */
enum sockstat_counter {
	SS_SOCKET,
	SS_BIND,
	SS_LISTEN,
	SS_ACCEPT,
	SS_ACCEPT4,
	SS_CONNECT,
	SS_SHUTDOWN,
	SS_SENDTO,
	SS_SENDMSG,
	SS_SENDMMSG,
	SS_RECVFROM,
	SS_RECVMSG,
	SS_RECVMMSG,
	SS_SOCK_SEND, /* sock:sock_send_length: every sock_sendmsg() */
	SS_SOCK_RECV, /* sock:sock_recv_length: every sock_recvmsg() */
	SS_NCOUNTERS,
};

#endif
