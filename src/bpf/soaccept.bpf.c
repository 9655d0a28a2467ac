/* soaccept: accept()/accept4() calls: the process, the listener's
 * descriptor, the accepted peer and local port, the result and the time
 * the call took (the wait for a connection included).
 *
 * Hooks: the classic tracepoints syscalls:sys_enter_accept4/accept (start
 * time and listener descriptor per thread) and sys_exit_accept4/accept
 * (the new descriptor's socket, filters, event). */
#include "bpf/netlens.bpf.h"
#include "bpf/soaccept.h"
#include "bpf/sofd.bpf.h"
#include "bpf/sounix.bpf.h"

struct so_accept_start {
	__u64 ts; /* 0: no call in progress */
	__s32 fd;
	__u32 _pad;
};

/* The accept() in progress on a thread, in the thread's own storage (made
 * at its first accept, reused, freed with the thread): no insert and
 * delete per call, as a hash keyed by thread would cost (soconnect.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct so_accept_start);
} so_accepts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct soaccept_key);
	__type(value, struct soaccept_val);
} counts SEC(".maps");

/* The local address of sk (an accepted socket, or the listener of a failed
 * call) as a sockaddr into k. */
static __always_inline void key_local(struct soaccept_key *k, struct sock *sk, __u16 family)
{
	__u16 port = bpf_htons(sk->__sk_common.skc_num);

	if (family == TR_AF_INET) {
		*(__u16 *)k->sa = family;
		*(__u16 *)&k->sa[2] = port;
		*(__u32 *)&k->sa[4] = sk->__sk_common.skc_rcv_saddr;
		k->salen = 16;
	} else if (family == TR_AF_INET6) {
		*(__u16 *)k->sa = family;
		*(__u16 *)&k->sa[2] = port;
		__builtin_memcpy(&k->sa[8], sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		k->salen = 28;
	} else if (family == TR_AF_UNIX) {
		k->salen = so_unix_name(sk, k->sa);
	}
}

static __always_inline void count(struct sock *sk, __u16 family, int ret, __u64 lat_ns)
{
	struct soaccept_key k;
	struct soaccept_val *v;

	__builtin_memset(&k, 0, sizeof(k));
	tr_current_comm(k.comm, true);
	k.ret = ret < 0 ? ret : 0;
	if (sk)
		key_local(&k, sk, family);
	v = tr_map_lookup_or_zero(&counts, &k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		__sync_fetch_and_add(&v->lat_ns, lat_ns);
	}
}

struct so_enter_accept {
	__u64 common;
	int nr;
	long fd;
};

static __always_inline int on_enter(struct so_enter_accept *ctx)
{
	struct so_accept_start *s;

	if (!so_want_current(bpf_get_current_pid_tgid()))
		return 0;
	s = bpf_task_storage_get(&so_accepts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		tr_count_dropped_key(); /* no memory for it */
		return 0;
	}
	s->fd = ctx->fd;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_exit(struct tr_syscall_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	struct so_accept_start *s =
		bpf_task_storage_get(&so_accepts, bpf_get_current_task_btf(), 0, 0);
	struct soaccept_event *e;
	struct socket *so = NULL;
	struct sock *sk = NULL;
	struct tr_tuple t = {};
	__u32 netns = 0;
	__u64 cgroup = 0;

	if (!s || !s->ts)
		return 0;
	/* a failed accept has no new socket: the listener tells the netns */
	so = so_fd_socket(ctx->ret >= 0 ? ctx->ret : s->fd);
	if (so)
		sk = so->sk;
	if (sk) {
		netns = sk->__sk_common.skc_net.net->ns.inum;
		cgroup = sk->sk_cgrp_data.cgroup->kn->id;
		t.family = sk->__sk_common.skc_family;
		if (ctx->ret >= 0 && (t.family == TR_AF_INET || t.family == TR_AF_INET6)) {
			t.sport = sk->__sk_common.skc_num;
			t.dport = bpf_ntohs(sk->__sk_common.skc_dport);
			if (t.family == TR_AF_INET6) {
				__builtin_memcpy(t.saddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
				__builtin_memcpy(t.daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
			} else {
				*(__u32 *)t.saddr = sk->__sk_common.skc_rcv_saddr;
				*(__u32 *)t.daddr = sk->__sk_common.skc_daddr;
			}
		}
	}
	if (tr_filter.family && t.family != tr_filter.family)
		goto out;
	if (tr_filter.netns && netns != tr_filter.netns)
		goto out;
	if (tr_filter.cgroup && cgroup != tr_filter.cgroup)
		goto out;
	if ((tr_filter.nports || tr_filter.nlports || tr_filter.nrports) &&
	    !tr_want_ports(t.sport, t.dport))
		goto out;
	now = bpf_ktime_get_ns();
	if (tr_filter.summary) {
		count(sk, t.family, ctx->ret, now - s->ts);
		goto out;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	so_fill_hdr(&e->h, id, now, netns, cgroup);
	e->t = t;
	e->lat_ns = now - s->ts;
	e->ret = ctx->ret;
	e->fd = s->fd;
	e->salen = e->peer_salen = 0;
	e->_pad = 0;
	if (sk && t.family == TR_AF_UNIX) { /* a failed call's sk is the listener */
		struct sock *peer = ctx->ret >= 0 ? BPF_CORE_READ((struct unix_sock *)sk, peer) : NULL;

		e->salen = so_unix_name(sk, e->sa);
		if (peer)
			e->peer_salen = so_unix_name(peer, e->peer_sa);
	}
	tr_submit_at(e, now);
out:
	s->ts = 0;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int soaccept_enter4(struct so_enter_accept *ctx) { return on_enter(ctx); }
SEC("tracepoint/syscalls/sys_enter_accept")
int soaccept_enter(struct so_enter_accept *ctx) { return on_enter(ctx); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int soaccept_exit4(struct tr_syscall_exit *ctx) { return on_exit(ctx); }
SEC("tracepoint/syscalls/sys_exit_accept")
int soaccept_exit(struct tr_syscall_exit *ctx) { return on_exit(ctx); }
