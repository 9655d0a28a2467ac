/* soconnlat: connect latency as the application sees it, from connect()
 * to the socket connected or failed, blocking connects and non-blocking
 * ones alike; per connect, or --hist.
 *
 * Hooks: syscalls:sys_enter_connect and sys_exit_connect (classic
 * tracepoints, bpf/soconnpend.bpf.h: filters, and the connect kept by its
 * socket) and inet_sock_set_state (tp_btf, else raw_tp; primary and backup
 * for nested runs), where the socket leaves SYN_SENT: ESTABLISHED, or
 * CLOSE with the error in sk_err (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...).
 *
 * Two ends meet per connect: connect() returning and the handshake ending.
 * A blocking connect() returns after the handshake, with its result; a
 * non-blocking one returns EINPROGRESS, usually before, but on loopback and
 * veth after (the handshake completes inside the call). Whichever comes
 * second reports: each end looks the socket up in so_ends and, not finding
 * it, inserts it (BPF_NOEXIST, atomic under the map's bucket lock): the
 * first succeeds and leaves what the second needs there. When connect() returned its result
 * (blocking), that is reported, timed at the return; when it returned
 * EINPROGRESS, the handshake's end is, timed at the state change. */
#include "bpf/soconnpend.bpf.h"

struct so_end {
	__u64 ts;
	__s32 ret;
	__u32 _pad;
};

/* socket -> the first end of its connect (see above); deleted with its
 * so_pend entry */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct so_end);
} so_ends SEC(".maps");

static __always_inline void so_done(__u64 key)
{
	so_pend_forget(key);
	bpf_map_delete_elem(&so_ends, &key);
}

/* Called by each end of the connect on key with its own record: NULL for
 * the first (its record is kept for the second), the first's record for
 * the second. A lookup first: the second end, by far the more common
 * caller once the first has been, then takes no bucket lock. */
static __always_inline struct so_end *so_second_end(__u64 key, const struct so_end *mine)
{
	struct so_end *first = bpf_map_lookup_elem(&so_ends, &key);

	if (first)
		return first;
	if (tr_map_update(&so_ends, &key, mine, BPF_NOEXIST) == 0) /* a full table: counted */
		return NULL;
	return bpf_map_lookup_elem(&so_ends, &key); /* EEXIST: the other end came meanwhile */
}

static __always_inline void so_on_exit(long ret, __u64 id, struct so_start *s)
{
	struct so_end first = {}, *end;
	struct so_pend *p = NULL, tmp;
	__u64 key = s->sk, now;

	if (s->sk_state != SO_TCP_CLOSE)
		return; /* EALREADY, EISCONN: no new connect */
	if (s->pending)
		p = bpf_map_lookup_elem(&so_pend, &key);
	if (!so_connect_final(ret)) {
		/* still connecting when connect() returned, as far as it knew */
		if (!p)
			return; /* untracked: counted as a dropped key at entry */
		end = so_second_end(key, &first);
		if (!end)
			return; /* the state change reports */
		solat_report(p, end->ts, end->ts - p->ts, end->ret);
		so_done(key);
		return;
	}
	now = bpf_ktime_get_ns();
	if (!p) {
		so_pend_fill(&tmp, s, id);
		p = &tmp;
	}
	solat_report(p, now, now - s->ts, ret);
	if (s->pending)
		so_done(key);
}

/* The error of a connect that ended in CLOSE. */
static __always_inline __s32 so_close_ret(struct sock *sk, bool btf)
{
	int err = TR_RD(btf, sk, sk_err);

	return err ? -err : SOLAT_CLOSED;
}

/* Runs for every TCP state change of the host. Only leaving SYN_SENT ends
 * a connect, claimed against nested runs (tr_nest_claim_rd). Any other
 * CLOSE forgets the socket's entry, if any (a connect whose end was
 * missed, or that went SYN_SENT -> SYN_RECV, a simultaneous open): that
 * needs no claim, both programs may delete. */
static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup,
				    bool btf)
{
	struct so_end end = {};
	struct so_pend *p;
	__u64 key = (__u64)sk;

	if (oldstate != TCP_SYN_SENT) {
		if (newstate == TCP_CLOSE && bpf_map_delete_elem(&so_pend, &key) == 0)
			bpf_map_delete_elem(&so_ends, &key);
		return 0;
	}
	if (newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE)
		return 0;
	if (!tr_nest_claim_rd(backup, btf))
		return 0;
	p = bpf_map_lookup_elem(&so_pend, &key);
	if (!p)
		return 0;
	end.ts = bpf_ktime_get_ns();
	end.ret = newstate == TCP_ESTABLISHED ? 0 : so_close_ret(sk, btf);
	if (!so_second_end(key, &end))
		return 0; /* connect() is still running: its exit reports */
	solat_report(p, end.ts, end.ts - p->ts, end.ret);
	so_done(key);
	return 0;
}

TR_STATE_PROGRAMS(soconnlat, on_state)
