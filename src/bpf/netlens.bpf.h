/* BPF-side helpers shared by every tracer: the event ring buffer with
 * batched wake-ups and lost-event accounting, the common filters, reading a
 * socket's tuple/netns/cgroup with CO-RE, and the socket-owner map that
 * gives softirq-context events the right PID and command.
 *
 * Include once per .bpf.c, after defining NL_WANT_OWNERS if the tracer
 * needs socket owners.
 */
#ifndef NETLENS_BPF_H
#define NETLENS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/netlens.h"

#define NL_AF_INET     2
#define NL_AF_INET6    10
#define NL_IPPROTO_TCP 6
#define NL_SOCK_STREAM 1

char LICENSE[] SEC("license") = "GPL";

const volatile struct nl_filter nl_filter = {};

/* Event stream; user space sizes it (--ringbuf-size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);
} nl_events SEC(".maps");

/* Events dropped because the ring buffer was full, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nl_lost SEC(".maps");

static __always_inline void *nl_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&nl_events, size, 0);

	if (!e) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&nl_lost, &zero);
		if (n)
			(*n)++;
	}
	return e;
}

/* Batched wake-ups: the consumer polls on a short timer, so most events go
 * in silently; only a filling buffer wakes it at once. One wake-up per event
 * is what makes streaming tracers expensive. */
static __always_inline void nl_submit(void *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&nl_events, BPF_RB_AVAIL_DATA) >= nl_filter.wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* ---- sockets ---- */

static __always_inline bool nl_sk_is_tcp(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol) == NL_IPPROTO_TCP;
}

static __always_inline __u32 nl_sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u64 nl_sk_cgroup(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

static __always_inline void nl_read_tuple(const struct sock *sk, struct nl_tuple *t)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* inet_sport outlives skc_num, which inet_put_port() clears on close */
	t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (!t->sport)
		t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == NL_AF_INET6) {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
	}
}

/* ---- filters ---- */

static __always_inline bool nl_port_in(const volatile __u16 *list, __u8 n, __u16 port)
{
	for (int i = 0; i < NL_MAX_PORTS; i++) {
		if (i >= n)
			break;
		if (list[i] == port)
			return true;
	}
	return false;
}

/* Cheap socket-level filters first: family, netns, cgroup. */
static __always_inline bool nl_want_sock(const struct sock *sk, __u16 family)
{
	if (family != NL_AF_INET && family != NL_AF_INET6)
		return false;
	if (nl_filter.family && family != nl_filter.family)
		return false;
	if (nl_filter.netns && nl_sk_netns(sk) != nl_filter.netns)
		return false;
	if (nl_filter.cgroup && nl_sk_cgroup(sk) != nl_filter.cgroup)
		return false;
	return true;
}

static __always_inline bool nl_want_ports(__u16 lport, __u16 rport)
{
	if (nl_filter.nports && !nl_port_in(nl_filter.ports, nl_filter.nports, lport) &&
	    !nl_port_in(nl_filter.ports, nl_filter.nports, rport))
		return false;
	if (nl_filter.nlports && !nl_port_in(nl_filter.lports, nl_filter.nlports, lport))
		return false;
	if (nl_filter.nrports && !nl_port_in(nl_filter.rports, nl_filter.nrports, rport))
		return false;
	return true;
}

static __always_inline bool nl_want_task(__u32 pid, const char *comm)
{
	if (nl_filter.pid && pid != nl_filter.pid)
		return false;
	if (nl_filter.comm_set) {
		for (int i = 0; i < NL_COMM_LEN; i++) {
			if (comm[i] != nl_filter.comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/* ---- socket owners ----
 * Many TCP transitions run in softirq context, where "current" is whatever
 * task the interrupt landed on. The owner is recorded where the socket meets
 * its process: connect() (-> SYN_SENT) and listen() (-> LISTEN) run in
 * process context, and accept() is caught at syscall exit, where the new
 * descriptor leads to the socket. */
struct nl_owner {
	__u32 pid;
	__u32 tid;
	char comm[NL_COMM_LEN];
};

static __always_inline void nl_owner_current(struct nl_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->pid = id >> 32;
	o->tid = (__u32)id;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

static __always_inline void nl_fill_hdr(struct nl_hdr *h, const struct sock *sk,
					const struct nl_owner *o, __u64 now)
{
	h->ts_ns = now;
	h->netns = nl_sk_netns(sk);
	h->cgroup = nl_sk_cgroup(sk);
	h->_pad = 0;
	if (o) {
		h->pid = o->pid;
		h->tid = o->tid;
		__builtin_memcpy(h->comm, o->comm, NL_COMM_LEN);
	} else {
		h->pid = 0;
		h->tid = 0;
		__builtin_memset(h->comm, 0, NL_COMM_LEN);
	}
}

#ifdef NL_WANT_OWNERS
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct nl_owner);
} nl_owners SEC(".maps");

static __always_inline void nl_owner_set_current(const struct sock *sk)
{
	struct nl_owner o;
	__u64 key = (__u64)sk;

	nl_owner_current(&o);
	bpf_map_update_elem(&nl_owners, &key, &o, BPF_ANY);
}

static __always_inline struct nl_owner *nl_owner_get(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&nl_owners, &key);
}

static __always_inline void nl_owner_del(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&nl_owners, &key);
}
#endif

/* ---- accept(): syscall exit -> new fd -> socket ---- */

#if defined(__TARGET_ARCH_x86)
#define NL_NR_ACCEPT  43
#define NL_NR_ACCEPT4 288
static __always_inline long nl_syscall_nr(struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, orig_ax);
}
#elif defined(__TARGET_ARCH_arm64)
#define NL_NR_ACCEPT  202
#define NL_NR_ACCEPT4 242
static __always_inline long nl_syscall_nr(struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, syscallno);
}
#else
#error "netlens: add the accept/accept4 syscall numbers for this architecture"
#endif

/* The TCP socket behind descriptor fd of the current task, or NULL. */
static __always_inline struct sock *nl_fd_tcp_sock(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *so;
	struct sock *sk;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, type) != NL_SOCK_STREAM)
		return NULL;
	sk = BPF_CORE_READ(so, sk);
	if (!sk || !nl_sk_is_tcp(sk))
		return NULL;
	return sk;
}

/* sys_exit of accept/accept4 -> the accepted TCP socket, else NULL. */
static __always_inline struct sock *nl_accepted_sock(struct pt_regs *regs, long ret)
{
	long nr;

	if (ret < 0)
		return NULL;
	nr = nl_syscall_nr(regs);
	if (nr != NL_NR_ACCEPT && nr != NL_NR_ACCEPT4)
		return NULL;
	return nl_fd_tcp_sock(ret);
}

/* ---- histograms ---- */

static __always_inline __u32 nl_log2(__u64 v)
{
	__u32 r = 0;

	for (int i = 0; i < 63; i++) {
		if (v <= 1)
			break;
		v >>= 1;
		r++;
	}
	return r;
}

#endif
