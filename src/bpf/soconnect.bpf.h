/* The connect() programs of soconnect and udpconnect (one source, two
 * objects): sys_enter_connect copies the destination from user memory and
 * keeps it per thread with the start time; sys_exit_connect adds the
 * result and latency and streams the event or counts it.
 *
 * Hooks: the classic tracepoints syscalls:sys_enter_connect and
 * sys_exit_connect, which run for connect() only (raw_tp/sys_enter would
 * cost every system call on the host). Every filter runs at entry, so a
 * connect that is filtered out costs no map entry.
 *
 * --stacks (soconnect and soconnlat, want_ustack): the entry counts the
 * call by process and user stack (bpf_get_stackid with BPF_F_USER_STACK)
 * in stack_counts and keeps nothing else: the exit finds no start.
 *
 * SO_UDP_ONLY (udpconnect): UDP sockets only.
 * SO_TCP_ONLY (soconnlat, so1stbyte, through bpf/soconnpend.bpf.h): TCP
 * sockets only; the entry also keeps the socket, its state and whether it
 * is non-blocking, and hands the start to so_on_enter(); the exit hands
 * the result to so_on_exit() instead of streaming or counting it. */
#include "bpf/netlens.bpf.h"
#include "bpf/soconnect.h"
#include "bpf/sofd.bpf.h"

struct so_start {
	__u64 ts;
	__u64 cgroup;
	__u32 netns;
	__s32 fd;
	__u16 addrlen;
	__u16 protocol;
	__u8 sotype;
	__u8 nonblock;      /* SO_TCP_ONLY: the file had O_NONBLOCK */
	__u8 sk_state;      /* SO_TCP_ONLY: the socket's TCP state at entry */
	__u8 pending;       /* SO_TCP_ONLY: so_on_enter() keeps the connect */
	__u64 sk;           /* SO_TCP_ONLY: the socket */
	__u8 sa[SO_SA_MAX];
};

#ifdef SO_TCP_ONLY
static __always_inline void so_on_enter(struct so_start *s);
static __always_inline void so_on_exit(long ret, __u64 id, struct so_start *s);
#endif

/* The connect() in progress on a thread (ts 0: none), in the thread's
 * own storage: made at its first connect and reused by the next ones,
 * freed with the thread. A hash keyed by thread cost an insert and a
 * delete per call, ~250 ns of the entry's ~600 (measured with 100,000
 * refused connects); the storage, once made, is a pointer in the task. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct so_start);
} so_starts SEC(".maps");

#ifndef SO_TCP_ONLY
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct soconnect_key);
	__type(value, struct soconnect_val);
} counts SEC(".maps");
#endif

/* --stacks: user stacks, and connects counted per (pid, comm, stack). The
 * stack map has one entry unless user space sizes it for --stacks. */
const volatile bool want_ustack = false;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, SO_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

TR_INTERVAL_TABLE(stack_counts, struct so_stack_key, __u64, 10240);

/* A stack that could not be kept (a collision in the stack map, EEXIST, or
 * no readable user stack, EFAULT) is counted under its -errno as stack id:
 * the call is counted all the same and the summary says why it has no
 * frames. A full stack_counts counts a dropped key. */
