/* The name a UNIX-domain socket is bound to, for the syscall tracers that
 * show a listener's or an accepted socket's own address (solisten,
 * soaccept). An accepted socket carries its listener's name.
 *
 * Only UNIX sockets pay for it: two reads and one copy of at most
 * sizeof(struct sockaddr_un) bytes. */
#ifndef NETLENS_BPF_SOUNIX_H
#define NETLENS_BPF_SOUNIX_H

#include "bpf/netlens.bpf.h"

#define SO_UNIX_SA_MAX 110 /* sizeof(struct sockaddr_un) */

/* Copies sk's bound sockaddr_un (family, then the path or the abstract
 * name, as long as bind() gave it) into sa; returns its length, 0 when the
 * socket is not bound (unnamed). */
static __always_inline __u16 so_unix_name(struct sock *sk, __u8 sa[SO_UNIX_SA_MAX])
{
	struct unix_sock *u = (struct unix_sock *)sk;
	struct unix_address *a = BPF_CORE_READ(u, addr);
	int len;

	if (!a)
		return 0;
	len = BPF_CORE_READ(a, len);
	if (len <= 2 || len > SO_UNIX_SA_MAX)
		return 0;
	if (bpf_probe_read_kernel(sa, len, &a->name))
		return 0;
	return len;
}

#endif
