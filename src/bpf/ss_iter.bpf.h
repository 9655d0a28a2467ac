/* ss fast path: walks every TCP socket of the namespace (iter/tcp) and
 * writes one fixed-size binary record each, the fields `ss -tan[ep]`
 * shows, computed as inet_diag computes them (net/ipv4/tcp_diag.c and
 * inet_diag.c): for a listener the accept queue and its limit, otherwise
 * unread and unacknowledged bytes. About a quarter of sock_diag's cost per
 * socket, since nothing is built as netlink attributes.
 *
 * Built twice from this one body:
 *   ss_iter.bpf.c        CO-RE (field offsets relocated by libbpf against
 *                        the running kernel's BTF): portable, but loading it
 *                        parses the whole kernel BTF (~10 MB, ~20 ms);
 *   ss_iter_fixed.bpf.c  offsets of the kernel netlens was built on, no
 *                        relocations and no maps, loaded with one bpf()
 *                        call: used only when the running kernel's BTF has
 *                        the build's fingerprint (see sources/sockiter.c).
 * Direct field loads through BTF pointers are checked by the verifier in
 * both; the few reads through casts use bpf_probe_read_kernel.
 */
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpf/ss_iter.h"

char LICENSE[] SEC("license") = "GPL";

#define SS_AF_INET6 10
#define SS_TIME_WAIT 6
#define SS_LISTEN 10
#define SS_NEW_SYN_RECV 12

#ifndef SS_ITER_FIXED
const volatile __u32 want_states = ~0u; /* bit per TCP state */
const volatile __u8 want_family = 0;    /* 0: both */
#endif

SEC("iter/tcp")
int ss_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	struct ss_iter_rec r = {};
	struct tcp_sock *tp;
	struct socket *so;
	struct sock *sk;

	if (!skc)
		return 0;
	r.family = skc->skc_family;
	r.state = skc->skc_state;
#ifndef SS_ITER_FIXED
	if (want_family && r.family != want_family)
		return 0;
	if (!(want_states & (1u << (r.state & 31))))
		return 0;
#endif
	r.sport = skc->skc_num;
	r.dport = bpf_ntohs(skc->skc_dport);
	r.ifindex = skc->skc_bound_dev_if;
	r.uid = ctx->uid;
	r.cookie = bpf_get_socket_cookie(skc);
	if (r.family == SS_AF_INET6) {
		bpf_probe_read_kernel(r.src, 16, &skc->skc_v6_rcv_saddr);
		bpf_probe_read_kernel(r.dst, 16, &skc->skc_v6_daddr);
	} else {
		*(__u32 *)r.src = skc->skc_rcv_saddr;
		*(__u32 *)r.dst = skc->skc_daddr;
	}
	if (r.state == SS_TIME_WAIT || r.state == SS_NEW_SYN_RECV) {
		if (r.state == SS_TIME_WAIT) {
			r.timer = 3;
			bpf_probe_read_kernel(&r.mark, sizeof(r.mark),
					      &((struct inet_timewait_sock *)skc)->tw_mark);
		}
		bpf_seq_write(seq, &r, sizeof(r));
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	if (r.state == SS_LISTEN) {
		r.rqueue = sk->sk_ack_backlog;
		r.wqueue = sk->sk_max_ack_backlog;
	} else {
		int unread = (int)(tp->rcv_nxt - tp->copied_seq);
		r.rqueue = unread > 0 ? unread : 0;
		r.wqueue = tp->write_seq - tp->snd_una;
	}
	r.mark = sk->sk_mark;
	r.shutdown = sk->sk_shutdown;
	so = sk->sk_socket;
	if (so)
		bpf_probe_read_kernel(&r.inode, sizeof(unsigned long),
				      &((struct socket_alloc *)so)->vfs_inode.i_ino);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
