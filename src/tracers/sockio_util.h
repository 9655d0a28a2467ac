/* What socketio and socksize share on the user side: naming the direction
 * and the kind of socket of a struct sockio_key, the hooks, and a stable
 * order of keys. */
#ifndef NETLENS_TRACERS_SOCKIO_UTIL_H
#define NETLENS_TRACERS_SOCKIO_UTIL_H

#include "bpf/socketio.h"
#include "base/output.h"

#include <stddef.h>

/* What the system-call programs standing in for sock_send_length and
 * sock_recv_length (kernels before 6.3) do not see (bpf/sockio_sys.bpf.h). */
#define SOCKIO_SYS_SEND_NOTE                                                           \
	"counting sendto/sendmsg/sendmmsg/write/writev instead (kernel 6.3 has it): "  \
	"io_uring and in-kernel sends are not seen"
#define SOCKIO_SYS_RECV_NOTE                                                           \
	"counting recvfrom/recvmsg/recvmmsg/read/readv instead (kernel 6.3 has it): "  \
	"io_uring and in-kernel receives are not seen"

/* The hook of a SOCKIO_PROGRAMS(name, ...) direction (bpf/sockio.bpf.h):
 * NAME_send or NAME_recv, each on its tracepoint, else its system calls. */
#define SOCKIO_SEND_HOOK(n)                                                            \
	{ "sock_send_length", { #n "_btf", #n "_raw", #n "_sys_*" }, .fallback = SOCKIO_SYS_SEND_NOTE }
#define SOCKIO_RECV_HOOK(n)                                                            \
	{ "sock_recv_length", { #n "_btf", #n "_raw", #n "_sys_*" }, .fallback = SOCKIO_SYS_RECV_NOTE }

/* The hooks of SOCKIO_PROGRAMS(name, ...). */
#define SOCKIO_HOOKS(n) SOCKIO_SEND_HOOK(n##_send), SOCKIO_RECV_HOOK(n##_recv)

/* "send" or "recv". */
const char *sockio_dir_name(unsigned dir);

/* The protocol of k: "TCP", "UDP", "UDPLITE", "SCTP", "MPTCP", "ICMP",
 * "RAW" (IPv4 and IPv6), "UNIX", "NETLINK", "PACKET", "VSOCK", else
 * "AF<n>" or "IP<n>". */
const char *sockio_proto_name(char *buf, size_t cap, const struct sockio_key *k);

/* The PROTO cell at col: the protocol, "6" appended for IPv6 ("TCP6") and
 * the type for UNIX sockets other than stream ("UNIX-dgram"); JSON:
 * "proto", "family", "type" (names, else numbers) and "ip": 4|6 for IP. */
void sockio_cells_proto(struct table *t, int col, const struct sockio_key *k);

/* Keys in a stable order: pid, command, direction, then the rest. */
int sockio_cmp_key(const struct sockio_key *a, const struct sockio_key *b);

#endif
