/* tcplife: one event per closed TCP session, with its owner, bytes and
 * duration.
 *
 * Hooks: inet_sock_set_state, as a primary and a backup (both session edges
 * often run in softirq: see "nested runs" in netlens.bpf.h), and accept()
 * exits for the owners of passive sockets. Birth is the move into SYN_SENT
 * (connect, process context: the owner is current) or SYN_RECV (a child of
 * a listener, softirq: the owner is filled in when accept() returns it).
 * Death is the move into CLOSE. Other transitions return at once. One map
 * entry per session holds the birth and the owner, so a session costs two
 * updates (birth, accept in place), a lookup and a delete.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcplife.h"

struct session {
	__u64 ts;
	struct nl_owner o; /* pid 0: not known (yet) */
	__u8 active;
	__u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct session);
} sessions SEC(".maps");

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup)
{
	struct tcplife_event *e;
	struct nl_owner *o;
	struct session *s;
	__u64 key = (__u64)sk, now;
	__u16 family;

	if (newstate != TCP_SYN_SENT && newstate != TCP_SYN_RECV && newstate != TCP_CLOSE)
		return 0;
	if (!nl_sk_is_tcp(sk))
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!nl_want_sock(sk, family))
		return 0;
	if (!nl_nest_claim(backup))
		return 0;
	now = bpf_ktime_get_ns();
	if (newstate != TCP_CLOSE) {
		struct session ns = { .ts = now, .active = newstate == TCP_SYN_SENT };
		if (ns.active)
			nl_owner_current(&ns.o);
		bpf_map_update_elem(&sessions, &key, &ns, BPF_ANY);
		return 0;
	}
	s = bpf_map_lookup_elem(&sessions, &key);
	if (!s)
		return 0; /* born before we started: duration unknown */
	o = s->o.pid ? &s->o : NULL;
	if (o ? !nl_want_task(o->pid, o->comm) : (nl_filter.pid || nl_filter.comm_set))
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
	e->dur_ns = now - s->ts;
	e->active = s->active;
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
	bpf_map_delete_elem(&sessions, &key);
	return 0;
}

NL_STATE_PROGRAMS(tcplife, on_state)

/* accept() returned the socket: its owner, written into the session */
static __always_inline int on_accept(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct session *s = bpf_map_lookup_elem(&sessions, &key);

	if (s)
		nl_owner_current(&s->o);
	return 0;
}

NL_ACCEPTED_SOCK_PROGRAMS(tcplife, on_accept)
