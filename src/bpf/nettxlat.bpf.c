/* nettxlat: how long the device layer takes to transmit a packet, in
 * stages: net:net_dev_queue (__dev_queue_xmit takes the skb from the
 * stack) -> net:net_dev_start_xmit (the driver's ndo_start_xmit is called;
 * in between: the qdisc, if the device has one, and validate_xmit_skb) ->
 * net:net_dev_xmit (the driver returned). Log2 histograms per device and
 * stage, kept in the kernel; all of a packet's stages are added at
 * net_dev_xmit (one histogram lookup a packet).
 *
 * "Done" is the driver's return: veth and lo hand the skb on to a receive
 * path (freed when a socket has read it), and a NIC frees it at its
 * transmit completion, which no tracepoint ties to the device (see
 * docs/tracers/nettxlat.md). NETDEV_TX_BUSY means the driver refused the
 * skb for now: it stays in the table and its xmit stage restarts when the
 * qdisc hands it over again.
 *
 * Hooks: net_dev_queue, net_dev_start_xmit, net_dev_xmit (bottom halves
 * off: no nested runs, so a device's histograms of a CPU have one writer
 * and take plain adds), kfree_skb (skbtime.bpf.h: packets dropped after
 * net_dev_queue, by the qdisc say).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/skbtime.bpf.h"
#include "bpf/nettxlat.h"

#define NETDEV_TX_OK   0x00
#define NETDEV_TX_BUSY 0x10

SKBTIME_MAP(starts, struct nettxlat_start);

TR_INTERVAL_TABLE(hists, struct nettxlat_key, struct nettxlat_dev, 1024);

/* a new device's value, built off the stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nettxlat_dev);
} scratch SEC(".maps");

/* dev's histograms on this CPU, made on its first packet there (names
 * read only then) */
static __always_inline struct nettxlat_dev *dev_of(const struct net_device *dev)
{
	struct nettxlat_key k = { .dev = (__u64)dev, .cpu = bpf_get_smp_processor_id() };
	struct nettxlat_dev *d = tr_table_lookup(hists, &k);
	__u32 zero = 0;

	if (d)
		return d;
	d = bpf_map_lookup_elem(&scratch, &zero);
	if (!d)
		return NULL;
	__builtin_memset(d, 0, sizeof(*d));
	d->ifindex = BPF_CORE_READ(dev, ifindex);
	d->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	BPF_CORE_READ_STR_INTO(&d->ifname, dev, name);
	tr_table_update(hists, &k, d, BPF_NOEXIST); /* a full map: counted */
	return tr_table_lookup(hists, &k);
}

static __always_inline int on_queue(struct sk_buff *skb)
{
	struct nettxlat_start s = {};

	if (!SKBTIME_WANT_DEV(BPF_CORE_READ(skb, dev)))
		return 0;
	s.ts_ns = s.queued_ns = bpf_ktime_get_ns();
	skbtime_start(&starts, skbtime_addr(skb, SKBTIME_ADDR_START), &s, sizeof(s));
	return 0;
}

static __always_inline int on_start_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct nettxlat_start *s, n = {};
	__u64 now, k, *slot;

	if (!tr_want_dev(dev))
		return 0;
	now = bpf_ktime_get_ns();
	k = skbtime_addr(skb, SKBTIME_ADDR_MID);
	slot = skbtime_find(&starts, k);
	if (!slot) { /* not seen queued: time its xmit stage only */
		n.ts_ns = n.started_ns = n.xmit_ns = now;
		skbtime_start(&starts, k, &n, sizeof(n));
		return 0;
	}
	/* the packet is this CPU's until it returns: its record is too */
	s = (struct nettxlat_start *)(slot + 1);
	if (!s->started_ns)
		s->started_ns = now;
	s->ts_ns = s->xmit_ns = now;
	return 0;
}

static __always_inline int on_xmit(const struct sk_buff *skb, int rc, const struct net_device *dev)
{
	struct nettxlat_start s;
	struct nettxlat_dev *d;
	__u64 now;

	if (rc == NETDEV_TX_BUSY || !tr_want_dev(dev))
		return 0;
	if (!skbtime_take(&starts, skb, &s, sizeof(s)) || !s.xmit_ns)
		return 0;
	now = bpf_ktime_get_ns();
	d = dev_of(dev);
	if (!d)
		return 0;
	skbtime_hist_add(&d->h[NETTXLAT_XMIT], now - s.xmit_ns);
	if (s.queued_ns) {
		skbtime_hist_add(&d->h[NETTXLAT_QUEUE], s.started_ns - s.queued_ns);
		skbtime_hist_add(&d->h[NETTXLAT_TOTAL], now - s.queued_ns);
	}
	if (rc != NETDEV_TX_OK)
		d->errors++;
	return 0;
}

TR_PROGRAM_PAIR(nettxlat_queue, net_dev_queue, (struct sk_buff *skb), on_queue(skb))
TR_PROGRAM_PAIR(nettxlat_start_xmit, net_dev_start_xmit,
		(const struct sk_buff *skb, const struct net_device *dev), on_start_xmit(skb, dev))
TR_PROGRAM_PAIR(nettxlat_xmit, net_dev_xmit,
		(struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len),
		on_xmit(skb, rc, dev))
SKBTIME_DROP_PROGRAMS(nettxlat, starts);
