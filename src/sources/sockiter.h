/* TCP sockets through a BPF iterator (iter/tcp): the fast path for large
 * socket tables when the caller may load BPF. Same records and callback
 * as sockdiag_dump() for the fields the iterator provides (no tcp_info,
 * memory or timers: use sock_diag for those).
 *
 * sockiter_dump_tcp() returns 0; -EOPNOTSUPP, before any callback, when the
 * iterator cannot be used here (no BTF, no privilege, an old kernel): the
 * caller then falls back to sock_diag, which works for everyone; another
 * -errno for a failure while reading. family 0 dumps IPv4 and IPv6 in one
 * walk. The iterator walks the network namespace the process is in. */
#ifndef NETLENS_SOCKITER_H
#define NETLENS_SOCKITER_H

#include "sources/sockdiag.h"

int sockiter_dump_tcp(int family, uint32_t states, sock_cb cb, void *arg);

/* The record parser (pure, for tests and fuzzers): the whole records at the
 * front of buf through cb, those of family (0: any) in states (a bit per
 * enum sock_state) only. *used: the bytes of the records read. Returns 0, or
 * cb's first non-zero answer (which stops it there). */
int sockiter_parse(const void *buf, size_t len, int family, uint32_t states, sock_cb cb,
		   void *arg, size_t *used);

#endif
