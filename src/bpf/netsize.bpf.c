/* netsize: packet sizes per device and direction, counted in the kernel.
 *
 * Hooks: net:netif_receive_skb (every packet the stack receives, after GRO
 * and RPS, once per device it enters: a tunnel's inner packet counts again
 * on the tunnel device) and net:net_dev_start_xmit (every packet handed to
 * a driver: a GSO packet the device takes whole is one super-packet, one
 * the stack segmented first counts as its segments). tp_btf, else raw_tp.
 *
 * Per packet: skb->len into the length histogram and, when the packet is a
 * GSO/GRO super-packet (skb_shinfo(skb)->gso_size set), gso_segs into the
 * segment histogram. The shared info is at skb->head + skb->end (end is an
 * offset on 64-bit kernels).
 *
 * Three programs a hook, tried in this order: NAME_cast (tp_btf, the shared
 * info read with plain loads through bpf_rdonly_cast(), kernel 6.2+: a
 * kernel without that kfunc refuses the program, and the next one loads),
 * NAME_btf (tp_btf, the shared info through bpf_probe_read_kernel(), 25 ns
 * of a ~120 ns run on a UDP flood) and NAME_raw.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/log2.bpf.h"
#include "bpf/netsize.h"

/* weak: the object loads where the kernel lacks it (only the _cast
 * programs call it) */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* A plain hash (not LRU), an entry per device, direction and CPU: a
 * device that finds it full is counted in tr_dropped_keys. With -i, user
 * space empties it every interval. */
TR_INTERVAL_TABLE(sizes, struct netsize_key, struct netsize_val, 1024);

/* gso_size and gso_segs, side by side in struct skb_shared_info (every
 * kernel): one read for both. */
struct gso_pair {
	__u16 size;
	__u16 segs;
};

/* dev_btf: dev is the tracepoint's own argument (plain loads in tp_btf),
 * not a pointer read from the skb. The device filters are tr_want_dev()'s,
 * applied to the ifindex and namespace the key needs anyway (each read
 * once). */
static __always_inline int on_pkt(const struct sk_buff *skb, const struct net_device *dev,
				  __u8 dir, bool dev_btf, bool btf, bool cast)
{
	struct netsize_key k = {};
	struct skb_shared_info *sh;
	struct gso_pair gso = {};
	struct netsize_val *v;
	__u32 len;

	if (!dev)
		return 0;
	k.ifindex = TR_RD(dev_btf, dev, ifindex);
	if (tr_filter.ifindex && k.ifindex != tr_filter.ifindex)
		return 0;
	k.netns = TR_RD(dev_btf, dev, nd_net.net, ns.inum);
	if (tr_filter.netns && k.netns != tr_filter.netns)
		return 0;
	k.dir = dir;
	k.cpu = bpf_get_smp_processor_id();
	v = tr_table_lookup(sizes, &k);
	if (!v) {
		v = tr_table_lookup_or_zero(sizes, &k);
		if (!v)
			return 0;
		bpf_probe_read_kernel_str(v->ifname, sizeof(v->ifname), dev->name);
	}
	len = TR_RD(btf, skb, len);
	sh = (struct skb_shared_info *)(TR_RD(btf, skb, head) + TR_RD(btf, skb, end));
	if (cast) {
		sh = bpf_rdonly_cast(sh, bpf_core_type_id_kernel(struct skb_shared_info));
		gso.size = sh->gso_size;
		gso.segs = sh->gso_segs;
	} else {
		bpf_probe_read_kernel(&gso, sizeof(gso), &sh->gso_size);
	}
	/* this CPU's entry: plain adds (struct netsize_key) */
	v->len[tr_log2_slot(len, NETSIZE_SLOTS)]++;
	v->packets++;
	v->bytes += len;
	if (!gso.size) {
		v->wire_segs++;
		return 0;
	}
	if (!gso.segs)
		gso.segs = 1; /* not counted yet (a GSO packet built by a driver) */
	v->segs[tr_log2_slot(gso.segs, NETSIZE_SEG_SLOTS)]++;
	v->gso_packets++;
	v->wire_segs += gso.segs;
	return 0;
}

TR_PROGRAM_PAIR(netsize_rx, netif_receive_skb, (struct sk_buff *skb),
		on_pkt(skb, TR_RD(btf, skb, dev), NETSIZE_RX, btf, btf, false))
TR_PROGRAM_PAIR(netsize_tx, net_dev_start_xmit, (const struct sk_buff *skb,
						  const struct net_device *dev),
		on_pkt(skb, dev, NETSIZE_TX, btf, btf, false))

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netsize_rx_cast, struct sk_buff *skb)
{
	return on_pkt(skb, skb->dev, NETSIZE_RX, true, true, true);
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(netsize_tx_cast, const struct sk_buff *skb, const struct net_device *dev)
{
	return on_pkt(skb, dev, NETSIZE_TX, true, true, true);
}
