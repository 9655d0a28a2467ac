/* Reading a packet's IP header from an skb in a tracepoint program, for the
 * packet tracers (superping, ipecn, ...). Include after bpf/netlens.bpf.h.
 *
 * Where the IP header starts depends on the hook:
 *   - on transmit (net:net_dev_queue, net:net_dev_start_xmit) at
 *     skb->head + skb->network_header: the stack set it, and skb->data
 *     may already point at the link-layer header (pkt_nh_tx);
 *   - on receive at net:netif_receive_skb, at skb->data: the driver pulled
 *     the link-layer header (eth_type_trans), but network_header is reset
 *     only after the tracepoint (pkt_nh_rx).
 * skb->protocol (network order) tells IPv4 from IPv6 without a read; the
 * first bytes of the header (pkt_peek_ip) say whether the packet is of
 * interest, and only then are the addresses read (pkt_read_addrs): in a
 * tp_btf program with plain 8-byte loads through skb->head/data (the
 * verifier makes them fault-safe, no helper call), in a raw_tp one with a
 * bpf_probe_read_kernel() each. The version nibble is checked against it, so a
 * packet whose network header is not where skb->protocol says is left out.
 *
 * IPv6 extension headers (hop-by-hop, routing, fragment, destination
 * options, AH; up to PKT_IPV6_EXT_MAX) are walked, on the rare path of a
 * packet that has them: `proto` is the transport's and `l4` its header,
 * as for IPv4 (NULL in a fragment after the first). A packet with more,
 * or with ESP, shows the header it stops at.
 */
#ifndef NETLENS_BPF_PKT_BPF_H
#define NETLENS_BPF_PKT_BPF_H

#define PKT_ETH_P_IP       0x0800
#define PKT_ETH_P_IPV6     0x86DD
#define PKT_IPPROTO_ICMP   1
#define PKT_IPPROTO_TCP    6
#define PKT_IPPROTO_UDP    17
#define PKT_IPPROTO_ICMPV6 58

/* The fixed IP header, decoded. IPv4 addresses in the first 4 bytes. */
struct pkt_ip {
	__u8 saddr[16] __attribute__((aligned(8)));
	__u8 daddr[16];
	const unsigned char *l4; /* transport header; NULL in a later IPv4 fragment */
	__u16 family;            /* TR_AF_INET or TR_AF_INET6 */
	__u8 proto;              /* IPv4 protocol, IPv6 next header */
	__u8 ecn;                /* ECN codepoint: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE */
};

/* The IP header of a packet being sent. btf: a tp_btf program (head and
 * network_header are scalars there: plain loads). */
static __always_inline const unsigned char *pkt_nh_tx(struct sk_buff *skb, bool btf)
{
	const unsigned char *head = TR_RD(btf, skb, head);
	__u16 off = TR_RD(btf, skb, network_header);

	if (!head || off == (__u16)~0U)
		return NULL;
	return head + off;
}

/* The IP header of a packet at net:netif_receive_skb. */
static __always_inline const unsigned char *pkt_nh_rx(struct sk_buff *skb, bool btf)
{
	return TR_RD(btf, skb, data);
}

/* Copies n bytes (a multiple of 8) of packet at src: plain loads in a
 * tp_btf program (src derived from skb->head or skb->data), else a probe
 * read. False when the probe read faults. */
static __always_inline bool pkt_load(void *dst, const unsigned char *src, __u32 n, bool btf)
{
	if (btf) {
		for (__u32 i = 0; i < n; i += 8)
			*(__u64 *)((__u8 *)dst + i) = *(const __u64 *)(src + i);
		return true;
	}
	return bpf_probe_read_kernel(dst, n, src) == 0;
}

#define PKT_IPV6_EXT_MAX 6

/* An IPv6 extension header this file walks. */
static __always_inline bool pkt_ipv6_is_ext(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 || nexthdr == 51 || nexthdr == 60;
}

/* Walks the extension headers at ip->l4 (ip->proto the first's type):
 * leaves ip->proto the transport's and ip->l4 after the last header (NULL
 * in a fragment after the first). Returns the bytes they take, or -1 when
 * they cannot be read or run past PKT_IPV6_EXT_MAX (ip left as it was). */