static __always_inline void so_count_stack(void *ctx, __u64 id)
{
	struct so_stack_key k;
	__u64 *n;

	__builtin_memset(&k, 0, sizeof(k));
	k.pid = id >> 32;
	k.stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	tr_current_comm(k.comm, true);
	n = tr_table_lookup_or_zero(stack_counts, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* -U: UNIX-domain connects only (the family filter's third value). */
#define SO_AF_UNIX 1

SEC("tracepoint/syscalls/sys_enter_connect")
int soconnect_enter(struct so_enter_connect *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct so_start s, *start;
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;
	__u32 len;
	__u16 family;

	if (!so_want_current(id))
		return 0;
	__builtin_memset(&s, 0, sizeof(s));
	len = ctx->addrlen < 0 ? 0 : ctx->addrlen > SO_SA_MAX ? SO_SA_MAX : ctx->addrlen;
	if (len > 0 && len <= SO_SA_MAX)
		bpf_probe_read_user(s.sa, len, ctx->uservaddr);
	family = *(__u16 *)s.sa;
	if (tr_filter.family && family != tr_filter.family)
		return 0;
	if (tr_filter.nports || tr_filter.nrports) {
		/* the destination port: sin_port and sin6_port sit alike */
		__u16 port = bpf_ntohs(*(__u16 *)&s.sa[2]);
		if (family != TR_AF_INET && family != TR_AF_INET6)
			return 0;
		if (!tr_want_ports(0, port))
			return 0;
	}
	so = so_fd_socket_file(ctx->fd, &f);
	sk = so ? so->sk : NULL;
	if (sk) {
		s.sotype = so->type;
		s.protocol = sk->sk_protocol;
		s.netns = sk->__sk_common.skc_net.net->ns.inum;
		if (tr_filter.cgroup || !tr_filter.summary)
			s.cgroup = sk->sk_cgrp_data.cgroup->kn->id;
	}
#ifdef SO_UDP_ONLY
	if (s.sotype != 2 /* SOCK_DGRAM */ || s.protocol != 17 /* IPPROTO_UDP */)
		return 0;
#endif
#ifdef SO_TCP_ONLY
	if (!sk || s.sotype != TR_SOCK_STREAM || s.protocol != TR_IPPROTO_TCP)
		return 0;
	if (family != TR_AF_INET && family != TR_AF_INET6)
		return 0; /* AF_UNSPEC disconnects */
#endif
	if (tr_filter.netns && s.netns != tr_filter.netns)
		return 0;
	if (tr_filter.cgroup && s.cgroup != tr_filter.cgroup)
		return 0;
	if (want_ustack) {
		so_count_stack(ctx, id);
		return 0;
	}
	s.fd = ctx->fd;
	s.addrlen = ctx->addrlen < 0 ? 0 : ctx->addrlen > 0xffff ? 0xffff : ctx->addrlen;
	s.ts = bpf_ktime_get_ns();
#ifdef SO_TCP_ONLY
	s.sk = (__u64)sk;
	s.sk_state = sk->__sk_common.skc_state;
	s.nonblock = f && (f->f_flags & 04000 /* O_NONBLOCK */);
	so_on_enter(&s);
#endif
	start = bpf_task_storage_get(&so_starts, bpf_get_current_task_btf(), 0,
				     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (start)
		__builtin_memcpy(start, &s, sizeof(s));
	else
		tr_count_dropped_key(); /* no memory for it */
	return 0;
}

#ifndef SO_TCP_ONLY
/* The bytes of a sockaddr that name a destination: sin_zero and
 * sin6_flowinfo are left out of the count key. */
static __always_inline void so_key_addr(struct soconnect_key *k, const struct so_start *s)
{
	__u16 family = *(__u16 *)s->sa;

	if (family == TR_AF_INET) {
		__builtin_memcpy(k->sa, s->sa, 8);
	} else if (family == TR_AF_INET6) {
		__builtin_memcpy(k->sa, s->sa, 4);
		__builtin_memcpy(&k->sa[8], &s->sa[8], 20);
	} else {
		__builtin_memcpy(k->sa, s->sa, SO_SA_MAX);
		k->addrlen = s->addrlen;
	}
}

/* soconnect, udpconnect: the call's event, or its count with -c. */
static __always_inline void so_on_exit(long ret, __u64 id, struct so_start *s)
{
	__u64 now = bpf_ktime_get_ns();
	struct soconnect_event *e;

	if (tr_filter.summary) {
		struct soconnect_key k;
		struct soconnect_val *v;
		__builtin_memset(&k, 0, sizeof(k));
		tr_current_comm(k.comm, true);
		k.ret = ret;
		so_key_addr(&k, s);
		v = tr_map_lookup_or_zero(&counts, &k);
		if (v) {
			__sync_fetch_and_add(&v->count, 1);
			__sync_fetch_and_add(&v->lat_ns, now - s->ts);
		}
		return;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return;
	so_fill_hdr(&e->h, id, now, s->netns, s->cgroup);
	e->lat_ns = now - s->ts;
	e->ret = ret;
	e->fd = s->fd;
	e->addrlen = s->addrlen;
	e->protocol = s->protocol;
	e->sotype = s->sotype;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	__builtin_memcpy(e->sa, s->sa, SO_SA_MAX);
	tr_submit_at(e, now);
}
#endif

SEC("tracepoint/syscalls/sys_exit_connect")
int soconnect_exit(struct tr_syscall_exit *ctx)
{
	struct so_start *s = bpf_task_storage_get(&so_starts, bpf_get_current_task_btf(), 0, 0);

	if (!s || !s->ts)
		return 0;
	so_on_exit(ctx->ret, bpf_get_current_pid_tgid(), s);
	s->ts = 0;
	return 0;
}
