/* tcplife: one event per closed TCP session, with its owner, bytes and
 * duration.
 *
 * Hooks: inet_sock_set_state (tp_btf, else raw_tp) and sys_exit for
 * accept() owners (tp_btf, else raw_tp). Birth is the move into SYN_SENT
 * (connect, process context: the owner is current) or SYN_RECV (a child of
 * a listener, softirq: the owner is filled in when accept() returns it).
 * Death is the move into CLOSE. Other transitions return at once.
 */
#define NL_WANT_OWNERS
#include "bpf/netlens.bpf.h"
#include "bpf/tcplife.h"

struct birth {
	__u64 ts;
	__u8 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct birth);
} births SEC(".maps");

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate)
{
	struct tcplife_event *e;
	struct nl_owner *o;
	struct birth *b;
	__u64 key = (__u64)sk, now;
	__u16 family;

	if (newstate != TCP_SYN_SENT && newstate != TCP_SYN_RECV && newstate != TCP_CLOSE)
		return 0;
	if (!nl_sk_is_tcp(sk))
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!nl_want_sock(sk, family))
		return 0;
	now = bpf_ktime_get_ns();
	if (newstate != TCP_CLOSE) {
		struct birth nb = { .ts = now, .active = newstate == TCP_SYN_SENT };
		bpf_map_update_elem(&births, &key, &nb, BPF_ANY);
		if (newstate == TCP_SYN_SENT)
			nl_owner_set_current(sk);
		return 0;
	}
	b = bpf_map_lookup_elem(&births, &key);
	if (!b)
		return 0; /* born before we started: duration unknown */
	o = nl_owner_get(sk);
	if (o && !nl_want_task(o->pid, o->comm))
		goto out;
	if (!o && (nl_filter.pid || nl_filter.comm_set))
		goto out;
	e = nl_reserve(sizeof(*e));
	if (!e)
		goto out;
	nl_read_tuple(sk, &e->t);
	if (!nl_want_ports(e->t.sport, e->t.dport)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto out;
	}
	nl_fill_hdr(&e->h, sk, o, now);
	e->dur_ns = now - b->ts;
	e->active = b->active;
	/* payload only: bytes_acked and bytes_received also count the SYN and
	 * FIN sequence numbers; bytes_sent counts retransmissions */
	e->tx_bytes = BPF_CORE_READ((struct tcp_sock *)sk, bytes_sent) -
		      BPF_CORE_READ((struct tcp_sock *)sk, bytes_retrans);
	e->rx_bytes = BPF_CORE_READ((struct tcp_sock *)sk, bytes_received);
	if (e->rx_bytes && (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)))
		e->rx_bytes--; /* the peer's FIN */
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	nl_submit(e);
out:
	bpf_map_delete_elem(&births, &key);
	if (o)
		nl_owner_del(sk);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcplife_state_btf, struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tcplife_state_raw, struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

static __always_inline int on_sys_exit(struct pt_regs *regs, long ret)
{
	struct sock *sk = nl_accepted_sock(regs, ret);
	__u64 key = (__u64)sk;

	if (sk && bpf_map_lookup_elem(&births, &key))
		nl_owner_set_current(sk);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tcplife_accept_btf, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs, ret);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(tcplife_accept_raw, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs, ret);
}
