/* tcpretrans: retransmitted TCP segments and SYN-ACKs with tuple, state and
 * owner; -c counts segments per flow in the kernel.
 *
 * Hooks (tp_btf, else raw_tp):
 *   tcp_retransmit_skb      every retransmission attempt, with its result;
 *                           a backup program after it handles the runs the
 *                           kernel skipped for nesting (see below);
 *   tcp_retransmit_synack   a listener re-sending a SYN-ACK;
 *   inet_sock_set_state     socket owners: connect() (SYN_SENT) and listen()
 *                           run in process context; CLOSE forgets the owner;
 *   sys_exit_accept4/accept accept() returning a socket: its owner (the
 *                           syscalls' own tracepoints, sys_exit as fallback).
 * tcp_retransmit_skb fires in process context too (the socket's backlog,
 * processed by release_sock() with softirqs enabled, acks data and
 * retransmits), and an RTO timer or an incoming ACK in a softirq on the same
 * CPU would then be a nested run the kernel skips ("nested runs" in
 * netlens.bpf.h): the backup catches it. SYN-ACKs are re-sent from the
 * request timer and from incoming SYNs, both in softirq context, where runs
 * never nest.
 * TcpRetransSegs also counts tail loss probes that re-send the last segment
 * (tcp_send_loss_probe -> __tcp_retransmit_skb), which have no tracepoint.
 */
#define TR_WANT_OWNERS
#include "bpf/netlens.bpf.h"
#include "bpf/tcpretrans.h"

TR_INTERVAL_TABLE(counts, struct tr_tuple, struct tcpretrans_count, 10240);

/* Owner filter: an unknown owner never matches -p/--comm. */
static __always_inline bool want_owner(const struct tr_owner *o)
{
	if (o)
		return tr_want_task(o->pid, o->comm);
	return !tr_filter.pid && !tr_filter.comm_set;
}

static __always_inline void count(const struct tr_tuple *t, const struct tr_owner *o, __s32 err,
				  __u16 segs, bool synack)
{
	struct tcpretrans_count init = {}, *c;

	c = tr_table_lookup(counts, t);
	if (!c) {
		if (o) {
			init.pid = o->pid;
			__builtin_memcpy(init.comm, o->comm, TR_COMM_LEN);
		}
		c = tr_table_lookup_or_init(counts, t, &init);
		if (!c)
			return;
	}
	__sync_fetch_and_add(&c->events, 1);
	if (err)
		__sync_fetch_and_add(&c->failed, 1);
	else
		__sync_fetch_and_add(&c->segs, segs);
	if (synack)
		__sync_fetch_and_add(&c->synacks, 1);
}

static __always_inline int on_retransmit(const struct sock *sk, const struct sk_buff *skb, int err,
					 bool backup)
{
	struct tcpretrans_event *e;
	struct tr_owner *o;
	struct tr_tuple t = {};
	struct skb_shared_info *si;
	struct tcp_skb_cb *cb;
	__u16 segs, family;

	if (!sk || !skb)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!tr_want_sock(sk, family))
		return 0;
	tr_read_tuple(sk, &t);
	if (!tr_want_ports(t.sport, t.dport))
		return 0;
	o = tr_owner_get(sk);
	if (!want_owner(o))
		return 0;
	if (!tr_nest_claim(backup))
		return 0;
	/* tcp_skb_pcount(): skb_shinfo(skb)->gso_segs, at skb->head + skb->end */
	si = (struct skb_shared_info *)(BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, end));
	segs = BPF_CORE_READ(si, gso_segs);
	if (!segs)
		segs = 1;
	if (tr_filter.summary) {
		count(&t, o, err, segs, false);
		return 0;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return 0;
	tr_fill_hdr(&e->h, sk, o, bpf_ktime_get_ns());
	e->t = t;
	cb = (struct tcp_skb_cb *)((const void *)skb + bpf_core_field_offset(struct sk_buff, cb));
	e->seq = BPF_CORE_READ(cb, seq);
	e->len = BPF_CORE_READ(cb, end_seq) - e->seq;
	e->tcp_flags = (__u8)BPF_CORE_READ(cb, tcp_flags);
	e->err = err;
	e->segs = segs;
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->kind = TCPRETRANS_SEG;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	tr_submit(e);
	return 0;
}

TR_PROGRAM_PAIR(tcpretrans_skb, tcp_retransmit_skb,
		(const struct sock *sk, const struct sk_buff *skb, int err),
		on_retransmit(sk, skb, err, backup))

/* The backups, attached after the primary: the runs the kernel skipped. */
TR_BACKUP_PAIR(tcpretrans_skb, tcp_retransmit_skb,
	       (const struct sock *sk, const struct sk_buff *skb, int err),
	       on_retransmit(sk, skb, err, backup))

/* A request sock has the tuple in its sock_common (ir_loc_addr, ir_num, ...);
 * it is no inet_sock, so tr_read_tuple()'s inet_sport must not be read. */
static __always_inline int on_synack(const struct sock *sk, const struct request_sock *req)
{
	const struct sock_common *rc = &req->__req_common;
	struct tcpretrans_event *e;
	struct tr_owner *o;
	struct tr_tuple t = {};
	__u16 family;

	if (!sk || !req)
		return 0;
	family = BPF_CORE_READ(rc, skc_family);
	if (!tr_want_sock(sk, family))
		return 0;
	t.family = family;
	t.sport = BPF_CORE_READ(rc, skc_num);
	t.dport = bpf_ntohs(BPF_CORE_READ(rc, skc_dport));
	if (family == TR_AF_INET6) {
		BPF_CORE_READ_INTO(&t.saddr, rc, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t.daddr, rc, skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)t.saddr, rc, skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t.daddr, rc, skc_daddr);
	}
	if (!tr_want_ports(t.sport, t.dport))
		return 0;
	o = tr_owner_get(sk); /* the listener's owner */
	if (!want_owner(o))
		return 0;
	if (tr_filter.summary) {
		count(&t, o, 0, 1, true);
		return 0;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return 0;
	tr_fill_hdr(&e->h, sk, o, bpf_ktime_get_ns());
	e->t = t;
	e->seq = BPF_CORE_READ((struct tcp_request_sock *)req, snt_isn);
	e->len = 1;
	e->tcp_flags = 0x12; /* SYN|ACK */
	e->err = 0;
	e->segs = 1;
	e->state = BPF_CORE_READ(rc, skc_state);
	e->kind = TCPRETRANS_SYNACK;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	tr_submit(e);
	return 0;
}

TR_PROGRAM_PAIR(tcpretrans_synack, tcp_retransmit_synack,
		(const struct sock *sk, const struct request_sock *req),
		on_synack(sk, req))

/* Owners: connect() and listen() run in the owner's context. */
static __always_inline int on_state(struct sock *sk, int newstate)
{
	if (newstate != TCP_SYN_SENT && newstate != TCP_LISTEN && newstate != TCP_CLOSE)
		return 0;
	if (!tr_sk_is_tcp(sk))
		return 0;
	if (newstate == TCP_CLOSE)
		tr_owner_del(sk);
	else
		tr_owner_set_current(sk);
	return 0;
}

TR_PROGRAM_PAIR(tcpretrans_state, inet_sock_set_state,
		(struct sock *sk, int oldstate, int newstate),
		on_state(sk, newstate))

/* accept() returned sk to its owner. */
static __always_inline int on_accept(struct sock *sk)
{
	tr_owner_set_current(sk);
	return 0;
}

TR_ACCEPTED_SOCK_PROGRAMS(tcpretrans, on_accept)
