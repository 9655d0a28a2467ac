/* tcplife: one event per closed TCP session, with its owner, bytes and
 * duration.
 *
 * Birth is the move into SYN_SENT (connect()) or SYN_RECV (a child of a
 * listener). Death is the move into CLOSE. One map entry per session holds
 * the birth and the owner.
 *
 * Owner: the process that connected (SYN_SENT runs in connect()), else the
 * one that closed: FIN_WAIT1 and LAST_ACK are entered only by close() and
 * shutdown(), in the closing process. No accept() hook is needed, which
 * matters: the accept syscalls' tracepoints put every system call of every
 * process on the slow path (~70 ns each here). A passive session that
 * reaches CLOSE with no owner (the peer reset it, or the process aborted
 * it) is reported at tcp_destroy_sock instead, which for such a socket runs
 * when its process closes it, in that process.
 *
 * The kernel skips a run of the state program that nests in another run
 * of it (a softirq interrupting it, see "nested runs" in netlens.bpf.h).
 * Only softirq-context changes can be skipped: SYN_SENT, FIN_WAIT1 and
 * LAST_ACK come from system calls. A skipped CLOSE leaves the session in
 * the map, and tcp_destroy_sock reports it (dated then, and counted as
 * recovered). A skipped SYN_RECV loses the session: a backup program would
 * catch it, but it costs a second program run on every state change of
 * every socket (~1.5% of a 20k connections/s loopback workload) for an
 * event that needs a network softirq to land inside a system call's run of
 * the program on the same CPU; the runs the kernel skipped are counted
 * and reported at exit instead (trace.c).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcplife.h"

struct session {
	__u64 ts;          /* birth */
	struct tr_owner o; /* pid 0: not known (yet) */
	__u8 active;
	__u8 _pad[7];
};

/* Not an LRU map, whose evictions would lose sessions silently: entries
 * are allocated as sessions begin and freed at their CLOSE, or at the
 * latest when the socket is freed; a full map counts as lost events. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct session);
} sessions SEC(".maps");

/* Sessions closed with no owner yet, read at CLOSE (a reset clears the
 * tuple and the byte counts before the socket is freed), completed and
 * reported at tcp_destroy_sock. A full map counts as lost events. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct tcplife_event);
} pending SEC(".maps");

/* Closes found at tcp_destroy_sock that the state program missed, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} recovered SEC(".maps");

/* Fills e (all but the owner) for session s of sk, closed at `closed`;
 * false when the port filters reject it. btf: read with plain loads (a
 * tp_btf program, see "reading kernel memory"). */
static __always_inline bool fill_event(struct tcplife_event *e, struct sock *sk,
				       struct tcp_sock *tp, const struct session *s, __u64 closed,
				       bool btf)
{
	tr_read_tuple_rd(sk, tp, &e->t, btf);
	if (!tr_want_ports(e->t.sport, e->t.dport))
		return false;
	tr_fill_hdr_rd(&e->h, sk, NULL, closed, btf);
	e->dur_ns = closed - s->ts;
	e->active = s->active;
	/* payload only: bytes_acked and bytes_received also count the SYN and
	 * FIN sequence numbers; bytes_sent counts retransmissions */
	e->tx_bytes = TR_RD(btf, tp, bytes_sent) - TR_RD(btf, tp, bytes_retrans);
	e->rx_bytes = TR_RD(btf, tp, bytes_received);
	if (e->rx_bytes && (TR_RD(btf, sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)))
		e->rx_bytes--; /* the peer's FIN */
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	return true;
}

/* Reports session s of sk, whose owner is known, then forgets it. */
static __always_inline void end_session(struct sock *sk, struct session *s, __u64 key,
					__u64 closed, bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);
	struct tcplife_event *e;

	if (!tp || !tr_want_task(s->o.pid, s->o.comm))
		goto out;
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	if (!fill_event(e, sk, tp, s, closed, btf)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto out;
	}
	tr_hdr_set_owner(&e->h, &s->o);
	tr_submit_at(e, closed);
out:
	bpf_map_delete_elem(&sessions, &key);
}

/* Session s of sk closed with no owner: keep its event for tcp_destroy_sock. */
static __always_inline void defer_session(struct sock *sk, struct session *s, __u64 key,
					  __u64 closed, bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);
	struct tcplife_event e = {};

	if (tp && fill_event(&e, sk, tp, s, closed, btf) &&
	    bpf_map_update_elem(&pending, &key, &e, BPF_ANY))
		tr_count_lost();
	bpf_map_delete_elem(&sessions, &key);
}

static __always_inline int on_state(struct sock *sk, int newstate, bool btf)
{
	struct session *s;
	__u64 key = (__u64)sk, now;

	if (newstate != TCP_SYN_SENT && newstate != TCP_SYN_RECV && newstate != TCP_FIN_WAIT1 &&
	    newstate != TCP_LAST_ACK && newstate != TCP_CLOSE)
		return 0;
	if (!tr_sk_is_tcp_rd(sk, btf))
		return 0;
	if (!tr_want_sock_rd(sk, TR_RD(btf, sk, __sk_common.skc_family), btf))
		return 0;
	if (newstate == TCP_SYN_SENT || newstate == TCP_SYN_RECV) {
		struct session ns = { .ts = bpf_ktime_get_ns(), .active = newstate == TCP_SYN_SENT };
		if (ns.active)
			tr_owner_current(&ns.o);
		if (bpf_map_update_elem(&sessions, &key, &ns, BPF_ANY))
			tr_count_lost();
		return 0;
	}
	s = bpf_map_lookup_elem(&sessions, &key);
	if (!s) /* born before we started: duration unknown */
		return 0;
	if (newstate != TCP_CLOSE) { /* close() or shutdown(), in its process */
		if (!s->o.pid)
			tr_owner_current(&s->o);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (s->o.pid)
		end_session(sk, s, key, now, btf);
	else
		defer_session(sk, s, key, now, btf);
	return 0;
}

TR_PROGRAM_PAIR(tcplife_state, inet_sock_set_state, (struct sock *sk, int oldstate, int newstate),
		on_state(sk, newstate, btf))

/* The socket is being freed, after its CLOSE. A pending event gets its
 * owner: for a socket with no owner at CLOSE, this runs in the process
 * that closes it (see above). A session still here missed its CLOSE. */
static __always_inline int on_destroy(struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct tcplife_event *p = bpf_map_lookup_elem(&pending, &key), *e;
	struct session *s;

	if (p) {
		struct tr_owner o;
		tr_owner_current(&o);
		if (tr_want_task(o.pid, o.comm) && (e = tr_reserve(sizeof(*e)))) {
			__builtin_memcpy(e, p, sizeof(*e));
			tr_hdr_set_owner(&e->h, &o);
			tr_submit(e);
		}
		bpf_map_delete_elem(&pending, &key);
		return 0;
	}
	s = bpf_map_lookup_elem(&sessions, &key);
	if (!s)
		return 0;
	{
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&recovered, &zero);
		if (n)
			(*n)++;
	}
	if (s->o.pid)
		end_session(sk, s, key, bpf_ktime_get_ns(), btf);
	else
		defer_session(sk, s, key, bpf_ktime_get_ns(), btf);
	return 0;
}

TR_PROGRAM_PAIR(tcplife_destroy, tcp_destroy_sock, (struct sock *sk), on_destroy(sk, btf))
