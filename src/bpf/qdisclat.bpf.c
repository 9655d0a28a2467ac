/* qdisclat: how long each packet waits in its queueing discipline, from
 * qdisc:qdisc_enqueue (fired after a successful enqueue into the device's
 * root qdisc, under its lock) to qdisc:qdisc_dequeue (the root qdisc
 * hands it to the driver; a bulk dequeue chains several skbs through
 * skb->next), in log2 histograms per qdisc with the queue length and
 * backlog each packet found at enqueue.
 *
 * Hooks: qdisc_enqueue, qdisc_dequeue, kfree_skb (skbtime.bpf.h: packets
 * the qdisc drops). All three run with bottom halves off (transmit path,
 * NET_TX softirq) except some kfree_skb, so they do not nest in
 * themselves.
 *
 * A qdisc's histogram is written by its dequeues only, and a qdisc is
 * dequeued by one CPU at a time (dequeue_skb() runs under
 * qdisc_run_begin(), for lockless qdiscs too): plain adds and exact
 * maxima, no atomics.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/skbtime.bpf.h"
#include "bpf/qdisclat.h"

SKBTIME_MAP(starts, struct qdisclat_start);

/* histograms per qdisc, swapped whole every -i interval (maxima included) */
TR_INTERVAL_TABLE(hists, struct qdisclat_key, struct qdisclat_hist, 1024);

/* a new histogram's value, built off the stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qdisclat_hist);
} scratch SEC(".maps");

static __always_inline int on_enqueue(struct Qdisc *q, struct sk_buff *skb, bool btf)
{
	struct qdisclat_start s;

	if (!SKBTIME_WANT_DEV(BPF_CORE_READ(q, dev_queue, dev)))
		return 0;
	s.ts_ns = bpf_ktime_get_ns();
	s.qlen = TR_RD(btf, q, q.qlen);
	s.backlog = TR_RD(btf, q, qstats.backlog);
	skbtime_start(&starts, skbtime_addr(skb, SKBTIME_ADDR_START), &s, sizeof(s));
	return 0;
}

/* q's histogram, made on its first packet (device and names read only then) */
static __always_inline struct qdisclat_hist *hist_of(struct Qdisc *q, bool btf)
{
	struct qdisclat_key k = { .qdisc = (__u64)q };
	struct qdisclat_hist *h;
	struct net_device *dev;
	__u32 zero = 0;
	void *hists_now = tr_table(&hists);

	if (!hists_now)
		return NULL;
	k.handle = TR_RD(btf, q, handle);
	h = bpf_map_lookup_elem(hists_now, &k);
	if (h)
		return h;
	h = bpf_map_lookup_elem(&scratch, &zero);
	if (!h)
		return NULL;
	__builtin_memset(h, 0, sizeof(*h));
	dev = BPF_CORE_READ(q, dev_queue, dev);
	h->parent = TR_RD(btf, q, parent);
	h->ifindex = BPF_CORE_READ(dev, ifindex);
	h->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	BPF_CORE_READ_STR_INTO(&h->kind, q, ops, id);
	BPF_CORE_READ_STR_INTO(&h->ifname, dev, name);
	tr_map_update(hists_now, &k, h, BPF_NOEXIST); /* a full map: counted */
	return bpf_map_lookup_elem(hists_now, &k);
}

static __always_inline int on_dequeue(struct Qdisc *q, int packets, struct sk_buff *skb, bool btf)
{
	struct qdisclat_hist *h = NULL;
	struct qdisclat_start s;
	__u64 now;
	int i;

	if (!skb || packets <= 0)
		return 0;
	if (!SKBTIME_WANT_DEV(BPF_CORE_READ(q, dev_queue, dev)))
		return 0;
	now = bpf_ktime_get_ns();
	for (i = 0; i < QDISCLAT_WALK && skb; i++) {
		if (i >= packets)
			break;
		if (skbtime_take(&starts, skb, &s, sizeof(s))) {
			if (!h)
				h = hist_of(q, btf);
			if (!h)
				return 0;
			skbtime_hist_add(&h->h, now - s.ts_ns);
			h->qlen_sum += s.qlen;
			h->backlog_sum += s.backlog;
			if (s.qlen > h->qlen_max)
				h->qlen_max = s.qlen;
			if (s.backlog > h->backlog_max)
				h->backlog_max = s.backlog;
		}
		skb = TR_RD(btf, skb, next);
	}
	if (packets > QDISCLAT_WALK)
		skbtime_count(SKBTIME_UNWALKED, packets - QDISCLAT_WALK);
	return 0;
}

TR_PROGRAM_PAIR(qdisclat_enqueue, qdisc_enqueue,
		(struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb),
		on_enqueue(q, skb, btf))
TR_PROGRAM_PAIR(qdisclat_dequeue, qdisc_dequeue,
		(struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb),
		on_dequeue(q, packets, skb, btf))
SKBTIME_DROP_PROGRAMS(qdisclat, starts);
