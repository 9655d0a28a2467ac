/* tcplife: one event per closed TCP session, with its owner, bytes and
 * duration.
 *
 * Birth is the move into SYN_SENT (connect()) or SYN_RECV (a child of a
 * listener). Death is the move into CLOSE. One entry per session, in the
 * sessions hash map, holds the birth and the owner.
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
	__u64 closed;      /* time of a CLOSE with no owner yet; 0: open */
	struct tr_owner o; /* pid 0: not known (yet) */
	__u8 active;
	__u8 _pad[7];
	/* Read at a CLOSE with no owner, reported at tcp_destroy_sock: a reset
	 * sent by close() (SO_LINGER 0: tcp_disconnect) clears the tuple and
	 * the byte counts before the socket is freed. */
	struct tr_tuple t;
	__u64 tx_bytes;
	__u64 rx_bytes;
};

/* Not an LRU map, whose evictions would lose sessions silently: entries
 * are taken as sessions begin and given back when they are reported, at
 * the latest when the socket is freed; a session that finds the map full
 * is counted (tr_map_update) and reported as dropped_keys.
 * A session closed with no owner stays here, closed, until its socket is
 * freed: no second map, no copy, and one lookup at tcp_destroy_sock.
 *
 * Preallocated: taking and giving back an entry is a per-CPU free list's
 * pop and push. Kept in the socket's local storage instead (no key, no
 * size limit), each session cost an allocation, a lock on the map's
 * bucket list and two RCU frees when the socket went: on a churn of
 * connections reset by their client, 518 ns a state run against 355 here
 * and 6.8 against 4.7 us of CPU added per connection (docs/tracers/
 * tcplife.md, "Cost"). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct session);
} sessions SEC(".maps");

/* The session of sk, NULL when none. */
static __always_inline struct session *sess_get(struct sock *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&sessions, &key);
}

/* Forgets the session of sk. */
static __always_inline void sess_end(struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&sessions, &key);
}

/* Closes found at tcp_destroy_sock that the state program missed, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} recovered SEC(".maps");

/* The tuple and payload byte counts of sk (tp: its tcp_sock); false when
 * the port filters reject it. btf: read with plain loads (a tp_btf
 * program, see "reading kernel memory"). */
static __always_inline bool read_close(struct sock *sk, struct tcp_sock *tp, struct tr_tuple *t,
				       __u64 *tx, __u64 *rx, bool btf)
{
	tr_read_tuple_rd(sk, tp, t, btf);
	if (!tr_want_ports(t->sport, t->dport))
		return false;
	/* payload only: bytes_acked and bytes_received also count the SYN and
	 * FIN sequence numbers; bytes_sent counts retransmissions */
	*tx = TR_RD(btf, tp, bytes_sent) - TR_RD(btf, tp, bytes_retrans);
	*rx = TR_RD(btf, tp, bytes_received);
	if (*rx && (TR_RD(btf, sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)))
		(*rx)--; /* the peer's FIN */
	return true;
}

static __always_inline void fill_tail(struct tcplife_event *e, const struct session *s, __u64 closed)
{
	e->dur_ns = closed - s->ts;
	e->active = s->active;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
}

/* Reports session s of sk, closed now, whose owner is known, then forgets
 * it. */
static __always_inline void end_session(struct sock *sk, struct session *s, __u64 closed,
					bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);
	struct tcplife_event *e;

	if (!tp || !tr_want_task(s->o.pid, s->o.comm))
		goto out;
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	if (!read_close(sk, tp, &e->t, &e->tx_bytes, &e->rx_bytes, btf)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto out;
	}
	tr_fill_hdr_rd(&e->h, sk, &s->o, closed, btf);
	fill_tail(e, s, closed);
	tr_submit_at(e, closed);
out:
	sess_end(sk);
}

/* Session s of sk closed with no owner: keep what the close leaves in s
 * for tcp_destroy_sock, which knows the owner (false: not wanted, s is
 * gone). */
static __always_inline bool defer_session(struct sock *sk, struct session *s, __u64 closed,
					  bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);

	if (!tp || !read_close(sk, tp, &s->t, &s->tx_bytes, &s->rx_bytes, btf)) {
		sess_end(sk);
		return false;
	}
	s->closed = closed;
	return true;
}

/* Reports session s of sk, closed at s->closed with no owner then, as
 * owned by the current process, then forgets it. */
static __always_inline void end_deferred(struct sock *sk, struct session *s, bool btf)
{
	struct tcplife_event *e;
	struct tr_owner o;

	tr_owner_current(&o);
	if (tr_want_task(o.pid, o.comm) && (e = tr_reserve(sizeof(*e)))) {
		e->t = s->t;
		e->tx_bytes = s->tx_bytes;
		e->rx_bytes = s->rx_bytes;
		tr_fill_hdr_rd(&e->h, sk, &o, s->closed, btf);
		fill_tail(e, s, s->closed);
		tr_submit(e);
	}
	sess_end(sk);
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
		if (tr_map_update(&sessions, &key, &ns, BPF_NOEXIST) != -TR_EEXIST)
			return 0; /* made, or no room (counted) */
		/* An entry already: a socket reset with no owner and now
		 * connected again, in its process (the one to report it as).
		 * Anything else left there belongs to a freed socket. */
		s = bpf_map_lookup_elem(&sessions, &key);
		if (s && s->closed && ns.active)
			end_deferred(sk, s, btf);
		tr_map_update(&sessions, &key, &ns, BPF_ANY);
		return 0;
	}
	s = sess_get(sk);
	if (!s || s->closed) /* born before we started (duration unknown), or over */
		return 0;
	if (newstate != TCP_CLOSE) { /* close() or shutdown(), in its process */
		if (!s->o.pid)
			tr_owner_current(&s->o);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (s->o.pid)
		end_session(sk, s, now, btf);
	else
		defer_session(sk, s, now, btf);
	return 0;
}

TR_PROGRAM_PAIR(tcplife_state, inet_sock_set_state, (struct sock *sk, int oldstate, int newstate),
		on_state(sk, newstate, btf))

/* The socket is being freed, after its CLOSE. A session closed with no
 * owner gets one: for such a socket this runs in the process that closes
 * it (see above). A session still open missed its CLOSE. */
static __always_inline int on_destroy(struct sock *sk, bool btf)
{
	struct session *s = sess_get(sk);
	__u64 now;

	if (!s)
		return 0;
	if (!s->closed) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&recovered, &zero);

		if (n)
			(*n)++;
		now = bpf_ktime_get_ns();
		if (s->o.pid) {
			end_session(sk, s, now, btf);
			return 0;
		}
		if (!defer_session(sk, s, now, btf))
			return 0;
	}
	end_deferred(sk, s, btf);
	return 0;
}

TR_PROGRAM_PAIR(tcplife_destroy, tcp_destroy_sock, (struct sock *sk), on_destroy(sk, btf))
