/* soconnlat: connect latency as the application sees it, from connect()
 * to the socket connected or failed, blocking connects and non-blocking
 * ones alike; per connect, or --hist.
 *
 * Hooks: syscalls:sys_enter_connect and sys_exit_connect (classic
 * tracepoints, bpf/soconnpend.bpf.h: filters, and the connect kept by its
 * socket) and inet_sock_set_state (tp_btf, else raw_tp), where the socket
 * leaves SYN_SENT: ESTABLISHED, or CLOSE with the error in sk_err
 * (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...).
 *
 * No backup program for nested runs (bpf/netlens.bpf.h, "nested runs"), as
 * in the exporter's tcp collector: it ran at every state change of every
 * socket of the host, 10 a connection on a churn (both ends), ~70 ns each:
 * 22% of the tracer's cost (700 of 3,170 ns a connection). A connect whose
 * end the kernel skips (its state change in a softirq that interrupted this
 * program on the same CPU) is not reported; the run is counted in the
 * closing record's skipped_runs, and the entry goes at the socket's CLOSE
 * (when that run is skipped too, it stays: a table filled that way counts
 * dropped keys).
 *
 * Two ends meet per connect: connect() returning and the handshake ending.
 * A blocking connect() returns after the handshake, with its result; a
 * non-blocking one returns EINPROGRESS, usually before, but on loopback and
 * veth after (the handshake completes inside the call). Whichever comes
 * second reports: each end leaves its time and result in the socket's
 * so_pend entry and adds one to its count of ends there; the one whose
 * add finds one end already counted is the second. The add is an atomic
 * fetch-and-add (this object is built for BPF CPU v3, kernel 5.12+), a full
 * barrier: what the first end wrote before its add is seen by the second
 * after its own. (A second table keyed by socket did it before, with an
 * insert under its bucket lock: a lookup, an insert, a lookup and a delete
 * per connect.) When connect() returned its result (blocking), that is
 * reported, timed at the return; when it returned EINPROGRESS, the
 * handshake's end is, timed at the state change. */
#include "bpf/soconnpend.bpf.h"

/* This end of p's connect counted: true when it is the second. */
static __always_inline bool so_second_end(struct so_pend *p)
{
	return __sync_fetch_and_add(&p->ends, 1) != 0;
}

static __always_inline void so_on_exit(long ret, __u64 id, struct so_start *s)
{
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
		if (!so_second_end(p))
			return; /* the state change reports */
		solat_report(p, p->end_ts, p->end_ts - p->ts, p->end_ret);
		so_pend_forget(key);
		return;
	}
	now = bpf_ktime_get_ns();
	if (!p) {
		so_pend_fill(&tmp, s, id);
		p = &tmp;
	}
	solat_report(p, now, now - s->ts, ret);
	if (s->pending)
		so_pend_forget(key);
}

/* The error of a connect that ended in CLOSE. */
static __always_inline __s32 so_close_ret(struct sock *sk, bool btf)
{
	int err = TR_RD(btf, sk, sk_err);

	return err ? -err : SOLAT_CLOSED;
}

/* Runs for every TCP state change of the host. Only leaving SYN_SENT ends
 * a connect. Any other CLOSE forgets the socket's entry, if any (a connect
 * whose end was missed, or that went SYN_SENT -> SYN_RECV, a simultaneous
 * open). */
static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool btf)
{
	struct so_pend *p;
	__u64 key = (__u64)sk, now;
	__s32 ret;

	if (oldstate != TCP_SYN_SENT) {
		if (newstate == TCP_CLOSE)
			so_pend_forget(key);
		return 0;
	}
	if (newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE)
		return 0;
	p = bpf_map_lookup_elem(&so_pend, &key);
	if (!p)
		return 0;
	now = bpf_ktime_get_ns();
	ret = newstate == TCP_ESTABLISHED ? 0 : so_close_ret(sk, btf);
	p->end_ts = now;
	p->end_ret = ret;
	if (!so_second_end(p))
		return 0; /* connect() is still running: its exit reports */
	solat_report(p, now, now - p->ts, ret);
	so_pend_forget(key);
	return 0;
}

TR_PROGRAM_PAIR(soconnlat_state, inet_sock_set_state,
		(struct sock *sk, int oldstate, int newstate), on_state(sk, oldstate, newstate, btf))
