/* napistat: NAPI polls and the network softirqs.
 *
 * Hooks: napi:napi_poll (tp_btf, else raw_tp), which __napi_poll() fires
 * after each poll with the packets the poll handled (work) and its budget;
 * irq:softirq_entry and softirq_exit (tp_btf, else raw_tp), of which only
 * NET_TX (2) and NET_RX (3) are kept: their runs counted and timed per CPU.
 *
 * Time in poll: inside a NET_RX softirq, a poll's time is from the later of
 * the softirq's entry and the previous poll's tracepoint on the CPU to this
 * poll's tracepoint: the poll itself plus what net_rx_action did between
 * polls (the previous poll's GRO flush and list handling, small). Polls
 * outside NET_RX (busy polling, threaded NAPI, netpoll) are counted, not
 * timed (polls - timed).
 *
 * Cost: the softirq hooks run for every softirq (timers, RCU, ...) and
 * return at the vector check; the kept ones touch one per-CPU array entry.
 * A poll finds its NAPI's counters in one of NAPISTAT_SLOTS per-CPU array
 * slots, claimed on the NAPI's first poll on the CPU (a CPU polls few
 * NAPIs: its queues of each NIC and its backlog); NAPIs beyond them go to
 * a per-CPU hash. The device name is read on the first poll only. --dev and --netns apply to the
 * poll's device: the backlog NAPI (no device) is left out by them; the
 * softirq counters are per CPU and never filtered. */
#include "bpf/netlens.bpf.h"
#include "bpf/napistat.h"

#define NET_TX_VEC 2
#define NET_RX_VEC 3

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct napistat_napi);
} napis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NAPISTAT_SLOTS);
	__type(key, __u32);
	__type(value, struct napistat_napi);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct napistat_cpu);
} cpus SEC(".maps");

static __always_inline struct napistat_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpus, &zero);
}

static __always_inline int on_poll(struct napi_struct *napi, int work, int budget)
{
	struct napistat_cpu *c = this_cpu();
	struct net_device *dev = NULL;
	struct napistat_napi *v;
	__u64 key = (__u64)napi, now, dt = 0;
	bool timed = false;

	if (!c)
		return 0;
	now = bpf_ktime_get_ns();
	if (c->rx_start && c->mark) {
		dt = now - c->mark;
		c->mark = now;
		timed = true;
	}
	/* the device is read for the filters, and for a NAPI's first poll on
	 * this CPU (its name); without filters, never again */
	if (tr_filter.ifindex || tr_filter.netns) {
		dev = BPF_CORE_READ(napi, dev);
		if (!tr_want_dev(dev))
			return 0;
	}
	/* this CPU's slot of the NAPI, or a free one to claim */
	__u32 i;
	for (i = 0; i < NAPISTAT_SLOTS; i++) {
		if (c->slot_napi[i] == key)
			break;
		if (!c->slot_napi[i]) {
			c->slot_napi[i] = key;
			break;
		}
	}
	if (i < NAPISTAT_SLOTS)
		v = bpf_map_lookup_elem(&slots, &i);
	else
		v = tr_map_lookup_or_zero(&napis, &key);
	if (!v)
		return 0;
	if (!v->polls) {
		dev = BPF_CORE_READ(napi, dev);
		if (dev) {
			v->ifindex = BPF_CORE_READ(dev, ifindex);
			BPF_CORE_READ_STR_INTO(&v->ifname, dev, name);
		}
	}
	v->polls++;
	v->work += (__u32)work;
	if (budget > 0 && work >= budget) /* netpoll polls with budget 0 */
		v->full++;
	if ((__u32)budget > v->budget)
		v->budget = (__u32)budget;
	if (timed) {
		v->timed++;
		v->poll_ns += dt;
	}
	return 0;
}

TR_PROGRAM_PAIR(napistat_poll, napi_poll, (struct napi_struct *napi, int work, int budget),
		on_poll(napi, work, budget))

static __always_inline int on_softirq(unsigned int vec, bool entry)
{
	struct napistat_cpu *c;
	__u64 now;

	if (vec != NET_RX_VEC && vec != NET_TX_VEC)
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	now = bpf_ktime_get_ns();
	if (vec == NET_RX_VEC) {
		if (entry) {
			c->rx_start = now;
			c->mark = now;
		} else if (c->rx_start) {
			c->rx++;
			c->rx_ns += now - c->rx_start;
			c->rx_start = 0;
			c->mark = 0;
		}
	} else if (entry) {
		c->tx_start = now;
	} else if (c->tx_start) {
		c->tx++;
		c->tx_ns += now - c->tx_start;
		c->tx_start = 0;
	}
	return 0;
}

TR_PROGRAM_PAIR(napistat_sirq_entry, softirq_entry, (unsigned int vec_nr),
		on_softirq(vec_nr, true))
TR_PROGRAM_PAIR(napistat_sirq_exit, softirq_exit, (unsigned int vec_nr),
		on_softirq(vec_nr, false))
