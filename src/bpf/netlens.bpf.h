/* BPF-side helpers shared by every tracer: the event ring buffer with
 * batched wake-ups and lost-event accounting, the common filters, reading a
 * socket's tuple/netns/cgroup with CO-RE, and the socket-owner map that
 * gives softirq-context events the right PID and command.
 *
 * Include once per .bpf.c, after defining TR_WANT_OWNERS if the tracer
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

#define TR_AF_UNIX     1
#define TR_AF_INET     2
#define TR_AF_INET6    10
#define TR_IPPROTO_TCP 6
#define TR_SOCK_STREAM 1

char LICENSE[] SEC("license") = "GPL";

const volatile struct tr_filter tr_filter = {};

/* Event stream; user space sizes it (--ringbuf-size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);
} tr_events SEC(".maps");

/* Events dropped because the ring buffer was full, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tr_lost SEC(".maps");

static __always_inline void tr_count_lost_n(__u64 k)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&tr_lost, &zero);

	if (n)
		*n += k;
}

static __always_inline void tr_count_lost(void)
{
	tr_count_lost_n(1);
}

/* ---- kernel tables that fill ----
 * Every map a tracer keeps per key (counts, histograms, sessions, pending
 * connects) has a fixed size (--max-keys sets it before load). An update
 * that finds no room fails (E2BIG from a full hash map, ENOMEM from the
 * allocator) and whatever it would have held is lost: tr_map_update()
 * counts each such failure here, per CPU, and user space reports the sum
 * as {"dropped_keys": N}. EEXIST (BPF_NOEXIST on a key another CPU just
 * made) is no loss. Counting maps are plain hashes, not LRU: an LRU map
 * makes room by evicting an entry whose counts would then vanish unseen. */
#define TR_EEXIST 17

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tr_dropped_keys SEC(".maps");

static __always_inline void tr_count_dropped_key(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&tr_dropped_keys, &zero);

	if (n)
		(*n)++;
}

static __always_inline long tr_map_update(void *map, const void *key, const void *value,
					  __u64 flags)
{
	long err = bpf_map_update_elem(map, key, value, flags);

	if (err && err != -TR_EEXIST)
		tr_count_dropped_key();
	return err;
}

static __always_inline void *tr_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&tr_events, size, 0);

	if (!e)
		tr_count_lost();
	return e;
}

/* Batched wake-ups: most events go in silently and the consumer, which also
 * polls on a short timer, drains them in batches; one wake-up per event is
 * what makes streaming tracers expensive. An event wakes the consumer when
 * none did for TR_WAKE_GAP_NS (so sparse events are seen at once and a busy
 * stream costs at most one wake-up per gap) or when the buffer fills. */
__u64 tr_last_wake = 0;

/* now: bpf_ktime_get_ns() read by the caller moments ago (one clock read
 * less per event). */
static __always_inline __u64 tr_wake_flags(__u64 now)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (now - tr_last_wake >= TR_WAKE_GAP_NS ||
	    bpf_ringbuf_query(&tr_events, BPF_RB_AVAIL_DATA) >= tr_filter.wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		tr_last_wake = now; /* racy across CPUs: at worst an extra wake-up */
	}
	return flags;
}

static __always_inline void tr_submit_at(void *e, __u64 now)
{
	bpf_ringbuf_submit(e, tr_wake_flags(now));
}

/* A record of variable size (a copy of packet bytes, say) built elsewhere
 * (a per-CPU scratch buffer): copied into the ring buffer with the same
 * batched wake-ups and lost-event count as tr_reserve()/tr_submit(). */
static __always_inline void tr_output(void *data, __u64 size, __u64 now)
{
	if (bpf_ringbuf_output(&tr_events, data, size, tr_wake_flags(now)))
		tr_count_lost();
}

static __always_inline void tr_submit(void *e)
{
	tr_submit_at(e, bpf_ktime_get_ns());
}

/* ---- interval tables ----
 * A summary's table read and emptied every -i interval (trace/tables.h):
 * a one-slot array of hash maps that user space points at an empty map
 * before it reads the last, waiting for the programs still on it, so
 * nothing a program adds is lost and values of any kind (maxima, names,
 * stack ids) are per interval. Declared with TR_INTERVAL_TABLE(name, key
 * type, value type, entries); a program gets the current map with
 * tr_table(&name) (NULL: none yet) and uses it as the hash map itself
 * (bpf_map_lookup_elem(), tr_map_update()), or in one step with
 * tr_table_lookup(name, key), tr_table_lookup_or_zero(name, key),
 * tr_table_lookup_or_init(name, key, init), tr_table_update(name, key,
 * value, flags) (below, typed by the table's value). */
