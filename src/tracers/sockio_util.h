/* What socketio and socksize share on the user side: naming the direction
 * and the kind of socket of a struct sockio_key, the hooks, and a stable
 * order of keys. */
#ifndef NETLENS_TRACERS_SOCKIO_UTIL_H
#define NETLENS_TRACERS_SOCKIO_UTIL_H

#include "bpf/socketio.h"
#include "base/output.h"

#include <stddef.h>

/* The hooks of SOCKIO_PROGRAMS(name, ...) (bpf/sockio.bpf.h). */
#define SOCKIO_HOOKS(n)                                                                \
	{ "sock_send_length", { #n "_send_btf", #n "_send_raw" } },                    \
	{ "sock_recv_length", { #n "_recv_btf", #n "_recv_raw" } }

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
