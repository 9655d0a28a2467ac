/* tcplife: one event per closed TCP session, with its owner, bytes and
 * duration.
 *
 * Birth is the move into SYN_SENT (connect, process context: the owner is
 * current) or SYN_RECV (a child of a listener, softirq: the owner is filled
 * in when accept() returns it). Death is the move into CLOSE. One map entry
 * per session holds the birth and the owner.
 *
 * Both SYN_RECV and CLOSE usually run in softirq context, where the kernel
 * skips a run of the state program that nests in another run of it (see
 * "nested runs" in netlens.bpf.h). Rather than a backup program on every
 * state change, tcplife catches what the state program missed where it is
 * cheaper, in programs that never nest in it:
 *   - a session still in the map when tcp_destroy_sock fires missed its
 *     CLOSE (which always comes first): it is reported then;
 *   - a socket accept() returns with no session missed its SYN_RECV (or was
 *     born before tracing began, which its creation time tells apart): its
 *     session starts then, dated from the socket's creation.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcplife.h"

/* Set by user space (tracers/tcplife.c) before load. */
const volatile __u64 trace_start_ns = 0; /* bpf_ktime_get_ns() when tracing began */
const volatile __u64 jiffy_ns = 0;       /* length of a kernel tick; 0: unknown */

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

/* Events the fallbacks recovered, per CPU ([0] missed closes, [1] births). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} recovered SEC(".maps");

static __always_inline void count_recovered(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&recovered, &what);

	if (n)
		(*n)++;
}

/* Reports session s of sk as closed at `now`, then forgets it. btf: read
 * with plain loads (a tp_btf program, see "reading kernel memory"). */
static __always_inline void end_session(struct sock *sk, struct session *s, __u64 key, __u64 now,
					bool btf)
{
	struct tcp_sock *tp = nl_tcp_sk(sk, btf);
	struct tcplife_event *e;
	struct nl_owner *o = s->o.pid ? &s->o : NULL;

	if (!tp)
		goto out;
	if (o ? !nl_want_task(o->pid, o->comm) : (nl_filter.pid || nl_filter.comm_set))
		goto out;
	e = nl_reserve(sizeof(*e));
	if (!e)
		goto out;
	nl_read_tuple_rd(sk, tp, &e->t, btf);
	if (!nl_want_ports(e->t.sport, e->t.dport)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto out;
	}
	nl_fill_hdr_rd(&e->h, sk, o, now, btf);
	e->dur_ns = now - s->ts;
	e->active = s->active;
	/* payload only: bytes_acked and bytes_received also count the SYN and
	 * FIN sequence numbers; bytes_sent counts retransmissions */
	e->tx_bytes = NL_RD(btf, tp, bytes_sent) - NL_RD(btf, tp, bytes_retrans);
	e->rx_bytes = NL_RD(btf, tp, bytes_received);
	if (e->rx_bytes && (NL_RD(btf, sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)))
		e->rx_bytes--; /* the peer's FIN */
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	nl_submit(e);
out:
	bpf_map_delete_elem(&sessions, &key);
}

static __always_inline int on_state(struct sock *sk, int newstate, bool btf)
{
	struct session *s;
	__u64 key = (__u64)sk, now;

	if (newstate != TCP_SYN_SENT && newstate != TCP_SYN_RECV && newstate != TCP_CLOSE)
		return 0;
	if (!nl_sk_is_tcp_rd(sk, btf))
		return 0;
	if (!nl_want_sock_rd(sk, NL_RD(btf, sk, __sk_common.skc_family), btf))
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
	if (s) /* else born before we started: duration unknown */
		end_session(sk, s, key, now, btf);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcplife_state_btf, struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, newstate, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tcplife_state_raw, struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, newstate, false);
}

/* The socket is being freed, after its CLOSE: a session still here is one
 * whose CLOSE the state program missed. */
static __always_inline int on_destroy(struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct session *s = bpf_map_lookup_elem(&sessions, &key);

	if (!s)
		return 0;
	count_recovered(0);
	end_session(sk, s, key, bpf_ktime_get_ns(), btf);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tcplife_destroy_btf, struct sock *sk)
{
	return on_destroy(sk, true);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(tcplife_destroy_raw, struct sock *sk)
{
	return on_destroy(sk, false);
}

/* accept() returned the socket: its owner, written into the session. With
 * no session, the SYN_RECV was missed or came before tracing began: the
 * socket's creation time (lsndtime, the jiffy it was created in, as nothing
 * is sent before accept()) tells which. */
static __always_inline int on_accept(struct sock *sk)
{
	__u64 key = (__u64)sk, now, age, born;
	struct session *s = bpf_map_lookup_elem(&sessions, &key), ns = {};
	__u32 created;

	if (s) {
		nl_owner_current(&s->o);
		return 0;
	}
	if (!jiffy_ns || !nl_want_sock(sk, BPF_CORE_READ(sk, __sk_common.skc_family)))
		return 0;
	created = BPF_CORE_READ((struct tcp_sock *)sk, lsndtime);
	now = bpf_ktime_get_ns();
	age = (__u64)(__u32)((__u32)bpf_jiffies64() - created) * jiffy_ns;
	if (age > now)
		return 0;
	born = now - age;
	if (born + jiffy_ns < trace_start_ns)
		return 0; /* born before tracing began */
	ns.ts = born > trace_start_ns ? born : trace_start_ns;
	nl_owner_current(&ns.o);
	if (bpf_map_update_elem(&sessions, &key, &ns, BPF_NOEXIST) == 0)
		count_recovered(1);
	return 0;
}

NL_ACCEPTED_SOCK_PROGRAMS(tcplife, on_accept)
