/* The connect side of soconnlat and so1stbyte: soconnect's connect()
 * programs (bpf/soconnect.bpf.h, built with SO_TCP_ONLY: TCP sockets, every
 * filter at entry) that also keep each new connect in a table keyed by its
 * socket, so_pend, from connect()'s entry until the tracer's end of it
 * (the socket connected or failed; its first byte read), with what the
 * event needs then: the start time, the process that called connect()
 * (the end may come in softirq, where current is anyone), the destination
 * as passed, netns and cgroup. Then the event or the histogram
 * (solat_report()).
 *
 * Only a new connect is kept: the socket was CLOSE at entry (a second
 * connect() on a connecting or connected socket, EALREADY or EISCONN, is
 * not one). The entry is made at connect()'s entry, not at its exit,
 * because on loopback and veth the handshake ends inside the call (the
 * SYN-ACK or RST waits in the socket's backlog, processed when connect()
 * releases the socket), before sys_exit_connect. A table that is full
 * counts a dropped key and the connect goes untracked.
 *
 * The including tracer defines so_on_exit(ret, id, s) (see soconnect.bpf.h)
 * and removes its entries with so_pend_forget(). */
#ifndef NETLENS_BPF_SOCONNPEND_H
#define NETLENS_BPF_SOCONNPEND_H

#define SO_TCP_ONLY 1
#include "bpf/soconnect.bpf.h"
#include "bpf/solat.h"

#define SO_TCP_CLOSE 7 /* TCP_CLOSE */

/* --hist: what a histogram is kept per (SOLAT_BY_* bits) */
const volatile __u8 hist_by = SOLAT_BY_PROCESS;

struct so_pend {
	__u64 ts;           /* connect() entry */
	__u64 cgroup;
	struct tr_owner o;  /* the thread that called connect() */
	__u32 netns;
	__u16 addrlen;
	__u8 nonblock;
	__u8 _pad;
	__u8 sa[SOLAT_SA];
	/* soconnlat: the handshake's end (time, 0 or -errno or SOLAT_CLOSED)
	 * and how many of the connect's two ends came (see soconnlat.bpf.c) */
	__u64 end_ts;
	__s32 end_ret;
	__u32 ends;
};

/* socket -> its connect, from connect()'s entry to the tracer's end */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct so_pend);
} so_pend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct solat_hist_key);
	__type(value, struct solat_hist);
} hist SEC(".maps");

/* A connect() start as a so_pend (also for a connect reported from its
 * exit without an entry). id: bpf_get_current_pid_tgid() of the caller. */
static __always_inline void so_pend_fill(struct so_pend *p, const struct so_start *s, __u64 id)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->ts = s->ts;
	p->cgroup = s->cgroup;
	p->o.pid = id >> 32;
	p->o.tid = (__u32)id;
	tr_current_comm(p->o.comm, true);
	p->netns = s->netns;
	p->addrlen = s->addrlen;
	p->nonblock = s->nonblock;
	__builtin_memcpy(p->sa, s->sa, SOLAT_SA);
}

static __always_inline void so_on_enter(struct so_start *s)
{
	struct so_pend p;

	if (s->sk_state != SO_TCP_CLOSE)
		return; /* not a new connect: EALREADY, EISCONN, ... */
	so_pend_fill(&p, s, bpf_get_current_pid_tgid());
	if (tr_map_update(&so_pend, &s->sk, &p, BPF_ANY) == 0) /* a full table: counted */
		s->pending = 1;
}

/* True when connect() returned what the connect came to (connected, or
 * why not); false when it returned while the socket still connects:
 * EINPROGRESS (non-blocking, or SO_SNDTIMEO ran out), EINTR and the
 * ERESTART* codes sys_exit sees before signal delivery (a signal). */
static __always_inline bool so_connect_final(long ret)
{
	return ret != -115 /* EINPROGRESS */ && ret != -4 /* EINTR */ &&
	       (ret > -512 || ret < -516); /* ERESTARTSYS .. ERESTART_RESTARTBLOCK */
}

static __always_inline void so_pend_forget(__u64 key)
{
	bpf_map_delete_elem(&so_pend, &key);
}

/* The event (or the histogram's sample) of a connect p: lat_ns long, ended
 * with ret (0, -errno, SOLAT_CLOSED). now: bpf_ktime_get_ns(). */
static __always_inline void solat_report(const struct so_pend *p, __u64 now, __u64 lat_ns,
					 __s32 ret)
{
	struct solat_event *e;

	if (tr_filter.summary) {
		struct solat_hist_key k;
		struct solat_hist *h;
		__u16 family = *(__u16 *)p->sa;
		__u32 slot = tr_log2(lat_ns / 1000);

		__builtin_memset(&k, 0, sizeof(k));
		if (hist_by & SOLAT_BY_PROCESS) {
			k.pid = p->o.pid;
			__builtin_memcpy(k.comm, p->o.comm, TR_COMM_LEN);
		}
		if (hist_by & SOLAT_BY_DEST) {
			k.family = family;
			k.port = bpf_ntohs(*(__u16 *)&p->sa[2]);
			if (family == TR_AF_INET6)
				__builtin_memcpy(k.addr, &p->sa[8], 16);
			else
				__builtin_memcpy(k.addr, &p->sa[4], 4);
		}
		h = tr_map_lookup_or_zero(&hist, &k);
		if (!h)
			return;
		if (slot >= SOLAT_SLOTS)
			slot = SOLAT_SLOTS - 1;
		__sync_fetch_and_add(&h->slots[slot], 1);
		__sync_fetch_and_add(&h->count, 1);
		__sync_fetch_and_add(&h->sum_ns, lat_ns);
		if (ret)
			__sync_fetch_and_add(&h->failed, 1);
		return;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return;
	e->h.ts_ns = now;
	e->h.netns = p->netns;
	e->h.cgroup = p->cgroup;
	e->h._pad = 0;
	tr_hdr_set_owner(&e->h, &p->o);
	e->lat_ns = lat_ns;
	e->ret = ret;
	e->addrlen = p->addrlen;
	e->nonblock = p->nonblock;
	e->_pad = 0;
	__builtin_memcpy(e->sa, p->sa, SOLAT_SA);
	tr_submit_at(e, now);
}

#endif
