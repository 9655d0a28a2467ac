/* The exporter's drops collector: every packet the kernel frees as
 * dropped (skb:kfree_skb), counted with its bytes by the kernel's drop
 * reason in a per-CPU array indexed by reason; packets consumed normally
 * fire another tracepoint (consume_skb) and cost nothing here.
 *
 * Hook: kfree_skb (tp_btf, else raw_tp). tr_filter.netns (the exporter's
 * -N) keeps one namespace: the device's, else the socket's. */
#include "bpf/netlens.bpf.h"
#include "bpf/core_fixes.bpf.h"
#include "bpf/export_drops.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EXP_DROP_REASONS);
	__type(key, __u32);
	__type(value, struct exp_drop_count);
} drops SEC(".maps");

static __always_inline __u32 drop_netns(struct sk_buff *skb, struct sock *rx_sk)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		sk = rx_sk;
	return sk ? tr_sk_netns(sk) : 0;
}

/* drop_netns() with plain loads (a tp_btf program): three pointer loads
 * the verifier checks once, against three bpf_probe_read_kernel() calls
 * at every drop. */
static __always_inline __u32 drop_netns_btf(struct sk_buff *skb, struct sock *rx_sk)
{
	struct net_device *dev = skb->dev;
	struct sock *sk;

	if (dev)
		return dev->nd_net.net->ns.inum;
	sk = skb->sk;
	if (!sk)
		sk = rx_sk;
	return sk ? sk->__sk_common.skc_net.net->ns.inum : 0;
}

static __always_inline int on_drop(struct sk_buff *skb, __u32 reason, struct sock *rx_sk, bool btf)
{
	struct exp_drop_count *c;
	__u32 k = reason < EXP_DROP_REASONS ? reason : EXP_DROP_REASONS - 1;

	if (!skb)
		return 0;
	if (tr_filter.netns &&
	    (btf ? drop_netns_btf(skb, rx_sk) : drop_netns(skb, rx_sk)) != tr_filter.netns)
		return 0;
	c = bpf_map_lookup_elem(&drops, &k);
	if (!c)
		return 0;
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, TR_RD(btf, skb, len));
	return 0;
}

/* rx_sk: the fourth argument, on kernels that have it (core_fixes.bpf.h) */
TR_PROGRAM_PAIR(export_drops, kfree_skb, (struct sk_buff *skb, void *location, int reason),
		on_drop(skb, (__u32)reason, tr_kfree_skb_rx_sk(ctx), btf))