#define TR_INTERVAL_TABLE(name, ktype, vtype, entries)                                  \
	typedef vtype name##_value_t;                                                  \
	struct name##_table {                                                          \
		__uint(type, BPF_MAP_TYPE_HASH);                                       \
		__uint(max_entries, entries);                                          \
		/* sizes, not types: clang leaves a type reached only through   \
		 * the outer map's pointer as a forward declaration */          \
		__uint(key_size, sizeof(ktype));                                       \
		__uint(value_size, sizeof(vtype));                                     \
	};                                                                             \
	struct {                                                                       \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                              \
		__uint(max_entries, 1);                                                \
		__type(key, __u32);                                                    \
		__array(values, struct name##_table);                                  \
	} name SEC(".maps")

static __always_inline void *tr_table(void *outer)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(outer, &zero);
}

/* ---- reading kernel memory ----
 * A tp_btf program's arguments are BTF-typed pointers: it reads fields with
 * plain loads (the verifier makes them fault-safe) and follows pointers the
 * same way. A raw_tp program, and anything reached through a scalar (a
 * socket found through a file descriptor, say), reads with
 * bpf_probe_read_kernel(), a helper call per field: three to four times the
 * cost of an event on the busiest hooks. Readers below take `btf`, a
 * constant at every call site (the program kind), and pick the cheap way
 * when they can. TR_RD(btf, src, a, b...) reads src->a->b... either way.
 *
 * The verifier types a BTF pointer by its declaration, not by casts: the
 * fields of struct tcp_sock (and the inet_sock inside it) are reached
 * through tr_tcp_sk(), which asks the kernel (bpf_skc_to_tcp_sock) in a
 * tp_btf program; it is NULL for anything but a full TCP socket.
 *
 * Load time: for every load of a pointer field through a BTF pointer, the
 * verifier looks the pointed-to type's "__safe_trusted" variants up by name
 * in the whole kernel BTF (btf_nested_type_is_trusted(), a linear search:
 * about 1 ms each here, per load site and path). So plain loads are for
 * scalar fields; pointer chains (netns, cgroup, task fields) go through
 * BPF_CORE_READ() in both kinds, which the verifier does not walk. */
