/* tcpreset: TCP resets sent (tcp:tcp_send_reset) and received
 * (tcp:tcp_receive_reset) with tuple, state, owner and, for sent ones, the
 * kernel's reason.
 *
 * A reset sent in answer to a packet (to a closed port, say) comes with
 * that packet (skb) and often no socket: the tuple is the packet's,
 * reversed. An active reset (abortive close, SO_LINGER 0) comes with the
 * socket and no packet.
 *
 * -c counts resets per flow, direction, reason and state in the kernel.
 *
 * Hooks (tp_btf, else raw_tp): tcp_send_reset, tcp_receive_reset,
 * inet_sock_set_state and, for accepted sockets' owners, the accept
 * syscalls' exit tracepoints (sys_exit as the fallback).
 */
#define TR_WANT_OWNERS
#include "bpf/netlens.bpf.h"
#include "bpf/tcpreset.h"

#define TR_ETH_P_IP   0x0800
#define TR_ETH_P_IPV6 0x86DD

const volatile bool count_mode = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct tcpreset_key);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline bool want_owner(const struct tr_owner *o)
{
	if (o)
		return tr_want_task(o->pid, o->comm);
	return !tr_filter.pid && !tr_filter.comm_set;
}

/* Tuple of a socket of any kind: full sockets through tr_read_tuple()
 * (inet_sport survives unhashing); request and time-wait socks have only
 * their sock_common. */
static __always_inline void sk_tuple(const struct sock *sk, struct tr_tuple *t)
{
	__u8 st = BPF_CORE_READ(sk, __sk_common.skc_state);

	if (st != TCP_TIME_WAIT && st != TCP_NEW_SYN_RECV) {
		tr_read_tuple(sk, t);
		return;
	}
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == TR_AF_INET6) {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
	}
}

/* The received packet's tuple, reversed (d = its source). */
static __always_inline bool skb_tuple_rev(const struct sk_buff *skb, struct tr_tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	unsigned char *nh = head + BPF_CORE_READ(skb, network_header);
	unsigned char *th = head + BPF_CORE_READ(skb, transport_header);
	__u16 ports[2];

	if (proto == TR_ETH_P_IP) {
		t->family = TR_AF_INET;
		bpf_probe_read_kernel(t->daddr, 4, nh + 12);
		bpf_probe_read_kernel(t->saddr, 4, nh + 16);
	} else if (proto == TR_ETH_P_IPV6) {
		t->family = TR_AF_INET6;
		bpf_probe_read_kernel(t->daddr, 16, nh + 8);
		bpf_probe_read_kernel(t->saddr, 16, nh + 24);
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(ports, sizeof(ports), th))
		return false;
	t->dport = bpf_ntohs(ports[0]);
	t->sport = bpf_ntohs(ports[1]);
	return true;
}

static __always_inline int emit(const struct sock *sk, const struct sk_buff *skb, __u32 reason,
				__u8 dir)
{
	struct tcpreset_event *e;
	struct tr_owner *o = NULL;
	struct tr_tuple t = {};
	__u32 netns;
	__u8 state = 0;

	if (skb) {
		if (!skb_tuple_rev(skb, &t))
			return 0;
	} else if (sk) {
		sk_tuple(sk, &t);
	} else {
		return 0;
	}
	if (sk) {
		if (!tr_want_sock(sk, t.family))
			return 0;
		netns = tr_sk_netns(sk);
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV)
			o = tr_owner_get(sk);
	} else {
		if (t.family != TR_AF_INET && t.family != TR_AF_INET6)
			return 0;
		if (tr_filter.family && t.family != tr_filter.family)
			return 0;
		if (tr_filter.cgroup)
			return 0;
		netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
		if (tr_filter.netns && netns != tr_filter.netns)
			return 0;
	}
	if (!tr_want_ports(t.sport, t.dport))
		return 0;
	if (!want_owner(o))
		return 0;
	if (count_mode) {
		struct tcpreset_key k = { .t = t, .reason = reason, .dir = dir, .state = state,
					  .has_sk = sk != NULL };
		__u64 zero = 0, *c = bpf_map_lookup_elem(&counts, &k);

		if (!c) {
			bpf_map_update_elem(&counts, &k, &zero, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&counts, &k);
			if (!c)
				return 0;
		}
		__sync_fetch_and_add(c, 1);
		return 0;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return 0;
	if (sk) {
		tr_fill_hdr(&e->h, sk, o, bpf_ktime_get_ns());
	} else {
		__builtin_memset(&e->h, 0, sizeof(e->h));
		e->h.ts_ns = bpf_ktime_get_ns();
		e->h.netns = netns;
	}
	e->t = t;
	e->reason = reason;
	e->dir = dir;
	e->state = state;
	e->has_sk = sk != NULL;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	tr_submit(e);
	return 0;
}

TR_PROGRAM_PAIR(tcpreset_send, tcp_send_reset,
		(const struct sock *sk, const struct sk_buff *skb, int reason),
		emit(sk, skb, (__u32)reason, TCPRESET_SENT))

TR_PROGRAM_PAIR(tcpreset_recv, tcp_receive_reset, (struct sock *sk),
		emit(sk, NULL, 0, TCPRESET_RECEIVED))

static __always_inline int on_state(struct sock *sk, int newstate)
{
	if (newstate != TCP_SYN_SENT && newstate != TCP_LISTEN && newstate != TCP_SYN_RECV)
		return 0;
	if (!tr_sk_is_tcp(sk))
		return 0;
	/* Owners outlive CLOSE (an abortive close sends its reset after the
	 * move to CLOSE); a new child socket (SYN_RECV, softirq) forgets
	 * whatever a freed socket at the same address left behind. */
	if (newstate == TCP_SYN_RECV)
		tr_owner_del(sk);
	else
		tr_owner_set_current(sk);
	return 0;
}

TR_PROGRAM_PAIR(tcpreset_state, inet_sock_set_state, (struct sock *sk, int oldstate, int newstate),
		on_state(sk, newstate))

/* accept() returned sk to its owner. */
static __always_inline int on_accept(struct sock *sk)
{
	tr_owner_set_current(sk);
	return 0;
}

TR_ACCEPTED_SOCK_PROGRAMS(tcpreset, on_accept)
