/* The BPF side socketio and socksize share: the event filters and the
 * count key of one socket send or receive, from
 * sock:sock_send_length / sock:sock_recv_length (TP_PROTO(struct sock *sk,
 * int ret, int flags), kernel 6.3+). They fire in sock_sendmsg() and
 * sock_recvmsg() (send, sendto, sendmsg, sendmmsg per message, write and
 * writev on a socket, the recv side alike, io_uring's socket ops), after
 * the protocol's handler returned, in the calling process's context:
 * current is the process moving the bytes. ret is the bytes moved or
 * -errno. Not seen: sendfile(), splice() and zero-copy receive, which
 * bypass sendmsg/recvmsg.
 *
 * Include after bpf/netlens.bpf.h. */
#ifndef NETLENS_BPF_SOCKIO_H
#define NETLENS_BPF_SOCKIO_H

#include "bpf/socketio.h"
#include "bpf/sockio_sys.bpf.h"

#define SOCKIO_MSG_PEEK 2

/* The key of one send (rx false) or receive on sk, when it passes the
 * common filters: -4/-6/-U (family), --netns, --cgroup, -p, -P/--lport/
 * --rport, --comm, each a constant to the verifier (off: no code). A
 * recv(MSG_PEEK) is skipped: the bytes it shows are counted when they are
 * read. Cheapest checks first; the command is read last, once. btf: a
 * tp_btf program (plain loads, "reading kernel memory" in netlens.bpf.h). */
static __always_inline bool sockio_key_rd(struct sockio_key *k, struct sock *sk, int flags,
					  bool rx, bool btf)
{
	__builtin_memset(k, 0, sizeof(*k));
	if (!sk || (rx && (flags & SOCKIO_MSG_PEEK)))
		return false;
	k->family = TR_RD(btf, sk, __sk_common.skc_family);
	if (tr_filter.family && k->family != tr_filter.family)
		return false;
	if (tr_filter.netns && tr_sk_netns_rd(sk, btf) != tr_filter.netns)
		return false;
	if (tr_filter.cgroup && tr_sk_cgroup_rd(sk, btf) != tr_filter.cgroup)
		return false;
	k->pid = bpf_get_current_pid_tgid() >> 32;
	if (tr_filter.pid && k->pid != tr_filter.pid)
		return false;
	k->type = TR_RD(btf, sk, sk_type);
	k->protocol = TR_RD(btf, sk, sk_protocol);
	if (k->family == TR_AF_INET || k->family == TR_AF_INET6) {
		k->lport = TR_RD(btf, sk, __sk_common.skc_num);
		k->rport = bpf_ntohs(TR_RD(btf, sk, __sk_common.skc_dport));
	}
	if (!tr_want_ports(k->lport, k->rport))
		return false;
	tr_current_comm(k->comm, btf);
	if (!tr_want_task(k->pid, k->comm))
		return false;
	k->dir = rx ? SOCKIO_RECV : SOCKIO_SEND;
	return true;
}

/* The programs of a tracer's handler(sk, ret, flags, rx, btf): the pairs
 * NAME_send_{btf,raw} and NAME_recv_{btf,raw}, and the system-call groups
 * NAME_send_sys_* and NAME_recv_sys_* for kernels before 6.3
 * (sockio_sys.bpf.h). */
#define SOCKIO_PROGRAMS(name, handler)                                                 \
	SOCKIO_SEND_PROGRAMS(name##_send, handler(sk, ret, flags, false, btf))         \
	SOCKIO_RECV_PROGRAMS(name##_recv, handler(sk, ret, flags, true, btf))

#endif