#define TR_RD(btf, src, a, ...)                                                        \
	((btf) ? ___arrow((src), a, ##__VA_ARGS__) : BPF_CORE_READ(src, a, ##__VA_ARGS__))

/* ---- a typed pointer as a number ----
 * In a tp_btf program an argument such as the skb is a typed pointer, on
 * which the verifier refuses arithmetic (a hash of its address, say).
 * Stored into a per-CPU slot and loaded back, it is a plain number: under
 * CAP_PERFMON the verifier lets a pointer be stored in a map, as every
 * table keyed by a socket or skb address does. A bpf_probe_read_kernel()
 * of the context did the same for ~35 ns more a run. Each object keeps
 * its slots (TR_ADDR_SLOTS), one per program that may run nested in
 * another of them on a CPU (the kernel never nests a program in itself),
 * so that a nested run's store cannot land between a store and its load. */
#define TR_ADDR_SLOTS(name, n)                                                         \
	struct {                                                                       \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                               \
		__uint(max_entries, n);                                                \
		__type(key, __u32);                                                    \
		__type(value, __u64);                                                  \
	} name SEC(".maps")

static __always_inline __u64 tr_addr(void *slots, __u32 slot, const void *p)
{
	volatile __u64 *a = bpf_map_lookup_elem(slots, &slot);

	if (!a)
		return 0;
	*a = (__u64)p;
	return *a;
}

static __always_inline struct tcp_sock *tr_tcp_sk(struct sock *sk, bool btf)
{
	return btf ? bpf_skc_to_tcp_sock(sk) : (struct tcp_sock *)sk;
}

/* ---- program pairs ----
 * Each hook is a handler written once and two programs that call it: a
 * tp_btf one (plain loads, preferred) and a raw_tp one (the fallback where
 * the kernel or libbpf cannot attach tp_btf). TR_PROGRAM_PAIR(NAME, tp,
 * (params), call) makes NAME_btf on tp_btf/tp and NAME_raw on raw_tp/tp,
 * both with the BPF_PROG parameters params, returning call. In call, `btf`
 * is a constant, true in the tp_btf program (the readers' flag, see
 * "reading kernel memory"), and `backup` a constant false:
 *
 *   TR_PROGRAM_PAIR(tcprtt_probe, tcp_probe, (struct sock *sk, struct sk_buff *skb),
 *                   on_probe(sk, btf))
 *
 * TR_BACKUP_PAIR(NAME, tp, (params), call) makes the backup programs of a
 * hook whose nested runs are made up for (see "nested runs" below):
 * NAME_btf_nest and NAME_raw_nest, with `backup` true, returning 0 after
 * call and clearing a mark the primary may have left. */
#define TR_UNPAREN(...) __VA_ARGS__

#define TR_PROGRAM_PAIR_(btf_name, raw_name, tp, backup_, call, ...)                   \
	SEC("tp_btf/" #tp)                                                             \
	int BPF_PROG(btf_name, __VA_ARGS__)                                            \
	{                                                                              \
		const bool btf __attribute__((unused)) = true;                         \
		const bool backup __attribute__((unused)) = backup_;                   \
		return call;                                                           \
	}                                                                              \
	SEC("raw_tp/" #tp)                                                             \
	int BPF_PROG(raw_name, __VA_ARGS__)                                            \
	{                                                                              \
		const bool btf __attribute__((unused)) = false;                        \
		const bool backup __attribute__((unused)) = backup_;                   \
		return call;                                                           \
	}

#define TR_PROGRAM_PAIR(name, tp, params, ...)                                         \
	TR_PROGRAM_PAIR_(name##_btf, name##_raw, tp, false, (__VA_ARGS__), TR_UNPAREN params)

#define TR_BACKUP_PAIR(name, tp, params, ...)                                          \
	TR_PROGRAM_PAIR_(name##_btf_nest, name##_raw_nest, tp, true,                   \
			 ((__VA_ARGS__), tr_nest_clear_upper(), 0), TR_UNPAREN params)

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
 * Both call tr_nest_claim() after their side-effect-free filters (identical
 * in both, and blind to what the primary changes) and before anything else.
 */
struct tr_nest {
	__u8 done[2];
	__u8 _pad[6];
	__u64 recovered;  /* events the backup handled */
	__u64 stack_size; /* THREAD_SIZE + guard page, once read */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tr_nest);
} tr_nest SEC(".maps");

/* 0 when the tracepoint runs on the current task's stack (process context,
 * ksoftirqd), 1 elsewhere (softirqs run on the per-CPU interrupt stack:
 * CONFIG_SOFTIRQ_ON_OWN_STACK on x86-64 and arm64), -1 when unknown: the
 * backup then stays idle. The kernel stack is found through current->bpf_ctx,
 * which __bpf_trace_run points at its own stack frame (kernels >= 6.10,
 * those with bpf_raw_tp_link.cookie); the program's own locals may live on
 * a per-CPU private stack, and per-CPU variables such as __preempt_count are
 * out of reach (the verifier resolves them through kallsyms, which lacks
 * them without CONFIG_KALLSYMS_ALL). */
static __always_inline int tr_ctx_level(struct tr_nest *n)
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
static __always_inline void tr_nest_clear_upper(void)
{
	__u32 zero = 0;
	struct tr_nest *n = bpf_map_lookup_elem(&tr_nest, &zero);

	if (n)
		n->done[1] = 0;
}

/* True when this program is to handle the event. btf: a tp_btf program
 * (see "reading kernel memory"). */
static __always_inline bool tr_nest_claim_rd(bool backup, bool btf)
{
	__u32 zero = 0;
	struct tr_nest *n = bpf_map_lookup_elem(&tr_nest, &zero);
	int lvl;

	if (!n)
		return !backup;
	lvl = tr_ctx_level(n);
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

static __always_inline bool tr_nest_claim(bool backup)
{
	return tr_nest_claim_rd(backup, false);
}

/* The four programs of one inet_sock_set_state handler: primary and backup,
 * each as tp_btf and raw_tp. handler(sk, oldstate, newstate, backup, btf)
 * calls tr_nest_claim_rd(backup, btf); btf is true in the tp_btf programs
 * (see "reading kernel memory"). The tracer lists NAME_state_{btf,raw} as
 * the hook and NAME_state_{btf,raw}_nest as the optional hook after it. */
#define TR_STATE_PROGRAMS(name, handler)                                           \
	TR_PROGRAM_PAIR(name##_state, inet_sock_set_state,                             \
			(struct sock *sk, int oldstate, int newstate),                 \
			handler(sk, oldstate, newstate, backup, btf))                  \
	TR_BACKUP_PAIR(name##_state, inet_sock_set_state,                              \
		       (struct sock *sk, int oldstate, int newstate),                  \
		       handler(sk, oldstate, newstate, backup, btf))

/* ---- sockets ---- */

static __always_inline bool tr_sk_is_tcp_rd(struct sock *sk, bool btf)
{
	return TR_RD(btf, sk, sk_protocol) == TR_IPPROTO_TCP;
}

/* Pointer chains read through bpf_probe_read_kernel() in both kinds: see
 * "reading kernel memory" on the verifier's cost of loading pointers. */
static __always_inline __u32 tr_sk_netns_rd(struct sock *sk, bool btf)
{
	(void)btf;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u64 tr_sk_cgroup_rd(struct sock *sk, bool btf)
{
	(void)btf;
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* tp: tr_tcp_sk(sk, btf) when the caller has it (NULL: look it up). */
static __always_inline void tr_read_tuple_rd(struct sock *sk, struct tcp_sock *tp,
					     struct tr_tuple *t, bool btf)
{
	t->family = TR_RD(btf, sk, __sk_common.skc_family);
	/* inet_sport outlives skc_num, which inet_put_port() clears on close */
	if (btf) {
		if (!tp)
			tp = bpf_skc_to_tcp_sock(sk);
		t->sport = tp ? bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport) : 0;
	} else {
		t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	}
	if (!t->sport)
		t->sport = TR_RD(btf, sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(TR_RD(btf, sk, __sk_common.skc_dport));
	if (t->family == TR_AF_INET6) {
		if (btf) {
			__builtin_memcpy(t->saddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(t->daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		} else {
			BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
			BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	} else {
		*(__u32 *)t->saddr = TR_RD(btf, sk, __sk_common.skc_rcv_saddr);
		*(__u32 *)t->daddr = TR_RD(btf, sk, __sk_common.skc_daddr);
	}
}

/* The same through bpf_probe_read_kernel(), for pointers of any origin. */
static __always_inline bool tr_sk_is_tcp(const struct sock *sk)
{
	return tr_sk_is_tcp_rd((struct sock *)sk, false);
}

static __always_inline __u32 tr_sk_netns(const struct sock *sk)
{
	return tr_sk_netns_rd((struct sock *)sk, false);
}

static __always_inline __u64 tr_sk_cgroup(const struct sock *sk)
{
	return tr_sk_cgroup_rd((struct sock *)sk, false);
}

static __always_inline void tr_read_tuple(const struct sock *sk, struct tr_tuple *t)
{
	tr_read_tuple_rd((struct sock *)sk, NULL, t, false);
}

/* ---- filters ---- */

static __always_inline bool tr_port_in(const volatile __u16 *list, __u8 n, __u16 port)
{
	for (int i = 0; i < TR_MAX_PORTS; i++) {
		if (i >= n)
			break;
		if (list[i] == port)
			return true;
	}
	return false;
}

/* Cheap socket-level filters first: family, netns, cgroup. */
static __always_inline bool tr_want_sock_rd(struct sock *sk, __u16 family, bool btf)
{
	if (family != TR_AF_INET && family != TR_AF_INET6)
		return false;
	if (tr_filter.family && family != tr_filter.family)
		return false;
	if (tr_filter.netns && tr_sk_netns_rd(sk, btf) != tr_filter.netns)
		return false;
	if (tr_filter.cgroup && tr_sk_cgroup_rd(sk, btf) != tr_filter.cgroup)
		return false;
	return true;
}

/* tcp_probe and the like: tp (tr_tcp_sk(sk, btf)) is a full TCP socket that
 * the socket filters keep. */
static __always_inline bool tr_want_tcp_sock_rd(struct sock *sk, struct tcp_sock *tp, bool btf)
{
	if (!tp || !tr_sk_is_tcp_rd(sk, btf))
		return false;
	return tr_want_sock_rd(sk, TR_RD(btf, sk, __sk_common.skc_family), btf);
}

static __always_inline bool tr_want_sock(const struct sock *sk, __u16 family)
{
	return tr_want_sock_rd((struct sock *)sk, family, false);
}

/* --dev and --netns for a packet's device (NULL: no device, kept only
 * when neither is given). The namespace is the device's. */
static __always_inline bool tr_want_dev(const struct net_device *dev)
{
	if (!tr_filter.ifindex && !tr_filter.netns)
		return true;
	if (!dev)
		return false;
	if (tr_filter.ifindex && BPF_CORE_READ(dev, ifindex) != (int)tr_filter.ifindex)
		return false;
	if (tr_filter.netns && BPF_CORE_READ(dev, nd_net.net, ns.inum) != tr_filter.netns)
		return false;
	return true;
}

static __always_inline bool tr_want_ports(__u16 lport, __u16 rport)
{
	if (tr_filter.nports && !tr_port_in(tr_filter.ports, tr_filter.nports, lport) &&
	    !tr_port_in(tr_filter.ports, tr_filter.nports, rport))
		return false;
	if (tr_filter.nlports && !tr_port_in(tr_filter.lports, tr_filter.nlports, lport))
		return false;
	if (tr_filter.nrports && !tr_port_in(tr_filter.rports, tr_filter.nrports, rport))
		return false;
	return true;
}

static __always_inline bool tr_want_task(__u32 pid, const char *comm)
{
	if (tr_filter.pid && pid != tr_filter.pid)
		return false;
	if (tr_filter.comm_set) {
		for (int i = 0; i < TR_COMM_LEN; i++) {
			if (comm[i] != tr_filter.comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/* The current task's command into buf[TR_COMM_LEN], NUL-padded, as
 * bpf_get_current_comm() gives it. That helper (strscpy_pad) is the
 * largest part of a per-call counter's run here: a program that may follow
 * BTF pointers (btf: a tp_btf program, or one that already takes
 * bpf_get_current_task_btf(), as the task-storage users do) reads the 16
 * bytes with plain loads instead (socketio, ns per run on a 1-byte
 * ping-pong: ~200 -> ~165). The bytes after the NUL are cleared, as the
 * helper does: a kernel that renamed a task without padding leaves the old
 * name's tail there, and the command is part of count keys. */
static __always_inline void tr_current_comm(char *buf, bool btf)
{
	if (btf) {
		struct task_struct *t = bpf_get_current_task_btf();
		bool end = false;

#pragma unroll
		for (int i = 0; i < TR_COMM_LEN; i++) {
			char c = t->comm[i];

			end |= !c;
			buf[i] = end ? 0 : c;
		}
	} else {
		bpf_get_current_comm(buf, TR_COMM_LEN);
	}
}

/* ---- socket owners ----
 * Many TCP transitions run in softirq context, where "current" is whatever
 * task the interrupt landed on. The owner is recorded where the socket meets
 * its process: connect() (-> SYN_SENT) and listen() (-> LISTEN) run in
 * process context, and accept() is caught at syscall exit, where the new
 * descriptor leads to the socket. */
struct tr_owner {
	__u32 pid;
	__u32 tid;
	char comm[TR_COMM_LEN];
};

static __always_inline void tr_owner_current_rd(struct tr_owner *o, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->pid = id >> 32;
	o->tid = (__u32)id;
	tr_current_comm(o->comm, btf);
}

static __always_inline void tr_owner_current(struct tr_owner *o)
{
	tr_owner_current_rd(o, false);
}

/* o NULL: no owner (PID 0, empty command). */
static __always_inline void tr_hdr_set_owner(struct tr_hdr *h, const struct tr_owner *o)
{
	if (o) {
		h->pid = o->pid;
		h->tid = o->tid;
		__builtin_memcpy(h->comm, o->comm, TR_COMM_LEN);
	} else {
		h->pid = 0;
		h->tid = 0;
		__builtin_memset(h->comm, 0, TR_COMM_LEN);
	}
}

static __always_inline void tr_fill_hdr_rd(struct tr_hdr *h, struct sock *sk,
					   const struct tr_owner *o, __u64 now, bool btf)
{
	h->ts_ns = now;
	h->netns = tr_sk_netns_rd(sk, btf);
	h->cgroup = tr_sk_cgroup_rd(sk, btf);
	h->_pad = 0;
	tr_hdr_set_owner(h, o);
}

static __always_inline void tr_fill_hdr(struct tr_hdr *h, const struct sock *sk,
					const struct tr_owner *o, __u64 now)
{
	tr_fill_hdr_rd(h, (struct sock *)sk, o, now, false);
}

#ifdef TR_WANT_OWNERS
/* An LRU map on purpose: owners label events and count nothing, and some
 * tracers keep an owner past CLOSE (tcpreset: an abortive close resets
 * after it) with no later event to forget it at, so a plain hash would
 * fill with freed sockets and then refuse every new owner. What eviction
 * costs: the owner of the socket least recently connected, listened or
 * accepted shows as unknown (PID 0), which only happens with more live
 * sockets than --max-keys. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tr_owner);
} tr_owners SEC(".maps");

static __always_inline void tr_owner_set_current_rd(const struct sock *sk, bool btf)
{
	struct tr_owner o;
	__u64 key = (__u64)sk;

	tr_owner_current_rd(&o, btf);
	bpf_map_update_elem(&tr_owners, &key, &o, BPF_ANY);
}

static __always_inline void tr_owner_set_current(const struct sock *sk)
{
	tr_owner_set_current_rd(sk, false);
}

static __always_inline struct tr_owner *tr_owner_get(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&tr_owners, &key);
}

static __always_inline void tr_owner_del(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&tr_owners, &key);
}
#endif

/* ---- accept(): syscall exit -> new fd -> socket ---- */

#if defined(__TARGET_ARCH_x86)
#define TR_NR_ACCEPT  43
#define TR_NR_ACCEPT4 288
static __always_inline long tr_syscall_nr(struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, orig_ax);
}
/* tp_btf programs: a plain load instead of a helper call */
static __always_inline long tr_syscall_nr_btf(struct pt_regs *regs)
{
	return regs->orig_ax;
}
#elif defined(__TARGET_ARCH_arm64)
#define TR_NR_ACCEPT  202
#define TR_NR_ACCEPT4 242
static __always_inline long tr_syscall_nr(struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, syscallno);
}
static __always_inline long tr_syscall_nr_btf(struct pt_regs *regs)
{
	return regs->syscallno;
}
#else
#error "netlens: add the accept/accept4 syscall numbers for this architecture"
#endif

/* The file behind descriptor fd of the current task, or NULL. */
static __always_inline struct file *tr_fd_file(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/* The TCP socket behind descriptor fd of the current task, or NULL. */
static __always_inline struct sock *tr_fd_tcp_sock(long fd)
{
	struct file *f = tr_fd_file(fd);
	struct socket *so;
	struct sock *sk;

	if (!f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, type) != TR_SOCK_STREAM)
		return NULL;
	sk = BPF_CORE_READ(so, sk);
	if (!sk || !tr_sk_is_tcp(sk))
		return NULL;
	return sk;
}

/* sys_exit of accept/accept4 -> the accepted TCP socket, else NULL. sys_exit
 * runs for every system call: btf (a tp_btf program) reads the syscall
 * number with a plain load instead of a helper call. */
static __always_inline struct sock *tr_accepted_sock(struct pt_regs *regs, long ret, bool btf)
{
	long nr;

	if (ret < 0)
		return NULL;
	nr = btf ? tr_syscall_nr_btf(regs) : tr_syscall_nr(regs);
	if (nr != TR_NR_ACCEPT && nr != TR_NR_ACCEPT4)
		return NULL;
	return tr_fd_tcp_sock(ret);
}

/* The two sys_exit programs of one handler(regs, ret, btf): NAME_accept_btf
 * and NAME_accept_raw. sys_exit runs for every system call of every process
 * (~80-120 ns a run): tracers that only need accepted sockets should use
 * TR_ACCEPTED_SOCK_PROGRAMS. */
#define TR_ACCEPT_PROGRAMS(name, handler)                                             \
	TR_PROGRAM_PAIR(name##_accept, sys_exit, (struct pt_regs *regs, long ret),     \
			handler(regs, ret, btf))

/* The programs of one accept() handler, handler(sk) with sk the accepted TCP
 * socket, in the accepting process's context:
 *   NAME_accept4_tp, NAME_accept_tp: the classic tracepoints
 *     syscalls:sys_exit_accept4 and sys_exit_accept, which fire for those
 *     system calls only (libbpf finds them through tracefs);
 *   NAME_accept_btf, NAME_accept_raw: sys_exit, as above.
 * Hooks: TRACE_ACCEPT_HOOKS(NAME) in trace.h. */
struct tr_syscall_exit {
	__u64 common;
	int nr;
	long ret;
};

#define TR_ACCEPTED_SOCK_PROGRAMS(name, handler)                                      \
	SEC("tracepoint/syscalls/sys_exit_accept4")                                    \
	int name##_accept4_tp(struct tr_syscall_exit *ctx)                            \
	{                                                                              \
		struct sock *sk = ctx->ret >= 0 ? tr_fd_tcp_sock(ctx->ret) : NULL;     \
		return sk ? handler(sk) : 0;                                           \
	}                                                                              \
	SEC("tracepoint/syscalls/sys_exit_accept")                                     \
	int name##_accept_tp(struct tr_syscall_exit *ctx)                             \
	{                                                                              \
		struct sock *sk = ctx->ret >= 0 ? tr_fd_tcp_sock(ctx->ret) : NULL;     \
		return sk ? handler(sk) : 0;                                           \
	}                                                                              \
	TR_PROGRAM_PAIR(name##_accept, sys_exit, (struct pt_regs *regs, long ret),     \
			({                                                             \
				struct sock *sk = tr_accepted_sock(regs, ret, btf);    \
				sk ? handler(sk) : 0;                                  \
			}))

/* ---- counting maps ----
 * Summary modes count in hash maps: the entry for a key, created zeroed on
 * its first event (BPF_NOEXIST: two CPUs creating it at once both end up
 * on the one that won), or NULL when the map is full (counted in
 * tr_dropped_keys, see "kernel tables that fill"). Counters are then
 * updated with __sync_fetch_and_add. A value computed only for a new
 * entry (a tuple, an owner) is written with tr_map_lookup_or_init(). */
#define TR_ZERO_MAX 512
const volatile __u8 tr_zero[TR_ZERO_MAX] = {};

static __always_inline void *tr_map_lookup_or_init(void *map, const void *key,
						   const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	tr_map_update(map, key, init, BPF_NOEXIST); /* a full map: counted */
	return bpf_map_lookup_elem(map, key);
}

#define tr_map_lookup_or_zero(map, key)                                                \
	({                                                                             \
		_Static_assert(sizeof(*(map)->value) <= TR_ZERO_MAX, "value > tr_zero"); \
		(typeof((map)->value))tr_map_lookup_or_init(map, key, (const void *)tr_zero); \
	})

/* The interval-table forms of the calls above (TR_INTERVAL_TABLE): on the
 * table's current map, NULL (or -ENOENT) when it has none. */
static __always_inline void *tr_table_lookup_(void *outer, const void *key)
{
	void *m = tr_table(outer);

	return m ? bpf_map_lookup_elem(m, key) : NULL;
}

static __always_inline void *tr_table_lookup_or_init_(void *outer, const void *key,
						      const void *init)
{
	void *m = tr_table(outer);

	return m ? tr_map_lookup_or_init(m, key, init) : NULL;
}

static __always_inline long tr_table_update_(void *outer, const void *key, const void *value,
					     __u64 flags)
{
	void *m = tr_table(outer);

	return m ? tr_map_update(m, key, value, flags) : -2 /* ENOENT */;
}

#define tr_table_lookup(name, key) ((name##_value_t *)tr_table_lookup_(&(name), key))
#define tr_table_lookup_or_init(name, key, init)                                         \
	((name##_value_t *)tr_table_lookup_or_init_(&(name), key, init))
#define tr_table_lookup_or_zero(name, key)                                               \
	({                                                                               \
		_Static_assert(sizeof(name##_value_t) <= TR_ZERO_MAX, "value > tr_zero");   \
		tr_table_lookup_or_init(name, key, (const void *)tr_zero);                 \
	})
#define tr_table_update(name, key, value, flags) tr_table_update_(&(name), key, value, flags)

/* The tr_endpoint -> tr_counts map of a -c summary (trace_print_counts()). */
#define TR_ENDPOINT_COUNTS_MAP(name)                                                   \
	struct {                                                                       \
		__uint(type, BPF_MAP_TYPE_HASH);                                       \
		__uint(max_entries, 10240);                                            \
		__type(key, struct tr_endpoint);                                       \
		__type(value, struct tr_counts);                                       \
	} name SEC(".maps")

/* ---- histograms ---- */

static __always_inline __u32 tr_log2(__u64 v)
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