static __always_inline int pkt_ipv6_skip_ext(struct pkt_ip *ip, bool btf)
{
	__u8 proto = ip->proto;
	__u32 off = 0;

	for (int i = 0; i < PKT_IPV6_EXT_MAX; i++) {
		__u8 b[8] __attribute__((aligned(8)));

		if (!pkt_ipv6_is_ext(proto))
			break;
		if (!pkt_load(b, ip->l4 + off, sizeof(b), btf))
			return -1;
		if (proto == 44) { /* fragment: 8 bytes, offset in 8-byte units */
			if (((__u16)b[2] << 8 | b[3]) & 0xfff8) {
				ip->proto = b[0];
				ip->l4 = NULL;
				return (int)(off + 8);
			}
			off += 8;
		} else if (proto == 51) { /* AH: length in 4-byte units, less 2 */
			off += ((__u32)b[1] + 2) * 4;
		} else {
			off += ((__u32)b[1] + 1) * 8;
		}
		proto = b[0];
	}
	if (pkt_ipv6_is_ext(proto))
		return -1;
	ip->proto = proto;
	ip->l4 += off;
	return (int)off;
}

/* The first bytes of the IPv4 or IPv6 header at nh, the version chosen by
 * skb->protocol (proto, network order): family, protocol, ECN and where
 * the transport header starts, not the addresses (pkt_read_addrs()), so
 * a tracer that wants few packets decides after one 8- or 16-byte read.
 * False for anything else. */
static __always_inline bool pkt_peek_ip(const unsigned char *nh, __u16 proto, struct pkt_ip *ip,
					bool btf)
{
	__u8 h[16] __attribute__((aligned(8)));

	if (!nh)
		return false;
	if (proto == bpf_htons(PKT_ETH_P_IP)) {
		__u16 frag;

		if (!pkt_load(h, nh, 16, btf) || (h[0] >> 4) != 4)
			return false;
		ip->family = TR_AF_INET;
		ip->proto = h[9];
		ip->ecn = h[1] & 3;
		frag = ((__u16)(h[6] & 0x1f) << 8) | h[7];
		ip->l4 = frag ? NULL : nh + (h[0] & 0xf) * 4;
		return true;
	}
	if (proto == bpf_htons(PKT_ETH_P_IPV6)) {
		if (!pkt_load(h, nh, 8, btf) || (h[0] >> 4) != 6)
			return false;
		ip->family = TR_AF_INET6;
		ip->proto = h[6];
		ip->ecn = (h[1] >> 4) & 3;
		ip->l4 = nh + 40;
		if (pkt_ipv6_is_ext(ip->proto))
			pkt_ipv6_skip_ext(ip, btf);
		return true;
	}
	return false;
}

/* The addresses of the header pkt_peek_ip() read at nh (IPv4 ones in the
 * first 4 bytes, the rest zero). */
static __always_inline bool pkt_read_addrs(const unsigned char *nh, struct pkt_ip *ip, bool btf)
{
	if (ip->family == TR_AF_INET) {
		__u8 a[8] __attribute__((aligned(8)));

		if (!pkt_load(a, nh + 12, sizeof(a), btf))
			return false;
		__builtin_memset(ip->saddr, 0, sizeof(ip->saddr));
		__builtin_memset(ip->daddr, 0, sizeof(ip->daddr));
		__builtin_memcpy(ip->saddr, &a[0], 4);
		__builtin_memcpy(ip->daddr, &a[4], 4);
		return true;
	}
	return pkt_load(ip->saddr, nh + 8, 16, btf) && pkt_load(ip->daddr, nh + 24, 16, btf);
}

/* The ports of a TCP or UDP header at l4, in host order; false when they
 * cannot be read (no transport header, another protocol). */
static __always_inline bool pkt_read_ports(const struct pkt_ip *ip, __u16 *sport, __u16 *dport,
					   bool btf)
{
	__u16 p[4] __attribute__((aligned(8)));

	if (!ip->l4 || (ip->proto != PKT_IPPROTO_TCP && ip->proto != PKT_IPPROTO_UDP))
		return false;
	if (!pkt_load(p, ip->l4, sizeof(p), btf))
		return false;
	*sport = bpf_ntohs(p[0]);
	*dport = bpf_ntohs(p[1]);
	return true;
}

#define PKT_PF_KTHREAD 0x00200000

/* Process context, where "current" sent the packet (net_dev_queue runs in
 * whatever calls dev_queue_xmit()): the tracepoint runs on the task's own
 * stack (not a softirq's, see tr_ctx_level()) and the task is not a kernel
 * thread (ksoftirqd, which runs softirqs on its own stack). Unknown counts
 * as no. */
static __always_inline bool pkt_in_task(void)
{
	__u32 zero = 0;
	struct tr_nest *n = bpf_map_lookup_elem(&tr_nest, &zero);
	struct task_struct *t;

	if (!n || tr_ctx_level(n) != 0)
		return false;
	t = (struct task_struct *)bpf_get_current_task();
	return !(BPF_CORE_READ(t, flags) & PKT_PF_KTHREAD);
}

/* The namespace of a packet's device (0: none). */
static __always_inline __u32 pkt_dev_netns(const struct net_device *dev)
{
	return dev ? BPF_CORE_READ(dev, nd_net.net, ns.inum) : 0;
}

#endif
