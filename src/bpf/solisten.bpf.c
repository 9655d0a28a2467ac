/* solisten: listen() calls with the backlog asked for and the one the
 * kernel applied (min(backlog, net.core.somaxconn) of the socket's network
 * namespace: sk_max_ack_backlog once the call returns).
 *
 * Hooks: the classic tracepoints syscalls:sys_enter_listen (the backlog,
 * kept per thread) and sys_exit_listen (the socket from the descriptor,
 * filters, event). */
#include "bpf/netlens.bpf.h"
#include "bpf/solisten.h"
#include "bpf/sofd.bpf.h"
#include "bpf/sounix.bpf.h"

struct so_listen_start {
	__s32 fd;
	__s32 backlog;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct so_listen_start);
} so_listens SEC(".maps");

struct so_enter_listen {
	__u64 common;
	int nr;
	long fd;
	long backlog;
};

SEC("tracepoint/syscalls/sys_enter_listen")
int solisten_enter(struct so_enter_listen *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct so_listen_start s = { .fd = ctx->fd, .backlog = ctx->backlog };

	if (!so_want_current(id))
		return 0;
	tr_map_update(&so_listens, &id, &s, BPF_ANY); /* a full table: counted */
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int solisten_exit(struct tr_syscall_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct so_listen_start *s = bpf_map_lookup_elem(&so_listens, &id);
	struct solisten_event *e;
	struct socket *so;
	struct sock *sk = NULL;
	__u32 netns = 0;
	__u64 cgroup = 0;
	__u16 family = 0, port = 0;

	if (!s)
		return 0;
	so = so_fd_socket(s->fd);
	if (so)
		sk = so->sk;
	if (sk) {
		family = sk->__sk_common.skc_family;
		port = sk->__sk_common.skc_num;
		netns = sk->__sk_common.skc_net.net->ns.inum;
		cgroup = sk->sk_cgrp_data.cgroup->kn->id;
	}
	if (tr_filter.family && family != tr_filter.family)
		goto out;
	if (tr_filter.netns && netns != tr_filter.netns)
		goto out;
	if (tr_filter.cgroup && cgroup != tr_filter.cgroup)
		goto out;
	if ((tr_filter.nports || tr_filter.nlports) && !tr_want_ports(port, 0))
		goto out;
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	so_fill_hdr(&e->h, id, bpf_ktime_get_ns(), netns, cgroup);
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->ret = ctx->ret;
	e->fd = s->fd;
	e->backlog = s->backlog;
	e->applied = 0;
	e->family = family;
	e->port = port;
	e->protocol = 0;
	e->sotype = 0;
	e->_pad = 0;
	e->salen = 0;
	__builtin_memset(e->_pad2, 0, sizeof(e->_pad2));
	if (sk) {
		e->applied = sk->sk_max_ack_backlog;
		e->protocol = sk->sk_protocol;
		e->sotype = so->type;
		if (family == TR_AF_INET6)
			__builtin_memcpy(e->addr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		else if (family == TR_AF_INET)
			*(__u32 *)e->addr = sk->__sk_common.skc_rcv_saddr;
		else if (family == TR_AF_UNIX)
			e->salen = so_unix_name(sk, e->sa);
	}
	tr_submit_at(e, e->h.ts_ns);
out:
	bpf_map_delete_elem(&so_listens, &id);
	return 0;
}
