/* tcprtt: log2 histograms of the smoothed RTT (srtt_us >> 3) of established
 * TCP flows, sampled at every segment they receive, optionally one per
 * remote address or remote port.
 *
 * Hook: tcp:tcp_probe (tp_btf, else raw_tp), see tcpwin.bpf.c.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcprtt.h"

const volatile __u8 by = TCPRTT_BY_NONE;

TR_INTERVAL_TABLE(hist, struct tr_endpoint, struct tcprtt_hist, 4096);

/* btf: a tp_btf program, reading with plain loads ("reading kernel memory"
 * in netlens.bpf.h) */
static __always_inline int on_probe(struct sock *sk, bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);
	struct tr_endpoint k = {};
	struct tcprtt_hist *h;
	struct tr_tuple t = {};
	__u32 srtt, slot;

	if (!tr_want_tcp_sock_rd(sk, tp, btf))
		return 0;
	srtt = TR_RD(btf, tp, srtt_us) >> 3;
	if (!srtt)
		return 0; /* no RTT sample yet */
	if (tr_filter.nports || tr_filter.nlports || tr_filter.nrports || by != TCPRTT_BY_NONE) {
		tr_read_tuple_rd(sk, tp, &t, btf);
		if (!tr_want_ports(t.sport, t.dport))
			return 0;
	}
	if (by == TCPRTT_BY_RADDR) {
		__builtin_memcpy(k.addr, t.daddr, sizeof(k.addr));
		k.family = t.family;
	} else if (by == TCPRTT_BY_RPORT) {
		k.port = t.dport;
	}
	h = tr_table_lookup_or_zero(hist, &k);
	if (!h)
		return 0;
	slot = tr_log2(srtt);
	if (slot >= TCPRTT_SLOTS)
		slot = TCPRTT_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum_us, srtt);
	__sync_fetch_and_add(&h->count, 1);
	return 0;
}

TR_PROGRAM_PAIR(tcprtt_probe, tcp_probe, (struct sock *sk, struct sk_buff *skb), on_probe(sk, btf))
