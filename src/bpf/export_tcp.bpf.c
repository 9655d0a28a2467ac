/* The exporter's tcp collector, aggregated in the kernel: connect latency
 * (SYN_SENT to ESTABLISHED) and each connection's smoothed RTT as it
 * leaves ESTABLISHED, as log2 histograms per family; connects that failed;
 * retransmits and received resets by the socket's state; sent resets by
 * the kernel's reason. Everything lands in per-CPU arrays that the
 * exporter reads at each scrape; nothing is streamed.
 *
 * Hooks: inet_sock_set_state, without the tracers' backup program for
 * nested runs: a run the kernel skips (a softirq's state change landing
 * inside a run on the same CPU) is rare, and exported as
 * netlens_bpf_runs_missed_total, while the backup would cost every state
 * change of every socket a second program run (a quarter of the
 * collector's cost on a connection churn);
 * tcp_retransmit_skb, tcp_retransmit_synack, tcp_send_reset,
 * tcp_receive_reset; tp_btf, else raw_tp. tr_filter.netns (the exporter's
 * -N) keeps one namespace. */
#include "bpf/netlens.bpf.h"
#include "bpf/export_tcp.h"
#include "bpf/log2.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EXP_HIST_KINDS * 2);
	__type(key, __u32);
	__type(value, struct exp_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exp_tcp_counts);
} counts SEC(".maps");

/* connects in flight: socket -> time of SYN_SENT. A plain hash: a connect
 * that finds it full is counted (tr_map_update), not evicted unseen. (The
 * socket's own storage, as tcplife keeps sessions, measured slower here:
 * 201 ns a state change against 151, the allocation at every connect.) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} connecting SEC(".maps");

/* per remote address, only when per_remote (rodata: when off, the
 * verifier drops the code) */
const volatile bool per_remote = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct exp_remote_key);
	__type(value, struct exp_remote_val);
} remotes SEC(".maps");

static __always_inline struct exp_remote_val *remote_of(const struct sock *sk)
{
	struct exp_remote_key k = {};
	struct tr_tuple t = {};

	tr_read_tuple(sk, &t);
	__builtin_memcpy(k.addr, t.daddr, sizeof(k.addr));
	k.family = t.family;
	return tr_map_lookup_or_zero(&remotes, &k);
}

static __always_inline struct exp_tcp_counts *the_counts(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counts, &zero);
}

static __always_inline bool want_sk(const struct sock *sk)
{
	return !tr_filter.netns || tr_sk_netns(sk) == tr_filter.netns;
}

/* The same with plain loads in a tp_btf program (btf): the netns chain is
 * two pointer loads the verifier checks once at load time (a few ms),
 * against two bpf_probe_read_kernel() calls (~35 ns each here) at every
 * run. */
static __always_inline bool want_sk_rd(struct sock *sk, bool btf)
{
	if (!tr_filter.netns)
		return true;
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum == tr_filter.netns;
	return tr_sk_netns(sk) == tr_filter.netns;
}

static __always_inline void hist_add(__u32 idx, __u64 ns)
{
	struct exp_hist *h = bpf_map_lookup_elem(&hists, &idx);
	__u32 slot = tr_log2_slot(ns / 1000, EXP_HIST_SLOTS);

	if (!h)
		return;
	/* the verifier needs the bound it cannot infer through the clamp;
	 * the empty asm keeps clang from dropping the mask as redundant */
	asm volatile("" : "+r"(slot));
	__sync_fetch_and_add(&h->slots[slot & (EXP_HIST_SLOTS - 1)], 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
}

static __always_inline __u32 state_index(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_state) & (EXP_TCP_STATES - 1);
}

/* SYN_SENT begins: its time. */
static __always_inline void connect_begin(struct sock *sk, __u64 now)
{
	__u64 key = (__u64)sk;

	tr_map_update(&connecting, &key, &now, BPF_ANY);
}

/* SYN_SENT ends: when it began, 0 when not seen; forgotten. */
static __always_inline __u64 connect_end(struct sock *sk)
{
	__u64 key = (__u64)sk, *ts, t;

	ts = bpf_map_lookup_elem(&connecting, &key);
	if (!ts)
		return 0;
	t = *ts;
	bpf_map_delete_elem(&connecting, &key);
	return t;
}

