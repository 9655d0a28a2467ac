/* skbdrop and tcpdrop: every packet freed as dropped (skb:kfree_skb with a
 * reason other than SKB_CONSUMED / SKB_NOT_DROPPED_YET, whose values user
 * space reads from the running kernel's BTF and passes in rodata).
 *
 * The tuple comes from the packet's own headers (skb->head +
 * network_header, the transport header found from the IP header, since
 * transport_header is not always set yet), the device from skb->dev and the
 * namespace from the device, else the packet's socket.
 *
 * Hook: kfree_skb (tp_btf, else raw_tp).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/core_fixes.bpf.h"
#include "bpf/skbdrop.h"

#define TR_ETH_P_IP   0x0800
#define TR_ETH_P_IPV6 0x86DD
#define TR_IPPROTO_UDP 17

const volatile __u32 skip_reason1 = 0xffffffff; /* SKB_CONSUMED */
const volatile __u32 skip_reason2 = 0xffffffff; /* SKB_NOT_DROPPED_YET */
const volatile __u32 only_reason = 0xffffffff;  /* --reason: 0xffffffff = any */
const volatile bool tcp_only = false;           /* tcpdrop */
const volatile bool want_stack = false;
const volatile __u8 by = SKBDROP_BY_EVENT;

TR_INTERVAL_TABLE(counts, struct skbdrop_key, struct skbdrop_val, 10240);

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024); /* user space: 1 without -K */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SKBDROP_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

static __always_inline void parse(const struct sk_buff *skb, struct skbdrop_pkt *p)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nhoff = BPF_CORE_READ(skb, network_header);
	unsigned char *nh, *th;
	__u8 b0 = 0, ver;

	if (nhoff == (__u16)~0U || !head)
		return;
	nh = head + nhoff;
	if (bpf_probe_read_kernel(&b0, 1, nh))
		return;
	ver = b0 >> 4;
	if (ver == 4) {
		__u16 frag = 0;
		p->family = TR_AF_INET;
		bpf_probe_read_kernel(&p->proto, 1, nh + 9);
		bpf_probe_read_kernel(p->saddr, 4, nh + 12);
		bpf_probe_read_kernel(p->daddr, 4, nh + 16);
		bpf_probe_read_kernel(&frag, 2, nh + 6);
		if (bpf_ntohs(frag) & 0x1fff)
			return; /* a later fragment: no transport header */
		th = nh + (b0 & 0xf) * 4;
	} else if (ver == 6) {
		p->family = TR_AF_INET6;
		bpf_probe_read_kernel(&p->proto, 1, nh + 6);
		bpf_probe_read_kernel(p->saddr, 16, nh + 8);
		bpf_probe_read_kernel(p->daddr, 16, nh + 24);
		th = nh + 40; /* extension headers: proto is not TCP/UDP, no ports */
	} else {
		return;
	}
	if (p->proto == TR_IPPROTO_TCP || p->proto == TR_IPPROTO_UDP) {
		__u16 ports[2];
		if (bpf_probe_read_kernel(ports, sizeof(ports), th) == 0) {
			p->sport = bpf_ntohs(ports[0]);
			p->dport = bpf_ntohs(ports[1]);
		}
		if (p->proto == TR_IPPROTO_TCP)
			bpf_probe_read_kernel(&p->tcp_flags, 1, th + 13);
	}
}

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, void *location, __u32 reason,
				   struct sock *rx_sk)
{
	struct skbdrop_pkt p = {};
	struct net_device *dev = NULL;
	struct sock *sk = NULL;
	__u32 netns = 0;
	__u64 cgroup = 0;
	bool ports = tr_filter.nports || tr_filter.nlports || tr_filter.nrports;

	if (reason == skip_reason1 || reason == skip_reason2)
		return 0;
	if (only_reason != 0xffffffff && reason != only_reason)
		return 0;
	/* Counting by reason or location needs the headers, device and socket
	 * only for filters: skip those reads (rodata, so the verifier drops
	 * the dead branches); most of the cost of a run is there. */
	if (by == SKBDROP_BY_EVENT || by == SKBDROP_BY_FLOW || tcp_only || tr_filter.family || ports)
		parse(skb, &p);
	if (tcp_only && (!p.family || p.proto != TR_IPPROTO_TCP))
		return 0;
	if (tr_filter.family && p.family != tr_filter.family)
		return 0;
	if (by == SKBDROP_BY_EVENT || tr_filter.netns || tr_filter.cgroup || tr_filter.ifindex) {
		dev = BPF_CORE_READ(skb, dev);
		if (tr_filter.ifindex && (!dev || BPF_CORE_READ(dev, ifindex) != (int)tr_filter.ifindex))
			return 0;
		sk = BPF_CORE_READ(skb, sk);
		if (!sk)
			sk = rx_sk;
		if (dev)
			netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		else if (sk)
			netns = tr_sk_netns(sk);
		if (tr_filter.netns && netns != tr_filter.netns)
			return 0;
		if (sk)
			cgroup = tr_sk_cgroup(sk);
		if (tr_filter.cgroup && cgroup != tr_filter.cgroup)
			return 0;
	}
	/* --lport matches the destination port, --rport the source */
	if (ports && (!p.sport || !tr_want_ports(p.dport, p.sport)))
		return 0;

	if (by != SKBDROP_BY_EVENT) {
		struct skbdrop_key k = {};
		struct skbdrop_val *v;

		k.reason = reason;
		if (by == SKBDROP_BY_LOCATION)
			k.location = (__u64)location;
		else if (by == SKBDROP_BY_FLOW)
			k.p = p;
		v = tr_table_lookup_or_zero(counts, &k);
		if (!v)
			return 0;
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, BPF_CORE_READ(skb, len));
		return 0;
	}

	struct skbdrop_event *e = tr_reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(&e->h, 0, sizeof(e->h));
	e->h.ts_ns = bpf_ktime_get_ns();
	e->h.netns = netns;
	e->h.cgroup = cgroup;
	e->p = p;
	e->location = (__u64)location;
	e->reason = reason;
	e->len = BPF_CORE_READ(skb, len);
	e->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	__builtin_memset(e->ifname, 0, sizeof(e->ifname));
	if (dev)
		BPF_CORE_READ_STR_INTO(&e->ifname, dev, name);
	e->state = 0;
	if (sk && tr_sk_is_tcp(sk))
		e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->stack_id = want_stack ? bpf_get_stackid(ctx, &stacks, 0) : -1;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	tr_submit(e);
	return 0;
}

/* rx_sk: the fourth argument, on kernels that have it (core_fixes.bpf.h) */
TR_PROGRAM_PAIR(skbdrop, kfree_skb, (struct sk_buff *skb, void *location, int reason),
		on_drop(ctx, skb, location, (__u32)reason, tr_kfree_skb_rx_sk(ctx)))
