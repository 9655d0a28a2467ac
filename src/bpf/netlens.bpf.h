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

static __always_inline void nl_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&nl_lost, &zero);

	if (n)
		(*n)++;
}

static __always_inline void *nl_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&nl_events, size, 0);

	if (!e)
		nl_count_lost();
	return e;
}

/* Batched wake-ups: most events go in silently and the consumer, which also
 * polls on a short timer, drains them in batches; one wake-up per event is
 * what makes streaming tracers expensive. An event wakes the consumer when
 * none did for NL_WAKE_GAP_NS (so sparse events are seen at once and a busy
 * stream costs at most one wake-up per gap) or when the buffer fills. */
__u64 nl_last_wake = 0;

/* now: bpf_ktime_get_ns() read by the caller moments ago (one clock read
 * less per event). */
static __always_inline void nl_submit_at(void *e, __u64 now)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (now - nl_last_wake >= NL_WAKE_GAP_NS ||
	    bpf_ringbuf_query(&nl_events, BPF_RB_AVAIL_DATA) >= nl_filter.wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		nl_last_wake = now; /* racy across CPUs: at worst an extra wake-up */
	}
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void nl_submit(void *e)
{
	nl_submit_at(e, bpf_ktime_get_ns());
}

/* ---- reading kernel memory ----
 * A tp_btf program's arguments are BTF-typed pointers: it reads fields with
 * plain loads (the verifier makes them fault-safe) and follows pointers the
 * same way. A raw_tp program, and anything reached through a scalar (a
 * socket found through a file descriptor, say), reads with
 * bpf_probe_read_kernel(), a helper call per field: three to four times the
 * cost of an event on the busiest hooks. Readers below take `btf`, a
 * constant at every call site (the program kind), and pick the cheap way
 * when they can. NL_RD(btf, src, a, b...) reads src->a->b... either way.
 *
 * The verifier types a BTF pointer by its declaration, not by casts: the
 * fields of struct tcp_sock (and the inet_sock inside it) are reached
 * through nl_tcp_sk(), which asks the kernel (bpf_skc_to_tcp_sock) in a
 * tp_btf program; it is NULL for anything but a full TCP socket.
 *
 * Load time: for every load of a pointer field through a BTF pointer, the
 * verifier looks the pointed-to type's "__safe_trusted" variants up by name
 * in the whole kernel BTF (btf_nested_type_is_trusted(), a linear search:
 * about 1 ms each here, per load site and path). So plain loads are for
 * scalar fields; pointer chains (netns, cgroup, task fields) go through
 * BPF_CORE_READ() in both kinds, which the verifier does not walk. */
