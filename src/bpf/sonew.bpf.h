/* The programs of sofamily and soprotocol (one source, two objects): new
 * sockets, accepted and connected, counted in the kernel per process and
 * kind of socket (SONEW_BY_PROTOCOL: family, type and protocol; else the
 * family).
 *
 * Hooks: the classic tracepoints syscalls:sys_exit_accept4 and
 * sys_exit_accept (the new descriptor leads to the new socket), and
 * sys_enter_connect (the socket, from the descriptor, kept in the
 * thread's local storage) with sys_exit_connect (the result). They run for
 * those system calls only.
 * Counted: accepts that returned a socket, connects that returned 0 or
 * EINPROGRESS (a non-blocking connect under way). A connect() to AF_UNSPEC
 * (dissolving a datagram socket's association) is no new connection and
 * is not counted.
 *
 * SONEW(name) names the programs after the tracer (sofamily_..., ...). */
#include "bpf/netlens.bpf.h"
#include "bpf/sofd.bpf.h"
#include "bpf/socount.bpf.h"
#include "bpf/sonew.h"

#define SO_EINPROGRESS 115
#define SO_AF_UNSPEC   0

/* The connect() in progress on a thread, in the thread's own local storage:
 * no hashing, no key, no table to fill; the kernel frees it with the
 * thread. */
struct so_connecting {
	struct sonew_key k;
	__u64 pending; /* between sys_enter_connect and sys_exit_connect */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct so_connecting);
} so_connects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct sonew_key);
	__type(value, struct sonew_val);
} counts SEC(".maps");

/* The socket's kind into k, after the socket filters (--netns, --cgroup);
 * false when they leave it out. */
static __always_inline bool so_kind(struct sonew_key *k, struct socket *so)
{
	struct sock *sk = so ? so->sk : NULL;

	if (!sk)
		return false;
	if (tr_filter.netns && sk->__sk_common.skc_net.net->ns.inum != tr_filter.netns)
		return false;
	if (tr_filter.cgroup && sk->sk_cgrp_data.cgroup->kn->id != tr_filter.cgroup)
		return false;
	k->family = sk->__sk_common.skc_family;
#ifdef SONEW_BY_PROTOCOL
	if (k->family == TR_AF_INET6)
		k->family = TR_AF_INET;
	k->type = so->type;
	k->protocol = sk->sk_protocol;
#endif
	return true;
}

/* One more new socket of kind k for the calling thread (id). */
static __always_inline void so_count(struct sonew_key *k, __u64 id, bool accepted)
{
	struct sonew_val *v;

	k->pid = id >> 32;
	tr_current_comm(k->comm, true);
	v = tr_map_lookup_or_zero(&counts, k);
	if (!v)
		return; /* a full table: counted in tr_dropped_keys */
	if (accepted)
		__sync_fetch_and_add(&v->accept, 1);
	else
		__sync_fetch_and_add(&v->connect, 1);
}

static __always_inline int on_accept_exit(struct tr_syscall_exit *ctx)
{
	struct sonew_key k = {};

	if (ctx->ret < 0 || !so_want_caller())
		return 0;
	if (so_kind(&k, so_fd_socket(ctx->ret)))
		so_count(&k, bpf_get_current_pid_tgid(), true);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int SONEW(accept4_exit)(struct tr_syscall_exit *ctx) { return on_accept_exit(ctx); }
SEC("tracepoint/syscalls/sys_exit_accept")
int SONEW(accept_exit)(struct tr_syscall_exit *ctx) { return on_accept_exit(ctx); }

SEC("tracepoint/syscalls/sys_enter_connect")
int SONEW(connect_enter)(struct so_enter_connect *ctx)
{
	struct so_connecting *c;
	struct sonew_key k = {};
	__u16 safamily = SO_AF_UNSPEC;

	if (!so_want_caller())
		return 0;
	if (ctx->addrlen >= (long)sizeof(safamily))
		bpf_probe_read_user(&safamily, sizeof(safamily), ctx->uservaddr);
	if (safamily == SO_AF_UNSPEC)
		return 0; /* a disconnect, or no address: no new connection */
	if (!so_kind(&k, so_fd_socket(ctx->fd)))
		return 0;
	c = bpf_task_storage_get(&so_connects, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		tr_count_dropped_key(); /* no memory for it */
		return 0;
	}
	c->k = k;
	c->pending = 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int SONEW(connect_exit)(struct tr_syscall_exit *ctx)
{
	struct so_connecting *c =
		bpf_task_storage_get(&so_connects, bpf_get_current_task_btf(), 0, 0);

	if (!c || !c->pending)
		return 0;
	c->pending = 0;
	if (ctx->ret == 0 || ctx->ret == -SO_EINPROGRESS)
		so_count(&c->k, bpf_get_current_pid_tgid(), false);
	return 0;
}
