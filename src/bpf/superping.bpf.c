/* superping: ICMP and ICMPv6 echo round trips timed in the kernel.
 *
 * An echo request (ICMP type 8, ICMPv6 128) leaving a device
 * (net:net_dev_queue, before the qdisc, in the sender's context) stores
 * its transmit time under (namespace, family, destination, id, sequence) in
 * `reqs`; the echo reply (type 0, 129) arriving on a device
 * (net:netif_receive_skb) looks its source up under the same key, deletes
 * the entry and reports the difference: the round trip without the
 * scheduling of the pinging process. The namespace is the device's, so a
 * request and its reply meet only within one namespace.
 *
 * Every other packet costs a read of skb->protocol and, for IP, one probe
 * read of the fixed IP header (pkt.bpf.h). Requests never answered stay in
 * `reqs` until user space ages them out (superping.c); the map is bounded
 * (--max-keys) and a full one refuses new requests (dropped_keys).
 *
 * Hooks: net_dev_queue and netif_receive_skb (tp_btf, else raw_tp).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/pkt.bpf.h"
#include "bpf/superping.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct superping_key);
	__type(value, struct superping_req);
} reqs SEC(".maps");

TR_INTERVAL_TABLE(hist, struct superping_dst, struct superping_hist, 1024);

struct icmp_echo {
	__u8 type;
	__u8 code;
	__u16 csum;
	__u16 id;
	__u16 seq;
} __attribute__((aligned(8)));

/* The echo request (tx) or reply (rx) in skb, if it is one; ip and ic are
 * its headers. */
static __always_inline bool echo_of(struct sk_buff *skb, bool tx, bool btf, struct pkt_ip *ip,
				    struct icmp_echo *ic)
{
	__u16 proto = TR_RD(btf, skb, protocol);
	const unsigned char *nh = tx ? pkt_nh_tx(skb, btf) : pkt_nh_rx(skb, btf);
	__u8 want;

	if (!pkt_peek_ip(nh, proto, ip, btf))
		return false;
	if (tr_filter.family && ip->family != tr_filter.family)
		return false;
	if (ip->family == TR_AF_INET) {
		if (ip->proto != PKT_IPPROTO_ICMP)
			return false;
		want = tx ? 8 : 0;
	} else {
		if (ip->proto != PKT_IPPROTO_ICMPV6)
			return false;
		want = tx ? 128 : 129;
	}
	if (!ip->l4 || !pkt_load(ic, ip->l4, sizeof(*ic), btf))
		return false;
	return ic->type == want && ic->code == 0 && pkt_read_addrs(nh, ip, btf);
}

/* The key of the echo request (tx: the peer is its destination) or reply
 * (rx: its source) in skb, and its device; false when skb is neither or
 * the device is filtered out. */
static __always_inline bool echo_key(struct sk_buff *skb, bool tx, bool btf,
				     struct superping_key *k, struct net_device **dev)
{
	struct icmp_echo ic;
	struct pkt_ip ip;

	if (!echo_of(skb, tx, btf, &ip, &ic))
		return false;
	*dev = BPF_CORE_READ(skb, dev);
	if (!tr_want_dev(*dev))
		return false;
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->addr, tx ? ip.daddr : ip.saddr, sizeof(k->addr));
	k->netns = pkt_dev_netns(*dev);
	k->family = ip.family;
	k->id = ic.id;
	k->seq = ic.seq;
	return true;
}

/* The sender, when the request leaves in its context (pkt_in_task()): a
 * ping's; requests the kernel sends on its own have none. */
static __always_inline void sender(struct superping_req *r)
{
	struct tr_owner o;

	if (!pkt_in_task()) {
		r->pid = 0;
		r->tid = 0;
		__builtin_memset(r->comm, 0, sizeof(r->comm));
		return;
	}
	tr_owner_current(&o);
	r->pid = o.pid;
	r->tid = o.tid;
	__builtin_memcpy(r->comm, o.comm, sizeof(r->comm));
}

