/* ipecn: the ECN codepoint of every IPv4 and IPv6 packet received
 * (net:netif_receive_skb) and, with --tx, sent (net:net_dev_queue),
 * counted per flow (addresses, protocol, TCP/UDP ports), device and
 * direction in `counts`. By default only CE-marked packets are counted:
 * any other packet costs a read of skb->protocol and of its fixed IP
 * header (pkt.bpf.h), no map access; --all (`count_all`) counts every codepoint,
 * a hash update per packet.
 *
 * Hooks: netif_receive_skb and net_dev_queue (tp_btf, else raw_tp).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/pkt.bpf.h"
#include "bpf/ipecn.h"

const volatile bool count_all = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct ipecn_key);
	__type(value, struct ipecn_val);
} counts SEC(".maps");

static __always_inline int on_pkt(struct sk_buff *skb, __u8 dir, bool btf)
{
	__u16 proto = TR_RD(btf, skb, protocol);
	const unsigned char *nh = dir == IPECN_TX ? pkt_nh_tx(skb, btf) : pkt_nh_rx(skb, btf);
	struct ipecn_key k;
	struct ipecn_val *v;
	struct net_device *dev;
	struct pkt_ip ip;

	if (!pkt_peek_ip(nh, proto, &ip, btf))
		return 0;
	if (!count_all && ip.ecn != IPECN_CE)
		return 0;
	if (tr_filter.family && ip.family != tr_filter.family)
		return 0;
	dev = BPF_CORE_READ(skb, dev);
	if (!tr_want_dev(dev))
		return 0;
	if (!pkt_read_addrs(nh, &ip, btf))
		return 0;
	__builtin_memset(&k, 0, sizeof(k));
	pkt_read_ports(&ip, &k.sport, &k.dport, btf);
	if (tr_filter.nports && !tr_want_ports(k.sport, k.dport))
		return 0;
	__builtin_memcpy(k.saddr, ip.saddr, sizeof(k.saddr));
	__builtin_memcpy(k.daddr, ip.daddr, sizeof(k.daddr));
	k.family = ip.family;
	k.proto = ip.proto;
	k.dir = dir;
	if (dev) {
		k.ifindex = BPF_CORE_READ(dev, ifindex);
		k.netns = pkt_dev_netns(dev);
	}
	v = bpf_map_lookup_elem(&counts, &k);
	if (!v) {
		struct ipecn_val init = {};

		if (dev)
			BPF_CORE_READ_STR_INTO(&init.ifname, dev, name);
		v = tr_map_lookup_or_init(&counts, &k, &init);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->n[ip.ecn & 3], 1);
	return 0;
}

TR_PROGRAM_PAIR(ipecn_rx, netif_receive_skb, (struct sk_buff *skb), on_pkt(skb, IPECN_RX, btf))
TR_PROGRAM_PAIR(ipecn_tx, net_dev_queue, (struct sk_buff *skb), on_pkt(skb, IPECN_TX, btf))