#define NL_RD(btf, src, a, ...)                                                        \
	((btf) ? ___arrow((src), a, ##__VA_ARGS__) : BPF_CORE_READ(src, a, ##__VA_ARGS__))

static __always_inline struct tcp_sock *nl_tcp_sk(struct sock *sk, bool btf)
{
	return btf ? bpf_skc_to_tcp_sock(sk) : (struct tcp_sock *)sk;
}

/* ---- nested runs ----
 * The kernel runs a tp_btf/raw_tp program at most once per CPU at a time
 * (__bpf_trace_run's per-program "active" count): when a softirq interrupts
 * the program while it runs in process context and fires the same
 * tracepoint, that nested run is skipped and only counted (the program's
 * recursion_misses). inet_sock_set_state fires in both contexts, so a socket
 * whose ACK arrives in a softirq (a delayed-ACK timer on the tick, say)
 * while the program handles another socket's close() loses its FIN_WAIT2
 * and CLOSE events.
 *
 * Remedy: each handler runs as two programs on the same tracepoint, the
 * primary attached first, the backup after it (probes of equal priority run
 * in registration order). Per CPU and context level (0: on the task's stack,
 * 1: on an interrupt stack, where softirqs run), the primary marks "done";
 * the backup, at the same level, finds "done" and clears it when the
 * primary ran, and handles the event itself when it did not, which happens
 * only when the primary was skipped for running at the level below. The two
 * are never active together at one level, so every event is handled once.
 * Both call nl_nest_claim() after their side-effect-free filters (identical
 * in both, and blind to what the primary changes) and before anything else.
 */
struct nl_nest {
	__u8 done[2];
	__u8 _pad[6];
	__u64 recovered;  /* events the backup handled */
	__u64 stack_size; /* THREAD_SIZE + guard page, once read */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_nest);
} nl_nest SEC(".maps");

/* 0 when the tracepoint runs on the current task's stack (process context,
 * ksoftirqd), 1 elsewhere (softirqs run on the per-CPU interrupt stack:
 * CONFIG_SOFTIRQ_ON_OWN_STACK on x86-64 and arm64), -1 when unknown: the
 * backup then stays idle. The kernel stack is found through current->bpf_ctx,
 * which __bpf_trace_run points at its own stack frame (kernels >= 6.10,
 * those with bpf_raw_tp_link.cookie); the program's own locals may live on
 * a per-CPU private stack, and per-CPU variables such as __preempt_count are
 * out of reach (the verifier resolves them through kallsyms, which lacks
 * them without CONFIG_KALLSYMS_ALL). */
static __always_inline int nl_ctx_level(struct nl_nest *n)
{
#if defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)
	/* probe reads even in tp_btf programs: task_struct pointer fields are
	 * costly to verify as plain loads ("reading kernel memory") */
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 base, frame;

	if (!bpf_core_field_exists(struct bpf_raw_tp_link, cookie))
		return -1;
	if (!n->stack_size) {
		if (bpf_core_field_exists(t->stack_vm_area))
			n->stack_size = BPF_CORE_READ(t, stack_vm_area, size);
		if (!n->stack_size)
			n->stack_size = 16384;
	}
	frame = (__u64)BPF_CORE_READ(t, bpf_ctx);
	base = (__u64)BPF_CORE_READ(t, stack);
	if (!frame || !base)
		return -1;
	return frame - base < n->stack_size ? 0 : 1;
#else
	return -1;
#endif
}

/* A level-1 "done" left over when the backup itself was the skipped one
 * (it ran in process context when the softirq came) must not outlive that
 * softirq: the backup clears it on exit, whatever its filters decided. */
static __always_inline void nl_nest_clear_upper(void)
{
	__u32 zero = 0;
	struct nl_nest *n = bpf_map_lookup_elem(&nl_nest, &zero);

	if (n)
		n->done[1] = 0;
}

/* True when this program is to handle the event. btf: a tp_btf program
 * (see "reading kernel memory"). */
static __always_inline bool nl_nest_claim_rd(bool backup, bool btf)
{
	__u32 zero = 0;
	struct nl_nest *n = bpf_map_lookup_elem(&nl_nest, &zero);
	int lvl;

	if (!n)
		return !backup;
	lvl = nl_ctx_level(n);
	if (lvl < 0)
		return !backup;
	if (!backup) {
		if (lvl == 0)
			n->done[0] = 1;
		else
			n->done[1] = 1;
		return true;
	}
	if (lvl == 0 ? n->done[0] : n->done[1]) {
		if (lvl == 0)
			n->done[0] = 0;
		else
			n->done[1] = 0;
		return false;
	}
	n->recovered++;
	return true;
}

static __always_inline bool nl_nest_claim(bool backup)
{
	return nl_nest_claim_rd(backup, false);
}

/* The four programs of one inet_sock_set_state handler: primary and backup,
 * each as tp_btf and raw_tp. handler(sk, oldstate, newstate, backup, btf)
 * calls nl_nest_claim_rd(backup, btf); btf is true in the tp_btf programs
 * (see "reading kernel memory"). The tracer lists NAME_state_{btf,raw} as
 * the hook and NAME_state_{btf,raw}_nest as the optional hook after it. */
#define NL_STATE_PROGRAMS_RD(name, handler)                                           \
	SEC("tp_btf/inet_sock_set_state")                                              \
	int BPF_PROG(name##_state_btf, struct sock *sk, int oldstate, int newstate)    \
	{                                                                              \
		return handler(sk, oldstate, newstate, false, true);                   \
	}                                                                              \
	SEC("raw_tp/inet_sock_set_state")                                              \
	int BPF_PROG(name##_state_raw, struct sock *sk, int oldstate, int newstate)    \
	{                                                                              \
		return handler(sk, oldstate, newstate, false, false);                  \
	}                                                                              \
	SEC("tp_btf/inet_sock_set_state")                                              \
	int BPF_PROG(name##_state_btf_nest, struct sock *sk, int oldstate, int newstate) \
	{                                                                              \
		handler(sk, oldstate, newstate, true, true);                           \
		nl_nest_clear_upper();                                                 \
		return 0;                                                              \
	}                                                                              \
	SEC("raw_tp/inet_sock_set_state")                                              \
	int BPF_PROG(name##_state_raw_nest, struct sock *sk, int oldstate, int newstate) \
	{                                                                              \
		handler(sk, oldstate, newstate, true, false);                          \
		nl_nest_clear_upper();                                                 \
		return 0;                                                              \
	}

/* The same for handler(sk, oldstate, newstate, backup), which reads through
 * bpf_probe_read_kernel() in both program kinds. */
#define NL_STATE_PROGRAMS(name, handler)                                              \
	static __always_inline int name##_state_any(struct sock *sk, int oldstate,     \
						    int newstate, bool backup, bool btf) \
	{                                                                              \
		return handler(sk, oldstate, newstate, backup);                        \
	}                                                                              \
	NL_STATE_PROGRAMS_RD(name, name##_state_any)

/* ---- sockets ---- */

static __always_inline bool nl_sk_is_tcp_rd(struct sock *sk, bool btf)
{
	return NL_RD(btf, sk, sk_protocol) == NL_IPPROTO_TCP;
}

/* Pointer chains read through bpf_probe_read_kernel() in both kinds: see
 * "reading kernel memory" on the verifier's cost of loading pointers. */
static __always_inline __u32 nl_sk_netns_rd(struct sock *sk, bool btf)
{
	(void)btf;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u64 nl_sk_cgroup_rd(struct sock *sk, bool btf)
{
	(void)btf;
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* tp: nl_tcp_sk(sk, btf) when the caller has it (NULL: look it up). */
static __always_inline void nl_read_tuple_rd(struct sock *sk, struct tcp_sock *tp,
					     struct nl_tuple *t, bool btf)
{
	t->family = NL_RD(btf, sk, __sk_common.skc_family);
	/* inet_sport outlives skc_num, which inet_put_port() clears on close */
	if (btf) {
		if (!tp)
			tp = bpf_skc_to_tcp_sock(sk);
		t->sport = tp ? bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport) : 0;
	} else {
		t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	}
	if (!t->sport)
		t->sport = NL_RD(btf, sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(NL_RD(btf, sk, __sk_common.skc_dport));
	if (t->family == NL_AF_INET6) {
		if (btf) {
			__builtin_memcpy(t->saddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(t->daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		} else {
			BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
			BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	} else {
		*(__u32 *)t->saddr = NL_RD(btf, sk, __sk_common.skc_rcv_saddr);
		*(__u32 *)t->daddr = NL_RD(btf, sk, __sk_common.skc_daddr);
	}
}

/* The same through bpf_probe_read_kernel(), for pointers of any origin. */
static __always_inline bool nl_sk_is_tcp(const struct sock *sk)
{
	return nl_sk_is_tcp_rd((struct sock *)sk, false);
}

static __always_inline __u32 nl_sk_netns(const struct sock *sk)
{
	return nl_sk_netns_rd((struct sock *)sk, false);
}

static __always_inline __u64 nl_sk_cgroup(const struct sock *sk)
{
	return nl_sk_cgroup_rd((struct sock *)sk, false);
}

static __always_inline void nl_read_tuple(const struct sock *sk, struct nl_tuple *t)
{
	nl_read_tuple_rd((struct sock *)sk, NULL, t, false);
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
static __always_inline bool nl_want_sock_rd(struct sock *sk, __u16 family, bool btf)
{
	if (family != NL_AF_INET && family != NL_AF_INET6)
		return false;
	if (nl_filter.family && family != nl_filter.family)
		return false;
	if (nl_filter.netns && nl_sk_netns_rd(sk, btf) != nl_filter.netns)
		return false;
	if (nl_filter.cgroup && nl_sk_cgroup_rd(sk, btf) != nl_filter.cgroup)
		return false;
	return true;
}

static __always_inline bool nl_want_sock(const struct sock *sk, __u16 family)
{
	return nl_want_sock_rd((struct sock *)sk, family, false);
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

/* o NULL: no owner (PID 0, empty command). */
static __always_inline void nl_hdr_set_owner(struct nl_hdr *h, const struct nl_owner *o)
{
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

static __always_inline void nl_fill_hdr_rd(struct nl_hdr *h, struct sock *sk,
					   const struct nl_owner *o, __u64 now, bool btf)
{
	h->ts_ns = now;
	h->netns = nl_sk_netns_rd(sk, btf);
	h->cgroup = nl_sk_cgroup_rd(sk, btf);
	h->_pad = 0;
	nl_hdr_set_owner(h, o);
}

static __always_inline void nl_fill_hdr(struct nl_hdr *h, const struct sock *sk,
					const struct nl_owner *o, __u64 now)
{
	nl_fill_hdr_rd(h, (struct sock *)sk, o, now, false);
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
/* tp_btf programs: a plain load instead of a helper call */
static __always_inline long nl_syscall_nr_btf(struct pt_regs *regs)
{
	return regs->orig_ax;
}
#elif defined(__TARGET_ARCH_arm64)
#define NL_NR_ACCEPT  202
#define NL_NR_ACCEPT4 242
static __always_inline long nl_syscall_nr(struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, syscallno);
}
static __always_inline long nl_syscall_nr_btf(struct pt_regs *regs)
{
	return regs->syscallno;
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

/* sys_exit of accept/accept4 -> the accepted TCP socket, else NULL. sys_exit
 * runs for every system call: btf (a tp_btf program) reads the syscall
 * number with a plain load instead of a helper call. */
static __always_inline struct sock *nl_accepted_sock(struct pt_regs *regs, long ret, bool btf)
{
	long nr;

	if (ret < 0)
		return NULL;
	nr = btf ? nl_syscall_nr_btf(regs) : nl_syscall_nr(regs);
	if (nr != NL_NR_ACCEPT && nr != NL_NR_ACCEPT4)
		return NULL;
	return nl_fd_tcp_sock(ret);
}

/* The two sys_exit programs of one handler(regs, ret, btf): NAME_accept_btf
 * and NAME_accept_raw. sys_exit runs for every system call of every process
 * (~80-120 ns a run): tracers that only need accepted sockets should use
 * NL_ACCEPTED_SOCK_PROGRAMS. */
#define NL_ACCEPT_PROGRAMS(name, handler)                                             \
	SEC("tp_btf/sys_exit")                                                         \
	int BPF_PROG(name##_accept_btf, struct pt_regs *regs, long ret)                \
	{                                                                              \
		return handler(regs, ret, true);                                       \
	}                                                                              \
	SEC("raw_tp/sys_exit")                                                         \
	int BPF_PROG(name##_accept_raw, struct pt_regs *regs, long ret)                \
	{                                                                              \
		return handler(regs, ret, false);                                      \
	}

/* The programs of one accept() handler, handler(sk) with sk the accepted TCP
 * socket, in the accepting process's context:
 *   NAME_accept4_tp, NAME_accept_tp: the classic tracepoints
 *     syscalls:sys_exit_accept4 and sys_exit_accept, which fire for those
 *     system calls only (libbpf finds them through tracefs);
 *   NAME_accept_btf, NAME_accept_raw: sys_exit, as above.
 * Hooks: TRACE_ACCEPT_HOOKS(NAME) in trace.h. */
struct nl_syscall_exit {
	__u64 common;
	int nr;
	long ret;
};

#define NL_ACCEPTED_SOCK_PROGRAMS(name, handler)                                      \
	SEC("tracepoint/syscalls/sys_exit_accept4")                                    \
	int name##_accept4_tp(struct nl_syscall_exit *ctx)                            \
	{                                                                              \
		struct sock *sk = ctx->ret >= 0 ? nl_fd_tcp_sock(ctx->ret) : NULL;     \
		return sk ? handler(sk) : 0;                                           \
	}                                                                              \
	SEC("tracepoint/syscalls/sys_exit_accept")                                     \
	int name##_accept_tp(struct nl_syscall_exit *ctx)                             \
	{                                                                              \
		struct sock *sk = ctx->ret >= 0 ? nl_fd_tcp_sock(ctx->ret) : NULL;     \
		return sk ? handler(sk) : 0;                                           \
	}                                                                              \
	SEC("tp_btf/sys_exit")                                                         \
	int BPF_PROG(name##_accept_btf, struct pt_regs *regs, long ret)                \
	{                                                                              \
		struct sock *sk = nl_accepted_sock(regs, ret, true);                   \
		return sk ? handler(sk) : 0;                                           \
	}                                                                              \
	SEC("raw_tp/sys_exit")                                                         \
	int BPF_PROG(name##_accept_raw, struct pt_regs *regs, long ret)                \
	{                                                                              \
		struct sock *sk = nl_accepted_sock(regs, ret, false);                  \
		return sk ? handler(sk) : 0;                                           \
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