static __always_inline int on_tx(struct sk_buff *skb, bool btf)
{
	struct superping_key k;
	struct superping_req r;
	struct net_device *dev;

	if (!echo_key(skb, true, btf, &k, &dev))
		return 0;
	__builtin_memset(&r, 0, sizeof(r));
	r.ts_ns = bpf_ktime_get_ns();
	sender(&r);
	if ((tr_filter.pid || tr_filter.comm_set) && !tr_want_task(r.pid, r.comm))
		return 0;
	if (dev) {
		r.ifindex = BPF_CORE_READ(dev, ifindex);
		BPF_CORE_READ_STR_INTO(&r.ifname, dev, name);
	}
	/* a request sent again under the same key (a stacked device, a
	 * sequence number that wrapped) starts the clock again */
	tr_map_update(&reqs, &k, &r, BPF_ANY);
	return 0;
}

static __always_inline void count(const struct superping_key *k, __u64 rtt)
{
	struct superping_dst d = {};
	struct superping_hist *h;
	__u32 slot;

	__builtin_memcpy(d.addr, k->addr, sizeof(d.addr));
	d.netns = k->netns;
	d.family = k->family;
	h = tr_table_lookup_or_zero(hist, &d);
	if (!h)
		return;
	slot = tr_log2(rtt / 1000);
	if (slot >= SUPERPING_SLOTS)
		slot = SUPERPING_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum_ns, rtt);
	__sync_fetch_and_add(&h->count, 1);
	/* min and max without a lock: two replies racing on two CPUs may
	 * each keep its own, one of them lost (rare, and only for the
	 * extremes) */
	if (!h->min_ns || rtt < h->min_ns)
		h->min_ns = rtt;
	if (rtt > h->max_ns)
		h->max_ns = rtt;
}

static __always_inline int on_rx(struct sk_buff *skb, bool btf)
{
	struct superping_key k;
	struct superping_req *r;
	struct superping_event *e;
	struct net_device *dev;
	__u64 now, rtt;

	if (!echo_key(skb, false, btf, &k, &dev))
		return 0;
	r = bpf_map_lookup_elem(&reqs, &k);
	if (!r)
		return 0;
	now = bpf_ktime_get_ns();
	rtt = now > r->ts_ns ? now - r->ts_ns : 0;
	if (tr_filter.summary) {
		count(&k, rtt);
		bpf_map_delete_elem(&reqs, &k);
		return 0;
	}
	e = tr_reserve(sizeof(*e));
	if (!e) {
		bpf_map_delete_elem(&reqs, &k);
		return 0;
	}
	e->h.ts_ns = now;
	e->h.cgroup = 0;
	e->h.netns = k.netns;
	e->h.pid = r->pid;
	e->h.tid = r->tid;
	e->h._pad = 0;
	__builtin_memcpy(e->h.comm, r->comm, sizeof(e->h.comm));
	__builtin_memcpy(e->addr, k.addr, sizeof(e->addr));
	e->rtt_ns = rtt;
	e->family = k.family;
	e->id = bpf_ntohs(k.id);
	e->seq = bpf_ntohs(k.seq);
	e->_pad = 0;
	e->tx_ifindex = r->ifindex;
	__builtin_memcpy(e->tx_ifname, r->ifname, sizeof(e->tx_ifname));
	bpf_map_delete_elem(&reqs, &k);
	e->rx_ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	__builtin_memset(e->rx_ifname, 0, sizeof(e->rx_ifname));
	if (dev)
		BPF_CORE_READ_STR_INTO(&e->rx_ifname, dev, name);
	tr_submit(e);
	return 0;
}

TR_PROGRAM_PAIR(superping_tx, net_dev_queue, (struct sk_buff *skb), on_tx(skb, btf))
TR_PROGRAM_PAIR(superping_rx, netif_receive_skb, (struct sk_buff *skb), on_rx(skb, btf))