/* The smoothed RTT in ns (srtt_us holds eight times it in microseconds). */
static __always_inline __u64 srtt_ns(struct sock *sk, bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);

	return tp ? (__u64)(TR_RD(btf, tp, srtt_us) >> 3) * 1000 : 0;
}

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool btf)
{
	__u64 now, ts;
	__u32 fam;

	if (newstate != TCP_SYN_SENT && oldstate != TCP_SYN_SENT && oldstate != TCP_ESTABLISHED)
		return 0;
	if (!tr_sk_is_tcp_rd(sk, btf) || !want_sk_rd(sk, btf))
		return 0;
	now = bpf_ktime_get_ns();
	if (newstate == TCP_SYN_SENT) {
		connect_begin(sk, now);
		return 0;
	}
	fam = TR_RD(btf, sk, __sk_common.skc_family) == TR_AF_INET6;
	if (oldstate != TCP_SYN_SENT) {
		/* leaving ESTABLISHED: the connection's smoothed RTT as it ends */
		hist_add(EXP_HIST_SRTT * 2 + fam, srtt_ns(sk, btf));
		return 0;
	}
	ts = connect_end(sk);
	if (!ts)
		return 0; /* connecting since before the exporter started */
	if (newstate == TCP_ESTABLISHED) {
		hist_add(EXP_HIST_CONNECT * 2 + fam, now - ts);
	} else {
		struct exp_tcp_counts *c = the_counts();
		if (c)
			__sync_fetch_and_add(&c->connect_failed[fam & 1], 1);
	}
	if (per_remote) {
		struct exp_remote_val *r = remote_of(sk);
		if (r && newstate == TCP_ESTABLISHED) {
			__sync_fetch_and_add(&r->connects, 1);
			__sync_fetch_and_add(&r->connect_ns, now - ts);
		} else if (r) {
			__sync_fetch_and_add(&r->failures, 1);
		}
	}
	return 0;
}

TR_PROGRAM_PAIR(export_tcp_state, inet_sock_set_state, (struct sock *sk, int oldstate, int newstate),
		on_state(sk, oldstate, newstate, btf))

static __always_inline int on_retransmit(const struct sock *sk, int err)
{
	struct exp_tcp_counts *c;
	__u32 st;

	if (!sk || !want_sk(sk))
		return 0;
	c = the_counts();
	if (!c)
		return 0;
	st = state_index(sk);
	if (err) {
		__sync_fetch_and_add(&c->retrans_failed[st], 1);
		return 0;
	}
	__sync_fetch_and_add(&c->retrans[st], 1);
	if (per_remote) {
		struct exp_remote_val *r = remote_of(sk);
		if (r)
			__sync_fetch_and_add(&r->retransmits, 1);
	}
	return 0;
}

TR_PROGRAM_PAIR(export_tcp_retrans, tcp_retransmit_skb,
		(const struct sock *sk, const struct sk_buff *skb, int err), on_retransmit(sk, err))

/* a SYN-ACK sent again: the listener's request is in SYN_RECV */
static __always_inline int on_synack(const struct sock *sk)
{
	struct exp_tcp_counts *c;

	if (!sk || !want_sk(sk))
		return 0;
	c = the_counts();
	if (c)
		__sync_fetch_and_add(&c->retrans[TCP_SYN_RECV], 1);
	return 0;
}

TR_PROGRAM_PAIR(export_tcp_synack, tcp_retransmit_synack,
		(const struct sock *sk, const struct request_sock *req), on_synack(sk))

static __always_inline int on_send_reset(const struct sock *sk, const struct sk_buff *skb,
					 __u32 reason)
{
	struct exp_tcp_counts *c;

	if (tr_filter.netns) {
		__u32 ns = 0;
		if (sk)
			ns = tr_sk_netns(sk);
		else if (skb) /* the verifier wants the check: tp_btf arguments may be NULL */
			ns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
		if (ns != tr_filter.netns)
			return 0;
	}
	c = the_counts();
	if (c)
		__sync_fetch_and_add(
			&c->rst_sent[reason < EXP_RST_REASONS ? reason : EXP_RST_REASONS - 1], 1);
	return 0;
}

TR_PROGRAM_PAIR(export_tcp_rst_send, tcp_send_reset,
		(const struct sock *sk, const struct sk_buff *skb, int reason),
		on_send_reset(sk, skb, (__u32)reason))

static __always_inline int on_recv_reset(struct sock *sk)
{
	struct exp_tcp_counts *c;

	if (!want_sk(sk))
		return 0;
	c = the_counts();
	if (c)
		__sync_fetch_and_add(&c->rst_recv[state_index(sk)], 1);
	return 0;
}

TR_PROGRAM_PAIR(export_tcp_rst_recv, tcp_receive_reset, (struct sock *sk), on_recv_reset(sk))
