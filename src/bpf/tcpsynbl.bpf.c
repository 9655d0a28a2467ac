/* tcpsynbl: accept backlog of each TCP listener against its limit, sampled
 * when a new connection arrives.
 *
 * Hook: sock:sk_data_ready (tp_btf, else raw_tp). When the final ACK of a
 * handshake turns a request into a child socket, tcp_child_process() queues
 * the child on the listener's accept queue and wakes the listener through
 * parent->sk_data_ready() (sock_def_readable), which fires this tracepoint
 * with the listener: sk_ack_backlog already counts the new connection. The
 * tracepoint fires for every socket that gets data; anything but a TCP
 * listener returns after two loads. A connection dropped because the queue
 * was full never gets here (see ListenOverflows in nstat).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcpsynbl.h"

#define TR_TCP_LISTEN 10

TR_INTERVAL_TABLE(hist, struct tcpsynbl_key, struct tcpsynbl_val, 4096);

static __always_inline int on_ready(const struct sock *sk)
{
	struct tcpsynbl_key k = {};
	struct tcpsynbl_val *v;
	struct tr_tuple t = {};
	__u32 backlog, limit, synq, slot;

	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TR_TCP_LISTEN)
		return 0;
	if (!tr_sk_is_tcp(sk))
		return 0;
	t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!tr_want_sock(sk, t.family))
		return 0;
	tr_read_tuple(sk, &t);
	if (!tr_want_ports(t.sport, t.dport))
		return 0;
	backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	limit = BPF_CORE_READ(sk, sk_max_ack_backlog);
	synq = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_accept_queue.qlen.counter);
	__builtin_memcpy(k.addr, t.saddr, sizeof(k.addr));
	k.port = t.sport;
	k.family = t.family;
	k.netns = tr_sk_netns(sk);
	v = tr_table_lookup_or_zero(hist, &k);
	if (!v)
		return 0;
	slot = tr_log2(backlog);
	if (slot >= TCPSYNBL_SLOTS)
		slot = TCPSYNBL_SLOTS - 1;
	__sync_fetch_and_add(&v->slots[slot], 1);
	__sync_fetch_and_add(&v->count, 1);
	v->limit = limit;
	if (backlog > v->max_backlog)
		v->max_backlog = backlog;
	if (synq > v->max_synq)
		v->max_synq = synq;
	if (backlog > limit)
		__sync_fetch_and_add(&v->full, 1);
	return 0;
}

TR_PROGRAM_PAIR(tcpsynbl_ready, sk_data_ready, (const struct sock *sk), on_ready(sk))
